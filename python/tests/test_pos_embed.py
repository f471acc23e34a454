"""What ViT depth decoders (DPT, DINOv2 / Depth Anything) need at free sizes. A ViT's learned
position embedding resized to the input's patch grid (DPT's and DINOv2's
encoders: a [1, 1 + N, C] parameter whose grid part is viewed as an image and interpolated to
(h // patch, w // patch)): the parameter becomes a tensor of the model and the resize its usual
layer, sized from the input at run time (Note [a constant made a tensor of the model] in
_context.py); an attention mask made from torch.arange over the sequence the input's size makes.
Each module is exported with the defaults (free sizes) and checked in Node
(scripts/check-export.ts, cpu and wasm; TFJS_TORCH_EXPORTER_BACKENDS picks others) at the export size and at other sizes and batches
against PyTorch's own outputs (write_check runs the module).

  <venv python> -m unittest python/tests/test_pos_embed.py
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
import torch.nn.functional as F  # noqa: E402

from tfjs_torch import ExportError, export, write_check  # noqa: E402
from test_export import check_at_sizes, node_available, run_checker  # noqa: E402


def rand(*shape, seed=1):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


class PosEmbedViT(nn.Module):
    """Patch embedding, a class token, a learned position embedding for a grid x grid training
    size resized to the input's patch grid, one linear layer, and the patch tokens viewed back as
    a map. `dpt_style`: the grid read as pos[0, 1:] (a select, as DPT's _resize_pos_embed), else
    pos[:, 1:] (as DINOv2's interpolate_pos_encoding)."""

    def __init__(self, mode, align_corners=False, patch=8, grid=4, dim=16, dpt_style=False):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.mode, self.align_corners, self.p, self.grid, self.dpt_style = \
            mode, align_corners, patch, grid, dpt_style
        self.proj = nn.Conv2d(3, dim, patch, patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim, generator=g))
        self.pos = nn.Parameter(torch.randn(1, 1 + grid * grid, dim, generator=g))
        self.head = nn.Linear(dim, 4)

    def forward(self, x):
        n, _, h, w = x.shape
        gh, gw = h // self.p, w // self.p
        tok = self.proj(x).flatten(2).transpose(1, 2)
        tok = torch.cat([self.cls.expand(n, -1, -1), tok], 1)
        if self.dpt_style:
            grid = self.pos[0, 1:].reshape(1, self.grid, self.grid, -1)
        else:
            grid = self.pos[:, 1:].reshape(1, self.grid, self.grid, -1)
        grid = F.interpolate(grid.permute(0, 3, 1, 2), size=(gh, gw), mode=self.mode,
                             align_corners=self.align_corners)
        pos = torch.cat([self.pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, gh * gw, -1)], 1)
        t = self.head(tok + pos)
        return t[:, 1:].transpose(1, 2).reshape(n, 4, gh, gw)


