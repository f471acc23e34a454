"""tfjs-torch export path/to/file.py:factory --input 1,3,64,64 --out DIR
   (also package.module:factory; `python -m tfjs_torch` is the same)

factory: a callable that returns the module (a class works too). Each --input is the shape of one
example input (seeded uniform random values in [0, 1)), in PyTorch's layout. Sizes are free
(batch and spatial dims) unless --fixed-sizes.
"""
import argparse
import importlib
import importlib.util
import os
import sys

from . import ExportError, __version__, export


def _load(spec):
    if ":" not in spec:
        raise SystemExit(f"tfjs-torch export: expected 'path/to/file.py:factory' or "
                         f"'package.module:factory', got {spec!r}")
    where, attr = spec.rsplit(":", 1)
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise SystemExit(f"tfjs-torch export: no file {where!r} (from {os.getcwd()})")
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)   # its own imports of neighbouring files
        name = os.path.splitext(os.path.basename(path))[0]
        mod_spec = importlib.util.spec_from_file_location(name, path)
        obj = importlib.util.module_from_spec(mod_spec)
        sys.modules[name] = obj
        try:
            mod_spec.loader.exec_module(obj)
        except Exception as e:  # noqa: BLE001 (the user's file)
            raise SystemExit(f"tfjs-torch export: importing {where!r} failed: "
                             f"{type(e).__name__}: {e}")
    else:
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            obj = importlib.import_module(where)
        except ImportError as e:
            raise SystemExit(f"tfjs-torch export: cannot import {where!r}: {e}")
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SystemExit(f"tfjs-torch export: {where!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise SystemExit(f"tfjs-torch export: {spec!r} is not callable")
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
    parser = argparse.ArgumentParser(prog="tfjs-torch")
    parser.add_argument("--version", action="version", version=f"tfjs-torch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="export a module to a tf.LayersModel")
    p.add_argument("factory", help="'path/to/file.py:factory' or 'package.module:factory', a "
                                   "callable returning the module")
    p.add_argument("--input", action="append", type=_shape, required=True,
                   help="shape of an example input, e.g. 1,3,64,64 (repeat for several inputs)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--data-format", default="channelsLast", choices=["channelsLast", "channelsFirst"])
    p.add_argument("--fixed-sizes", action="store_true",
                   help="fix every size to the example's (default: batch and spatial dims free)")
    p.add_argument("--no-check", action="store_true", help="do not write check.safetensors")
    p.add_argument("--intermediates", action="store_true",
                   help="record every layer's output in check.safetensors")
    p.add_argument("--seed", type=int, default=0, help="seed of the example inputs")
    args = parser.parse_args(argv)
    import torch
    module = _load(args.factory)()
    gen = torch.Generator().manual_seed(args.seed)
    inputs = tuple(torch.rand(s, generator=gen) for s in args.input)
    try:
        written = export(module, inputs, args.out, data_format=args.data_format,
                         check=not args.no_check, intermediates=args.intermediates,
                         dynamic_shapes=False if args.fixed_sizes else None)
    except ExportError as e:
        print(str(e), file=sys.stderr)
        return 2
    for k in ("model", "weights", "check"):
        if k in written:
            print(f"wrote {written[k]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
