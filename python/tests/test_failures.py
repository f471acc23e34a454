"""One small test per failure class of issue 20 (exporter v2 on torch.export).

Each model is exported with default options (free sizes) and, where it computes something, checked
in Node (scripts/check-export.ts, pt.checkExport against PyTorch's own outputs) at the export size
and at another size. The module-safety tests compare the module's state before and after.
"""
import copy
import json
import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from test_export import node_available, run_checker  # noqa: E402
from tfjs_torch import ExportError, export, write_check  # noqa: E402


def rand(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def seeded(m, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.rand(p.shape, generator=g) - 0.5)
    return m.eval()


# ---- Python on traced sizes ------------------------------------------------------------------

class PixelUnshuffleAssert(nn.Module):
    """BasicSR's pixel_unshuffle (Real-ESRGAN x2plus): an assert on x.size()."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(12, 4, 3, padding=1)

    def forward(self, x):
        b, c, hh, hw = x.size()
        scale = 2
        assert hh % scale == 0 and hw % scale == 0
        h, w = hh // scale, hw // scale
        x_view = x.view(b, c, h, scale, w, scale)
        out = x_view.permute(0, 1, 3, 5, 2, 4).reshape(b, c * scale * scale, h, w)
        return self.conv(out)


class IntOfSize(nn.Module):
    """The SD VAE's AttnBlock: int(c) and a reshape by h * w."""

    def __init__(self):
        super().__init__()
        self.q = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q = self.q(x).reshape(b, c, h * w).permute(0, 2, 1)
        q = q * (int(c) ** (-0.5))
        return q.permute(0, 2, 1).reshape(b, c, h, w) + x


class ZerosOfSize(nn.Module):
    """ENet: torch.zeros(n, c, h, w) with sizes from x.size(), concatenated."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 2, 3, padding=1)

    def forward(self, x):
        n, c, h, w = x.size()
        pad = torch.zeros(n, 3, h, w)
        return torch.cat([self.conv(x), pad], 1)


class DCGANBranch(nn.Module):
    """pytorch/examples' DCGAN: `if input.is_cuda and self.ngpu > 1`."""

    def __init__(self):
        super().__init__()
        self.ngpu = 1
        self.main = nn.Sequential(nn.ConvTranspose2d(4, 3, 4, 2, 1), nn.Tanh())

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            return nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        return self.main(input)


# ---- module changed by a failed export, in place ops, calling conventions ---------------------

class EDSRMean(nn.Module):
    """BasicSR's EDSR: `self.mean = self.mean.type_as(x)` in forward."""

    def __init__(self):
        super().__init__()
        self.mean = torch.Tensor([0.4488, 0.4371, 0.4040]).view(1, 3, 1, 1)
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        self.mean = self.mean.type_as(x)
        return self.conv(x - self.mean) + self.mean


class Pix2PixInplace(nn.Module):
    """pix2pix's UnetGenerator: LeakyReLU(0.2, True) on a tensor a later torch.cat reads."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 4, 4, 2, 1)
        self.relu = nn.LeakyReLU(0.2, True)
        self.up = nn.ConvTranspose2d(4, 3, 4, 2, 1)

    def forward(self, x):
        return torch.cat([x, self.up(self.relu(self.down(self.relu(x))))], 1)


class SegNetUnpool(nn.Module):
    """pytorch-semseg's SegNet: keyword calls of MaxUnpool2d; F.pad over the channel dim."""

    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        y, i = self.pool(self.conv(x))
        s = x.size()
        up = self.unpool(input=y, indices=i, output_size=s)
        return F.pad(up, (0, 0, 0, 0, 1, 2), value=0.5)


# ---- sizes read from tensors ----------------------------------------------------------------

class UNetSizes(nn.Module):
    """U-Net's F.pad by a size difference, U^2-Net's _upsample_like, DeepLabV3's ASPP pooling."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(4, 4, 2, 2)
        self.conv = nn.Conv2d(7, 2, 3, padding=1)

    def forward(self, x):
        d = self.down(x)
        u = self.up(d)
        dy, dx = x.size()[2] - u.size()[2], x.size()[3] - u.size()[3]
        u = F.pad(u, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        pooled = F.interpolate(F.adaptive_avg_pool2d(d, 1), size=x.shape[-2:], mode="bilinear",
                               align_corners=False)
        like = F.interpolate(d, size=x.shape[2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, u], 1)) + pooled[:, :2] + like[:, 2:]


class DepthMap(nn.Module):
    """MiDaS: a depth map [N, H, W] squeezed from [N, 1, H, W] stays [N, H, W]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 1, 3, padding=1)

    def forward(self, x):
        return torch.squeeze(self.conv(x), dim=1)