class PosEmbed(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_posembed_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export_and_check(self, module, x, others, **kw):
        """Exports at x, checks there and at each of `others` in Node (cpu and wasm); returns
        model.json."""
        d = os.path.join(self.tmp, "m")
        export(module, x, d, **kw)
        with open(os.path.join(d, "model.json")) as f:
            model = json.load(f)
        if not node_available():
            self.skipTest("node / node_modules missing: exported only")
        dirs = [d]
        for k, xs in enumerate(others):
            d2 = os.path.join(self.tmp, f"other{k}")
            os.makedirs(d2)
            for f in os.listdir(d):
                if f != "check.safetensors":
                    shutil.copy(os.path.join(d, f), d2)
            write_check(module, xs, d2)
            dirs.append(d2)
        for backend in os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS", "cpu,wasm").split(","):
            results = run_checker(dirs, backend)
            for dd in dirs:
                self.assertTrue(results[dd].get("ok"), f"{backend} {dd}: {results[dd]}")
        return model

    def layers(self, model, cls):
        return [l for l in model["modelTopology"]["config"]["layers"] if l["class_name"] == cls]

    def check_resized_at_run_time(self, model, mode):
        ups = self.layers(model, "TorchUpsample")
        self.assertEqual(len(ups), 1)
        cfg = ups[0]["config"]
        self.assertEqual((cfg["mode"], cfg.get("alignCorners")), (mode, False))
        # the size is read from the input at run time, not a number fixed at export
        self.assertFalse(all(isinstance(s, int) for s in cfg["size"]), cfg["size"])
        self.assertEqual(model["modelTopology"]["config"]["layers"][0]["config"]
                         ["batch_input_shape"], [None, None, None, 3])

    def test_bilinear_dpt_style(self):
        """DPT's form: pos[0, 1:] viewed as the 4x4 grid, bilinear to (h // 8, w // 8)."""
        m = PosEmbedViT("bilinear", dpt_style=True).eval()
        model = self.export_and_check(m, rand(1, 3, 32, 32),
                                      [rand(1, 3, 48, 40, seed=2), rand(2, 3, 24, 56, seed=3)])
        self.check_resized_at_run_time(model, "bilinear")

    def test_bicubic_dinov2_style(self):
        """DINOv2's form: pos[:, 1:] viewed as the grid, bicubic (align_corners False), at a
        patch of 7 (sizes that are not multiples of the patch floor as PyTorch does)."""
        m = PosEmbedViT("bicubic", patch=7, grid=5).eval()
        model = self.export_and_check(m, rand(1, 3, 35, 35),
                                      [rand(1, 3, 49, 42, seed=2), rand(2, 3, 30, 71, seed=3)])
        self.check_resized_at_run_time(model, "bicubic")

    def test_fixed_sizes_fold_the_resize(self):
        """dynamic_shapes=False: the resized embedding is a constant computed by PyTorch (no
        resize layer in the model); the class token, expanded to the fixed batch of 1 and so a
        constant too, goes next to the patch tokens (a cat of a constant and a tensor of the
        model, its dim 0 read from the tokens' at run time)."""
        m = PosEmbedViT("bicubic", patch=7, grid=5).eval()
        model = self.export_and_check(m, rand(1, 3, 49, 42), [], dynamic_shapes=False)
        self.assertEqual(self.layers(model, "TorchUpsample"), [])
        fills = self.layers(model, "TorchFill")
        self.assertEqual([f["config"]["shape"] for f in fills], [[["dim", 0, 0], 1, 16]])


    def test_attention_mask_from_arange(self):
        """transformers' attention masks are made from torch.arange(seq_len) where the sequence
        length comes from the input's size (DINOv2 / Depth Anything's create_bidirectional_mask):
        arange at run time (a TorchFill with a step), compared, broadcast to the batch (an
        expand of dim 0 from 1) and used as a boolean mask; and an arange by 2 added to the
        values."""
        class Banded(nn.Module):
            def __init__(self):
                super().__init__()
                self.qkv = nn.Linear(4, 12)

            def forward(self, x):
                n, c, h, w = x.shape
                t = x.flatten(2).transpose(1, 2)                      # [n, L, c]
                length = t.shape[1]
                idx = torch.arange(length)
                keep = (idx[None, None, None, :] <= idx[None, None, :, None] + 2)
                keep = keep.expand(n, -1, -1, -1)                     # [n, 1, L, L]
                q, k, v = self.qkv(t).view(n, length, 3, 2, 2).permute(2, 0, 3, 1, 4)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
                y = y.transpose(1, 2).reshape(n, length, c)
                y = y + torch.arange(1, 2 * length + 1, 2)[None, :, None] * 0.01
                return y.transpose(1, 2).reshape(n, c, h, w)

        g = torch.Generator().manual_seed(0)
        m = Banded().eval()
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn(p.shape, generator=g))
        model = self.export_and_check(m, rand(1, 4, 6, 6),
                                      [rand(2, 4, 5, 7, seed=2), rand(1, 4, 8, 3, seed=3)])
        steps = sorted(l["config"].get("step") for l in self.layers(model, "TorchFill"))
        self.assertEqual(steps, [1, 2])


    def test_a_float_arange_of_a_run_time_length_is_refused_by_name(self):
        """arange with a float start and a length known only at run time stays refused, naming
        the op and the argument, before anything is written."""
        class FloatArange(nn.Module):
            def forward(self, x):
                return x + torch.arange(0.5, x.shape[3])[None, None, None, :]

        d = os.path.join(self.tmp, "float_arange")
        with self.assertRaises(ExportError) as cm:
            export(FloatArange(), rand(1, 2, 4, 6), d)
        self.assertIn("aten.arange", str(cm.exception))
        self.assertIn("argument 'start' is 0.5", str(cm.exception))
        self.assertFalse(os.path.exists(d))


