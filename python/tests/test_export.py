"""The exporter's own tests (current PyTorch, the venv of scripts/setup.sh:
$TFJS_TORCH_VENV/bin/python -m unittest discover -s python/tests; npm run test:exporter).

- every case of export_cases.py (every decoder of examples/decoders and one module per node kind), in both data
  formats, exported fresh and then loaded and run in Node by scripts/check-export.ts
  (pt.checkExport: every output and every layer's output within 1e-4 + 1e-4 |torch| of PyTorch's);
  the decoders also at another size and batch than the export's (their sizes are free);
  skipped with a message when Node or the repo's node_modules are missing;
- the refusals: an unsupported module, function or argument fails before anything is written,
  naming the module path or source line and what is supported;
- the CLI, custom mappings, and the files' structure.
"""
import json
import os
import shutil
import subprocess
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

import export_cases  # noqa: E402
from tfjs_torch import ExportError, export, write_check  # noqa: E402
from tfjs_torch._safetensors import from_bytes  # noqa: E402

X = torch.rand(2, 4, 9, 11, generator=torch.Generator().manual_seed(0))


def node_available():
    return shutil.which("node") is not None and os.path.isdir(os.path.join(ROOT, "node_modules", "tsx"))


def run_checker(dirs, backend="cpu"):
    """Runs scripts/check-export.ts on the folders: {folder: result dict}."""
    env = dict(os.environ, TFJS_TORCH_BACKEND=backend)
    tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
    proc = subprocess.run([tsx, os.path.join(ROOT, "scripts", "check-export.ts"), *dirs],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            results[r["dir"]] = r
    if not results:
        raise AssertionError(f"check-export.ts printed no result (exit {proc.returncode}):\n"
                             f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return results


def check_at_sizes(test, module, d, xs, backends="cpu"):
    """The export in folder d run at its export size and at each of xs (copies of d with
    PyTorch's outputs there) on $TFJS_TORCH_EXPORTER_BACKENDS (default `backends`), each a
    subTest of `test`: PyTorch's numbers everywhere."""
    dirs = [d]
    for k, x in enumerate(xs):
        d2 = f"{d}_other{k}"
        shutil.copytree(d, d2)
        write_check(module, x, d2)
        dirs.append(d2)
    for backend in os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS", backends).split(","):
        results = run_checker(dirs, backend)
        for dd in dirs:
            with test.subTest(backend=backend, check=os.path.basename(dd)):
                test.assertNotIn("error", results[dd], results[dd].get("error"))
                test.assertTrue(results[dd]["ok"], results[dd])


def map_cumsum(ctx, a):
    """A user's own mapping (custom=) of an op tfjs-torch has no handler for: torch.cumsum over
    a dim of size 3, as three slices added up (TorchSlice + TorchElementwise + Concatenate)."""
    x = ctx.b.to_torch_order(ctx.ref(a.self))
    d = a.dim % x.rank
    n = x.torch_shape[d]
    parts, acc = [], None
    for i in range(n):
        begin, size = [0] * (x.rank - 1), [-1] * (x.rank - 1)
        begin[d - 1], size[d - 1] = i, 1
        (s,) = ctx.b.layer("TorchSlice", {"begin": begin, "size": size}, [x], f"cumsum_{i}",
                           outputs=[(x.perm, [1])], record=False)
        if acc is not None:
            (s,) = ctx.b.layer("TorchElementwise", {"op": "add"}, [acc, s], f"cumsum_add_{i}",
                               outputs=[(x.perm, [1])], record=False)
        acc = s
        parts.append(s)
    return ctx.emit("Concatenate", {"axis": d}, parts, perm=x.perm)


class CustomNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, x):
        return torch.relu(torch.cumsum(self.conv(x), 1))


def other_size(x, grow=8):
    """The example at another batch and size: batch 3, every spatial dim (> 1) grown."""
    shape = list(x.shape)
    shape[0] = 3
    for d in range(2, len(shape)):
        if shape[d] > 1:
            shape[d] += grow
    return torch.rand(*shape, generator=torch.Generator().manual_seed(5)) * 2 - 1


class EndToEnd(unittest.TestCase):
    """Fresh exports of every case, checked in Node against PyTorch's outputs."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tfjs_torch_test_")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def export_all(self):
        dirs = {}
        torch.set_num_threads(1)
        for name, make, inputs, formats in export_cases.cases():
            for fmt in formats:
                d = os.path.join(self.tmp, f"{name}_{fmt}")
                module = make()
                export(module, inputs, d, data_format=fmt, intermediates=True,
                       **export_cases.export_kwargs(name))
                dirs[d] = (name, fmt)
                if (name.startswith("decoder_") or name in export_cases.OTHER_SIZE) and \
                        name not in export_cases.FIXED:
                    # The same model at another batch and size (PyTorch's outputs from the module).
                    d2 = d + "_other_size"
                    os.makedirs(d2)
                    for f in ("model.json", "weights.bin"):
                        shutil.copy(os.path.join(d, f), d2)
                    grow = 16 if "unet" in name or "segnet" in name else 8
                    write_check(module, tuple(other_size(x, grow) for x in inputs), d2)
                    dirs[d2] = (name + "@other_size", fmt)
        for fmt in export_cases.FORMATS:
            d = os.path.join(self.tmp, f"custom_{fmt}")
            export(export_cases._seeded(CustomNet()), (X,), d, data_format=fmt,
                   intermediates=True, custom={torch.ops.aten.cumsum.default: map_cumsum})
            dirs[d] = ("custom", fmt)
        return dirs

    def test_committed_fixture_is_current(self):
        """test/fixtures/exported.json (what the JS suites check) is what the exporter writes
        today, topology and bytes, when run on the torch that wrote it."""
        with open(os.path.join(ROOT, "test", "fixtures", "exported.json")) as f:
            fixture = json.load(f)
        if fixture["torch_version"] != torch.__version__:
            self.skipTest(f"fixture from torch {fixture['torch_version']}, this is {torch.__version__}")
        committed = {(c["name"], c["dataFormat"]): c for c in fixture["cases"]}
        fresh = [(name, fmt) for name, _, _, formats in export_cases.cases() for fmt in formats]
        self.assertEqual(sorted(committed), sorted(fresh),
                         "cases changed: run $TFJS_TORCH_VENV/bin/python scripts/fixtures/make_fixtures.py exported")
        torch.set_num_threads(1)
        for name, make, inputs, formats in export_cases.cases():
            for fmt in formats:
                with self.subTest(case=name, data_format=fmt):
                    d = os.path.join(self.tmp, f"fixture_{name}_{fmt}")
                    written = export(make(), inputs, d, data_format=fmt, check=False,
                                     **export_cases.export_kwargs(name))
                    with open(written["model"]) as f:
                        model = json.load(f)
                    self.assertEqual(model, committed[(name, fmt)]["model"],
                                     "stale: run $TFJS_TORCH_VENV/bin/python scripts/fixtures/make_fixtures.py exported")

    def test_every_case_matches_pytorch_in_node(self):
        dirs = self.export_all()
        if not node_available():
            self.skipTest("node or node_modules/tsx missing: exported only, not run in Node")
        backends = ["cpu"]
        if os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS"):
            backends = os.environ["TFJS_TORCH_EXPORTER_BACKENDS"].split(",")
        for backend in backends:
            results = run_checker(sorted(dirs), backend)
            for d, (name, fmt) in sorted(dirs.items()):
                with self.subTest(case=name, data_format=fmt, backend=backend):
                    r = results.get(d)
                    self.assertIsNotNone(r, f"no result for {d}")
                    self.assertNotIn("error", r, r.get("error"))
                    self.assertTrue(r["ok"], json.dumps(r))


class Refusals(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_refusal_")
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def refuse(self, module, inputs, *fragments, **kw):
        with self.assertRaises(ExportError) as cm:
            export(module, inputs, self.out, **kw)
        msg = str(cm.exception)
        for f in fragments:
            self.assertIn(f, msg)
        self.assertFalse(os.path.exists(self.out), "a refused export wrote files")
        return msg

    def test_unsupported_op_names_the_module_the_op_and_the_users_line(self):
        class Inner(nn.Module):
            def forward(self, x):
                return torch.cumsum(x, 1)  # the line the error names

        net = nn.Sequential(nn.Conv2d(4, 4, 1), nn.Sequential(nn.ReLU(), Inner()))
        msg = self.refuse(net, X, "module '1.1' (Inner)", "aten.cumsum", "no tfjs-torch mapping",
                          "custom=", "docs/exporter-ops.md")
        # Note: the innermost frame of the user's code (the op's own line), not the call site.
        self.assertIn("test_export.py", msg)
        self.assertIn("return torch.cumsum(x, 1)", msg)

    def test_data_dependent_control_flow(self):
        class M(nn.Module):
            def forward(self, x):
                return x if x.sum() > 0 else -x
        msg = self.refuse(M(), X, "failed while capturing it with torch.export", "test_export.py")
        self.assertIn("x if x.sum() > 0 else -x", msg)

    def test_cat_on_batch(self):
        class M(nn.Module):
            def forward(self, x):
                return torch.cat([x, x], 0)
        self.refuse(M(), X, "aten.cat", "batch dim")

    def test_slice_with_a_step_of_dim_0(self):
        class M(nn.Module):
            def forward(self, x):
                t = x.flatten(2).permute(2, 0, 1)   # H*W, N, C: dim 0 is not the batch
                return t[::2].permute(1, 2, 0)
        self.refuse(M(), (torch.rand(2, 4, 6, 6),), "aten.slice.Tensor",
                    "a slice with a step of dim 0 (where it is not the batch) is not supported")

    def test_output_that_merges_the_batch(self):
        # Inside the model dim 0 may hold anything (Note [dim 0 inside a model]); an output
        # must have a batch at dim 0 again.
        class M(nn.Module):
            def forward(self, x):
                return x.view(-1, 11)
        self.refuse(M(), X, "aten.view", "at dim 0, not the batch", "return x.view(-1, 11)")

    def test_output_with_the_batch_permuted_away(self):
        class M(nn.Module):
            def forward(self, x):
                return x.permute(1, 0, 2, 3)
        self.refuse(M(), X, "aten.permute", "at dim 0, not the batch")

    def test_mean_over_everything(self):
        class M(nn.Module):
            def forward(self, x):
                return x.mean()
        self.refuse(M(), X, "reduces the batch too")

    def test_a_size_as_an_operand_beyond_arithmetic(self):
        # Note [a size as an operand]: add / sub / mul / div / pow and the comparisons of a
        # tensor and a size known only at run time export (export_cases.py,
        # test_size_branches.py); a float computed from sizes that is not an integer is refused
        # with the op named.
        class Half(nn.Module):
            def forward(self, x):
                return x * (x.size(2) / 2)
        self.refuse(Half(), X, "aten.mul.Tensor", "that is not an integer size written as a float")

    def test_integer_casts_of_model_values(self):
        # A mask or an integer tensor made from sizes may be cast to int64 (the model holds those
        # integers in float32 already: test_size_branches.py's arange_window_mask); a float
        # tensor of the model cast to an integer (truncation) is refused by name.
        class Trunc(nn.Module):
            def forward(self, x):
                return x.long() + 1
        self.refuse(Trunc(), X, "aten._to_copy.default", "casts torch.float32 to torch.int64",
                    "integer tensors are not supported")

    def test_an_overlapping_fold(self):
        # Note [F.fold without overlaps]: stride == kernel_size folds export
        # (test_size_branches.py's fold_patches); a fold whose patches overlap is refused by name.
        class Overlap(nn.Module):
            def forward(self, x):
                p = nn.functional.unfold(x, kernel_size=2, stride=1)
                return nn.functional.fold(p, output_size=x.shape[2:], kernel_size=2, stride=1)
        self.refuse(Overlap(), X, "aten.col2im.default", "F.fold / nn.Fold with kernel_size=[2, 2]",
                    "stride=[1, 1]", "only a fold without overlaps")

    def test_integer_input(self):
        self.refuse(nn.Identity(), torch.zeros(2, 3, dtype=torch.int64), "float32 inputs")

    def test_unsupported_arguments(self):
        # (avg_pool's ceil_mode, count_include_pad=False and divisor_override are supported since
        # exporter v2: test_known_limits.py)
        # PyTorch's own refusal, with no frame of torch's generated code named as the user's.
        msg = self.refuse(nn.AvgPool2d(2, divisor_override=0), X, "divisor must be not zero")
        self.assertNotIn("<string>", msg)
        self.refuse(nn.Conv2d(4, 4, 3, stride=2, dilation=2), X, "stride [2, 2] together with dilation [2, 2]")

    def test_output_not_computed_from_inputs(self):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.ones(3))

            def forward(self, x):
                return x, self.w * 2
        self.refuse(M(), X, "output 'output_1' is not a tensor computed from the inputs")

    def test_bad_arguments_to_export(self):
        self.refuse(nn.Identity(), X, "data_format must be 'channelsLast' or 'channelsFirst'",
                    data_format="NHWC")
        self.refuse(nn.Identity(), ([1, 2],), "example_inputs[0] is a list")
        self.refuse(nn.Identity(), (), "example_inputs is empty")
        self.refuse(nn.Identity(), X, "dynamic_shapes must be", dynamic_shapes="yes")
        self.refuse(nn.Identity(), X, "check and intermediates must be True or False", check=1)

    def test_custom_mapping_errors_are_clear(self):
        net = nn.Sequential(nn.ReLU())
        self.refuse(net, X, "custom must be a dict", custom=[1])
        self.refuse(net, X, "custom maps ATen ops", custom={nn.ReLU: lambda ctx, a: None})
        self.refuse(net, X, "the mapping returned int",
                    custom={torch.ops.aten.relu.default: lambda ctx, a: 3})
        self.refuse(net, X, "the mapping failed with ZeroDivisionError",
                    custom={torch.ops.aten.relu.default: lambda ctx, a: 1 / 0})


class Files(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_files_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_model_json_weights_and_check_file(self):
        name, make, (x,), _ = [c for c in export_cases.cases() if c[0] == "decoder_unet"][0]
        out = os.path.join(self.tmp, "unet")
        written = export(make(), x, out)
        self.assertEqual(sorted(os.listdir(out)), ["check.safetensors", "model.json", "weights.bin"])
        with open(written["model"]) as f:
            model = json.load(f)
        self.assertEqual(model["format"], "layers-model")
        layers = model["modelTopology"]["config"]["layers"]
        names = [l["name"] for l in layers]
        # Layers are named after module paths (what pt.loadTorchWeights expects).
        for n in ("enc1_0", "enc2_0", "bottleneck_0", "up2", "dec2_0", "head"):
            self.assertIn(n, names)
        # NHWC input, batch free.
        # NHWC input, batch and spatial sizes free; the channels fixed.
        self.assertEqual(layers[0]["config"]["batch_input_shape"], [None, None, None, 3])
        self.assertEqual(model["userDefinedMetadata"]["tfjsTorch"]["inputs"][0]["torchShape"],
                         [None, 3, None, None])
        specs = model["weightsManifest"][0]["weights"]
        count = sum(int(torch.tensor(s["shape"]).prod()) for s in specs)
        self.assertEqual(os.path.getsize(written["weights"]), 4 * count)
        # The conv kernel is PyTorch's weight in tfjs's [kh, kw, in, out] layout.
        with open(written["weights"], "rb") as f:
            data = f.read()
        offset = 0
        for s in specs:
            n = int(torch.tensor(s["shape"]).prod())
            if s["name"] == "enc1_0/kernel":
                kernel = torch.frombuffer(bytearray(data[4 * offset:4 * (offset + n)]), dtype=torch.float32)
                expected = make().enc1[0].weight.detach().permute(2, 3, 1, 0).reshape(-1)
                self.assertTrue(torch.equal(kernel, expected))
            offset += n
        with open(written["check"], "rb") as f:
            arrays, meta = from_bytes(f.read())
        self.assertEqual(meta["format"], "tfjs-torch-check")
        # PyTorch's layout, with the permutation into the model's (Note [check file layout]).
        self.assertEqual(meta["layout"], "torch")
        self.assertEqual(arrays["input_0"].shape, (2, 3, 24, 24))
        self.assertEqual(arrays["output_0"].shape, (2, 2, 24, 24))
        self.assertEqual(json.loads(meta["input_perms"]), [[0, 2, 3, 1]])
        self.assertEqual(json.loads(meta["output_perms"]), [[0, 2, 3, 1]])
        with torch.no_grad():
            y = make()(x).numpy()
        self.assertLess(abs(arrays["output_0"] - y).max(), 1e-5)
        self.assertEqual(json.loads(meta["layers"]), [])

    def test_channels_first_keeps_pytorch_layout(self):
        _, make, (x,), _ = [c for c in export_cases.cases() if c[0] == "decoder_unet"][0]
        out = os.path.join(self.tmp, "unet_cf")
        export(make(), x, out, data_format="channelsFirst", intermediates=True)
        with open(os.path.join(out, "check.safetensors"), "rb") as f:
            arrays, meta = from_bytes(f.read())
        self.assertEqual(arrays["input_0"].shape, (2, 3, 24, 24))
        self.assertEqual(json.loads(meta["input_perms"]), [[0, 1, 2, 3]])
        self.assertEqual(meta["data_format"], "channelsFirst")
        self.assertGreater(len(json.loads(meta["layers"])), 10)

    def test_dict_outputs_keep_their_names_and_order(self):
        _, make, (x,), _ = [c for c in export_cases.cases() if c[0] == "dict_outputs"][0]
        written = export(make(), x, os.path.join(self.tmp, "dict"))
        self.assertEqual(written["outputs"], ["features", "pooled", "sigmoid"])

    def test_cli(self):
        out = os.path.join(self.tmp, "cli")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "python"), HERE]))
        proc = subprocess.run(
            [sys.executable, "-m", "tfjs_torch", "export", "cli_factory:make", "--input", "1,3,16,16",
             "--out", out, "--data-format", "channelsFirst", "--intermediates"],
            cwd=HERE, env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("wrote", proc.stdout)
        self.assertTrue(os.path.exists(os.path.join(out, "check.safetensors")))
        with open(os.path.join(out, "check.safetensors"), "rb") as f:
            arrays, _ = from_bytes(f.read())
        self.assertEqual(arrays["input_0"].shape, (1, 3, 16, 16))
        # A file path from another folder, and --fixed-sizes.
        out2 = os.path.join(self.tmp, "cli2")
        proc = subprocess.run(
            [sys.executable, "-m", "tfjs_torch", "export", os.path.join(HERE, "cli_factory.py") + ":make",
             "--input", "2,3,16,16", "--out", out2, "--fixed-sizes"],
            cwd=self.tmp, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")),
            capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(out2, "model.json")) as f:
            self.assertEqual(json.load(f)["modelTopology"]["config"]["layers"][0]["config"][
                "batch_input_shape"], [None, 16, 16, 3])
        bad = subprocess.run([sys.executable, "-m", "tfjs_torch", "export", "cli_factory:unsupported",
                              "--input", "1,3,16,16", "--out", os.path.join(self.tmp, "bad")],
                             cwd=HERE, env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("no tfjs-torch mapping", bad.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad")))


if __name__ == "__main__":
    unittest.main()
