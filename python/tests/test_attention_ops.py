"""The attention vocabulary's exporter handlers (python/tfjs_torch/ops: matmul.py, attention.py,
gather.py, expand.py), under the torch 2.x venv:

  /root/.cache/tfjs-torch/torch2/bin/python -m unittest python/tests/test_attention_ops.py

Each case is a small module using the op the way a decoder does (the SD VAE's AttnBlock with
bmm, a diffusers-style block with scaled_dot_product_attention, SAM's attention and its
output-token expand, a relative position bias, shifted windows' roll), exported with default
options (free batch and spatial sizes) in both data formats and checked in Node by
scripts/check-export.ts (pt.checkExport: every output and every layer's output within 1e-4 +
1e-4 |torch| of PyTorch's) at the export size and, with tfjs_torch.write_check, at another size.
TFJS_TORCH_EXPORTER_BACKENDS=cpu,wasm,tensorflow picks the Node backends (cpu by default). The
refusals (batch-dim products, dropout, indices from the inputs) name the op and what to do.
"""
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), ""))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from tfjs_torch import ExportError, export  # noqa: E402
from tfjs_torch._export import write_check  # noqa: E402
from test_export import node_available, run_checker  # noqa: E402

FORMATS = ("channelsLast", "channelsFirst")


def seeded(m, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.rand(p.shape, generator=g) - 0.5)
    return m.eval()


def rand(*shape, seed=1):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


class VaeAttnBlock(nn.Module):
    """The Stable Diffusion / VQGAN VAE's AttnBlock (bmm, int(c) ** -0.5, softmax over dim 2)."""

    def __init__(self, c):
        super().__init__()
        self.q = nn.Conv2d(c, c, 1)
        self.k = nn.Conv2d(c, c, 1)
        self.v = nn.Conv2d(c, c, 1)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        b, c, h, w = q.shape
        q = q.reshape(b, c, h * w).permute(0, 2, 1)
        k = k.reshape(b, c, h * w)
        w_ = torch.bmm(q, k) * (int(c) ** (-0.5))
        w_ = F.softmax(w_, dim=2)
        v = v.reshape(b, c, h * w)
        h_ = torch.bmm(v, w_.permute(0, 2, 1)).reshape(b, c, h, w)
        return x + self.proj_out(h_)


class SdpaBlock(nn.Module):
    """diffusers-style attention over the pixels: linear q / k / v, heads, F.sdpa."""

    def __init__(self, c, heads=2, causal=False, mask=False):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.to_q, self.to_k, self.to_v = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.out = nn.Linear(c, c)
        self.use_mask = mask
        if mask:
            self.register_buffer("mask", torch.rand(9, 9, generator=torch.Generator().manual_seed(5)) > 0.4)
            self.mask[4] = False  # a query that sees no key: zeros, as PyTorch's safe softmax

    def forward(self, x):
        b, c, h, w = x.shape
        t = x.reshape(b, c, h * w).transpose(1, 2)
        def heads(y):
            return y.reshape(b, -1, self.heads, c // self.heads).transpose(1, 2)
        q, k, v = heads(self.to_q(t)), heads(self.to_k(t)), heads(self.to_v(t))
        mask = None
        if self.use_mask:
            mask = self.mask  # a stored boolean mask (the export fixes the sizes)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=self.causal,
                                           scale=0.3 if self.causal else None)
        o = self.out(o.transpose(1, 2).reshape(b, h * w, c))
        return o.transpose(1, 2).reshape(b, c, h, w) + x


class SamAttention(nn.Module):
    """SAM's TwoWayTransformer Attention (segment_anything/modeling/transformer.py): matmul with
    k.permute, / math.sqrt, softmax; and MaskDecoder's tokens expanded to the batch size."""

    def __init__(self, c, heads=2):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.out_proj = nn.Linear(c, c)
        self.tokens = nn.Embedding(3, c)

    def forward(self, src, pe):
        b = src.shape[0]
        tokens = self.tokens.weight.unsqueeze(0).expand(b, -1, -1)
        keys = src.flatten(2).permute(0, 2, 1) + pe.flatten(2).permute(0, 2, 1)
        q, k, v = self.q_proj(tokens), self.k_proj(keys), self.v_proj(keys)
        def sep(x):
            n, t, c = x.shape
            return x.reshape(n, t, self.heads, c // self.heads).transpose(1, 2)
        q, k, v = sep(q), sep(k), sep(v)
        attn = q @ k.permute(0, 1, 3, 2) / (q.shape[-1] ** 0.5)
        out = torch.softmax(attn, dim=-1) @ v
        n, h, t, c = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(n, t, h * c))