class DepthViT(nn.Module):
    """The size arithmetic of Depth Anything (transformers' DepthAnythingForDepthEstimation over
    Dinov2Backbone, and the upstream Depth-Anything-V2 dpt.py's DPTHead), small: the patch grid
    as `h // patch`; DINOv2's position embedding returned as stored where the input has the
    training grid and is square (modeling_dinov2.py's interpolate_pos_encoding), else resized
    bicubic to the grid; the patch tokens reassembled into a [n, c, gh, gw] map, upsampled by a
    transposed convolution; the head's output interpolated to `(int(gh * patch), int(gw *
    patch))` (modeling_depth_anything.py:300, dpt.py's `int(patch_h * 14)`): Note [int() of a
    size]."""

    def __init__(self, patch=7, grid=4, dim=16):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.p, self.grid = patch, grid
        self.proj = nn.Conv2d(3, dim, patch, patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim, generator=g))
        self.pos = nn.Parameter(torch.randn(1, 1 + grid * grid, dim, generator=g))
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.reduce = nn.Conv2d(dim, 8, 1)
        self.up = nn.ConvTranspose2d(8, 8, 2, 2)
        self.conv = nn.Conv2d(8, 4, 3, padding=1)
        self.out = nn.Conv2d(4, 1, 1)

    def interpolate_pos_encoding(self, tok, h, w):
        npatch, n_pos = tok.shape[1] - 1, self.pos.shape[1] - 1
        if npatch == n_pos and h == w:
            return self.pos
        gh, gw = h // self.p, w // self.p
        grid = self.pos[:, 1:].reshape(1, self.grid, self.grid, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(gh, gw), mode="bicubic", align_corners=False)
        return torch.cat([self.pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, gh * gw, -1)], 1)

    def forward(self, x):
        n, _, h, w = x.shape
        gh, gw = h // self.p, w // self.p
        tok = self.proj(x).flatten(2).transpose(1, 2)
        tok = torch.cat([self.cls.expand(n, -1, -1), tok], 1)
        tok = tok + self.interpolate_pos_encoding(tok, h, w)
        tok = tok + self.mlp(tok)
        f = tok[:, 1:].reshape(n, gh, gw, -1).permute(0, 3, 1, 2)
        f = self.conv(self.up(self.reduce(f)))
        f = F.interpolate(f, (int(gh * self.p), int(gw * self.p)), mode="bilinear",
                          align_corners=True)
        return self.out(F.relu(f)).squeeze(1)


class SquareGridViT(nn.Module):
    """transformers' DPT neck where the config has no backbone_config (DPTReassembleStage,
    modeling_dpt.py: `size = torch_int(sequence_length**0.5)`, then `reshape(batch_size, size,
    size, num_channels)`): the patch tokens back to a square grid whose side is int() of the
    square root of their count (Note [the square root of a size] in _shape.py)."""

    def __init__(self, patch=8, dim=16):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.up = nn.ConvTranspose2d(dim, 8, 2, 2)
        self.out = nn.Conv2d(8, 1, 3, padding=1)

    def forward(self, x):
        tok = self.proj(x).flatten(2).transpose(1, 2)
        tok = tok + self.mlp(tok)
        b, length, c = tok.shape
        size = int(length ** 0.5)
        f = tok.reshape(b, size, size, c).permute(0, 3, 1, 2)
        return self.out(self.up(f)).squeeze(1)


