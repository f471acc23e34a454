"""Vector quantizers that quantize on decode (Note [argmin indices that only look up a table],
tfjs_torch/ops/codebook.py): small hand-written modules with the upstream patterns, exported
with the defaults and checked in Node against PyTorch at the export size and other sizes, on
cpu, wasm and tensorflow (where tfjs-node is built; TFJS_TORCH_EXPORTER_BACKENDS overrides).
The modules are written for these tests (not copied) after diffusers' VectorQuantizer
(models/autoencoders/vae.py: cdist + argmin + embedding) and taming-transformers'
VectorQuantizer2 (sums + einsum + argmin + embedding) and VectorQuantizer (sums + matmul +
argmin + a one-hot scatter_ times the codebook), each with the straight-through
z + (z_q - z).detach(); F.one_hot, index_select, min(dim)'s indices and argmax too. Then the
refusals: other uses of the indices, by name.

  <venv python> -m unittest python/tests/test_codebook.py
"""
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

from tfjs_torch import ExportError, export, write_check  # noqa: E402
from test_export import node_available, run_checker  # noqa: E402


def tfjs_node_built():
    return os.path.isdir(os.path.join(ROOT, "node_modules", "@tensorflow", "tfjs-node", "lib"))


class Codebook(nn.Module):
    def __init__(self, n_e=32, e_dim=4, seed=0):
        super().__init__()
        self.embedding = nn.Embedding(n_e, e_dim)
        self.n_e, self.e_dim = n_e, e_dim
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            self.embedding.weight.copy_(torch.randn(n_e, e_dim, generator=g))

    def flat(self, z):
        z = z.permute(0, 2, 3, 1).contiguous()
        return z, z.view(-1, self.e_dim)

    def straight_through(self, z, zq):
        zq = z + (zq - z).detach()
        return zq.permute(0, 3, 1, 2).contiguous()


class DiffusersVQ(Codebook):
    """diffusers' VectorQuantizer.forward (legacy, no remap): cdist, argmin, embedding."""

    def forward(self, z):
        z, zf = self.flat(z)
        idx = torch.argmin(torch.cdist(zf, self.embedding.weight), dim=1)
        return self.straight_through(z, self.embedding(idx).view(z.shape))


class TamingVQ2(Codebook):
    """taming's VectorQuantizer2: |z|^2 + |e|^2 - 2 einsum('bd,dn->bn', z, e^T), argmin."""

    def forward(self, z):
        z, zf = self.flat(z)
        d = torch.sum(zf ** 2, dim=1, keepdim=True) + torch.sum(self.embedding.weight ** 2, dim=1) \
            - 2 * torch.einsum("bd,dn->bn", zf, self.embedding.weight.permute(1, 0))
        idx = torch.argmin(d, dim=1)
        return self.straight_through(z, self.embedding(idx).view(z.shape))


class TamingVQ(Codebook):
    """taming's older VectorQuantizer: the one-hot of the indices times the codebook."""

    def forward(self, z):
        z, zf = self.flat(z)
        d = torch.sum(zf ** 2, dim=1, keepdim=True) + torch.sum(self.embedding.weight ** 2, dim=1) \
            - 2 * torch.matmul(zf, self.embedding.weight.t())
        idx = torch.argmin(d, dim=1).unsqueeze(1)
        onehot = torch.zeros(idx.shape[0], self.n_e).to(z)
        onehot.scatter_(1, idx, 1)
        return self.straight_through(z, torch.matmul(onehot, self.embedding.weight).view(z.shape))


class IndexSelectVQ(Codebook):
    """DiffusersVQ with index_select(codebook, 0, idx) for the lookup."""

    def forward(self, z):
        z, zf = self.flat(z)
        idx = torch.argmin(torch.cdist(zf, self.embedding.weight), dim=1)
        return self.straight_through(z, torch.index_select(self.embedding.weight, 0, idx).view(z.shape))


class OneHotVQ(Codebook):
    """DiffusersVQ with F.one_hot(idx, K).float() @ codebook for the lookup."""

    def forward(self, z):
        z, zf = self.flat(z)
        idx = torch.argmin(torch.cdist(zf, self.embedding.weight), dim=1)
        onehot = nn.functional.one_hot(idx, self.n_e).float()
        return self.straight_through(z, (onehot @ self.embedding.weight).view(z.shape))


class MinIndicesVQ(Codebook):
    """torch.min(d, dim)'s indices into the embedding, and argmax of the negated distance into
    table[idx], over the channel dim of an NCHW distance map (no flattening)."""

    def forward(self, z):
        w = self.embedding.weight
        d = ((z.unsqueeze(1) - w.view(1, self.n_e, self.e_dim, 1, 1)) ** 2).sum(2)   # [B, K, H, W]
        _, idx = torch.min(d, dim=1)                                                  # [B, H, W]
        b = w[torch.argmax(-d, dim=1)]
        return (self.embedding(idx) + b).permute(0, 3, 1, 2)