class LayerNorm2d(nn.Module):
    """SAM's LayerNorm2d (segment_anything/modeling/common.py), written out in PyTorch ops, as
    its mask decoder's output upscaling uses it: ConvTranspose2d, LayerNorm2d, GELU."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class SamUpscaling(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.up = nn.ConvTranspose2d(c, c // 2, 2, stride=2)
        self.norm = LayerNorm2d(c // 2)

    def forward(self, x):
        return F.gelu(self.norm(self.up(x)) * 3)


class SamMaskProduct(nn.Module):
    """SAM MaskDecoder's last product: hypernetwork outputs [b, m, c] times the upscaled embedding
    viewed as [b, c, h * w], viewed back as masks [b, m, h, w] (held transposed in channels last:
    Note [a product held transposed] in ops/matmul.py), then a slice of the masks."""

    def __init__(self, c, m=3):
        super().__init__()
        self.up = nn.ConvTranspose2d(c, c // 2, 2, stride=2)
        self.hyper = nn.Linear(c, c // 2)
        self.m = m

    def forward(self, x, tokens):  # x [b, c, h, w], tokens [b, m, c]
        up = self.up(x)
        b, c, h, w = up.shape
        masks = (self.hyper(tokens) @ up.view(b, c, h * w)).view(b, -1, h, w)
        return masks[:, 1:, :, :]


class RelPosBias(nn.Module):
    """Swin / SwinIR's relative position bias (a table indexed by a buffer: folded), on windows
    that keep the batch dim, with torch.roll for the shifted windows and einsum for the scores."""

    def __init__(self, c, ws=3, heads=2):
        super().__init__()
        self.ws, self.heads = ws, heads
        self.table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, heads))
        coords = torch.stack(torch.meshgrid([torch.arange(ws), torch.arange(ws)], indexing="ij"))
        flat = coords.flatten(1)
        rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += ws - 1
        rel[:, :, 1] += ws - 1
        rel[:, :, 0] *= 2 * ws - 1
        self.register_buffer("index", rel.sum(-1))
        self.qkv = nn.Linear(c, 3 * c)

    def forward(self, x):  # x: [B, C, ws, ws]
        b, c, h, w = x.shape
        x = torch.roll(x, shifts=(-1, 1), dims=(2, 3))
        t = x.flatten(2).transpose(1, 2)
        q, k, v = self.qkv(t).chunk(3, dim=-1)
        def sep(y):
            return y.reshape(b, h * w, self.heads, c // self.heads).transpose(1, 2)
        q, k, v = sep(q), sep(k), sep(v)
        attn = torch.einsum("bhqd,bhkd->bhqk", q, k) * 0.5
        n = self.ws * self.ws
        bias = self.table[self.index.view(-1)].view(n, n, -1).permute(2, 0, 1).contiguous()
        attn = (attn + bias.unsqueeze(0)).softmax(-1)
        out = (attn @ v).transpose(1, 2).reshape(b, h * w, c)
        return out.transpose(1, 2).reshape(b, c, h, w)


class Indexing(nn.Module):
    """Constant indices on the channel dim (index_select, x[:, idx]), repeat,
    repeat_interleave, stack, flip, and a stored operand in a matmul and a baddbmm."""

    def __init__(self, c):
        super().__init__()
        self.register_buffer("idx", torch.tensor([2, 0, 1, 1]))
        self.w = nn.Parameter(torch.zeros(5, 6))
        self.bias = nn.Parameter(torch.zeros(4, 6))  # a stored baddbmm input

    def forward(self, x):  # [B, 4, H, W]
        a = torch.index_select(x, 1, self.idx)              # [B, 4, H, W]
        b = x[:, self.idx[:3]]                               # [B, 3, H, W]
        c = torch.cat([a, b[:, :1]], 1).flip(2)              # [B, 5, H, W]
        s = torch.stack([c, c * 2], dim=2)                   # [B, 5, 2, H, W]
        r = s.mean((3, 4)).repeat(1, 1, 2)                   # [B, 5, 4]
        r = torch.repeat_interleave(r, 2, dim=2)             # [B, 5, 8]
        r = torch.repeat_interleave(r, 1, dim=0)             # once each (SAM, one prompt): as is
        m = r.transpose(1, 2)[:, :4] @ self.w                # [B, 4, 6]: x @ W
        mt = m.transpose(1, 2)                               # [B, 6, 4]
        return torch.baddbmm(self.bias.unsqueeze(0)[:, :, :4], m, mt[:, :, :4] * 0 + mt[:, :, :4],
                             beta=0.5, alpha=2.0)           # [B, 4, 4]


class StackReduced(nn.Module):
    """torch.stack along dim 0 read only by reductions over dim 0 (Note [a stack in front of the
    batch, reduced over it]): segmentation_models_pytorch's FPN MergeBlock, policy "add"
    (`torch.stack(x).sum(dim=0)` over feature maps upsampled to one size), and the mean / max /
    min / prod / index forms. One item is held in PyTorch's order (a product over the flattened
    pixels, viewed back), the others channels last on channelsLast exports."""

    def __init__(self, c, how):
        super().__init__()
        self.how = how
        self.p2 = nn.Conv2d(c, c, 3, padding=1)
        self.p3 = nn.Conv2d(c, c, 3, stride=2, padding=1)
        self.p4 = nn.Conv2d(c, c, 3, stride=4, padding=1)

    def forward(self, x):  # [B, C, H, W], H and W multiples of 4
        b, c, h, w = x.shape
        p2 = self.p2(x)
        p3 = F.interpolate(self.p3(x), scale_factor=2, mode="bilinear", align_corners=True)
        p4 = F.interpolate(self.p4(x), scale_factor=4, mode="nearest")
        f = x.flatten(2)
        q = torch.bmm(torch.bmm(f, f.transpose(1, 2)).softmax(-1), f).view(b, c, h, w)
        if self.how == "sum":        # smp 0.6.0 decoders/fpn/decoder.py MergeBlock
            return torch.stack([p4, p3, p2]).sum(dim=0)
        s = torch.stack([p4, p3, q, p2])
        if self.how == "mean":
            return s.mean(0)
        if self.how == "max":
            return s.max(dim=0).values - torch.amin(s, 0) + s.amax(-5) * torch.min(s, 0)[0]
        if self.how == "prod_index":
            return s.prod(0) + s[1] - s[-2]
        raise ValueError(self.how)


class MaxValues(nn.Module):
    """x.max(dim).values and torch.min(x, dim)[0] over a dim that is not the batch."""

    def forward(self, x):  # [B, C, H, W]
        return x.max(1).values + torch.min(x, 1, keepdim=True)[0].squeeze(1) * 2


class BoolIndex(nn.Module):
    """x[:, mask] with a stored boolean mask (its nonzero positions), as the last op (the size it
    gives is data-dependent for torch.export, so nothing may read it)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("keep", torch.tensor([[True, False, True], [False, False, True],
                                                   [True, True, False], [False, True, False]]))

    def forward(self, x):  # [B, 4, 3]
        return x[:, self.keep] * 2


