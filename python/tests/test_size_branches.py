"""Python that branches on an image size, and the ops a size-dependent mask needs (issue 20's
SwinIR; transformers' Swin2SR and MobileViTV2), under the torch 2.x venv:

  /root/.cache/tfjs-torch/torch2/bin/python -m unittest python/tests/test_size_branches.py

- slice assignment (slice_scatter) with constant and negative bounds on free dims, zeros at
  free sizes, comparisons (eq / ne / lt / le / gt / ge) and torch.where / masked_fill: small
  modules exported with the defaults and checked in Node (scripts/check-export.ts) against
  PyTorch at the export size and at another size; SwinIR's own `calculate_mask` at free sizes;
  Swin2SR's arange-and-compare mask; MobileViTV2's F.unfold / F.fold of patches;
- Note [a size torch.export fixed] (_export.py): a module whose forward says `if x.shape[-1] ==
  16` and computes the same thing either way is captured at 2x that size and stays free there;
  one whose branches differ keeps the dim fixed with a FixedSizeWarning naming the input, the
  dim and the line, and model.json says so (tfjsTorch.fixedDims, the input's shape); so does a
  guard that holds a size computed from a dim to one value (Note [a size a guard pins]); a
  range from the capture at a multiple that leaves out the example is widened to it; int() of
  a size computed from a dim stays a size (Note [int() of a size]).
TFJS_TORCH_EXPORTER_BACKENDS=cpu,wasm,tensorflow picks the Node backends (cpu by default).
"""
import json
import math
import os
import shutil
import sys
import tempfile
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from test_export import check_at_sizes, node_available, run_checker  # noqa: E402
from test_failures import rand, seeded  # noqa: E402
from tfjs_torch import FixedSizeWarning, export, write_check  # noqa: E402


class SliceAssign(nn.Module):
    """x[..., a:b, ...] = v on a copy: slices with positive, negative and open bounds on the
    free H and W, a tensor and a number assigned."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        y = self.conv(x)
        z = y.clone()
        z[:, :, 1:-2, :] = y[:, :, 1:-2, :] * 2
        z[:, 1:3, :, -3:] = 0.5
        z[:, :, :2, 1:] = -y[:, :, :2, 1:]
        return z


class Masks(nn.Module):
    """Comparisons with a number and with a tensor, read by torch.where and masked_fill."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        y = self.conv(x)
        a = torch.where(y > 0.1, y, y * 0.2)
        b = a.masked_fill(y <= -0.3, -100.0)
        c = torch.where(y >= x[:, :1], 1.5, b)
        d = torch.where(y < 0.0, c, torch.zeros_like(c)) + (y != y.flip(3)).to(y.dtype)
        e = d.masked_fill(y == 0.25, 7.0)
        return e


