"""Copies along dims: expand (to sizes known only at run time too, and of a stored tensor to the
batch size: SAM's output tokens), repeat, repeat_interleave, stack, roll (Swin's shifted
windows) and flip, as tfjs-torch's layers of the same names, in PyTorch's dim order."""
import torch

from . import register
from .._builder import Ref, identity
from .._shape import SymDim, is_static
from ._common import dim_index, np32
from ._stacked import Stacked, unsupported_reader

aten = torch.ops.aten


def _same(p, q):
    from ._common import same_size
    return same_size(p, q)


@register(aten.expand.default)
def expand(ctx, a):
    """expand / expand_as / broadcast_to: -1 keeps a dim, sizes known only at run time are shape
    expressions; a stored tensor, or a tensor whose dim 0 is 1, expanded to the batch size."""
    b = ctx.b
    x = a.self
    sizes = list(a.size)
    out_sym = ctx.out_sym()
    if isinstance(x, Ref):
        in_sym = ctx.sym_shape(x)
        lead = len(sizes) - x.rank
        if lead > 0:
            ctx.fail(f"expand adds {lead} leading dim(s) in front of the batch dim; the tfjs model "
                     f"keeps dim 0 as its batch (unsqueeze after dim 0 instead)")
        # A dim that keeps its size is written -1: no expression needed, any size at run time.
        entries = [-1 if _same(in_sym[i], out_sym[i]) else out_sym[i] for i in range(len(sizes))]
        # A dim 0 of 1 (not a batch: an attention mask made from sizes, [1, 1, L, 1]) broadcast
        # to the batch is an expand like any other (Note [dim 0 inside a model]).
        if entries[0] != -1 and not (is_static(in_sym[0]) and in_sym[0] == 1):
            ctx.fail(f"expands the batch dim ({in_sym[0]} -> {out_sym[0]}); the tfjs model keeps "
                     f"dim 0 as its batch")
        if all(e == -1 for e in entries):
            from ._common import alias
            return alias(x, ctx.value, out_sym)
        # Same rank: the expand is one in any dim order, so the tensor stays in the order it is
        # held in (channels last: no transposes around it) and the sizes follow that order.
        w = ctx.writer(1)
        shape = [w.write(entries[d]) for d in x.perm]
        y = ctx.emit("TorchExpand", {"shape": shape}, [x] + w.extra, perm=x.perm)
        y.sym = out_sym
        return y
    # A stored tensor (not computed from the inputs) expanded to a size known only at run time:
    # its batch dim comes from an input, so the layer hangs from the inputs its sizes read.
    k = ctx.const(x, "self")
    w = ctx.writer(0)
    shape = [w.write(-1 if (i - (len(sizes) - k.dim()) >= 0 and is_static(s)
                            and s == k.shape[i - (len(sizes) - k.dim())]) else s)
             for i, s in enumerate(out_sym)]
    if not w.extra:
        ctx.fail("expands a stored tensor to fixed sizes (a constant the export should have "
                 "folded)")
    y = ctx.emit("TorchExpand", {"shape": shape, "constantShape": list(k.shape)}, w.extra,
                 perm=identity(len(out_sym)), weights=[("constant", np32(k))])
    y.sym = out_sym
    return y


@register(aten.repeat.default)
def repeat(ctx, a):
    """Tensor.repeat: the batch dim's count must be 1 (no new leading dims)."""
    x = ctx.ref(a.self)
    reps = [ctx.static_int(r, "repeats") for r in a.repeats]
    if len(reps) != x.rank:
        ctx.fail(f"repeat with {len(reps)} counts on a tensor of rank {x.rank} adds leading dims "
                 f"in front of the batch dim; the tfjs model keeps dim 0 as its batch")
    if reps[0] != 1:
        ctx.fail(f"repeats the batch dim {reps[0]} times; the tfjs model keeps dim 0 as its batch")
    y = ctx.emit("TorchRepeat", {"repeats": reps}, [ctx.b.to_torch_order(x)],
                 perm=identity(x.rank))
    y.sym = ctx.out_sym()
    return y


