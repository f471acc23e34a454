"""Reductions over dims (never the batch): mean, sum, amax, amin."""
import torch

from . import register
from ._common import dim_index

aten = torch.ops.aten


def emit_reduce(ctx, x, op, dim, keepdim):
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        ctx.fail(f"{op} over every dim reduces the batch too; give dims without 0")
    dims = sorted({dim_index(ctx, d, x.rank) for d in (dim if isinstance(dim, (tuple, list))
                                                       else [dim])})
    if 0 in dims:
        ctx.fail(f"{op} over the batch dim is not supported")
    axes = sorted(x.perm.index(d) for d in dims)
    if keepdim:
        perm = x.perm
    else:
        perm = [p - sum(d < p for d in dims) for p in x.perm if p not in dims]
    return ctx.emit("TorchReduce", {"op": op, "axis": axes, "keepDims": bool(keepdim)}, [x],
                    perm=perm)


@register(aten.mean.dim)
def mean(ctx, a):
    """mean over dims: torch.mean(x, dims, keepdim)."""
    return emit_reduce(ctx, ctx.ref(a.self), "mean", a.dim, a.keepdim)


@register(aten.sum.dim_IntList)
def sum_(ctx, a):
    """sum over dims: torch.sum(x, dims, keepdim)."""
    return emit_reduce(ctx, ctx.ref(a.self), "sum", a.dim, a.keepdim)


@register(aten.amax.default)
def amax(ctx, a):
    """amax over dims: torch.amax, x.max(dim) values."""
    return emit_reduce(ctx, ctx.ref(a.self), "max", a.dim, a.keepdim)


@register(aten.amin.default)
def amin(ctx, a):
    """amin over dims: torch.amin."""
    return emit_reduce(ctx, ctx.ref(a.self), "min", a.dim, a.keepdim)


@register(aten.mean.default, aten.sum.default)
def reduce_all(ctx, a):
    """mean / sum of every element: refused (it reduces the batch too)."""
    ctx.fail(f"{ctx.node.target.overloadpacket.__name__} over every dim reduces the batch too; "
             f"give dims without 0 (x.mean(dim=(1, 2, 3)))")