def window_partition(x, ws):
    b, h, w, c = x.shape
    x = x.view(b, h // ws, ws, w // ws, ws, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, c)


class ShiftedWindowMask(nn.Module):
    """SwinIR's `calculate_mask` (BasicSR swinir_arch.py, as the zoo copies it) at the input's
    size: zeros(1, h, w, 1) filled slice by slice, window partition, masked_fill. The mask is
    folded back to [1, 1, H, W] (the mean over each window's keys) and added to a convolution."""

    def __init__(self, ws=4, shift=2):
        super().__init__()
        self.ws, self.shift = ws, shift
        self.conv = nn.Conv2d(3, 2, 1)

    def calculate_mask(self, x_size):
        h, w = x_size
        img_mask = torch.zeros((1, h, w, 1))
        h_slices = (slice(0, -self.ws), slice(-self.ws, -self.shift), slice(-self.shift, None))
        w_slices = (slice(0, -self.ws), slice(-self.ws, -self.shift), slice(-self.shift, None))
        cnt = 0
        for h in h_slices:
            for w in w_slices:
                img_mask[:, h, w, :] = cnt
                cnt += 1
        mask_windows = window_partition(img_mask, self.ws)
        mask_windows = mask_windows.view(-1, self.ws * self.ws)
        attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
        return attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        mask = self.calculate_mask((h, w)).mean(2)                # [nW, ws*ws]
        mask = mask.view(1, h // self.ws, w // self.ws, self.ws, self.ws)
        mask = mask.permute(0, 1, 3, 2, 4).reshape(1, 1, h, w)
        return self.conv(x) + mask


class SizeBranch(nn.Module):
    """`if x.shape[-1] == 16` (SwinIR's `if self.input_resolution == x_size`): with same=True
    both branches compute the same thing (a stored table, used as it is for the
    training size, scaled by 1.0 otherwise); with same=False they differ."""

    def __init__(self, same):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        self.same = same
        self.register_buffer("table", torch.tensor([0.5, -1.0, 2.0]).view(3, 1, 1))

    def forward(self, x):
        if x.shape[-1] == 16:
            bias = self.table
        else:
            bias = self.table * (1.0 if self.same else 2.0)
        return self.conv(x) + bias


class ComputedSizeUnfold(nn.Module):
    """MobileViT's unfolding (transformers' modeling_mobilevit.py): `int(math.ceil(h / 2) * 2)` on
    the height of a strided convolution's output, then reshapes into patches and back. math.ceil
    of h / 2 is a size torch.export keeps symbolic (ceil-division); int() of it used to make
    torch.export specialize it and hold the input's H under a guard it cannot solve (1 + (H - 1)
    // 2 == 8), and the exporter fixed H (Note [a size a guard pins]); now int() of a size is the
    size (Note [int() of a size]) and H stays free."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)

    def forward(self, x):
        import math
        y = self.conv(x)
        b, c, h, w = y.shape
        nh = int(math.ceil(h / 2) * 2)
        p = y.reshape(b * c * (nh // 2), 2, w).transpose(1, 2)
        p = p.reshape(b, c, nh // 2, w, 2).permute(0, 1, 2, 4, 3).reshape(b, c, nh, w)
        return torch.cat([y, p * 2.0], 1)


class OnePatchStem(nn.Module):
    """A stride-4 stem, then FoldPatches (MobileViTV2's last stage at its smallest): at an 8 x 8
    example the feature map is 2 x 2, one patch, and torch.export bounds W <= 12 (a size-1 dim
    it specializes), so the export captures again at 16 x 16, whose range says W >= 13."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, stride=4, padding=1)
        self.patches = FoldPatches(cin=4)

    def forward(self, x):
        return self.patches(self.stem(x))


class PaddedUnfold(ComputedSizeUnfold):
    """MobileViT's own branch (modeling_mobilevit.py's unfolding): where the rounded-up height
    differs from the map's, the map is interpolated to it first. Exported where the map's height
    is even (the branch not taken), the model must refuse an odd one by a rule (torch.export's
    guard `2 * ceil(h / 2) == h`, written `math.ceil(... / 2)`), not fail in a reshape."""

    def forward(self, x):
        y = self.conv(x)
        b, c, h, w = y.shape
        nh = int(math.ceil(h / 2) * 2)
        if nh != h:
            y = nn.functional.interpolate(y, size=(nh, w), mode="bilinear", align_corners=False)
        p = y.reshape(b * c * (nh // 2), 2, w).transpose(1, 2)
        p = p.reshape(b, c, nh // 2, w, 2).permute(0, 1, 2, 4, 3).reshape(b, c, nh, w)
        return p * 2.0


class FloatRoundedUnfold(ComputedSizeUnfold):
    """The same unfolding with the height rounded through a float: `int(h / 2 + 0.5) * 2`. int()
    of a SymFloat is torch's own (Note [int() of a size] leaves floats alone): torch.export
    specializes it and keeps H free under a guard it cannot solve (Note [a size a guard
    pins])."""

    def forward(self, x):
        y = self.conv(x)
        b, c, h, w = y.shape
        nh = int(h / 2 + 0.5) * 2
        p = y.reshape(b * c * (nh // 2), 2, w).transpose(1, 2)
        p = p.reshape(b, c, nh // 2, w, 2).permute(0, 1, 2, 4, 3).reshape(b, c, nh, w)
        return torch.cat([y, p * 2.0], 1)


class SizeWithAlpha(nn.Module):
    """torch.add / sub of a size known only at run time with an integer alpha (Note [a size as
    an operand] in src/layers/tensor_ops.ts): alpha * size is a shape expression too."""

    def forward(self, x):
        return torch.sub(x, x.size(2), alpha=3) + torch.add(x, x.size(3), alpha=2)


class ArangeWindowMask(nn.Module):
    """Swin2SR's shifted-window mask as transformers 5.x writes it (modeling_swin2sr.py's
    Swin2SRLayer.get_attn_mask and window_partition): regions from comparisons of
    `arange(height)` with `height - window_size` (a size known only at run time, Note [a size as
    an operand] in src/layers/tensor_ops.ts), cast with .long() and back to the input's dtype.
    Folded back to [1, 1, H, W] and added to a convolution, as ShiftedWindowMask does."""

    def __init__(self, ws=4, shift=2):
        super().__init__()
        self.ws, self.shift = ws, shift
        self.conv = nn.Conv2d(3, 2, 1)

    def get_attn_mask(self, height, width, dtype):
        h_idx = torch.arange(height)
        w_idx = torch.arange(width)
        h_region = (h_idx >= height - self.ws).long() + (h_idx >= height - self.shift).long()
        w_region = (w_idx >= width - self.ws).long() + (w_idx >= width - self.shift).long()
        img_mask = (h_region[None, :, None, None] * 3 + w_region[None, None, :, None]).to(dtype)
        b, h, w, c = img_mask.shape
        windows = img_mask.view(b, h // self.ws, self.ws, w // self.ws, self.ws, c)
        windows = windows.transpose(2, 3).contiguous().view(-1, self.ws * self.ws)
        attn_mask = windows.unsqueeze(1) - windows.unsqueeze(2)
        return attn_mask.masked_fill(attn_mask != 0, -100.0).masked_fill(attn_mask == 0, 0.0)

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        mask = self.get_attn_mask(h, w, x.dtype)[:, 3]            # [nW, ws*ws], one query
        mask = mask.view(1, h // self.ws, w // self.ws, self.ws, self.ws)
        mask = mask.permute(0, 1, 3, 2, 4).reshape(1, 1, h, w)
        # a comparison with a size on a tensor of the model, and its mask cast to int64 and back
        edge = (self.conv(x) * 10 < w - 3).long().to(x.dtype)
        return self.conv(x) + mask + edge


class FoldPatches(nn.Module):
    """MobileViT(V2)'s unfolding and folding (transformers' modeling_mobilevitv2.py): F.unfold
    and F.fold with stride == kernel_size at the feature map's own size (Note [F.fold without
    overlaps] in _capture.py); H and W need not be multiples of the patch (the rows and columns
    past the last whole patch come back as zeros, as PyTorch's fold gives)."""

    def __init__(self, p=2, cin=3):
        super().__init__()
        self.p = p
        self.conv = nn.Conv2d(cin, 4, 3, padding=1)
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        f = self.conv(x)
        b, c, h, w = f.shape
        patches = nn.functional.unfold(f, kernel_size=(self.p, self.p), stride=(self.p, self.p))
        patches = patches.reshape(b, c, self.p * self.p, -1)
        patches = self.lin(patches.transpose(1, 3)).transpose(1, 3)
        b, d, ps, n = patches.shape
        patches = patches.reshape(b, d * ps, n)
        return nn.functional.fold(patches, output_size=(h, w), kernel_size=(self.p, self.p),
                                  stride=(self.p, self.p))


CASES = {
    # name: (factory, export example, another size)
    "slice_assign": (SliceAssign, rand(1, 3, 7, 9), rand(2, 3, 10, 6, seed=1)),
    "masks": (Masks, rand(1, 3, 5, 6), rand(2, 3, 7, 4, seed=1)),
    "shifted_window_mask": (ShiftedWindowMask, rand(1, 3, 12, 8), rand(2, 3, 8, 16, seed=1)),
    "size_with_alpha": (SizeWithAlpha, rand(1, 3, 5, 6), rand(2, 3, 9, 4, seed=1)),
    "arange_window_mask": (ArangeWindowMask, rand(1, 3, 12, 8), rand(2, 3, 8, 16, seed=1)),
    "fold_patches": (FoldPatches, rand(1, 3, 8, 12), rand(2, 3, 7, 9, seed=1)),
}


class SizeDependentOps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tfjs_torch_size_ops_")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_ops_match_pytorch_in_node(self):
        torch.set_num_threads(1)
        checks = {}
        for name, (make, x, other) in CASES.items():
            for fmt in ("channelsLast", "channelsFirst"):
                d = os.path.join(self.tmp, f"{name}_{fmt}")
                m = seeded(make())
                with warnings.catch_warnings():
                    warnings.simplefilter("error", FixedSizeWarning)   # every dim stays free
                    export(m, x, d, data_format=fmt)
                with open(os.path.join(d, "model.json")) as f:
                    meta = json.load(f)["userDefinedMetadata"]["tfjsTorch"]
                self.assertEqual(meta["fixedDims"], [])
                self.assertEqual(meta["inputs"][0]["torchShape"], [None, 3, None, None])
                checks[d] = (name, fmt, "export size")
                d2 = d + "_other"
                shutil.copytree(d, d2)
                write_check(m, other, d2)
                checks[d2] = (name, fmt, "other size")
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        for backend in os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS", "cpu").split(","):
            results = run_checker(sorted(checks), backend)
            for d, (name, fmt, size) in sorted(checks.items()):
                with self.subTest(case=name, data_format=fmt, size=size, backend=backend):
                    r = results.get(d)
                    self.assertIsNotNone(r, f"no result for {d}")
                    self.assertNotIn("error", r, r.get("error"))
                    self.assertTrue(r["ok"], r)


class SizeBranches(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_size_branch_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export(self, m, x, name):
        d = os.path.join(self.tmp, name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            export(m, x, d)
        with open(os.path.join(d, "model.json")) as f:
            model = json.load(f)
        return d, model, [w for w in caught if issubclass(w.category, FixedSizeWarning)]

    def test_same_branches_stay_free(self):
        """Captured again at 2x the example's W (the general branch), checked against the
        module at the example's own W (the stored table): free, no warning, right at W = 16
        and at other sizes."""
        m = seeded(SizeBranch(same=True))
        x = rand(1, 3, 4, 16)
        d, model, warned = self.export(m, x, "same")
        self.assertEqual(warned, [])
        meta = model["userDefinedMetadata"]["tfjsTorch"]
        self.assertEqual(meta["fixedDims"], [])
        self.assertEqual(meta["inputs"][0]["torchShape"], [None, 3, None, None])
        dirs = [d]
        for k, other in enumerate([rand(2, 3, 5, 9, seed=1), rand(1, 3, 3, 16, seed=2)]):
            d2 = f"{d}_other{k}"
            shutil.copytree(d, d2)
            write_check(m, other, d2)
            dirs.append(d2)
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        results = run_checker(dirs)
        for dd in dirs:
            with self.subTest(check=os.path.basename(dd)):
                self.assertNotIn("error", results[dd], results[dd].get("error"))
                self.assertTrue(results[dd]["ok"], results[dd])

    def test_different_branches_warn_and_stay_fixed(self):
        m = seeded(SizeBranch(same=False))
        x = rand(1, 3, 4, 16)
        d, model, warned = self.export(m, x, "differ")
        self.assertEqual(len(warned), 1, [str(w.message) for w in warned])
        msg = str(warned[0].message)
        for fragment in ("'x'", "dim 3", "fixed at 16", "test_size_branches.py",
                         "if x.shape[-1] == 16"):
            self.assertIn(fragment, msg)
        meta = model["userDefinedMetadata"]["tfjsTorch"]
        self.assertEqual(len(meta["fixedDims"]), 1)
        fd = meta["fixedDims"][0]
        self.assertEqual((fd["input"], fd["dim"], fd["size"]), ("x", 3, 16))
        self.assertEqual(meta["inputs"][0]["torchShape"], [None, 3, None, 16])
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        d2 = f"{d}_other"
        shutil.copytree(d, d2)
        write_check(m, rand(2, 3, 6, 16, seed=1), d2)   # H stays free
        results = run_checker([d, d2])
        for dd in (d, d2):
            self.assertNotIn("error", results[dd], results[dd].get("error"))
            self.assertTrue(results[dd]["ok"], results[dd])

    def test_a_guard_that_pins_a_computed_size_warns_and_fixes_the_dim(self):
        """Note [a size a guard pins]: before, model.json had H free and the graph's constants
        computed from H = 16, and tfjs could not load it (Concatenate: [null, null, 4] beside
        [8, 8, 4]). Now H is fixed with the warning and the guard; W stays free."""
        m = seeded(FloatRoundedUnfold())
        x = rand(1, 3, 16, 12)
        d, model, warned = self.export(m, x, "guard_pins")
        self.assertEqual(len(warned), 1, [str(w.message) for w in warned])
        msg = str(warned[0].message)
        for fragment in ("'x'", "dim 2", "fixed at 16", "guard"):
            self.assertIn(fragment, msg)
        meta = model["userDefinedMetadata"]["tfjsTorch"]
        self.assertEqual([(f["input"], f["dim"], f["size"]) for f in meta["fixedDims"]], [("x", 2, 16)])
        self.assertEqual(meta["inputs"][0]["torchShape"], [None, 3, 16, None])
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        d2 = f"{d}_other"
        shutil.copytree(d, d2)
        write_check(m, rand(2, 3, 16, 20, seed=1), d2)   # W and the batch stay free
        results = run_checker([d, d2])
        for dd in (d, d2):
            self.assertNotIn("error", results[dd], results[dd].get("error"))
            self.assertTrue(results[dd]["ok"], results[dd])

    def check_at(self, m, d, xs):
        """The export in d at the export size and at each of xs: PyTorch's numbers (cpu by
        default)."""
        check_at_sizes(self, m, d, xs)

    def test_a_range_from_a_capture_at_a_multiple_keeps_the_example(self):
        """Note [a size torch.export fixed]: the capture at 2x the example's size said W >= 13
        for an 8 x 8 example, and model.json refused the example it was exported at (transformers'
        MobileViTV2 at 64 x 64: W >= 97). That range is widened to the example's size (the graph
        was checked there); the model runs and matches PyTorch at 8 x 8 and at other sizes."""
        m = seeded(OnePatchStem())
        x = rand(1, 3, 8, 8)
        d, model, warned = self.export(m, x, "one_patch")
        self.assertEqual(warned, [])
        meta = model["userDefinedMetadata"]["tfjsTorch"]
        self.assertEqual(meta["inputs"][0]["torchShape"], [None, 3, None, None])
        self.assertIn("x.shape[3] >= 8", meta["constraints"])
        self.assertNotIn("x.shape[3] >= 13", meta["constraints"])
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        self.check_at(m, d, [rand(2, 3, 12, 12, seed=1), rand(1, 3, 16, 20, seed=2),
                             rand(1, 3, 9, 30, seed=3)])

    def test_int_of_a_computed_size_stays_free(self):
        """Note [int() of a size]: MobileViT's `int(math.ceil(h / 2) * 2)` is a size expression
        (ceil-division), not a number held by a guard: no warning, H and W free, PyTorch's
        numbers at the export size and at others."""
        m = seeded(ComputedSizeUnfold())
        d, model, warned = self.export(m, rand(1, 3, 16, 12), "int_of_size")
        self.assertEqual(warned, [])
        meta = model["userDefinedMetadata"]["tfjsTorch"]
        self.assertEqual(meta["fixedDims"], [])
        self.assertEqual(meta["inputs"][0]["torchShape"], [None, 3, None, None])
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        self.check_at(m, d, [rand(2, 3, 16, 20, seed=1), rand(1, 3, 24, 12, seed=2),
                             rand(1, 3, 32, 9, seed=3)])

    def test_a_branch_on_a_rounded_size_is_a_rule(self):
        """PaddedUnfold exported at 16x12 (the map's height 8, even): free, PyTorch's numbers at
        other even heights, and the rule refuses the input sizes whose map height is odd (18:
        9), where the captured graph has no interpolate."""
        from tfjs_torch._shape import evaluate
        m = seeded(PaddedUnfold())
        d, model, warned = self.export(m, rand(1, 3, 16, 12), "padded")
        self.assertEqual(warned, [])
        checks = [l["config"] for l in model["modelTopology"]["config"]["layers"]
                  if l["class_name"] == "TorchShapeCheck"]
        self.assertEqual(len(checks), 1)

        def broken(h, w):   # the rules broken at [1, h, w, 3] (channels last)
            return [r["text"] for r in checks[0]["rules"] if not evaluate(r["rule"], [[1, h, w, 3]])]
        for h in (16, 20, 24, 32):
            self.assertEqual(broken(h, 12), [], h)
        for h in (18, 22, 34):
            self.assertTrue(any("ceil" in t for t in broken(h, 12)), (h, broken(h, 12)))
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        self.check_at(m, d, [rand(2, 3, 24, 20, seed=1), rand(1, 3, 32, 9, seed=2)])


if __name__ == "__main__":
    unittest.main()
