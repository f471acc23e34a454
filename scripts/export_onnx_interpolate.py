"""Exports the resizes that `npm run bench -- interpolate` times in onnxruntime-node, to ONNX.

PyTorch's own export (opset 17) of F.interpolate on a [1, 64, 128, 128] NCHW input:
- interpolate_nearest2x.onnx   mode='nearest', scale_factor=2 (ONNX Resize nearest, asymmetric
  coordinates, nearest_mode floor: PyTorch's floor rule)
- interpolate_bilinear2x.onnx  mode='bilinear', scale_factor=2, align_corners=False (Resize
  linear, pytorch_half_pixel)
- interpolate_bicubic2x.onnx   mode='bicubic', scale_factor=2, align_corners=False (Resize cubic,
  cubic_coeff_a -0.75)
torch 1.13 cannot export antialias=True ("Exporting the operator 'aten::_upsample_bilinear2d_aa'
to ONNX opset version 17 is not supported"; ONNX's Resize has an antialias attribute only from
opset 18, which 1.13's exporter does not reach), so the antialiased row has no onnxruntime model.
The bench checks each model's output against tfjs-torch's before timing.

Usage: /usr/bin/python3 scripts/export_onnx_interpolate.py
"""
import os

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "models")


class Resize(torch.nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def forward(self, x):
        return F.interpolate(x, **self.kwargs)


def main():
    os.makedirs(OUT, exist_ok=True)
    x = torch.zeros(1, 64, 128, 128)
    models = {
        "interpolate_nearest2x.onnx": dict(scale_factor=2.0, mode="nearest"),
        "interpolate_bilinear2x.onnx": dict(scale_factor=2.0, mode="bilinear",
                                            align_corners=False),
        "interpolate_bicubic2x.onnx": dict(scale_factor=2.0, mode="bicubic",
                                           align_corners=False),
    }
    for name, kwargs in models.items():
        path = os.path.join(OUT, name)
        torch.onnx.export(Resize(**kwargs).eval(), (x,), path, input_names=["x"],
                          output_names=["y"], opset_version=17)
        print("wrote", path, os.path.getsize(path), "bytes")
    try:
        torch.onnx.export(Resize(scale_factor=0.5, mode="bilinear", align_corners=False,
                                 antialias=True).eval(), (x,), os.devnull, opset_version=17)
        print("note: this torch exports antialias; add a model for it")
    except Exception as e:  # torch 1.13: UnsupportedOperatorError
        print("antialias not exportable:", str(e).split("\n")[0][:120])


if __name__ == "__main__":
    main()