@register(aten.repeat_interleave.self_int, aten.repeat_interleave.self_Tensor)
def repeat_interleave(ctx, a):
    """repeat_interleave: a count or constant counts, on any dim but the batch; a dim of 1 (the
    batch too) repeated by any count, sizes known only at run time included."""
    x = ctx.ref(a.self)
    if a.get("dim") is None:
        ctx.fail("repeat_interleave without dim flattens the batch dim into the others; give a dim")
    d = dim_index(ctx, a.dim, x.rank)
    r = a.repeats
    if is_static(r) and r == 1 or isinstance(r, torch.Tensor) and r.numel() == 1 and int(r) == 1:
        from ._common import alias
        return alias(x, ctx.value, ctx.out_sym())   # once each: nothing to do (any dim)
    in_sym = ctx.sym_shape(x)
    if is_static(in_sym[d]) and in_sym[d] == 1 and not isinstance(r, (Ref, torch.Tensor)):
        # A dim of 1 repeated r times is that dim expanded to r (a count known only at run time
        # too): SAM's image embedding (batch 1, an input fixed at its example's batch by Note
        # [inputs shared across the batch]) repeated for the N prompts.
        out_sym = ctx.out_sym()
        w = ctx.writer(1)
        shape = [w.write(out_sym[i] if i == d else -1) for i in x.perm]   # in the held order
        y = ctx.emit("TorchExpand", {"shape": shape}, [x] + w.extra, perm=x.perm)
        y.sym = out_sym
        return y
    if d == 0:
        ctx.fail("repeat_interleave on the batch dim (dim 0); the tfjs model keeps dim 0 as its "
                 "batch (SAM repeats its image embedding per prompt: export with one prompt "
                 "per image, or repeat before the model)")
    if isinstance(r, Ref):
        ctx.fail("repeat counts computed from the inputs are not supported")
    if isinstance(r, torch.Tensor):
        reps = [int(v) for v in r.reshape(-1).tolist()]
        reps = reps[0] if len(reps) == 1 else reps
    else:
        reps = ctx.static_int(r, "repeats")
    y = ctx.emit("TorchRepeatInterleave", {"repeats": reps, "axis": d},
                 [ctx.b.to_torch_order(x)], perm=identity(x.rank))
    y.sym = ctx.out_sym()
    return y


@register(aten.stack.default)
def stack(ctx, a):
    """stack: torch.stack along any dim but 0 (the batch); along dim 0 where only reductions
    over dim 0 and fixed indices read it (Note [a stack in front of the batch, reduced over
    it]: segmentation_models_pytorch's FPN `torch.stack(x).sum(dim=0)`)."""
    tensors = list(a.tensors)
    for t in tensors:
        ctx.ref(t, "every tensor in the list")
    rank = tensors[0].rank
    d = ctx.static_int(a.dim, "dim")
    if not -(rank + 1) <= d <= rank:
        ctx.fail(f"dim {d} is out of range for stacking tensors of rank {rank}")
    d %= rank + 1
    if d == 0:
        # Note [a stack in front of the batch, reduced over it] (_stacked.py)
        why = unsupported_reader(ctx.node, rank + 1, ctx.custom)
        if why is not None:
            ctx.fail(f"stack along dim 0 puts the list in front of the batch dim; the tfjs model "
                     f"keeps dim 0 as its batch (stack along dim 1 and permute). Such a stack is "
                     f"supported only where every reader reduces over dim 0 alone (sum, mean, "
                     f"amax, amin, max / min values, prod; keepdim=False) or takes x[i] with a "
                     f"fixed i; here {why} reads it")
        return Stacked(tensors)
    xs = [ctx.b.to_torch_order(t) for t in tensors]
    y = ctx.emit("TorchStack", {"axis": d}, xs, perm=identity(rank + 1))
    y.sym = ctx.out_sym()
    return y


@register(aten.roll.default)
def roll(ctx, a):
    """roll: torch.roll on any dims but the batch (shifts fixed; any dim size)."""
    x = ctx.ref(a.self)
    shifts = [ctx.static_int(s, "shifts") for s in a.shifts]
    dims = [dim_index(ctx, d, x.rank) for d in a.dims]
    if not dims:
        ctx.fail("roll without dims rolls the flattened tensor across the batch dim; give dims")
    if 0 in dims:
        ctx.fail("rolls the batch dim (dim 0); the tfjs model keeps dim 0 as its batch")
    # Layout-free: roll each dim where the tensor holds it.
    axes = [x.perm.index(d) for d in dims]
    y = ctx.emit("TorchRoll", {"shifts": shifts, "axis": axes}, [x], perm=x.perm)
    y.sym = ctx.out_sym()
    return y


@register(aten.flip.default)
def flip(ctx, a):
    """flip: torch.flip on any dims but the batch."""
    x = ctx.ref(a.self)
    dims = [dim_index(ctx, d, x.rank) for d in a.dims]
    if 0 in dims:
        ctx.fail("flips the batch dim (dim 0); the tfjs model keeps dim 0 as its batch")
    y = ctx.emit("TorchFlip", {"axis": [x.perm.index(d) for d in dims]}, [x], perm=x.perm)
    y.sym = ctx.out_sym()
    return y
