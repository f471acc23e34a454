"""The exporter's former known limits (issue 20), each exported with the defaults (free sizes) at
one size and checked in Node against PyTorch (scripts/check-export.ts, pt.checkExport) at the
export size and at two other sizes, on cpu, wasm and tensorflow (TFJS_TORCH_EXPORTER_BACKENDS):

- F.interpolate(x, scale_factor=c, recompute_scale_factor=True) and mode='area' by a scale
  (Note [scale factors recomputed at run time] in ops/resize.py);
- average pooling with ceil_mode=True, count_include_pad=False with padding, divisor_override
  (Note [average pooling as a sum over a count] in ops/pool.py);
- a batch-1 example of a deep model whose batch-1 and batch-2 results differ by float rounding
  (the SD VAE decoder at its released widths): the batch must stay free down to 1 (Note [same
  numbers up to rounding] in _export.py).
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

from test_export import node_available, run_checker  # noqa: E402
from test_failures import rand, seeded  # noqa: E402  (the same seeded inputs and weights)
from tfjs_torch import export, write_check  # noqa: E402
from tfjs_torch._export import same_numbers  # noqa: E402


def backends():
    return os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS", "cpu").split(",")


class Recompute(nn.Module):
    """F.interpolate by a scale factor with recompute_scale_factor=True (torchvision's and
    timm's resizes; mmseg's `resize`), after a convolution."""

    def __init__(self, scale, mode, align_corners=None):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        self.scale, self.mode, self.align_corners = scale, mode, align_corners

    def forward(self, x):
        return F.interpolate(self.conv(x), scale_factor=self.scale, mode=self.mode,
                             align_corners=self.align_corners, recompute_scale_factor=True)


class Recompute1d(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=1.7, mode="linear", recompute_scale_factor=True)


class AreaScale(nn.Module):
    """mode='area' by a scale: adaptive average pooling to floor(in * scale)."""

    def forward(self, x):
        return F.interpolate(x, scale_factor=0.4, mode="area")


class AvgPool(nn.Module):
    def __init__(self, pool):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1) if isinstance(pool, nn.AvgPool2d) else None
        self.pool = pool

    def forward(self, x):
        return self.pool(self.conv(x) if self.conv is not None else x)


class DepthHead(nn.Module):
    """A MiDaS-like head whose outputs reach tens: at a batch of 2 PyTorch's convolutions sum
    in another order than at a batch of 1 and the two differ by ~4e-5 (as the SD VAE decoder at
    its released widths does at its scale)."""

    def __init__(self, c=64):
        super().__init__()
        layers = [nn.Conv2d(4, c, 3, padding=1)]
        for _ in range(2):
            layers += [nn.Conv2d(c, c, 3, padding=1), nn.GroupNorm(8, c), nn.SiLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x):
        return self.head(self.body(x)) * 20.0


CASES = {
    # name: (factory, export example, [other sizes])
    "recompute_nearest_1.5": (lambda: Recompute(1.5, "nearest"), rand(1, 3, 10, 13),
                              [rand(2, 3, 7, 9, seed=1), rand(1, 3, 16, 5, seed=2)]),
    "recompute_bilinear_0.7x2": (lambda: Recompute((0.7, 2.0), "bilinear", False),
                                 rand(1, 3, 10, 13), [rand(2, 3, 7, 9, seed=1),
                                                      rand(1, 3, 23, 6, seed=2)]),
    "recompute_bicubic_ac_1.3": (lambda: Recompute(1.3, "bicubic", True), rand(2, 3, 9, 8),
                                 [rand(1, 3, 5, 12, seed=1), rand(3, 3, 14, 7, seed=2)]),
    "recompute_nearest_exact_0.45": (lambda: Recompute(0.45, "nearest-exact"), rand(1, 3, 12, 17),
                                     [rand(2, 3, 9, 25, seed=1), rand(1, 3, 31, 10, seed=2)]),
    "recompute_linear_1d": (Recompute1d, rand(1, 3, 11), [rand(2, 3, 6, seed=1),
                                                           rand(1, 3, 20, seed=2)]),
    "area_scale_0.4": (AreaScale, rand(1, 3, 15, 12), [rand(2, 3, 11, 23, seed=1),
                                                        rand(1, 3, 8, 6, seed=2)]),
    "avg_ceil_3s2": (lambda: AvgPool(nn.AvgPool2d(3, 2, ceil_mode=True)), rand(1, 3, 10, 13),
                     [rand(2, 3, 11, 8, seed=1), rand(1, 3, 16, 17, seed=2)]),
    "avg_ceil_2s2": (lambda: AvgPool(nn.AvgPool2d(2, 2, ceil_mode=True)), rand(1, 3, 9, 12),
                     [rand(2, 3, 7, 6, seed=1), rand(1, 3, 16, 15, seed=2)]),
    "avg_ceil_3s2p1": (lambda: AvgPool(nn.AvgPool2d(3, 2, 1, ceil_mode=True)), rand(1, 3, 10, 13),
                       [rand(2, 3, 11, 8, seed=1), rand(1, 3, 16, 17, seed=2)]),
    "avg_ceil_3s2p1_exclude_pad": (lambda: AvgPool(nn.AvgPool2d(3, 2, 1, ceil_mode=True,
                                                                count_include_pad=False)),
                                   rand(1, 3, 10, 13), [rand(2, 3, 11, 8, seed=1),
                                                        rand(1, 3, 16, 17, seed=2)]),
    "avg_exclude_pad": (lambda: AvgPool(nn.AvgPool2d(3, 1, 1, count_include_pad=False)),
                        rand(1, 3, 6, 7), [rand(2, 3, 9, 4, seed=1), rand(1, 3, 12, 13, seed=2)]),
    "avg_ceil_divisor": (lambda: AvgPool(nn.AvgPool2d(3, 2, 1, ceil_mode=True,
                                                      divisor_override=5)),
                         rand(1, 3, 10, 13), [rand(2, 3, 11, 8, seed=1),
                                              rand(1, 3, 16, 17, seed=2)]),
    # kernel < stride: where in % 3 == 0 PyTorch drops the last window (a branch torch.export
    # records as the rule 3 * (W // 3) < W); the sizes checked keep to it.
    "avg_ceil_2s3": (lambda: AvgPool(nn.AvgPool2d(2, 3, ceil_mode=True)), rand(1, 3, 10, 13),
                     [rand(2, 3, 11, 8, seed=1), rand(1, 3, 16, 17, seed=2)]),
    "avg1d_ceil": (lambda: AvgPool(nn.AvgPool1d(3, 2, 1, ceil_mode=True)), rand(1, 3, 10),
                   [rand(2, 3, 13, seed=1), rand(1, 3, 6, seed=2)]),
    "depth_head_batch_1": (DepthHead, rand(1, 4, 8, 8), [rand(1, 4, 6, 10, seed=1),
                                                        rand(2, 4, 12, 7, seed=2)]),
}


class KnownLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tfjs_torch_limits_")
        cls.dirs, cls.models = {}, {}
        torch.manual_seed(0)
        for name, (make, x, others) in CASES.items():
            m = seeded(make())
            d = os.path.join(cls.tmp, name)
            export(m, x, d)
            with open(os.path.join(d, "model.json")) as f:
                cls.models[name] = json.load(f)
            dirs = [d]
            for k, x2 in enumerate(others):
                d2 = f"{d}_other{k}"
                os.makedirs(d2)
                for f in ("model.json", "weights.bin"):
                    shutil.copy(os.path.join(d, f), d2)
                write_check(m, x2, d2)
                dirs.append(d2)
            cls.dirs[name] = dirs

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_sizes_are_free(self):
        for name, model in self.models.items():
            with self.subTest(case=name):
                shape = model["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"]
                self.assertEqual(shape[0], None)
                self.assertTrue(all(s is None for s in shape[1:-1]), shape)

    def test_recompute_is_kept_as_a_scale(self):
        layers = self.models["recompute_bilinear_0.7x2"]["modelTopology"]["config"]["layers"]
        up = [l["config"] for l in layers if l["class_name"] == "TorchUpsample"]
        self.assertEqual(len(up), 1)
        self.assertEqual(up[0]["scaleFactor"], [0.7, 2.0])
        self.assertTrue(up[0]["recomputeScaleFactor"])

    def test_batch_of_one_stays_allowed(self):
        """No rule batch >= 2 from a batch-1 example whose batch-2 run differs by rounding."""
        rules = self.models["depth_head_batch_1"]["userDefinedMetadata"]["tfjsTorch"]["constraints"]
        self.assertFalse([r for r in rules if "shape[0]" in r], rules)

    def test_same_numbers_measures_against_the_outputs_scale(self):
        want = torch.linspace(-2.4, 2.4, 1000)
        self.assertTrue(same_numbers(want + 1.5e-5, want))              # rounding
        self.assertFalse(same_numbers(want.flip(0), want))              # another computation
        self.assertFalse(same_numbers(want + 0.01, want))
        self.assertFalse(same_numbers(want[:999], want))
        nan = want.clone()
        nan[3] = float("nan")
        self.assertTrue(same_numbers(nan.clone(), nan))
        self.assertFalse(same_numbers(nan, want))

    def test_every_one_matches_pytorch_at_three_sizes_in_node(self):
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        all_dirs = [d for dirs in self.dirs.values() for d in dirs]
        for backend in backends():
            results = run_checker(all_dirs, backend)
            for name, dirs in self.dirs.items():
                for d in dirs:
                    with self.subTest(backend=backend, case=name, dir=os.path.basename(d)):
                        r = results[d]
                        self.assertNotIn("error", r, r.get("error"))
                        self.assertTrue(r["ok"], json.dumps(r))


if __name__ == "__main__":
    unittest.main()
