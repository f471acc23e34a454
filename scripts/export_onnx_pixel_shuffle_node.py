"""Exports the pixel shuffle that the `tensorflow` section of `npm run bench` (bench/node.ts)
times in onnxruntime-node: PyTorch's own export (opset 17) of F.pixel_shuffle(x, 2) on a
[1, 256, 64, 64] NCHW input, which is ONNX's DepthToSpace in mode CRD (PyTorch's channel order).
The bench checks the model's output against tfjs-torch's before timing.
Usage: /usr/bin/python3 scripts/export_onnx_pixel_shuffle_node.py
"""
import os

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "models")


class Shuffle(torch.nn.Module):
    def forward(self, x):
        return F.pixel_shuffle(x, 2)


def main():
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "pixel_shuffle2x.onnx")
    torch.onnx.export(Shuffle().eval(), (torch.zeros(1, 256, 64, 64),), path, input_names=["x"],
                      output_names=["y"], opset_version=17)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
