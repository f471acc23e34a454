"""The Python package against the repository: one version (package.json, pyproject.toml,
tfjs_torch.__version__), the licence shipped, docs/exporter-ops.md generated from the registry and
current, and the registry's rules (every handler documented, ops kept by the decomposition
table)."""
import json
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402

import tfjs_torch  # noqa: E402
from tfjs_torch import ops  # noqa: E402
from tfjs_torch._capture import PARTIAL_DECOMPOSITIONS, decomposition_table  # noqa: E402


class Packaging(unittest.TestCase):
    def test_one_version_everywhere(self):
        with open(os.path.join(ROOT, "package.json")) as f:
            npm = json.load(f)["version"]
        with open(os.path.join(ROOT, "python", "pyproject.toml")) as f:
            py = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
        self.assertEqual(py, npm)
        self.assertEqual(tfjs_torch.__version__, npm)

    def test_licence_shipped_is_the_repositorys(self):
        with open(os.path.join(ROOT, "LICENSE")) as a, open(os.path.join(ROOT, "python", "LICENSE")) as b:
            self.assertEqual(a.read(), b.read())

    def test_supported_ops_doc_is_current(self):
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_exporter_ops.py"),
                               "--check"], capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_every_handler_is_documented_and_kept_whole(self):
        table = decomposition_table()
        for fam, names, fn in ops.registered():
            with self.subTest(handler=fn.__name__):
                self.assertTrue(fn.__doc__ and ":" in fn.__doc__.split("\n")[0],
                                f"{fam}.{fn.__name__} needs a docstring 'op: what it covers'")
        for op in table:
            if op in PARTIAL_DECOMPOSITIONS:   # ours: NotImplemented where the handler takes it
                self.assertIs(table[op], PARTIAL_DECOMPOSITIONS[op])
                self.assertTrue(ops.is_kept(op), f"{op}: a partial decomposition needs a handler")
                continue
            self.assertFalse(ops.is_kept(op), f"{op} has a handler but would be decomposed")
        self.assertNotIn(torch.ops.aten.upsample_bilinear2d.vec, table)
        self.assertNotIn(torch.ops.aten.scaled_dot_product_attention.default, table) if ops.is_kept(
            torch.ops.aten.scaled_dot_product_attention.default) else None

    def test_a_second_handler_for_an_op_is_refused(self):
        with self.assertRaises(ValueError):
            ops.register(torch.ops.aten.relu.default)(lambda ctx, a: None)


if __name__ == "__main__":
    unittest.main()
