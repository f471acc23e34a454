"""Exports the PyTorch ConvTranspose2d that `npm run bench -- convTranspose` times, to ONNX.

The bench runs this layer in onnxruntime-node (PyTorch's own export, so onnxruntime does the same
work as tfjs-torch) and checks its output against tfjs-torch's before timing. So that the model
file is the only artifact, the weight and bias are a formula the bench recomputes in JavaScript:
    weight.flatten()[i] = sin(0.37 * i) / 8,   bias[c] = cos(0.91 * c) / 8
(computed in double precision, rounded to float32; a last-bit difference between libm's and V8's
sin would be far inside the bench's value check).

Usage: /usr/bin/python3 scripts/export_onnx_conv_transpose.py
"""
import math
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "models")


def formula(n, f, step):
    return torch.tensor([f(step * i) / 8 for i in range(n)], dtype=torch.float64).to(torch.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    # DCGAN-like upsampling block: 64 -> 64 channels, kernel 4, stride 2, padding 1 (doubles H, W).
    m = torch.nn.ConvTranspose2d(64, 64, kernel_size=4, stride=2, padding=1, bias=True).eval()
    with torch.no_grad():
        m.weight.copy_(formula(m.weight.numel(), math.sin, 0.37).reshape(m.weight.shape))
        m.bias.copy_(formula(m.bias.numel(), math.cos, 0.91))
    x = torch.zeros(1, 64, 32, 32)
    path = os.path.join(OUT, "conv_transpose_dcgan.onnx")
    torch.onnx.export(m, (x,), path, input_names=["x"], output_names=["y"], opset_version=17)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