def cases():
    c = 8
    return [
        ("vae_attn_block", lambda: seeded(VaeAttnBlock(c)), (rand(2, c, 4, 5),), (rand(2, c, 3, 6, seed=2),)),
        ("sdpa_block", lambda: seeded(SdpaBlock(c)), (rand(2, c, 4, 4),), (rand(2, c, 3, 5, seed=2),)),
        ("sdpa_causal_scale", lambda: seeded(SdpaBlock(c, causal=True)), (rand(2, c, 3, 4),),
         (rand(2, c, 2, 5, seed=2),)),
        ("sdpa_stored_mask", lambda: seeded(SdpaBlock(c, mask=True)), (rand(2, c, 3, 3),), None,
         {"dynamic_shapes": False}),
        ("boolean_mask_index", lambda: BoolIndex(), (rand(2, 4, 3),), None),
        ("sam_attention", lambda: seeded(SamAttention(c)), (rand(2, c, 4, 4), rand(2, c, 4, 4, seed=3)),
         (rand(3, c, 5, 3, seed=2), rand(3, c, 5, 3, seed=4))),
        ("sam_layer_norm_2d", lambda: seeded(SamUpscaling(c)), (rand(2, c, 3, 4),), (rand(3, c, 2, 5, seed=2),)),
        ("sam_mask_product", lambda: seeded(SamMaskProduct(c)), (rand(2, c, 4, 5), rand(2, 3, c, seed=3)),
         (rand(3, c, 3, 6, seed=2), rand(3, 3, c, seed=4))),
        ("relative_position_bias", lambda: seeded(RelPosBias(c)), (rand(2, c, 3, 3),), None,
         {"dynamic_shapes": False}),
        ("indexing", lambda: seeded(Indexing(4)), (rand(2, 4, 3, 5),), (rand(3, 4, 4, 2, seed=2),)),
        ("stack_sum_dim_0", lambda: seeded(StackReduced(c, "sum")), (rand(2, c, 8, 12),),
         (rand(3, c, 4, 16, seed=2),)),
        ("stack_mean_dim_0", lambda: seeded(StackReduced(c, "mean")), (rand(2, c, 8, 12),),
         (rand(3, c, 4, 16, seed=2),)),
        ("stack_max_min_dim_0", lambda: seeded(StackReduced(c, "max")), (rand(2, c, 8, 12),),
         (rand(3, c, 4, 16, seed=2),)),
        ("stack_prod_index_dim_0", lambda: seeded(StackReduced(c, "prod_index")),
         (rand(2, c, 8, 12),), (rand(3, c, 4, 16, seed=2),)),
        ("max_min_dim_values", lambda: MaxValues(), (rand(2, 4, 3, 5),), (rand(3, 4, 4, 2, seed=2),)),
    ]


