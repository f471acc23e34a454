"""Tensors made from sizes: zeros / ones / full / *_like / new_* of sizes known only at run time
(ENet's torch.zeros(n, c, h, w) from x.size()), as tfjs-torch's TorchFill. (A tensor of fixed size
is a constant of the model instead.)"""
import torch

from . import register
from .._builder import identity
from .._shape import SymDim

aten = torch.ops.aten


def emit_fill(ctx, value):
    out_sym = ctx.out_sym()
    v = ctx.value
    if not v.dtype.is_floating_point and v.dtype != torch.bool:
        pass  # integer fills are numbers in float32 in the model
    w = ctx.writer(0)
    shape = [w.write(s) for s in out_sym]
    inputs = list(w.extra)
    if not inputs:  # a fixed size: the layer still needs an input to hang from
        from .._builder import Ref
        anchors = [v for v in ctx.bind().values() if isinstance(v, Ref)] or ctx.input_refs[:1]
        inputs = anchors[:1]
    cfg = {"shape": shape, "value": float(value)}
    y = ctx.emit("TorchFill", cfg, inputs, perm=identity(len(out_sym)))
    y.sym = out_sym
    return y


@register(aten.zeros.default, aten.new_zeros.default, aten.zeros_like.default)
def zeros(ctx, a):
    """zeros / new_zeros / zeros_like: of any size, sizes known only at run time included."""
    return emit_fill(ctx, 0.0)


@register(aten.ones.default, aten.new_ones.default, aten.ones_like.default)
def ones(ctx, a):
    """ones / new_ones / ones_like: of any size."""
    return emit_fill(ctx, 1.0)


@register(aten.full.default, aten.new_full.default, aten.full_like.default)
def full(ctx, a):
    """full / new_full / full_like: of any size, a number fill value."""
    fv = a.fill_value
    if isinstance(fv, torch.Tensor):
        fv = fv.item()
    if not isinstance(fv, (int, float, bool)):
        ctx.fail(f"fill value {fv!r} must be a number")
    return emit_fill(ctx, float(fv))


@register(aten.empty.memory_format, aten.new_empty.default, aten.empty_like.default)
def empty(ctx, a):
    """empty / new_empty / empty_like (filled with zeros: its values are unspecified)."""
    return emit_fill(ctx, 0.0)


@register(aten.arange.default, aten.arange.start, aten.arange.start_step)
def arange(ctx, a):
    """arange of a length known only at run time (transformers' attention masks:
    torch.arange(seq_len) for a sequence the input's size makes), integer start, end and step
    (end or start a size), as a float32 TorchFill with a step (exact while every value is at
    most 2^24 in magnitude; the layer checks). A fixed-length arange is a constant of the
    model."""
    start = a.get("start", 0)
    start = 0 if start is None else start
    end, step = a.end, a.get("step", 1)
    step = 1 if step is None else step
    for what, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, torch.Tensor) and v.dim() == 0:
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, SymDim)):
            ctx.fail(f"argument {what!r} is {v!r}; arange of a length known only at run time "
                     f"needs integer start, end and step (export with dynamic_shapes=False to "
                     f"fold a float arange)")
    step = ctx.static_int(step, "step")
    if step == 0:
        ctx.fail("argument 'step' must be nonzero")
    if isinstance(start, SymDim):
        ctx.fail(f"argument 'start' is {start.expr}, a size known only at run time; arange's "
                 f"start must be a fixed integer here")
    (n,) = ctx.out_sym()
    w = ctx.writer(0)
    shape = [w.write(n)]
    inputs = list(w.extra) or ctx.input_refs[:1]
    cfg = {"shape": shape, "value": float(int(start)), "step": step}
    y = ctx.emit("TorchFill", cfg, inputs, perm=identity(1))
    y.sym = [n]
    return y
