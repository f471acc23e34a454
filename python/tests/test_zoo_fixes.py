"""Small tests of the exporter fixes that the zoo (python/tests/zoo) asked for (issue 20): each
exports a small module with the defaults, then checks it in Node (scripts/check-export.ts, cpu) at
the export size and at other sizes against PyTorch's own outputs (write_check runs the module).

  <venv python> -m unittest python/tests/test_zoo_fixes.py
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from tfjs_torch import export, write_check  # noqa: E402
from test_export import node_available, run_checker  # noqa: E402


def seeded(m, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return m.eval()


def rand(*shape, seed=1):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


class ZooFixes(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_zoofix_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export_and_check(self, module, inputs, others, **kw):
        """Exports at `inputs`, checks there and at each tuple of `others` in Node (cpu)."""
        base = tempfile.mkdtemp(dir=self.tmp)   # (a test may export several modules)
        d = os.path.join(base, "m")
        export(module, inputs, d, **kw)
        with open(os.path.join(d, "model.json")) as f:
            model = json.load(f)
        if not node_available():
            self.skipTest("node / node_modules missing: exported only")
        dirs = [d]
        for k, xs in enumerate(others):
            d2 = os.path.join(base, f"other{k}")
            os.makedirs(d2)
            for f in os.listdir(d):
                if f != "check.safetensors":
                    shutil.copy(os.path.join(d, f), d2)
            write_check(module, xs, d2)
            dirs.append(d2)
        results = run_checker(dirs)
        for dd in dirs:
            self.assertTrue(results[dd].get("ok"), f"{dd}: {results[dd]}")
        return model

    def test_spatial_dims_of_one_stay_free(self):
        """A DCGAN-like generator exported at its real 1x1 latent takes other latent sizes (Note
        [a dim of 1]: captured at 2x2, checked at 1x1)."""
        m = seeded(nn.Sequential(nn.ConvTranspose2d(6, 4, 4, 1, 0), nn.BatchNorm2d(4), nn.ReLU(),
                                 nn.ConvTranspose2d(4, 3, 4, 2, 1), nn.Tanh()))
        model = self.export_and_check(m, (rand(1, 6, 1, 1),),
                                      [(rand(1, 6, 2, 3, seed=2),), (rand(2, 6, 3, 1, seed=3),)])
        shape = model["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"]
        self.assertEqual(shape, [None, None, None, 6])

    def test_unfold_and_var(self):
        """SegFormer's overlapping patch embedding (nn.Unfold, then the patches viewed back as an
        image) and its LayerNorm written with torch.var, at free sizes."""
        class PatchEmbed(nn.Module):
            def __init__(self):
                super().__init__()
                self.unfold = nn.Unfold(3, stride=2, padding=1)
                self.proj = nn.Conv2d(3 * 9, 5, 1)
                self.g = nn.Parameter(torch.ones(1, 5, 1, 1))

            def forward(self, x):
                h, w = x.shape[-2:]
                p = self.unfold(x)
                p = p.view(p.shape[0], p.shape[1], (h + 1) // 2, -1)
                y = self.proj(p)
                std = torch.var(y, dim=1, unbiased=False, keepdim=True).sqrt()
                mean = torch.mean(y, dim=1, keepdim=True)
                y = (y - mean) / (std + 1e-5) * self.g
                return y + torch.var(y, dim=1, keepdim=True) + y.var(dim=(2, 3), unbiased=False,
                                                                      keepdim=True)

        m = seeded(PatchEmbed())
        self.export_and_check(m, (rand(1, 3, 8, 12),),
                              [(rand(1, 3, 10, 6, seed=2),), (rand(2, 3, 7, 9, seed=3),)])

    def test_inputs_shared_across_the_batch(self):
        """SAM's mask decoder calling convention: an image embedding of batch 1 repeated for N
        prompts of T tokens each (repeat_interleave by another input's batch). Every batch free
        fails to capture; the default then fixes the embedding's batch and keeps N and T free."""
        class Decoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = nn.Linear(4, 4)
                self.conv = nn.Conv2d(4, 4, 3, padding=1)

            def forward(self, image, prompts, dense):
                src = torch.repeat_interleave(image, prompts.shape[0], dim=0) + dense
                src = self.conv(src)
                tok = self.proj(prompts)                                  # [N, T, C]
                attn = (tok @ src.flatten(2)).softmax(-1)                 # [N, T, HW]
                return (attn @ src.flatten(2).transpose(1, 2)).sum(1)     # [N, C]

        m = seeded(Decoder())
        self.export_and_check(m, (rand(1, 4, 6, 5), rand(1, 2, 4, seed=2), rand(1, 4, 6, 5, seed=3)),
                              [(rand(1, 4, 3, 7, seed=4), rand(1, 3, 4, seed=5), rand(1, 4, 3, 7, seed=6)),
                               (rand(1, 4, 5, 4, seed=7), rand(3, 5, 4, seed=8), rand(3, 4, 5, 4, seed=9))])

    def test_conv_transpose_output_size_at_free_sizes(self):
        """ENet's decoder: ConvTranspose2d(x, output_size=skip.size()) at odd and even sizes (the
        output padding 0 or 1 known only at run time), with padding 1 (k3 s2) and 0 (k2 s2)."""
        class Up(nn.Module):
            def __init__(self):
                super().__init__()
                self.down = nn.Conv2d(3, 4, 3, stride=2, padding=1)
                self.up1 = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)
                self.down2 = nn.Conv2d(3, 4, 1)
                self.up2 = nn.ConvTranspose2d(4, 3, 2, stride=2)

            def forward(self, x):
                d, d2 = self.down(x), nn.functional.max_pool2d(self.down2(x), 2)
                return self.up1(d, output_size=x.size()) + self.up2(d2, output_size=x.size()) + x

        m = seeded(Up())
        self.export_and_check(m, (rand(1, 3, 8, 9),),
                              [(rand(1, 3, 7, 10, seed=2),), (rand(2, 3, 12, 5, seed=3),)])


    def test_multihead_attention(self):
        """nn.MultiheadAttention (batch_first and not): inside, the batch is merged with the heads
        (view to [L, N * heads, d]) and dim 0 transposed (Note [dim 0 inside a model]); checked
        at other batches and lengths, a batch of 1 included."""
        class Mha(nn.Module):
            def __init__(self, batch_first):
                super().__init__()
                self.attn = nn.MultiheadAttention(8, 2, batch_first=batch_first)
                self.proj = nn.Linear(8, 8)

            def forward(self, x):
                y, _ = self.attn(x, x, x, need_weights=False)
                return self.proj(y) + x

        m = seeded(Mha(True))   # [N, L, E]
        self.export_and_check(m, (rand(2, 5, 8),),
                              [(rand(1, 7, 8, seed=2),), (rand(3, 2, 8, seed=3),)])
        # [L, N, E]: the tfjs model's dim 0 is L (torch.export's range for it starts at 2, the
        # example's, as for any dim that attention mixes); N free from 2.
        m = seeded(Mha(False), seed=4)
        self.export_and_check(m, (rand(5, 2, 8),),
                              [(rand(7, 3, 8, seed=2),), (rand(2, 4, 8, seed=3),)])

    def test_views_that_merge_the_batch(self):
        """The failure class of SegFormer and SwinIR: views whose dim 0 mixes the batch with other
        dims (einops' 'b (h c) x y -> (b h) (x y) c' written as view / permute, and windows folded
        into dim 0), at free sizes, checked at batches 1 and 3 and other image sizes."""
        class Merge(nn.Module):
            def __init__(self):
                super().__init__()
                self.qkv = nn.Conv2d(4, 12, 1)
                self.out = nn.Conv2d(4, 4, 1)

            def forward(self, x):
                b, _, h, w = x.shape
                q, k, v = self.qkv(x).chunk(3, dim=1)

                def heads(t):   # b (h c) x y -> (b h) (x y) c, h = 2
                    return t.reshape(b, 2, 2, h, w).permute(0, 1, 3, 4, 2).reshape(b * 2, h * w, 2)
                q, k, v = heads(q), heads(k), heads(v)
                a = torch.einsum("bic,bjc->bij", q, k).softmax(-1)
                o = torch.einsum("bij,bjc->bic", a, v)                    # (b h) (x y) c
                o = o.reshape(b, 2, h, w, 2).permute(0, 1, 4, 2, 3).reshape(b, 4, h, w)
                # windows of 2x2 folded into dim 0, then back (Swin's window partition)
                t = o.permute(0, 2, 3, 1).reshape(b, h // 2, 2, w // 2, 2, 4)
                t = t.permute(0, 1, 3, 2, 4, 5).reshape(-1, 4, 4) * 2.0  # (b nh nw) (2 2) c
                t = t.reshape(b, h // 2, w // 2, 2, 2, 4).permute(0, 5, 1, 3, 2, 4)
                return self.out(t.reshape(b, 4, h, w)) + x

        m = seeded(Merge())
        model = self.export_and_check(m, (rand(2, 4, 6, 8),),
                                      [(rand(1, 4, 4, 10, seed=2),), (rand(3, 4, 8, 6, seed=3),)])
        classes = [l["class_name"] for l in model["modelTopology"]["config"]["layers"]]
        self.assertIn("TorchReshape", classes)
        batch = [l["config"]["batch"] for l in model["modelTopology"]["config"]["layers"]
                 if l["class_name"] == "TorchReshape" and "batch" in l["config"]]
        self.assertTrue(batch and all(isinstance(e, list) for e in batch),
                        f"dim 0 sizes are shape expressions, never the capture's numbers: {batch}")

    def test_output_without_the_batch_at_dim_0_is_refused(self):
        """A model output must have a batch of the inputs at dim 0 (tfjs models' outputs are per
        sample): a transpose that leaves another dim there is refused, naming the output."""
        class T(nn.Module):
            def forward(self, x):
                return x.transpose(0, 1) * 2

        from tfjs_torch import ExportError
        out = os.path.join(self.tmp, "refused")
        with self.assertRaises(ExportError) as cm:
            export(T(), (rand(2, 3, 4),), out)
        self.assertIn("dim 0", str(cm.exception))
        self.assertIn("batch", str(cm.exception))
        self.assertFalse(os.path.exists(out))


    def test_a_batch_torch_export_fixes_is_never_the_capture_s(self):
        """SwinIR's window_reverse computes the batch with a float division of sizes
        (`int(windows.shape[0] / (h * w / ws / ws))`), which makes torch.export fix the batch at
        the size it captured at (2, for an example of 1). That 2 must not be baked in (the model
        failed at the user's own batch of 1): the model takes the user's batch, other image
        sizes, and refuses another batch with a rule naming it (Note [a batch torch.export
        fixed])."""
        class Baked(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 3, 3, padding=1)

            def forward(self, x):
                y = self.conv(x)
                b = int(y.shape[0] * y.shape[1] / 3.0)
                return y.reshape(b, 3, -1).softmax(-1).reshape(y.shape) + x

        m = seeded(Baked())
        model = self.export_and_check(m, (rand(1, 3, 5, 6),), [(rand(1, 3, 7, 4, seed=2),)])
        rules = [r["text"] for l in model["modelTopology"]["config"]["layers"]
                 if l["class_name"] == "TorchShapeCheck" for r in l["config"]["rules"]]
        self.assertTrue(any(t.startswith("x.shape[0] == 1") for t in rules), rules)
        self.assertNotIn("2", json.dumps([l["config"].get("target_shape") for l in
                                          model["modelTopology"]["config"]["layers"]]))


    def test_guards_that_a_probe_drops(self):
        """SegFormer's failure class: captured where the deepest feature map is 4x3, torch.export
        guards that it is not 1 (`(1 + (H - 1) // 8) != 1`, from PyTorch's own view and
        broadcast code); the captured ops compute the same at 1x2, so probes drop those guards
        and the model runs at 8x16 and 16x8 (Note [guards that a probe drops])."""
        class Deep(nn.Module):
            def __init__(self):
                super().__init__()
                self.down = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.Conv2d(4, 4, 3, 2, 1),
                                          nn.Conv2d(4, 4, 3, 2, 1))
                self.up = nn.Upsample(scale_factor=8, mode="nearest")

            def forward(self, x):
                y = self.down(x)
                b, c, h, w = y.shape
                t = y.flatten(2).transpose(1, 2)
                a = (t @ t.transpose(1, 2)).softmax(-1)
                o = (a @ t).transpose(1, 2).reshape(b, c, h, w)
                return self.up(o).mean(1, keepdim=True) + x

        m = seeded(Deep())
        model = self.export_and_check(m, (rand(1, 3, 32, 24),),
                                      [(rand(1, 3, 8, 16, seed=2),), (rand(2, 3, 16, 8, seed=3),)])
        rules = [r["text"] for l in model["modelTopology"]["config"]["layers"]
                 if l["class_name"] == "TorchShapeCheck" for r in l["config"]["rules"]]
        self.assertTrue(any("% 8" in t or "// 8" in t for t in rules), rules)  # H, W multiples of 8 stay


if __name__ == "__main__":
    unittest.main()