class AttentionExports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tfjs_torch_attn_")

    def test_mask_product_is_held_transposed(self):
        """Channels last: the large operand of SAM's mask product is not transposed to PyTorch's
        order; the small one and the product are, and the masks keep PyTorch's order as before
        (Note [a product held transposed])."""
        import json
        d = os.path.join(self.tmp, "mask_product_layout")
        export(seeded(SamMaskProduct(8)), (rand(2, 8, 4, 5), rand(2, 3, 8, seed=3)), d,
               data_format="channelsLast")
        with open(os.path.join(d, "model.json")) as f:
            model = json.load(f)
        layers = model["modelTopology"]["config"]["layers"]
        by_name = {l["name"]: l for l in layers}
        (mm,) = [l for l in layers if l["class_name"] == "TorchMatMul"]
        first, second = [n[0] for n in mm["inbound_nodes"][0]]
        self.assertNotEqual(by_name[first]["class_name"], "Permute", first)
        self.assertEqual(by_name[second]["class_name"], "Permute", second)
        # Nothing permutes the upscaled map or its view; the product is permuted back.
        permuted = [n[0] for l in layers if l["class_name"] == "Permute" for n in l["inbound_nodes"][0]]
        self.assertNotIn(first, permuted)
        self.assertNotIn("up", permuted)
        self.assertIn(mm["name"], permuted)
        self.assertEqual(model["userDefinedMetadata"]["tfjsTorch"]["outputs"][0]["perm"], [0, 1, 2, 3])

    def test_power_of_two_scale_is_folded_into_the_query(self):
        """Note [an attention scale folded into the query projection]: SAM's / sqrt(head dim)
        with head dim 4 (a divisor of 2) leaves no div layer, and q_proj's kernel and bias are
        PyTorch's times 1/2 (exact); with head dim 3 (sqrt(3)) the div stays and q_proj's weights
        are PyTorch's. (sam_attention in cases() checks the folded model's outputs in Node.)"""
        import json
        import numpy as np
        for c, heads, folded in ((8, 2, True), (12, 4, False)):
            for fmt in FORMATS:
                with self.subTest(c=c, heads=heads, data_format=fmt):
                    d = os.path.join(self.tmp, f"scale_fold_{c}_{heads}_{fmt}")
                    m = seeded(SamAttention(c, heads))
                    export(m, (rand(2, c, 4, 4), rand(2, c, 4, 4, seed=3)), d, data_format=fmt)
                    with open(os.path.join(d, "model.json")) as f:
                        model = json.load(f)
                    layers = model["modelTopology"]["config"]["layers"]
                    divs = [l for l in layers if l["class_name"] == "TorchElementwise" and
                            l["config"].get("op") == "div"]
                    self.assertEqual(len(divs), 0 if folded else 1, divs)
                    entries = model["weightsManifest"][0]["weights"]
                    with open(os.path.join(d, "weights.bin"), "rb") as f:
                        raw = np.frombuffer(f.read(), dtype="<f4")
                    arrays, at = {}, 0
                    for e in entries:
                        n = int(np.prod(e["shape"]))
                        arrays[e["name"]] = raw[at:at + n].reshape(e["shape"])
                        at += n
                    (kernel,) = [v for k, v in arrays.items() if "q_proj" in k and k.endswith("/kernel")]
                    (bias,) = [v for k, v in arrays.items() if "q_proj" in k and k.endswith("/bias")]
                    f = np.float32(0.5 if folded else 1.0)
                    np.testing.assert_array_equal(kernel, m.q_proj.weight.detach().numpy().T * f)
                    np.testing.assert_array_equal(bias, m.q_proj.bias.detach().numpy() * f)
                    (k_kernel,) = [v for k, v in arrays.items() if "k_proj" in k and k.endswith("/kernel")]
                    np.testing.assert_array_equal(k_kernel, m.k_proj.weight.detach().numpy().T)

    def test_layer_norm_2d_is_one_layer_norm_channels_last(self):
        """Note [LayerNorm2d written out as one layer norm]: channels last, SAM's LayerNorm2d is
        one TorchLayerNorm over the channels with its weight and bias; channels first keeps the
        written-out ops. (sam_layer_norm_2d in cases() checks both in Node against PyTorch.)"""
        import json
        for fmt in FORMATS:
            with self.subTest(data_format=fmt):
                d = os.path.join(self.tmp, f"layer_norm_2d_{fmt}")
                m = seeded(SamUpscaling(8))
                export(m, (rand(2, 8, 3, 4),), d, data_format=fmt)
                with open(os.path.join(d, "model.json")) as f:
                    model = json.load(f)
                layers = model["modelTopology"]["config"]["layers"]
                classes = [l["class_name"] for l in layers]
                names = [w["name"] for w in model["weightsManifest"][0]["weights"]]
                if fmt == "channelsLast":
                    (norm,) = [l for l in layers if l["class_name"] == "TorchLayerNorm"]
                    self.assertEqual(norm["config"]["normalizedShape"], [4])
                    self.assertEqual(norm["config"]["eps"], 1e-6)
                    self.assertNotIn("TorchReduce", classes)
                    self.assertEqual([l["class_name"] for l in layers
                                      if l["name"] == norm["inbound_nodes"][0][0][0]],
                                     ["TorchConvTranspose2d"])
                    self.assertIn(f"{norm['name']}/weight", names)
                    self.assertIn(f"{norm['name']}/bias", names)
                else:
                    self.assertNotIn("TorchLayerNorm", classes)
                    self.assertIn("TorchReduce", classes)

    def test_stack_reduced_over_dim_0_is_a_chain_of_elementwise_layers(self):
        """Note [a stack in front of the batch, reduced over it]: no stack layer; n - 1
        TorchElementwise layers of the reduction's op over the items in list order (a mean: the
        adds, then a div by n), the last reading the last item."""
        import json
        for how, ops in (("sum", ["add"] * 2), ("mean", ["add"] * 3 + ["div"]),
                         ("prod_index", ["mul"] * 3 + ["add"])):
            for fmt in FORMATS:
                with self.subTest(how=how, data_format=fmt):
                    d = os.path.join(self.tmp, f"stack_layers_{how}_{fmt}")
                    export(seeded(StackReduced(4, how)), (rand(2, 4, 8, 8),), d, data_format=fmt)
                    with open(os.path.join(d, "model.json")) as f:
                        layers = json.load(f)["modelTopology"]["config"]["layers"]
                    classes = [l["class_name"] for l in layers]
                    self.assertNotIn("TorchStack", classes)
                    ew = [l["config"]["op"] for l in layers if l["class_name"] == "TorchElementwise"]
                    self.assertEqual([o for o in ew if o in ("add", "mul", "div")], ops)
                    if how == "sum":
                        by_name = {l["name"]: l for l in layers}
                        (last,) = [l for l in layers if l["class_name"] == "TorchElementwise" and
                                   by_name[l["inbound_nodes"][0][0][0]]["class_name"] == "TorchElementwise"]
                        self.assertIn("Conv2d", by_name[last["inbound_nodes"][0][1][0]]["class_name"])
                        # (p2, the list's last item)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_exports_match_pytorch_in_node(self):
        torch.set_num_threads(1)
        checks = {}
        for name, make, inputs, other, *kw in cases():
            for fmt in FORMATS:
                d = os.path.join(self.tmp, f"{name}_{fmt}")
                with self.subTest(case=name, data_format=fmt):
                    export(make(), inputs, d, data_format=fmt, intermediates=True,
                           **(kw[0] if kw else {}))
                    checks[d] = (name, fmt, "export size")
                    if other is not None:
                        d2 = d + "_other_size"
                        shutil.copytree(d, d2)
                        write_check(make(), other, d2)
                        checks[d2] = (name, fmt, "other size")
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        backends = os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS", "cpu").split(",")
        for backend in backends:
            results = run_checker(sorted(checks), backend)
            for d, (name, fmt, size) in sorted(checks.items()):
                with self.subTest(case=name, data_format=fmt, size=size, backend=backend):
                    r = results.get(d)
                    self.assertIsNotNone(r, f"no result for {d}")
                    self.assertNotIn("error", r, r.get("error"))
                    self.assertTrue(r["ok"], r)


