"""What `tfjs_torch.export` promises about the call itself (issue 20, "What to build" 2, 4 and 5),
each checked directly: every bad argument refused with an ExportError before any work; the
forward's side effects at most once; a forward that fails only when run again; the wrappers
(DistributedDataParallel) and half / bfloat16 weights; the dynamic_shapes options; PyTorch's
calling forms (keywords, positional arguments, F.pad over the channel dim) at free sizes.
"""
import json
import os
import shutil
import subprocess
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
from torch.export import Dim  # noqa: E402

from test_export import node_available, run_checker  # noqa: E402
from test_failures import rand, seeded  # noqa: E402  (the same seeded inputs and weights)
from tfjs_torch import ExportError, export, write_check  # noqa: E402
from tfjs_torch._safetensors import from_bytes  # noqa: E402


def input_shape(out):
    with open(os.path.join(out, "model.json")) as f:
        model = json.load(f)
    return (model["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"],
            model["userDefinedMetadata"]["tfjsTorch"]["constraints"])


class _RaisingDict(dict):
    def items(self):
        raise RuntimeError("items() is broken")


class Arguments(unittest.TestCase):
    """Every bad argument is an ExportError raised before the module is copied or captured."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_args_")
        self.m = seeded(nn.Sequential(nn.Conv2d(3, 2, 1), nn.ReLU()))
        self.x = rand(1, 3, 4, 4)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_an_older_pytorch_is_refused_by_name(self):
        from tfjs_torch._capture import MIN_TORCH
        with mock.patch.object(torch, "__version__", "2.5.1+cpu"), \
                mock.patch("tfjs_torch._export.capture") as capture:
            with self.assertRaises(ExportError) as cm:
                export(self.m, self.x, os.path.join(self.tmp, "old"))
            capture.assert_not_called()
        self.assertIn(f"needs PyTorch >= {MIN_TORCH[0]}.{MIN_TORCH[1]}", str(cm.exception))
        self.assertIn("this is 2.5.1+cpu", str(cm.exception))

    def test_refused_before_any_work(self):
        f = os.path.join(self.tmp, "a_file")
        open(f, "w").close()
        out = os.path.join(self.tmp, "out")
        relu = torch.ops.aten.relu.default
        cases = [
            ("a function", dict(module=lambda t: t * 2), "got a function"),
            ("a class", dict(module=nn.Conv2d), "must be a torch.nn.Module"),
            ("None module", dict(module=None), "must be a torch.nn.Module"),
            ("custom a list", dict(custom=[relu]), "custom must be a dict"),
            ("custom raising", dict(custom=_RaisingDict({relu: lambda c, a: None})),
             "custom could not be read (RuntimeError: items() is broken)"),
            ("custom keyed by a class", dict(custom={nn.ReLU: lambda c, a: None}),
             "custom maps ATen ops"),
            ("custom not callable", dict(custom={relu: 3}), "is not callable"),
            ("data_format", dict(data_format="NHWC"), "data_format must be"),
            ("dynamic_shapes", dict(dynamic_shapes="auto"), "dynamic_shapes must be"),
            ("inputs", dict(example_inputs=[[1.0]]), "example_inputs[0] is a list"),
            ("integer inputs", dict(example_inputs=torch.zeros(1, 3, 4, 4, dtype=torch.int64)),
             "float32 inputs"),
            ("check", dict(check="yes"), "check and intermediates must be True or False"),
            ("out_dir a file", dict(out_dir=f), "is a file"),
            ("out_dir under a file", dict(out_dir=os.path.join(f, "sub")), "which is a file"),
            ("out_dir ''", dict(out_dir=""), "must be a folder path"),
            ("out_dir None", dict(out_dir=None), "must be a folder path"),
        ]
        for label, kw, fragment in cases:
            args = dict(module=self.m, example_inputs=self.x, out_dir=out)
            args.update(kw)
            with self.subTest(case=label):
                with mock.patch("tfjs_torch._export.capture") as capture, \
                        mock.patch("tfjs_torch._export.copy_module") as copy:
                    with self.assertRaises(ExportError) as cm:
                        export(args.pop("module"), args.pop("example_inputs"), args.pop("out_dir"),
                               **args)
                    capture.assert_not_called()
                    copy.assert_not_called()
                self.assertIn(fragment, str(cm.exception))
                self.assertFalse(os.path.exists(out))


class SideEffects(nn.Module):
    """A forward with effects outside the module (a global log), inside it (a counter, a buffer)
    and one that fails when it is run a second time (a one-shot resource)."""
    log = []
    fail_after = None

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.register_buffer("runs", torch.zeros(()))
        self.count = 0

    def forward(self, x):
        SideEffects.log.append(tuple(x.shape))
        if SideEffects.fail_after is not None and len(SideEffects.log) > SideEffects.fail_after:
            raise RuntimeError("this forward runs once only")
        self.count += 1
        self.runs += 1
        return torch.tanh(self.conv(x))


class Forward(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_forward_")
        SideEffects.log.clear()
        SideEffects.fail_after = None

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        SideEffects.fail_after = None

    def test_side_effects_happen_once(self):
        """Batch of 1 or 2 (the batch-1 check runs the captured graph, not the forward): the
        forward runs once, on a copy (the module's counter and buffer stay 0)."""
        for k, x in enumerate([rand(1, 3, 6, 5), rand(2, 3, 6, 5)]):
            with self.subTest(shape=list(x.shape)):
                SideEffects.log.clear()
                m = seeded(SideEffects())
                export(m, x, os.path.join(self.tmp, f"m{k}"))
                self.assertEqual(len(SideEffects.log), 1, SideEffects.log)
                self.assertEqual((m.count, float(m.runs)), (0, 0.0))

    def test_a_forward_that_fails_when_run_again(self):
        SideEffects.fail_after = 1
        m = seeded(SideEffects())
        w = export(m, rand(1, 3, 6, 5), os.path.join(self.tmp, "once"))
        self.assertTrue(os.path.exists(w["model"]))
        # A spatial dim of 1 is captured at 2 and checked against the module at 1 (Note [a dim
        # of 1]): the second run fails, and so does the capture with that dim fixed: the
        # failure is an ExportError naming the forward's line, and nothing is written.
        SideEffects.log.clear()
        out = os.path.join(self.tmp, "twice")
        with self.assertRaises(ExportError) as cm:
            export(m, rand(1, 3, 1, 5), out)
        self.assertIn("this forward runs once only", str(cm.exception))
        self.assertIn("test_export_contract.py", str(cm.exception))
        self.assertFalse(os.path.exists(out))
        self.assertEqual((m.count, float(m.runs)), (0, 0.0))


class Wrappers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_wrap_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_distributed_data_parallel(self):
        import torch.distributed as dist
        if not dist.is_available():
            self.skipTest("torch.distributed is not built in")
        m = seeded(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()))
        x = rand(2, 3, 8, 8)
        dist.init_process_group("gloo", init_method=f"file://{self.tmp}/pg", rank=0, world_size=1)
        try:
            ddp = nn.parallel.DistributedDataParallel(m)
            w = export(ddp, x, os.path.join(self.tmp, "ddp"))
        finally:
            dist.destroy_process_group()
        with open(os.path.join(self.tmp, "ddp", "check.safetensors"), "rb") as f:
            arrays, _ = from_bytes(f.read())
        with torch.no_grad():
            self.assertTrue(torch.allclose(torch.from_numpy(arrays["output_0"]), m(x), atol=1e-6))
        self.assertIn("output", w["outputs"][0])

    def test_half_and_bfloat16_weights_become_float32_exactly(self):
        """Note [never touch the user's module]: a half / bfloat16 module is exported as float32
        (every such value is a float32: weights.bin holds them exactly); the model computes in
        float32, and the check file holds the float32 copy's outputs (not the half module's,
        which round every step); the user's module keeps its dtype."""
        import numpy as np
        for dtype in (torch.float16, torch.bfloat16):
            with self.subTest(dtype=str(dtype)):
                m = seeded(nn.Conv2d(3, 2, 3, padding=1)).to(dtype)
                x = rand(1, 3, 5, 5).to(dtype)
                out = os.path.join(self.tmp, str(dtype))
                export(m, x, out)
                with open(os.path.join(out, "model.json")) as f:
                    specs = json.load(f)["weightsManifest"][0]["weights"]
                self.assertTrue(all(s["dtype"] == "float32" for s in specs))
                data = np.fromfile(os.path.join(out, "weights.bin"), dtype=np.float32)
                want = sorted(m.weight.float().flatten().tolist() + m.bias.float().flatten().tolist())
                self.assertEqual(sorted(data.tolist()), want)
                with open(os.path.join(out, "check.safetensors"), "rb") as f:
                    arrays, _ = from_bytes(f.read())
                with torch.no_grad():
                    ref = F.conv2d(x.float(), m.weight.float(), m.bias.float(), padding=1)
                self.assertTrue(torch.allclose(torch.from_numpy(arrays["output_0"]), ref,
                                               atol=1e-6))
                self.assertEqual(arrays["input_0"].dtype, np.float32)
                self.assertEqual(m.weight.dtype, dtype)


