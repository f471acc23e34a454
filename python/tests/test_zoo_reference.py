"""The zoo's guard against references a check cannot fail (zoo_export.reference_problems): an output
that is constant, all zero, mostly one value (a dead final ReLU, a saturated sigmoid / tanh) or tiny
is refused with the entry's name before any export; a real output passes.

  <venv python> -m unittest python/tests/test_zoo_reference.py
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE)))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from zoo_export import reference_problems, run_entry  # noqa: E402
from zoo.registry import Entry  # noqa: E402


def sizes(*outs):
    return [list(outs)]


class ReferenceProblems(unittest.TestCase):
    def setUp(self):
        self.g = torch.Generator().manual_seed(0)

    def randn(self, *shape):
        return torch.randn(*shape, generator=self.g)

    def test_a_real_output_passes(self):
        self.assertEqual(reference_problems(sizes(self.randn(1, 3, 16, 16))), [])
        # a final ReLU that keeps half of it, a sigmoid around 0.5 with some spread
        self.assertEqual(reference_problems(sizes(torch.relu(self.randn(1, 3, 16, 16)))), [])
        self.assertEqual(reference_problems(sizes(torch.sigmoid(self.randn(1, 1, 16, 16)))), [])

    def test_all_zero(self):
        p = reference_problems(sizes(torch.zeros(1, 64, 64)))
        self.assertEqual(len(p), 1)
        self.assertIn("output 0 at size 0 [1, 64, 64]: max |v| 0", p[0])

    def test_constant(self):
        p = reference_problems(sizes(torch.full((2, 8, 8), 3.0)))
        self.assertEqual(len(p), 1)
        self.assertIn("std 0", p[0])

    def test_tiny(self):
        p = reference_problems(sizes(self.randn(1, 3, 8, 8) * 1e-3))
        self.assertEqual(len(p), 1)
        self.assertIn("max |v|", p[0])

    def test_mostly_zero(self):
        x = torch.relu(self.randn(1, 3, 32, 32) - 1.6)  # about 95% zeros
        p = reference_problems(sizes(x))
        self.assertEqual(len(p), 1)
        self.assertIn("within 0.001 of its median", p[0])

    def test_saturated_tanh_at_both_limits(self):
        x = torch.tanh(self.randn(1, 3, 32, 32) * 100)
        p = reference_problems(sizes(x))
        self.assertEqual(len(p), 1)
        self.assertIn("of +-max |v|", p[0])

    def test_non_finite(self):
        x = self.randn(4, 4)
        x[1, 1] = float("nan")
        self.assertIn("non-finite", reference_problems(sizes(x))[0])

    def test_names_the_output_and_size(self):
        good = self.randn(1, 4, 4)
        p = reference_problems([[good, good], [good, torch.zeros(2, 4, 4)]])
        self.assertEqual(len(p), 1)
        self.assertTrue(p[0].startswith("output 1 at size 1 [2, 4, 4]"), p[0])


class DeadHead(nn.Module):
    """A convolution whose bias puts every output below zero before a final ReLU (MiDaS's head once)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 1, 3, padding=1)
        with torch.no_grad():
            self.conv.bias.fill_(-100.0)

    def forward(self, x):
        return torch.relu(self.conv(x))


class RunEntryRefuses(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_zooref_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_an_entry_with_a_dead_output_is_not_exported_and_named(self):
        e = Entry(name="dead_head", task="test", source="test", factory=lambda published: DeadHead(),
                  sizes=[((1, 3, 8, 8),), ((1, 3, 6, 10),), ((2, 3, 4, 4),)],
                  published_sizes=[((1, 3, 8, 8),)] * 3, size_rule="any", covers=[])
        info = run_entry(e, self.tmp)
        self.assertEqual(info["export"], "trivial reference")
        self.assertIn("zoo entry dead_head", info["error"])
        self.assertIn("max |v| 0", info["error"])
        with open(os.path.join(self.tmp, "dead_head", "zoo.json")) as f:
            self.assertEqual(json.load(f)["export"], "trivial reference")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "dead_head", "model.json")))


if __name__ == "__main__":
    unittest.main()