class AttentionRefusals(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_attn_refusal_")
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def refuse(self, forward, inputs, *fragments):
        class M(nn.Module):
            def forward(self, x):
                return forward(x)
        with self.assertRaises(ExportError) as cm:
            export(M(), inputs, self.out)
        msg = str(cm.exception)
        for f in fragments:
            self.assertIn(f, msg)
        self.assertIn("test_attention_ops.py", msg)
        self.assertFalse(os.path.exists(self.out), "a refused export wrote files")

    def test_sdpa_dropout(self):
        q = rand(2, 2, 3, 4)
        self.refuse(lambda q: F.scaled_dot_product_attention(q, q, q, dropout_p=0.5), (q,),
                    "scaled_dot_product_attention", "dropout_p=0.5")

    def test_index_on_the_batch_dim(self):
        x = rand(2, 5, 3)
        idx = torch.tensor([0, 0, 0])  # valid for a batch of 1 too (the export runs one)
        self.refuse(lambda x: x[idx], (x,), "aten.index", "batch")

    def test_repeat_interleave_on_the_batch(self):
        x = rand(2, 3, 4)
        self.refuse(lambda x: torch.repeat_interleave(x, 2, dim=0), (x,), "repeat_interleave",
                    "batch")

    def test_stack_on_dim_0(self):
        x = rand(2, 3)
        self.refuse(lambda x: torch.stack([x, x], 0), (x,), "stack", "dim 0")

    def test_stack_on_dim_0_read_otherwise(self):
        """Note [a stack in front of the batch, reduced over it]: a dim-0 stack that anything but
        a reduction over dim 0 alone (keepdim=False) or a fixed index reads stays refused,
        naming the reader."""
        x = rand(2, 3, 4)
        cases = [
            (lambda x: torch.stack([x, x * 2]).sum(0, keepdim=True)[0],
             "sum over dim 0 with keepdim=True"),
            (lambda x: torch.stack([x, x * 2]).sum((0, 1)), "sum over dims [0, 1]"),
            (lambda x: torch.stack([x, x * 2]).mean(1), "mean over dims [1]"),
            (lambda x: torch.stack([x, x * 2]).max(0).indices.float(), "the indices of max"),
            (lambda x: torch.stack([x, x * 2]).sum(0) + torch.stack([x, x])[:1].sum(0),
             "aten.slice"),
            (lambda x: torch.stack([x, x * 2])[:, 0], "aten.select.int other than x[i]"),
            (lambda x: torch.stack([x, x * 2]), "the model's output"),
            (lambda x: (torch.stack([x, x * 2]) * 2).sum(0), "aten.mul"),
        ]
        for forward, reader in cases:
            with self.subTest(reader=reader):
                self.refuse(forward, (x,), "aten.stack", "dim 0", "keeps dim 0 as its batch",
                            f"; here {reader}")

    def test_stack_on_dim_0_read_by_a_custom_mapping(self):
        """A reduction the user maps (custom=) gets the stacked tensor itself: refused too."""
        class M(nn.Module):
            def forward(self, x):
                return torch.stack([x, x * 2]).sum(0)
        with self.assertRaises(ExportError) as cm:
            export(M(), (rand(2, 3, 4),), self.out,
                   custom={torch.ops.aten.sum.dim_IntList: lambda ctx, a: None})
        self.assertIn("aten.stack", str(cm.exception))
        self.assertIn("here aten.sum.dim_IntList (mapped by custom=) reads it", str(cm.exception))
        self.assertFalse(os.path.exists(self.out), "a refused export wrote files")

    def test_max_indices_and_prod(self):
        x = rand(2, 3, 4)
        self.refuse(lambda x: x.max(1).indices.float(), (x,), "aten.max.dim", "indices")
        self.refuse(lambda x: torch.min(x, 2)[1].float(), (x,), "aten.min.dim", "indices")
        self.refuse(lambda x: x.prod(1), (x,), "aten.prod", "torch.stack")

    def test_einsum_moving_the_batch(self):
        x = rand(2, 3, 4)
        self.refuse(lambda x: torch.einsum("bij,bjk->ibk", x, x.transpose(1, 2)), (x,),
                    "einsum", "batch")


if __name__ == "__main__":
    unittest.main()