class DepthAnythingSizes(unittest.TestCase):
    """Note [int() of a size] (_capture.py): before, `int(gh * patch)` made torch.export hold the
    head's output size at the capture's (guard `7*(x.shape[2] // 7) == 28`), and the exporter
    fixed H and W at the export size with a FixedSizeWarning (transformers' Depth Anything took
    70x70 only)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_depth_vit_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_free_sizes_match_pytorch(self):
        """Exported at its training size (28x28: the stored embedding's branch), with every
        size left free and no warning; checked against PyTorch there and at other grids,
        non-square, a batch of 2, and sizes that are not multiples of the patch (PyTorch floors
        them: the output is 7 * (h // 7))."""
        import warnings
        from tfjs_torch import FixedSizeWarning
        m = DepthViT().eval()
        with torch.no_grad():   # a reference the check can see a wrong layer in
            self.assertGreater(float(m(rand(1, 3, 28, 28)).std()), 1e-2)
        d = os.path.join(self.tmp, "m")
        with warnings.catch_warnings():
            warnings.simplefilter("error", FixedSizeWarning)
            export(m, rand(1, 3, 28, 28), d)
        with open(os.path.join(d, "model.json")) as f:
            model = json.load(f)
        meta = model["userDefinedMetadata"]["tfjsTorch"]
        self.assertEqual(meta["fixedDims"], [])
        self.assertEqual(meta["inputs"][0]["torchShape"], [None, 3, None, None])
        # the head's interpolate reads its size from the input at run time
        ups = [l["config"] for l in model["modelTopology"]["config"]["layers"]
               if l["class_name"] == "TorchUpsample" and l["config"]["mode"] == "bilinear"]
        self.assertEqual(len(ups), 1)
        self.assertFalse(any(isinstance(s, int) for s in ups[0]["size"]), ups[0]["size"])
        if not node_available():
            self.skipTest("node / node_modules missing: exported only")
        check_at_sizes(self, m, d, [rand(1, 3, 35, 49, seed=2), rand(2, 3, 42, 28, seed=3),
                                    rand(1, 3, 45, 37, seed=4), rand(1, 3, 21, 21, seed=5)],
                       backends="cpu,wasm")

    def test_square_grid_from_a_square_root(self):
        """DPT's neck: int(n ** 0.5) of the token count is the shape grammar's isqrt, so the
        model takes every square grid (PyTorch's numbers at 32x32, the export size, and at
        24x24, 48x48, 44x44 and a batch of 2 at 40x40) and its size rules refuse a grid that is
        not square (where PyTorch's reshape fails too), as the loader's evaluator reads them."""
        from tfjs_torch._shape import evaluate
        m = SquareGridViT().eval()
        with torch.no_grad():   # a reference the check can see a wrong layer in
            self.assertGreater(float(m(rand(1, 3, 32, 32)).std()), 1e-2)
        d = os.path.join(self.tmp, "m")
        export(m, rand(1, 3, 32, 32), d)
        with open(os.path.join(d, "model.json")) as f:
            model = json.load(f)
        meta = model["userDefinedMetadata"]["tfjsTorch"]
        self.assertEqual(meta["fixedDims"], [])
        self.assertEqual(meta["inputs"][0]["torchShape"], [None, 3, None, None])
        self.assertIn("isqrt", json.dumps(model["modelTopology"]))
        checks = [l["config"] for l in model["modelTopology"]["config"]["layers"]
                  if l["class_name"] == "TorchShapeCheck"]
        self.assertEqual(len(checks), 1)

        def broken(h, w):   # the rules the model breaks at [1, h, w, 3] (channels last)
            return [r["text"] for r in checks[0]["rules"]
                    if not evaluate(r["rule"], [[1, h, w, 3]])]
        for h, w in ((32, 32), (24, 24), (48, 48), (44, 44), (40, 40)):
            self.assertEqual(broken(h, w), [], (h, w))
        for h, w in ((32, 48), (40, 24), (64, 32)):
            self.assertNotEqual(broken(h, w), [], (h, w))
            with self.assertRaises(RuntimeError):   # PyTorch refuses them too
                m(rand(1, 3, h, w))
        if not node_available():
            self.skipTest("node / node_modules missing: exported only")
        check_at_sizes(self, m, d, [rand(1, 3, 24, 24, seed=2), rand(1, 3, 48, 48, seed=3),
                                    rand(1, 3, 44, 44, seed=4), rand(2, 3, 40, 40, seed=5)],
                       backends="cpu,wasm")

    def test_int_is_the_builtin_again_after_export(self):
        """The capture's `int` (Note [int() of a size]) is gone from the model's module after the
        export, and a module's own `int` is left alone."""
        mod = sys.modules[DepthViT.__module__]
        self.assertNotIn("int", mod.__dict__)
        export(DepthViT().eval(), rand(1, 3, 28, 28), os.path.join(self.tmp, "m"))
        self.assertNotIn("int", mod.__dict__)
        self.assertIs(int, __builtins__["int"] if isinstance(__builtins__, dict)
                      else __builtins__.int)


if __name__ == "__main__":
    unittest.main()