EXPORTS = {
    # name: (factory, example, another size)
    "pixel_unshuffle_assert": (PixelUnshuffleAssert, rand(1, 3, 16, 12), rand(2, 3, 10, 22, seed=1)),
    "int_of_size": (IntOfSize, rand(2, 4, 6, 5), rand(1, 4, 9, 3, seed=1)),
    "zeros_of_size": (ZerosOfSize, rand(1, 4, 7, 9), rand(3, 4, 5, 11, seed=1)),
    "dcgan_branch": (DCGANBranch, rand(2, 4, 4, 4), rand(1, 4, 7, 3, seed=1)),
    "edsr_mean": (EDSRMean, rand(1, 3, 10, 10), rand(2, 3, 13, 8, seed=1)),
    "pix2pix_inplace": (Pix2PixInplace, rand(1, 3, 16, 16), rand(2, 3, 24, 8, seed=1)),
    "segnet_unpool": (SegNetUnpool, rand(2, 3, 12, 10), rand(1, 3, 18, 14, seed=1)),
    "unet_sizes": (UNetSizes, rand(1, 3, 17, 20), rand(2, 3, 24, 13, seed=1)),
    "depth_map": (DepthMap, rand(1, 3, 9, 7), rand(2, 3, 5, 12, seed=1)),
}