class Options(unittest.TestCase):
    """dynamic_shapes: None (every size free), False (the example's sizes), a torch.export spec."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_opts_")
        self.m = seeded(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU()))
        self.x = rand(2, 3, 8, 6)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_dynamic_shapes_options(self):
        d = {}
        for label, spec in [("free", None), ("fixed", False),
                            ("spec", ({0: Dim("batch"), 2: Dim("h", min=4, max=64)},))]:
            d[label] = os.path.join(self.tmp, label)
            export(self.m, self.x, d[label], dynamic_shapes=spec)
        self.assertEqual(input_shape(d["free"])[0], [None, None, None, 3])
        self.assertEqual(input_shape(d["fixed"])[0][1:], [8, 6, 3])
        shape, rules = input_shape(d["spec"])
        self.assertEqual(shape, [None, None, 6, 3])   # W fixed: the spec leaves it out
        self.assertIn("input.shape[2] >= 4", rules)
        self.assertIn("input.shape[2] <= 64", rules)
        if not node_available():
            self.skipTest("node or node_modules/tsx missing")
        other = d["spec"] + "_other"
        os.makedirs(other)
        for f in ("model.json", "weights.bin"):
            shutil.copy(os.path.join(d["spec"], f), other)
        write_check(self.m, rand(1, 3, 13, 6, seed=3), other)
        results = run_checker([d["free"], d["fixed"], d["spec"], other])
        for k, r in results.items():
            self.assertTrue(r.get("ok"), f"{k}: {r}")
        env = dict(os.environ, TFJS_TORCH_PREDICT_SHAPES="[[1,70,6,3]]")
        proc = subprocess.run([os.path.join(ROOT, "node_modules", ".bin", "tsx"),
                               os.path.join(ROOT, "scripts", "check-export.ts"), d["spec"]],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        r = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][0])
        self.assertFalse(r["ok"])
        self.assertIn("input.shape[2] <= 64", r["error"])
        self.assertIn("input.shape[2] = 70", r["error"])


class CallingForms(nn.Module):
    """PyTorch's calling forms of the ops decoders use: keywords everywhere (SegNet's
    `self.unpool(input=x, indices=i, output_size=s)`), positional optional arguments, F.pad over
    the channel dim and with a mode by keyword, a size list from x.size()."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.w = nn.Parameter(torch.zeros(4, 4, 3, 3))

    def forward(self, x):
        h = self.conv(input=x)
        y, i = self.pool(h)
        up = self.unpool(input=y, indices=i, output_size=h.size())
        up2 = F.max_unpool2d(y, i, 2, 2, 0, list(h.size()[2:]))
        a = F.interpolate(up, None, 2.0, "bilinear", False)
        b = F.interpolate(input=up2, size=(a.size(2), a.size(3)), mode="nearest")
        c = F.conv2d(input=a, weight=self.w, bias=None, stride=1, padding=1)
        d = F.pad(input=b, pad=[1, 1, 1, 1], mode="reflect")[:, :, 1:-1, 1:-1]
        e = F.pad(c, (0, 0, 0, 0, 2, 1), "constant", 0.25)   # over the channel dim
        s = torch.cat(tensors=[d, c], dim=1)
        return torch.add(input=s[:, 1:], other=e, alpha=0.5)


