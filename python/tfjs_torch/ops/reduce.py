"""Reductions over dims (never the batch): mean, sum, amax, amin, max / min values; and over the
list of a torch.stack along dim 0 (Note [a stack in front of the batch, reduced over it],
_stacked.py): those and prod."""
import torch

from . import register
from ._common import dim_index
from ._stacked import is_stacked, reduce_stacked

aten = torch.ops.aten


def emit_reduce(ctx, x, op, dim, keepdim, value=None):
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
                    perm=perm, outputs=None if value is None else [(perm, value)])


def _stacked(ctx, a, value=None, sym=None):
    """The reduction of a stack's list (the stack checked its readers), or None for a tensor."""
    if not is_stacked(a.self):
        return None
    return reduce_stacked(ctx, a.self, ctx.node.target,
                          ctx.value if value is None else value,
                          ctx.out_sym() if sym is None else sym)


@register(aten.mean.dim)
def mean(ctx, a):
    """mean over dims: torch.mean(x, dims, keepdim)."""
    return _stacked(ctx, a) or emit_reduce(ctx, ctx.ref(a.self), "mean", a.dim, a.keepdim)


@register(aten.sum.dim_IntList)
def sum_(ctx, a):
    """sum over dims: torch.sum(x, dims, keepdim)."""
    return _stacked(ctx, a) or emit_reduce(ctx, ctx.ref(a.self), "sum", a.dim, a.keepdim)


@register(aten.amax.default)
def amax(ctx, a):
    """amax over dims: torch.amax."""
    return _stacked(ctx, a) or emit_reduce(ctx, ctx.ref(a.self), "max", a.dim, a.keepdim)


@register(aten.amin.default)
def amin(ctx, a):
    """amin over dims: torch.amin."""
    return _stacked(ctx, a) or emit_reduce(ctx, ctx.ref(a.self), "min", a.dim, a.keepdim)


@register(aten.max.dim, aten.min.dim)
def max_min_dim(ctx, a):
    """max / min over a dim: x.max(dim).values, torch.min(x, dim)[0]; the indices only where they
    look up rows of a stored table (Note [argmin indices that only look up a table], as
    argmin / argmax)."""
    import operator
    from .codebook import emit_arg
    name = ctx.node.target.overloadpacket.__name__
    users = list(ctx.node.users)
    if any(u.target is not operator.getitem or u.args[1] not in (0, 1) for u in users):
        ctx.fail(f"reads the result of {name}(dim) other than as (values, indices)")
    marker = None
    for u in users:
        if u.args[1] == 1:
            marker = emit_arg(ctx, a, f"arg{name}", ctx.ref(a.self), a.dim, a.keepdim, u,
                              name=f"{name}(dim)")
    if not any(u.args[1] == 0 for u in users):
        return [None, marker]
    values = ctx.value[0]
    sym = ctx.out_sym(0)
    y = _stacked(ctx, a, values, sym)
    if y is None:
        y = emit_reduce(ctx, ctx.ref(a.self), name, a.dim, a.keepdim, value=values)
        y.sym = sym
    return [y, marker]


@register(aten.prod.dim_int)
def prod(ctx, a):
    """prod: over dim 0 of a torch.stack along dim 0 only (Note [a stack in front of the batch,
    reduced over it]); over other tensors refused."""
    y = _stacked(ctx, a)
    if y is None:
        ctx.fail("prod over a dim is supported only over the list of a torch.stack(..., dim=0) "
                 "(Note [a stack in front of the batch, reduced over it]); map it with "
                 "export(..., custom={torch.ops.aten.prod.dim_int: fn})")
    return y


@register(aten.mean.default, aten.sum.default)
def reduce_all(ctx, a):
    """mean / sum of every element: refused (it reduces the batch too)."""
    ctx.fail(f"{ctx.node.target.overloadpacket.__name__} over every dim reduces the batch too; "
             f"give dims without 0 (x.mean(dim=(1, 2, 3)))")
