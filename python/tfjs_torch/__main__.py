"""python3 -m tfjs_torch export 'package.module:factory' --input 1,3,64,64 --out DIR

factory: a callable that returns the module (a class works too). Each --input is the shape of one
example input (filled with seeded uniform random values in [0, 1)), in PyTorch's layout.
"""
import argparse
import importlib
import sys

import torch

from . import ExportError, export


def _load(spec):
    if ":" not in spec:
        raise SystemExit(f"tfjs_torch export: expected 'package.module:factory', got {spec!r}")
    mod_name, attr = spec.split(":", 1)
    sys.path.insert(0, ".")
    try:
        obj = importlib.import_module(mod_name)
    except ImportError as e:
        raise SystemExit(f"tfjs_torch export: cannot import {mod_name!r}: {e}")
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SystemExit(f"tfjs_torch export: {mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise SystemExit(f"tfjs_torch export: {spec!r} is not callable")
    return obj


def _shape(text):
    try:
        shape = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--input wants comma-separated ints like 1,3,64,64, got {text!r}")
    if not shape or any(s < 1 for s in shape):
        raise argparse.ArgumentTypeError(f"--input sizes must be >= 1, got {text!r}")
    return shape


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m tfjs_torch")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="export a module to a tf.LayersModel")
    p.add_argument("factory", help="'package.module:factory', a callable returning the module")
    p.add_argument("--input", action="append", type=_shape, required=True,
                   help="shape of an example input, e.g. 1,3,64,64 (repeat for several inputs)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--data-format", default="channelsLast", choices=["channelsLast", "channelsFirst"])
    p.add_argument("--no-check", action="store_true", help="do not write check.safetensors")
    p.add_argument("--intermediates", action="store_true",
                   help="record every layer's output in check.safetensors")
    p.add_argument("--seed", type=int, default=0, help="seed of the example inputs")
    args = parser.parse_args(argv)
    module = _load(args.factory)()
    if not isinstance(module, torch.nn.Module):
        raise SystemExit(f"tfjs_torch export: {args.factory} returned a {type(module).__name__}, "
                         f"not a torch.nn.Module")
    gen = torch.Generator().manual_seed(args.seed)
    inputs = tuple(torch.rand(s, generator=gen) for s in args.input)
    try:
        written = export(module, inputs, args.out, data_format=args.data_format,
                         check=not args.no_check, intermediates=args.intermediates)
    except ExportError as e:
        print(str(e), file=sys.stderr)
        return 2
    for k in ("model", "weights", "check"):
        if k in written:
            print(f"wrote {written[k]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