class Calls(unittest.TestCase):
    def test_calling_forms_at_three_sizes(self):
        tmp = tempfile.mkdtemp(prefix="tfjs_torch_calls_")
        try:
            m = seeded(CallingForms())
            d = os.path.join(tmp, "calls")
            export(m, rand(1, 3, 8, 10), d)
            self.assertEqual(input_shape(d)[0], [None, None, None, 3])
            dirs = [d]
            for k, x in enumerate([rand(2, 3, 12, 6, seed=1), rand(1, 3, 6, 14, seed=2)]):
                d2 = f"{d}_{k}"
                os.makedirs(d2)
                for f in ("model.json", "weights.bin"):
                    shutil.copy(os.path.join(d, f), d2)
                write_check(m, x, d2)
                dirs.append(d2)
            if not node_available():
                self.skipTest("node or node_modules/tsx missing")
            for backend in os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS", "cpu").split(","):
                results = run_checker(dirs, backend)
                for dd in dirs:
                    with self.subTest(backend=backend, dir=os.path.basename(dd)):
                        self.assertTrue(results[dd].get("ok"), f"{dd}: {results[dd]}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class _CountingSet(set):
    probes = 0

    def __contains__(self, item):
        _CountingSet.probes += 1
        return set.__contains__(self, item)


class Cost(unittest.TestCase):
    def test_naming_n_layers_of_one_name_is_linear(self):
        """Every layer name is made unique (Builder.unique): 10,000 in-place ReLUs share one
        name, and counting suffixes from 1 for each made the export quadratic. Counted in name
        lookups, not timed."""
        from tfjs_torch._builder import Builder
        b = Builder("channelsLast")
        b.names = _CountingSet()
        r = b.add_input("x", torch.zeros(2, 3, 4, 4))
        n = 3000
        _CountingSet.probes = 0
        for _ in range(n):
            (r,) = b.layer("ReLU", {}, [r], "relu", outputs=[(r.perm, [2, 3, 4, 4])])
        self.assertEqual(len(b.names), n + 1)
        self.assertLess(_CountingSet.probes, 4 * n)


if __name__ == "__main__":
    unittest.main()
