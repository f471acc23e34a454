"""Exports the max pooling / unpooling that `npm run bench -- pool` times in onnxruntime-node.

- pool_maxpool2d_indices.onnx: PyTorch's own export of MaxPool2d(2, stride=2,
  return_indices=True). ONNX's MaxPool indices are flat over the whole N, C, H, W tensor, so the
  exporter adds a second MaxPool (kernel 1, over the whole input), a Slice and a Sub to turn them
  into PyTorch's per-plane offsets: about twice the work of the pooling itself.
- pool_maxpool2d_bare.onnx: the same module exported through a custom symbolic that emits only
  the ONNX MaxPool node with its indices output (ONNX's whole-tensor offsets), the bare work.
- pool_maxunpool2d.onnx: torch 1.13 cannot export max_unpool2d ("not supported" for any opset),
  so a custom symbolic emits ONNX's MaxUnpool(kernel 2, stride 2). It takes ONNX's whole-tensor
  indices (int64); the bench converts PyTorch's per-plane indices before timing.
Spatial dims are dynamic, channels 64, batch 1 (the bench's shapes).

Usage: /usr/bin/python3 scripts/export_onnx_pool.py
"""
import os

import torch
from torch.onnx import register_custom_op_symbolic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "models")
OPSET = 16


class Pool(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = torch.nn.MaxPool2d(2, stride=2, return_indices=True)

    def forward(self, x):
        return self.pool(x)


class Unpool(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.unpool = torch.nn.MaxUnpool2d(2, stride=2)

    def forward(self, x, indices):
        return self.unpool(x, indices)


def bare_max_pool(g, x, kernel_size, stride, padding, dilation, ceil_mode):
    return g.op("MaxPool", x, kernel_shape_i=[2, 2], strides_i=[2, 2], pads_i=[0, 0, 0, 0],
                outputs=2)


def max_unpool(g, x, indices, output_size):
    return g.op("MaxUnpool", x, indices, kernel_shape_i=[2, 2], strides_i=[2, 2])


def export(module, args, name, inputs, outputs):
    path = os.path.join(OUT, name)
    axes = {n: {2: "h", 3: "w"} for n in inputs + outputs}
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs,
                      opset_version=OPSET, dynamic_axes=axes)
    print("wrote", path, os.path.getsize(path), "bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    x = torch.randn(1, 64, 128, 128)
    export(Pool().eval(), (x,), "pool_maxpool2d_indices.onnx", ["x"], ["values", "indices"])
    register_custom_op_symbolic("aten::max_pool2d_with_indices", bare_max_pool, OPSET)
    export(Pool().eval(), (x,), "pool_maxpool2d_bare.onnx", ["x"], ["values", "indices"])
    register_custom_op_symbolic("aten::max_unpool2d", max_unpool, OPSET)
    v, i = torch.nn.functional.max_pool2d(x, 2, 2, return_indices=True)
    export(Unpool().eval(), (v, i), "pool_maxunpool2d.onnx", ["x", "indices"], ["y"])


if __name__ == "__main__":
    main()
