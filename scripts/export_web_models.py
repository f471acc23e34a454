"""Exports the decoders that examples/web/ (the web app, `npm run web`) runs, with the repository's
exporter (python/tfjs_torch), from the PyTorch nets of scripts/fixtures/gen_decoders.py and their
committed weights:

  examples/web/models/espcn/     super-resolution: ESPCN x3 (trained weights, espcn.safetensors)
  examples/web/models/segnet/    segmentation: SegNet-style, 4 classes (seeded random weights,
                                 segnet.safetensors), MaxPool2d(return_indices) / MaxUnpool2d
each with model.json, weights.bin, check.safetensors (the example input and PyTorch's output,
what the app's "difference from PyTorch" and its CI test compare with), input.png (that input
as the 8-bit image it is) and meta.json (title, kind, scale, the exporter's version).

The example input is a 64x64 test card drawn here with numpy (no PIL, so the script runs under
any torch with numpy), quantised to 8 bits, so the PNG and the tensor hold the same pixels.
Rerunnable: `npm run web:export` (the torch 2.x venv of scripts/setup.sh; the exporter needs
torch >= 2.6), or any python with torch: python scripts/export_web_models.py [another python/].
The exporter v2 leaves height and width free (null dims), so the app runs the models at the
image's own size.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "fixtures"))
sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "python"))
import gen_decoders  # noqa: E402
from tfjs_torch import export  # noqa: E402

OUT = os.path.join(ROOT, "examples", "web", "models")
SIZE = 64


def read_safetensors(path):
    """A state dict from a safetensors file (F32 and I64 tensors, as gen_decoders writes)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        out[name] = torch.from_numpy(
            np.frombuffer(body[a:b], dtype=dtypes[e["dtype"]]).reshape(e["shape"]).copy())
    return out


def test_card(size):
    """An RGB test card (ramps, discs, stripes, a checkerboard) as uint8 [size, size, 3]."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = np.stack([0.2 + 0.6 * xx, 0.3 + 0.5 * yy, 0.8 - 0.5 * xx * yy], -1)
    for cx, cy, r, colour in ((0.3, 0.35, 0.18, (0.9, 0.2, 0.2)), (0.7, 0.6, 0.22, (0.1, 0.5, 0.9)),
                              (0.45, 0.8, 0.12, (0.95, 0.85, 0.1))):
        inside = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
        img[inside] = colour
    stripes = (yy > 0.05) & (yy < 0.2) & (xx > 0.55) & (xx < 0.95)
    img[stripes & ((np.floor(xx * size) % 4) < 2)] = (0.05, 0.05, 0.05)
    check = (xx < 0.25) & (yy > 0.6)
    img[check & (((np.floor(xx * size / 3) + np.floor(yy * size / 3)) % 2) == 0)] = (1, 1, 1)
    return (img.clip(0, 1) * 255).round().astype(np.uint8)


def write_png(path, rgb):
    """An 8-bit RGB PNG (no gamma or colour chunks, so browsers keep the values as they are)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def main():
    torch.manual_seed(0)
    card = test_card(SIZE)
    x = torch.from_numpy(card.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0).contiguous()
    assets = os.path.join(ROOT, "examples", "decoders", "assets")
    nets = [
        ("espcn", gen_decoders.ESPCN(), {"title": "Super-resolution: ESPCN x3", "kind": "image",
                                         "scale": 3}),
        ("segnet", gen_decoders.SegNet(), {"title": "Segmentation: SegNet (4 classes, seeded random weights)",
                                           "kind": "segmentation", "scale": 1}),
    ]
    for name, net, meta in nets:
        net.load_state_dict(read_safetensors(os.path.join(assets, f"{name}.safetensors")))
        net.eval()
        out_dir = os.path.join(OUT, name)
        # The exporter replaces its folder whole and refuses one holding other files: the app's
        # own files (input.png, meta.json) from an earlier run go first.
        for extra in ("input.png", "meta.json"):
            if os.path.exists(os.path.join(out_dir, extra)):
                os.remove(os.path.join(out_dir, extra))
        export(net, x, out_dir)
        write_png(os.path.join(out_dir, "input.png"), card)
        meta = dict(meta, source=f"scripts/fixtures/gen_decoders.py {type(net).__name__}",
                    torch=torch.__version__, input="input.png")
        with open(os.path.join(out_dir, "meta.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        sizes = {f: os.path.getsize(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))}
        print(f"wrote {out_dir}: {sizes}")


if __name__ == "__main__":
    main()
