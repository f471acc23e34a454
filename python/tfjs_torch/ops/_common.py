"""Emitters that several op families share (a convolution pads, a pool pads, ...)."""
import numpy as np
import sympy
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


# Note [a view in the held order]
# A tensor is held in tfjs in some order of PyTorch's dims (Ref.perm: held dim k is PyTorch's dim
# perm[k]; channels last after convolutions). A view reads PyTorch's memory order, so in general
# the tensor is first transposed to PyTorch's order. But a view that only merges runs of adjacent
# dims and splits dims (x.flatten(2) of an NCHW map, x.view(b, c, h, w) of [b, c, h*w]) reads the
# same elements in the same order from the held tensor as long as every merged run of PyTorch's
# dims is adjacent and in the same order in the held order: a reshape of the held tensor, then,
# and the result is held in the order the groups appear (no transpose). SAM's mask decoder
# (image.flatten(2).permute(0, 2, 1), src.transpose(1, 2).view(b, c, h, w)) had 11 transposes of
# [1, 4096, 256] from this on channels-last exports.
def _as_expr(v):
    return v.expr if isinstance(v, SymDim) else sympy.Integer(int(v))


def _as_value(v):
    return v.value if isinstance(v, SymDim) else int(v)


def view_groups(in_sym, out_sym):
    """The view in_sym -> out_sym as groups (input dims, output dims), each a run of adjacent
    dims on both sides with equal products (sizes compared as expressions), or None where the
    sizes do not split so (or an example size cannot decide it)."""
    groups = []
    i = j = 0
    n, m = len(in_sym), len(out_sym)
    while i < n or j < m:
        if i >= n or j >= m:
            return None
        gi, gj = [i], [j]
        pi, pj = _as_expr(in_sym[i]), _as_expr(out_sym[j])
        vi, vj = _as_value(in_sym[i]), _as_value(out_sym[j])
        i += 1
        j += 1
        while sympy.simplify(pi - pj) != 0:
            if vi <= 0 or vj <= 0 or vi == vj:
                return None
            if vi < vj:
                if i >= n:
                    return None
                pi, vi = pi * _as_expr(in_sym[i]), vi * _as_value(in_sym[i])
                gi.append(i)
                i += 1
            else:
                if j >= m:
                    return None
                pj, vj = pj * _as_expr(out_sym[j]), vj * _as_value(out_sym[j])
                gj.append(j)
                j += 1
        groups.append((gi, gj))
    return groups


def held_order_view(in_sym, out_sym, perm):
    """(output dims in held order, the result's perm) for a view of a tensor held in `perm`
    that a reshape of the held tensor computes (Note [a view in the held order]); None where the
    tensor must go to PyTorch's order first. Dim 0 stays its own group."""
    if perm == identity(len(perm)):
        return None
    groups = view_groups(in_sym, out_sym)
    if groups is None or groups[0] != ([0], [0]):
        return None
    pos = {d: k for k, d in enumerate(perm)}   # PyTorch dim -> held position
    for gi, _ in groups:
        if [pos[d] for d in gi] != list(range(pos[gi[0]], pos[gi[0]] + len(gi))):
            return None
    order = [gj for _, gj in sorted(groups, key=lambda g: pos[g[0][0]])]
    out_order = [d for gj in order for d in gj]
    return out_order, out_order


def _guard_equalities(ctx):
    """{sympy size expression: sympy Integer} from the capture's equality guards (`Eq(E, c)`)."""
    b = ctx.b
    eqs = getattr(b, "guard_equalities", None)
    if eqs is not None:
        return eqs
    eqs = {}
    env = None
    for n in ctx.node.graph.nodes:
        v = n.meta.get("val")
        for s in (getattr(v, "shape", None) or []):
            if isinstance(s, torch.SymInt):
                env = s.node.shape_env
                break
        if env is not None:
            break
    for g in (getattr(env, "guards", None) or []):
        e = g.expr
        if isinstance(e, sympy.Eq):
            lhs, rhs = e.args
            if rhs.is_Integer and not lhs.is_number:
                eqs[lhs] = rhs
            elif lhs.is_Integer and not rhs.is_number:
                eqs[rhs] = lhs
    b.guard_equalities = eqs
    return eqs


def guard_constant(ctx, dim):
    """Note [a size a guard makes constant]
    torch.export (Dim.AUTO) keeps PyTorch's own arithmetic on sizes, so a size can reach a view
    as an expression that is one number under the capture's guards: Restormer's PixelUnshuffle(2)
    then einops' `b (h w) c -> b c h w` gives channels 8 * (W // (W // 2)) * (H // (H // 2)), with
    the guards (W // (W // 2)) == 2 and (H // (H // 2)) == 2. tfjs-layers needs channel dims
    known (a convolution reads them when it is built), so such a size is written as that number:
    each subexpression a guard equates to an integer is replaced by it. The model checks those
    guards at predict time (Note [input constraints] in _guards.py), and a view to a stated size
    checks its element count whatever the guards say (layers.reshape: 'cannot view input ...'),
    so a wrong number can never come out. Returns the int, or None where the size stays an
    expression."""
    eqs = _guard_equalities(ctx)
    if not eqs:
        return None
    e = sympy.sympify(dim.expr)
    for _ in range(4):
        e2 = e.xreplace(eqs)
        if e2 == e:
            break
        e = e2
    if e.is_Integer:
        if dim.value >= 0 and int(e) != dim.value:
            return None
        return int(e)
    return None


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
    stated = list(out_sym)
    if shape is not None and len(shape) == len(out_sym):
        # A size the call states as a number is that number, whatever expression torch derived
        # for it (x.view(b, 12, h // 2, w // 2) after a pixel_unshuffle): tfjs-layers needs
        # channel dims known.
        for i, s in enumerate(list(shape)[1:]):
            if is_static(s) and s >= 0:
                stated[i + 1] = int(s)
    for i in range(1, len(stated)):
        if isinstance(stated[i], SymDim):
            c = guard_constant(ctx, stated[i])
            if c is not None:
                stated[i] = c
    held = None if new_batch else held_order_view(in_sym, out_sym, x.perm)
    if held is not None:
        out_order, perm = held
        target = [stated[d] for d in out_order[1:]]
    else:
        x = b.to_torch_order(x)
        target = stated[1:]
        perm = identity(len(out_sym))
    integer = isinstance(out_value, torch.Tensor) and not out_value.dtype.is_floating_point
    if all(is_static(s) for s in target) and not integer and not new_batch:
        # (tfjs's Reshape casts to float)
        y = ctx.emit("Reshape", {"target_shape": target}, [x], perm=perm)
    else:
        w = ctx.writer(1)
        cfg = {"shape": [w.write(s) for s in target]}
        if new_batch:
            cfg["batch"] = w.write(out_sym[0])
        y = ctx.emit("TorchReshape", cfg, [x] + w.extra, perm=perm)
    y.sym = out_sym
    return y
