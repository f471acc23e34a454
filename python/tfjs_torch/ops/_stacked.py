"""Note [a stack in front of the batch, reduced over it]
torch.stack(xs) (dim 0) puts the list in front of the batch dim, which a tfjs model keeps at dim
0. Published decoders do it only to reduce the list right away: segmentation_models_pytorch's FPN
MergeBlock (`torch.stack(x).sum(dim=0)`, policy "add"), and likewise a mean or max over a list of
feature maps. Where every reader of such a stack reduces over dim 0 alone (keepdim=False: sum,
mean, amax, amin, max / min values, prod) or takes one item back with a fixed index (`stack(xs)[i]`),
the stack emits nothing: its node holds the list (Stacked), and each reader works on the list
directly, the reduction as a chain of TorchElementwise layers over the items in list order
(((x0 + x1) + x2) + ..., as PyTorch sums the stacked dim for all but tiny feature maps; a mean is
that sum divided by the count, as PyTorch's mean is on the CPU), the index as the item itself.
Any other reader (the stack as an output, a reduction with keepdim=True or over more dims, a
view, ...) keeps the refusal, naming what reads it. The user's module is not changed; only how
its graph is written out."""
import operator

import torch

aten = torch.ops.aten

# ATen op -> (what the docs / errors call it, the TorchElementwise op that folds two items)
REDUCTIONS = {
    aten.sum.dim_IntList: ("sum", "add"),
    aten.mean.dim: ("mean", "add"),
    aten.amax.default: ("amax", "maximum"),
    aten.amin.default: ("amin", "minimum"),
    aten.max.dim: ("max", "maximum"),
    aten.min.dim: ("min", "minimum"),
    aten.prod.dim_int: ("prod", "mul"),
}
_TORCH = {"add": torch.add, "maximum": torch.maximum, "minimum": torch.minimum, "mul": torch.mul}
_WITH_INDICES = (aten.max.dim, aten.min.dim)


class Stacked(list):
    """The items of a torch.stack along dim 0 that only reductions over dim 0 and fixed indices
    read (Note [a stack in front of the batch, reduced over it]): Refs, in list order."""


def _raw_args(node):
    """node's arguments by schema name, as the graph holds them (nodes, ints, lists)."""
    schema = node.target._schema
    out = {}
    for p, v in zip(schema.arguments, node.args):
        out[p.name] = v
    out.update(node.kwargs)
    for p in schema.arguments:
        if p.name not in out:
            out[p.name] = p.default_value if p.has_default_value() else None
    return out


def _over_dim_0(dim, rank):
    """Whether a reduction's dim argument names dim 0 alone of a tensor of this rank."""
    dims = dim if isinstance(dim, (list, tuple)) else [dim]
    if len(dims) != 1 or not isinstance(dims[0], int) or isinstance(dims[0], bool):
        return False
    return -rank <= dims[0] < rank and dims[0] % rank == 0


def unsupported_reader(node, rank, custom=()):
    """Why a reader of the stack `node` (of rank `rank`) needs the stacked tensor itself: a text
    naming it, or None when every reader works on the list (reductions over dim 0 alone with
    keepdim=False, max / min's values only, or x[i] with a fixed i). An op the user maps
    (custom) gets the stacked tensor, so it needs it too."""
    for user in node.users:
        target = user.target
        if target in custom or getattr(target, "overloadpacket", None) in custom:
            return f"{target} (mapped by custom=)"
        if isinstance(target, torch._ops.OpOverload) and target in REDUCTIONS:
            a = _raw_args(user)
            name = REDUCTIONS[target][0]
            if a.get("self") is not node or any(v is node for k, v in a.items() if k != "self"):
                return f"{target} takes it as another argument"
            if not _over_dim_0(a.get("dim"), rank):
                return f"{name} over dims {a.get('dim')!r} (only dim 0 alone is supported)"
            if a.get("keepdim"):
                return f"{name} over dim 0 with keepdim=True (its dim 0 is then not the batch)"
            if target in _WITH_INDICES and any(
                    u.target is not operator.getitem or u.args[1] != 0 for u in user.users):
                return f"the indices of {name}(dim=0) (only its values are supported)"
            continue
        if target is aten.select.int:
            a = _raw_args(user)
            if a.get("self") is node and isinstance(a.get("dim"), int) and \
                    a["dim"] % rank == 0 and isinstance(a.get("index"), int) and \
                    -(len(node.args[0])) <= a["index"] < len(node.args[0]):
                continue
            return f"{target} other than x[i] with a fixed i"
        if user.op == "output":
            return "the model's output"
        return str(target)
    return None


def reduce_stacked(ctx, items, op, out_value, out_sym):
    """REDUCTIONS[op] of the stacked items over the stack's dim: a chain of TorchElementwise
    layers in list order (a mean divides the sum by the count after), the last one this node's
    layer with PyTorch's value `out_value`."""
    from ._common import alias
    name, ew = REDUCTIONS[op]
    xs = list(items)
    if len(xs) == 1:   # x0 itself (a mean of one divides by 1: x0 exactly)
        return alias(xs[0], out_value, out_sym)
    b = ctx.b
    perm = xs[0].perm if all(x.perm == xs[0].perm for x in xs) else b.canonical(xs[0].rank)
    xs = [b.to_perm(x, perm) for x in xs]
    acc = xs[0]
    last = len(xs) - 1 if name != "mean" else None
    for i, x in enumerate(xs[1:], 1):
        if i == last:
            acc = ctx.emit("TorchElementwise", {"op": ew}, [acc, x], perm=perm,
                           outputs=[(perm, out_value)])
            break
        value = _TORCH[ew](acc.value, x.value)
        (acc,) = b.layer("TorchElementwise", {"op": ew}, [acc, x], f"{ctx.name()}_{ew}_{i}",
                         outputs=[(perm, value)], record=False)
        acc.sym = out_sym
    if name == "mean":
        acc = ctx.emit("TorchElementwise", {"op": "div", "scalar": float(len(xs))}, [acc],
                       perm=perm, outputs=[(perm, out_value)])
    acc.sym = out_sym
    return acc


def select_stacked(ctx, items, index, out_value, out_sym):
    """stack(xs)[i] with a fixed i: xs[i] itself."""
    from ._common import alias
    i = ctx.static_int(index, "index")
    if not -len(items) <= i < len(items):
        ctx.fail(f"index {i} is out of range for a stack of {len(items)} tensors")
    return alias(items[i], out_value, out_sym)


def is_stacked(v):
    return isinstance(v, Stacked)