class FailureClasses(unittest.TestCase):
    """Each exports with defaults and matches PyTorch in Node at the export size and another."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tfjs_torch_failures_")
        cls.dirs = {}
        torch.manual_seed(0)
        for name, (make, x, x2) in EXPORTS.items():
            m = seeded(make())
            d = os.path.join(cls.tmp, name)
            export(m, x, d)
            d2 = d + "_other"
            os.makedirs(d2)
            for f in ("model.json", "weights.bin"):
                shutil.copy(os.path.join(d, f), d2)
            write_check(m, x2, d2)
            cls.dirs[name] = (d, d2)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_one_matches_pytorch_at_two_sizes_in_node(self):
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        all_dirs = [d for pair in self.dirs.values() for d in pair]
        results = run_checker(all_dirs)
        for name, pair in self.dirs.items():
            for d in pair:
                with self.subTest(case=name, dir=os.path.basename(d)):
                    r = results[d]
                    self.assertNotIn("error", r, r.get("error"))
                    self.assertTrue(r["ok"], json.dumps(r))

    def test_depth_map_keeps_pytorch_shape_and_the_check_file_its_layout(self):
        d, _ = self.dirs["depth_map"]
        with open(os.path.join(d, "model.json")) as f:
            meta = json.load(f)["userDefinedMetadata"]["tfjsTorch"]
        self.assertEqual(meta["outputs"][0]["perm"], [0, 1, 2])
        from tfjs_torch._safetensors import from_bytes
        with open(os.path.join(d, "check.safetensors"), "rb") as f:
            arrays, m = from_bytes(f.read())
        self.assertEqual(arrays["output_0"].shape, (1, 9, 7))   # [N, H, W]
        self.assertEqual(json.loads(m["output_perms"]), [[0, 1, 2]])

    def test_a_wrong_layout_cannot_pass_the_check(self):
        """A check file whose permutation disagrees with the model fails pt.checkExport."""
        if not node_available():
            self.skipTest("node or node_modules/tsx missing")
        d, _ = self.dirs["depth_map"]
        bad = os.path.join(self.tmp, "depth_map_wrong_perm")
        shutil.copytree(d, bad)
        from tfjs_torch._safetensors import from_bytes, to_bytes
        path = os.path.join(bad, "check.safetensors")
        with open(path, "rb") as f:
            arrays, m = from_bytes(f.read())
        m["output_perms"] = json.dumps([[0, 2, 1]])   # what v1 did to [N, H, W] channelsLast
        with open(path, "wb") as f:
            f.write(to_bytes(arrays, m))
        r = run_checker([bad])[bad]
        self.assertFalse(r["ok"])
        self.assertIn("has shape", r.get("error", ""))

    def test_input_rules_are_checked_at_predict_time(self):
        if not node_available():
            self.skipTest("node or node_modules/tsx missing")
        d, _ = self.dirs["pixel_unshuffle_assert"]
        with open(os.path.join(d, "model.json")) as f:
            meta = json.load(f)["userDefinedMetadata"]["tfjsTorch"]
        self.assertIn("(x.shape[2] % 2) == 0", meta["constraints"])
        import subprocess
        env = dict(os.environ, TFJS_TORCH_PREDICT_SHAPES="[[1,17,12,3]]")
        proc = subprocess.run([os.path.join(ROOT, "node_modules", ".bin", "tsx"),
                               os.path.join(ROOT, "scripts", "check-export.ts"), d], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=600)
        line = [l for l in proc.stdout.splitlines() if l.startswith("{")][0]
        r = json.loads(line)
        self.assertFalse(r["ok"])
        self.assertIn("input 'x'", r["error"])
        self.assertIn("x.shape[2] = 17", r["error"])
        self.assertIn("(x.shape[2] % 2) == 0", r["error"])


def state_of(m):
    return {
        "params": {k: v.detach().clone() for k, v in m.named_parameters()},
        "buffers": {k: v.detach().clone() for k, v in m.named_buffers()},
        "training": {k: s.training for k, s in m.named_modules()},
        "attrs": {k: {a: (v.clone() if isinstance(v, torch.Tensor) else v)
                      for a, v in vars(s).items() if not a.startswith("_")}
                  for k, s in m.named_modules()},
    }


def same_state(test, a, b):
    test.assertEqual(a["training"], b["training"])
    for key in ("params", "buffers"):
        test.assertEqual(sorted(a[key]), sorted(b[key]))
        for k in a[key]:
            test.assertTrue(torch.equal(a[key][k], b[key][k]), k)
    for k in a["attrs"]:
        for attr, v in a["attrs"][k].items():
            w = b["attrs"][k][attr]
            if isinstance(v, torch.Tensor):
                test.assertTrue(isinstance(w, torch.Tensor) and torch.equal(v, w), f"{k}.{attr}")
            else:
                test.assertEqual(type(v), type(w), f"{k}.{attr}")


class Counter(nn.Module):
    calls = []

    def __init__(self):
        super().__init__()
        self.register_buffer("seen", torch.zeros(()))
        self.count = 0
        self.conv = nn.Conv2d(3, 3, 1)
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        Counter.calls.append(1)
        self.count += 1
        self.seen += 1
        return self.bn(self.conv(x))


class ModuleSafety(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_safety_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_edsr_mean_module_unchanged_and_still_runs(self):
        m = seeded(EDSRMean())
        before = state_of(m)
        export(m, rand(1, 3, 8, 8), os.path.join(self.tmp, "a"))
        same_state(self, before, state_of(m))
        self.assertIsInstance(m(rand(1, 3, 8, 8)), torch.Tensor)
        export(m, rand(1, 3, 8, 8), os.path.join(self.tmp, "b"))   # a second export works too

    def test_training_flags_side_effects_and_buffers_untouched(self):
        m = Counter()
        m.train()
        m.bn.eval()   # a BatchNorm kept in eval inside a training model
        Counter.calls.clear()
        before = state_of(m)
        export(m, rand(2, 3, 5, 5), os.path.join(self.tmp, "c"))
        same_state(self, before, state_of(m))
        self.assertTrue(m.training)
        self.assertFalse(m.bn.training)
        self.assertEqual(m.count, 0)
        self.assertEqual(float(m.seen), 0.0)
        self.assertLessEqual(len(Counter.calls), 1)   # the forward's own side effects: once

    def test_a_failed_export_changes_nothing(self):
        class Bad(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 3, 1)

            def forward(self, x):
                self.last = x
                return torch.cumsum(self.conv(x), 1)
        m = Bad()
        m.train()
        before = state_of(m)
        with self.assertRaises(ExportError):
            export(m, rand(1, 3, 4, 4), os.path.join(self.tmp, "d"))
        same_state(self, before, state_of(m))
        self.assertFalse(hasattr(m, "last"))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "d")))

    def test_wrappers_and_exported_programs(self):
        m = seeded(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()))
        x = rand(2, 3, 8, 8)
        for label, wrapped in [("dp", nn.DataParallel(m)), ("compiled", torch.compile(m)),
                               ("ep", torch.export.export(m, (x,)))]:
            with self.subTest(kind=label):
                w = export(wrapped, x, os.path.join(self.tmp, label))
                self.assertTrue(os.path.exists(w["model"]))
        scripted = torch.jit.script(m)
        with self.assertRaises(ExportError) as cm:
            export(scripted, x, os.path.join(self.tmp, "script"))
        self.assertIn("TorchScript", str(cm.exception))
        with self.assertRaises(ExportError) as cm:
            export(lambda t: t * 2, x, os.path.join(self.tmp, "fn"))
        self.assertIn("got a function", str(cm.exception))

    def test_half_weights_are_exported_as_float32(self):
        m = seeded(nn.Conv2d(3, 2, 1)).half()
        w = export(m, rand(1, 3, 4, 4), os.path.join(self.tmp, "half"))
        with open(w["model"]) as f:
            specs = json.load(f)["weightsManifest"][0]["weights"]
        self.assertTrue(all(s["dtype"] == "float32" for s in specs))
        self.assertEqual(next(m.parameters()).dtype, torch.float16)   # the user's stays half


class OutputFolder(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_out_")
        self.m = seeded(nn.Conv2d(3, 2, 1))
        self.x = rand(1, 3, 4, 4)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_bad_out_dirs_refused_before_any_work(self):
        f = os.path.join(self.tmp, "file")
        open(f, "w").close()
        for out, frag in [(f, "is a file"), (os.path.join(f, "sub"), "which is a file"),
                          ("", "must be a folder path"), (None, "must be a folder path")]:
            with self.subTest(out=out):
                with mock.patch("tfjs_torch._export.convert") as convert:
                    with self.assertRaises(ExportError) as cm:
                        export(self.m, self.x, out)
                    convert.assert_not_called()
                self.assertIn(frag, str(cm.exception))

    def test_nothing_stale_and_nothing_half_written(self):
        out = os.path.join(self.tmp, "model")
        export(self.m, self.x, out)
        export(self.m, self.x, out, check=False)
        self.assertEqual(sorted(os.listdir(out)), ["model.json", "weights.bin"])   # no old check
        with open(os.path.join(out, "model.json")) as f:
            good = f.read()
        real_rename = os.rename

        def failing_rename(a, b):
            if os.path.basename(a).startswith(".model.tmp-"):
                raise OSError(28, "No space left on device")
            return real_rename(a, b)
        with mock.patch("tfjs_torch._export.os.rename", side_effect=failing_rename):
            with self.assertRaises(ExportError) as cm:
                export(seeded(nn.Conv2d(3, 5, 1)), self.x, out)
        self.assertIn("nothing was changed", str(cm.exception))
        with open(os.path.join(out, "model.json")) as f:
            self.assertEqual(f.read(), good)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["model"])   # no temporary folder left

    def test_folder_with_other_files_is_refused(self):
        out = os.path.join(self.tmp, "mine")
        os.makedirs(out)
        open(os.path.join(out, "notes.txt"), "w").close()
        with self.assertRaises(ExportError) as cm:
            export(self.m, self.x, out)
        self.assertIn("holds other files (notes.txt)", str(cm.exception))


class Scale(unittest.TestCase):
    def test_in_place_relus_export_in_one_pass(self):
        """10,000 in-place ReLUs (v1 rebuilt a node order per node): the graph maps in one pass."""
        m = nn.Sequential(*[nn.ReLU(inplace=True) for _ in range(2000)])
        with tempfile.TemporaryDirectory() as tmp:
            w = export(m, rand(2, 3, 4, 4), os.path.join(tmp, "relus"), check=False)
            with open(w["model"]) as f:
                layers = json.load(f)["modelTopology"]["config"]["layers"]
        self.assertEqual(sum(l["class_name"] == "ReLU" for l in layers), 2000)


class ConstantAlongDim0(unittest.TestCase):
    """Note [a constant along a dim 0 that is not the batch] (ops/elementwise.py): a constant
    with more than one entry along dim 0 is taken only where dim 0 is a fixed size and the batch
    is not; the export case heads_first_constant checks the numbers."""

    class PerSample(nn.Module):
        def forward(self, x):   # dim 0 is the batch: [2, 1, 1, 1] would tie the batch to 2
            return x + torch.tensor([1.0, 2.0]).view(2, 1, 1, 1)

    class HeadsFirst(nn.Module):
        def forward(self, x):   # dim 0 is 2 heads after the permute
            y = x.reshape(x.shape[0], 2, 3, x.shape[3]).permute(1, 0, 2, 3)
            return (y + torch.tensor([1.0, 2.0]).view(2, 1, 1, 1)).permute(1, 0, 2, 3)

    def test_a_constant_along_the_batch_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaises(ExportError) as cm:
                export(self.PerSample(), rand(2, 3, 4, 4), os.path.join(tmp, "m"), check=False)
        self.assertIn("has a batch dim", str(cm.exception))

    def test_a_fixed_batch_keeps_the_refusal(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaises(ExportError) as cm:
                export(self.HeadsFirst(), rand(3, 6, 1, 4), os.path.join(tmp, "m"), check=False,
                       dynamic_shapes=False)
        self.assertIn("has a batch dim", str(cm.exception))

    def test_heads_in_front_of_a_free_batch_export(self):
        with tempfile.TemporaryDirectory() as tmp:
            export(self.HeadsFirst(), rand(3, 6, 1, 4), os.path.join(tmp, "m"), check=False)


if __name__ == "__main__":
    unittest.main()
