"""Emitters that several op families share (a convolution pads, a pool pads, ...)."""
import numpy as np
import torch

from .._builder import Ref, identity
from .._shape import SymDim, is_static


def np32(t):
    """A parameter as float32 numpy (half / bfloat16 are exact in float32)."""
    return t.detach().cpu().to(torch.float32).numpy()


def dim_index(ctx, d, rank):
    d = ctx.static_int(d, "dim")
    if not -rank <= d < rank:
        ctx.fail(f"dim {d} is out of range for rank {rank}")
    return d % rank


def spatial_count(ctx, x, lo, hi, what):
    n = x.rank - 2
    if not lo <= n <= hi:
        ctx.fail(f"{what} needs an input of rank {lo + 2} to {hi + 2} (batch, channels, spatial), "
                 f"got shape {x.torch_shape}")
    return n


def alias(x, value, sym=None):
    """The same tfjs tensor standing for another PyTorch value (a view that changes nothing)."""
    r = Ref(x.layer, x.node_index, x.tensor_index, x.perm, value)
    r.sym = sym
    return r


def size_list(ctx, ref, sizes, base):
    """Sizes (ints / SymDims) as config entries: (list, extra inputs)."""
    w = ctx.writer(base)
    return [w.write(s) for s in sizes], w.extra


def emit_pad(ctx, x, pads, mode="constant", value=0.0, name=None, out_value=None):
    """F.pad's `pads` (last PyTorch dim first; ints or SymDims) on x. 'constant' pads any dims,
    the other modes the spatial ones. The result is in x's canonical layout."""
    b = ctx.b
    pads = list(pads)
    if all(is_static(p) and p == 0 for p in pads):
        return x if out_value is None else alias(x, out_value, x.sym)
    k = len(pads) // 2
    if len(pads) % 2:
        ctx.fail(f"pads {pads} must be (before, after) pairs, last dim first")
    if mode != "constant" and k > x.rank - 2:
        ctx.fail(f"mode {mode!r} pads the spatial dims only: pads {pads} name {k} dims, the "
                 f"input has {x.rank - 2} spatial dims")
    if k > x.rank - 1:
        ctx.fail(f"pads {pads} name {k} dims; padding the batch dim is not supported")
    x = b.to_canonical(x)
    record = out_value is not None
    out = out_value
    if out is None:  # a pad inside another op's mapping: its shape only
        shape = list(x.torch_shape)
        for i in range(k):
            pb, pa = pads[2 * i], pads[2 * i + 1]
            shape[-1 - i] += (pb.value if isinstance(pb, SymDim) else pb) + (
                pa.value if isinstance(pa, SymDim) else pa)
        out = shape
    static = all(is_static(p) for p in pads)
    if static and mode == "constant" and value == 0 and x.rank == 4 and k <= 2 and \
            min(pads) >= 0:
        pads4 = pads + [0] * (4 - len(pads))
        cfg = {"padding": [[pads4[2], pads4[3]], [pads4[0], pads4[1]]],
               "data_format": b.data_format}
        (y,) = b.layer("ZeroPadding2D", cfg, [x], name or f"{ctx.name()}_pad",
                       outputs=[(x.perm, out)], record=record)
        return y
    entries, extra = size_list(ctx, x, pads, 1)
    cfg = {"padding": entries, "mode": mode, "value": float(value), "dataFormat": b.data_format}
    (y,) = b.layer("TorchPad", cfg, [x] + extra, name or f"{ctx.name()}_pad",
                   outputs=[(x.perm, out)], record=record)
    return y


def same_size(a, b):
    if is_static(a) and is_static(b):
        return a == b
    if isinstance(a, SymDim) and isinstance(b, SymDim):
        return bool((a.expr - b.expr).simplify() == 0)
    return False


def is_batch(ctx, size):
    """Whether a dim of this size is a batch of the model's inputs (dim 0 of an input): slicing,
    concatenating or reducing it changes which sample is which, so those stay refused on it
    (Note [dim 0 inside a model] in _builder.py)."""
    return any(same_size(size, ctx.sym_shape(r)[0]) for r in ctx.input_refs)


def emit_transpose(ctx, x, dims, out_value, out_sym):
    """x permuted by PyTorch's `dims` where dims moves dim 0 (Note [dim 0 inside a model]): a
    transpose of every dim, the result in PyTorch's layout."""
    from .._builder import invert
    inv = invert(x.perm)
    t = [inv[d] for d in dims]
    y = ctx.emit("TorchPermute", {"perm": t}, [x], perm=identity(x.rank),
                 outputs=[(identity(x.rank), out_value)])
    y.sym = out_sym
    return y


def emit_reshape(ctx, x, shape, out_value):
    """A view / reshape of x to `shape` (ints / SymDims, -1 allowed), reading PyTorch's memory
    order: x in PyTorch's layout, the result too. A view that changes dim 0 (the batch merged
    with other dims or split from them) states dim 0's size too (Note [dim 0 inside a model])."""
    b = ctx.b
    out_sym = ctx.out_sym()
    in_sym = ctx.sym_shape(x)
    new_batch = not same_size(in_sym[0], out_sym[0])
    if not new_batch and x.perm == identity(x.rank) and len(in_sym) == len(out_sym) and all(
            same_size(p, q) for p, q in zip(in_sym, out_sym)):
        return alias(x, out_value, out_sym)
    x = b.to_torch_order(x)
    target = list(out_sym[1:])
    if shape is not None and len(shape) == len(out_sym):
        # A size the call states as a number is that number, whatever expression torch derived
        # for it (x.view(b, 12, h // 2, w // 2) after a pixel_unshuffle): tfjs-layers needs
        # channel dims known.
        for i, s in enumerate(list(shape)[1:]):
            if is_static(s) and s >= 0:
                target[i] = int(s)
    integer = isinstance(out_value, torch.Tensor) and not out_value.dtype.is_floating_point
    if all(is_static(s) for s in target) and not integer and not new_batch:
        # (tfjs's Reshape casts to float)
        y = ctx.emit("Reshape", {"target_shape": target}, [x], perm=identity(len(out_sym)))
    else:
        w = ctx.writer(1)
        cfg = {"shape": [w.write(s) for s in target]}
        if new_batch:
            cfg["batch"] = w.write(out_sym[0])
        y = ctx.emit("TorchReshape", cfg, [x] + w.extra, perm=identity(len(out_sym)))
    y.sym = out_sym
    return y