def rand(*shape, seed=1):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


class Quantizers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tfjs_torch_codebook_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export_and_check(self, module, inputs, others):
        d = os.path.join(self.tmp, "m")
        export(module, inputs, d)
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
        backends = os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS", "").split(",") if \
            os.environ.get("TFJS_TORCH_EXPORTER_BACKENDS") else \
            ["cpu", "wasm"] + (["tensorflow"] if tfjs_node_built() else [])
        for backend in backends:
            results = run_checker(dirs, backend)
            for dd in dirs:
                self.assertTrue(results[dd].get("ok"), f"{backend} {dd}: {results[dd]}")
        with open(os.path.join(d, "model.json")) as f:
            return f.read()

    def check_quantizer(self, cls):
        m = cls().eval()
        model = self.export_and_check(m, (rand(1, 4, 8, 8),),
                                      [(rand(1, 4, 5, 11, seed=2),), (rand(1, 4, 16, 12, seed=3),)])
        self.assertIn('"TorchArgGather"', model)
        self.assertNotIn('"TorchIndex"', model)

    def test_diffusers_vector_quantizer(self):
        self.check_quantizer(DiffusersVQ)

    def test_taming_vector_quantizer2_einsum(self):
        self.check_quantizer(TamingVQ2)

    def test_taming_vector_quantizer_one_hot(self):
        self.check_quantizer(TamingVQ)

    def test_functional_one_hot(self):
        self.check_quantizer(OneHotVQ)

    def test_index_select(self):
        self.check_quantizer(IndexSelectVQ)

    def test_min_indices_and_argmax_over_channels(self):
        m = MinIndicesVQ().eval()
        model = self.export_and_check(m, (rand(2, 4, 6, 7),),
                                      [(rand(1, 4, 3, 9, seed=2),), (rand(3, 4, 5, 5, seed=3),)])
        self.assertEqual(model.count('"TorchArgGather"'), 2)

    def refused(self, fn, pattern):
        class M(Codebook):
            def forward(self, z):
                return fn(self, z)
        with self.assertRaisesRegex(ExportError, pattern):
            export(M().eval(), (rand(1, 4, 8, 8),), os.path.join(self.tmp, "r"))

    def test_other_uses_of_the_indices_are_refused_by_name(self):
        def dist(self, z):
            return ((z.unsqueeze(1) - self.embedding.weight.view(1, 32, 4, 1, 1)) ** 2).sum(2)
        # keepdim=True, and the indices in arithmetic: the reader is named.
        self.refused(lambda s, z: z + torch.argmin(dist(s, z), dim=1, keepdim=True).float(),
                     r"argmin with keepdim=True")
        self.refused(lambda s, z: z * torch.argmin(dist(s, z), dim=1).unsqueeze(1).float(),
                     r"indices of argmin are read by aten\.unsqueeze\.default reads the indices \(module M")
        # The indices as a value.
        self.refused(lambda s, z: torch.argmax(dist(s, z), dim=1).float(),
                     r"indices of argmax are read by aten\._to_copy\.default reads the indices")
        self.refused(lambda s, z: torch.min(dist(s, z), dim=1).indices.float(),
                     r"indices of min\(dim\) are read by aten\._to_copy\.default reads the indices")
        # A lookup in a table computed from the inputs (each pixel's nearest pixel).
        def nearest_pixel(s, z):
            zf = z.permute(0, 2, 3, 1).reshape(-1, 4)
            return nn.functional.embedding(torch.argmin(torch.cdist(zf, zf), dim=1), zf)
        self.refused(nearest_pixel,
                     r"indices of argmin are read by aten\.embedding\.default reads the indices")
        # Over the batch dim.
        self.refused(lambda s, z: s.embedding(torch.argmin(dist(s, z), dim=0)),
                     r"argmin over the batch dim")

    def test_a_stored_operand_first_in_a_2d_product_is_still_refused(self):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.randn(5, 4))

            def forward(self, z):
                zf = z.permute(0, 2, 3, 1).reshape(-1, 4)
                return (self.w @ zf.t()).t().reshape(z.shape[0], z.shape[2], z.shape[3], 5)
        with self.assertRaisesRegex(ExportError, r"the product's dim 0 would not be the batch"):
            export(M().eval(), (rand(1, 4, 3, 3),), os.path.join(self.tmp, "w"))


if __name__ == "__main__":
    unittest.main()
