"""Indexing with constant indices: x[:, idx] / x[:, i, j] with index tensors that are parameters,
buffers or constants (aten.index.Tensor; boolean masks as their nonzero positions) and
index_select, as tfjs-torch's TorchIndex, in PyTorch's dim order. (A table indexed by constant
indices, Swin's relative position bias, is a constant of the model and folded before any handler;
select is a slice, the shape family's.)"""
import torch

from . import register
from .._builder import Ref, identity
from ._common import dim_index

aten = torch.ops.aten
MAX_INDEX_VALUES = 1 << 24


def _index_tensor(ctx, t, what):
    if isinstance(t, Ref):
        ctx.fail(f"{what} is computed from the inputs; only indices that are parameters, buffers "
                 f"or constants are supported")
    if not isinstance(t, torch.Tensor):
        t = torch.as_tensor(t)
    if t.dtype.is_floating_point or t.is_complex():
        ctx.fail(f"{what} has dtype {t.dtype}; indices are integers or booleans")
    return t.detach().cpu()


def emit_index(ctx, x, indices):
    """x[indices] (aten.index semantics; None = a full slice), indices constant."""
    b = ctx.b
    if len(indices) > x.rank:
        ctx.fail(f"{len(indices)} indices for a tensor of rank {x.rank}")
    entries = []
    for i, t in enumerate(indices):
        if t is None:
            entries.append(None)
            continue
        t = _index_tensor(ctx, t, f"index {i}")
        if t.dtype == torch.bool:
            # A mask over dims i .. i + m.dim() - 1: its nonzero positions, one tensor per dim.
            for j, col in enumerate(t.nonzero().unbind(1)):
                entries.append((i + j, col))
            continue
        entries.append((i, t))
    # Boolean masks shift later dims; rebuild the list by dim.
    out, dim = [], 0
    for e in entries:
        if e is None:
            out.append(None)
            dim += 1
        else:
            d, t = e
            while dim < d:
                out.append(None)
                dim += 1
            out.append(t)
            dim += 1
    if out and out[0] is not None:
        ctx.fail("indexes the batch dim (dim 0) with an index tensor; the tfjs model keeps dim 0 as "
                 "its batch")
    total = sum(t.numel() for t in out if t is not None)
    if total > MAX_INDEX_VALUES:
        ctx.fail(f"{total} index values; at most {MAX_INDEX_VALUES} are stored in the model")
    shape = list(x.torch_shape)
    for d, t in enumerate(out):
        if t is not None and t.numel() > 0:
            lo, hi = int(t.min()), int(t.max())
            if lo < -shape[d] or hi >= shape[d]:
                ctx.fail(f"index {hi if hi >= shape[d] else lo} is out of range for dim {d} of "
                         f"size {shape[d]}")
    sym = ctx.sym_shape(x)
    for d, t in enumerate(out):
        if t is not None and not isinstance(sym[d], int):
            ctx.fail(f"indexes dim {d}, whose size {sym[d]} is known only at run time, with "
                     f"constant indices; fix that size (dynamic_shapes)")
    cfg = {"indices": [None if t is None else
                       {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
                       for t in out]}
    y = ctx.emit("TorchIndex", cfg, [b.to_torch_order(x)], perm=identity(ctx.value.dim()))
    y.sym = ctx.out_sym()
    return y


@register(aten.index.Tensor)
def index(ctx, a):
    """x[:, idx], x[:, i, j], x[..., mask]: index tensors that are parameters, buffers or
    constants (integer or boolean), never on the batch dim."""
    return emit_index(ctx, ctx.ref(a.self), list(a.indices))


@register(aten.index_select.default)
def index_select(ctx, a):
    """index_select(x, dim, index) with a constant index, on any dim but the batch."""
    x = ctx.ref(a.self)
    d = dim_index(ctx, a.dim, x.rank)
    idx = _index_tensor(ctx, a.index, "index")
    if idx.dim() > 1:
        ctx.fail(f"index of shape {list(idx.shape)}; index_select takes a 1-D index")
    return emit_index(ctx, x, [None] * d + [idx.reshape(-1)])
