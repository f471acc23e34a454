"""Views and shape changes: view / reshape / flatten / unflatten / squeeze / unsqueeze (sizes
known only at run time included), permute / transpose (free: only the layout bookkeeping
changes), cat, slices, split / chunk, select, and the ops that change nothing in the model
(clone, alias, detach, contiguous, dtype casts between float types, dropout in eval)."""
import sympy
import torch

from . import register
from .._builder import Ref, identity, invert
from .._shape import SymDim, is_static
from ._common import alias, dim_index, emit_reshape, emit_transpose, is_batch, size_list
from ._stacked import is_stacked, select_stacked

aten = torch.ops.aten
BIG = 2 ** 62


@register(aten.view.default, aten._unsafe_view.default, aten.reshape.default)
def view(ctx, a):
    """view / reshape: any target shape (sizes from x.shape too), dim 0 included: the batch
    merged with other dims and split back ((b h) n c)."""
    return emit_reshape(ctx, ctx.ref(a.self), a.get("size", a.get("shape")), ctx.value)


@register(aten.flatten.using_ints, aten.unflatten.int, aten.squeeze.dim, aten.squeeze.dims,
          aten.squeeze.default, aten.unsqueeze.default)
def reshape_like(ctx, a):
    """flatten / unflatten / squeeze / unsqueeze: as a reshape in PyTorch's memory order."""
    return emit_reshape(ctx, ctx.ref(a.self), None, ctx.value)


@register(aten.clone.default, aten.alias.default, aten.detach.default,
          aten.lift_fresh_copy.default, aten.contiguous.default)
def identity_op(ctx, a):
    """clone / alias / detach / contiguous: nothing to do in the model."""
    x = ctx.ref(a.self)
    return alias(x, ctx.value, ctx.out_sym())


@register(aten._to_copy.default, aten.to.dtype, aten.type_as.default)
def to_copy(ctx, a):
    """_to_copy / to / type_as: casts between float types (the model computes in float32), and
    a mask (bool) or an integer tensor made from sizes (arange) cast to int64 / int32 (Swin2SR's
    `(idx >= h - w).long()`): the model holds those integers in float32 already, so the cast
    changes nothing."""
    if not isinstance(a.self, Ref):   # a constant cast to an input's dtype: still a constant
        return ctx.constant()
    x = ctx.ref(a.self)
    v = ctx.value
    if isinstance(v, torch.Tensor) and not v.dtype.is_floating_point:
        src = x.value.dtype if isinstance(x.value, torch.Tensor) else None
        exact = src is not None and (src == torch.bool or (
            not src.is_floating_point and v.dtype in (torch.int32, torch.int64)))
        if not exact or v.dtype not in (torch.int32, torch.int64, torch.bool) or (
                src != torch.bool and v.dtype == torch.bool):
            ctx.fail(f"casts {src} to {v.dtype}; the exported model computes in float32 "
                     f"(integer tensors are not supported, beyond a mask or an integer tensor "
                     f"made from sizes cast to int32 / int64)")
    return alias(x, v, ctx.out_sym())


@register(aten.dropout.default)
def dropout(ctx, a):
    """dropout: in eval, the identity."""
    if a.train:
        ctx.fail("dropout with training=True; pass training=self.training (export runs in eval "
                 "mode)")
    return alias(ctx.ref(a.input), ctx.value, ctx.out_sym())


def _permuted(ctx, x, dims):
    dims = [dim_index(ctx, d, x.rank) for d in dims]
    if sorted(dims) != identity(x.rank):
        ctx.fail(f"dims {dims} are not a permutation of the input's {x.rank} dims")
    if dims[0] != 0:   # Note [dim 0 inside a model]: a real transpose
        return emit_transpose(ctx, x, dims, ctx.value, ctx.out_sym())
    inv = invert(dims)
    r = Ref(x.layer, x.node_index, x.tensor_index, [inv[p] for p in x.perm], ctx.value)
    r.sym = ctx.out_sym()
    return r


@register(aten.permute.default)
def permute(ctx, a):
    """permute: free (only the layout bookkeeping changes) while dim 0 stays; a transpose where
    dim 0 moves."""
    return _permuted(ctx, ctx.ref(a.self), list(a.dims))


@register(aten.transpose.int)
def transpose(ctx, a):
    """transpose: free, as permute."""
    x = ctx.ref(a.self)
    d0, d1 = dim_index(ctx, a.dim0, x.rank), dim_index(ctx, a.dim1, x.rank)
    dims = identity(x.rank)
    dims[d0], dims[d1] = d1, d0
    return _permuted(ctx, x, dims)


@register(aten.cat.default)
def cat(ctx, a):
    """cat: torch.cat along any dim but the batch (stored tensors next to tensors of the model
    too)."""
    tensors = a.tensors
    if not isinstance(tensors, (tuple, list)) or not tensors:
        ctx.fail("needs a list of tensors")
    tensors = [t for t in tensors if not (isinstance(t, torch.Tensor) and t.numel() == 0)]
    if not any(isinstance(t, Ref) for t in tensors):
        ctx.ref(tensors[0], "every tensor in the list")
    # A stored tensor next to tensors from the inputs (a class token's position embedding before
    # the resized grid's): Note [a constant made a tensor of the model].
    first = next(t for t in tensors if isinstance(t, Ref))
    tensors = [ctx.tensor(t, "every tensor in the list", first.perm if t.dim() == first.rank
                          else None, first) if not isinstance(t, Ref) else t for t in tensors]
    rank = tensors[0].rank
    d = dim_index(ctx, a.dim, rank)
    if d == 0:
        ctx.fail("cat along the batch dim is not supported")
    perm = tensors[0].perm
    parts = [ctx.b.to_perm(t, perm) for t in tensors]
    if len(parts) == 1:
        return alias(parts[0], ctx.value, ctx.out_sym())
    return ctx.emit("Concatenate", {"axis": perm.index(d)}, parts, perm=perm)


def _expr(v):
    return v.expr if isinstance(v, SymDim) else sympy.Integer(v)


def _as_size(e, value):
    e = sympy.simplify(e)
    if e.is_Integer:
        return int(e)
    return SymDim(e, value)


def emit_slice(ctx, x, d, begin, size, out_value, out_sym, name=None, step=1):
    """x sliced along PyTorch dim d from `begin` for `size` elements (ints or SymDims), every
    `step`-th one. Dim 0 only where it is not the batch (Note [dim 0 inside a model])."""
    if d == 0 and is_batch(ctx, ctx.sym_shape(x)[0]):
        ctx.fail("slicing the batch dim is not supported")
    if d == 0 and step != 1:
        ctx.fail("a slice with a step of dim 0 (where it is not the batch) is not supported")
    begins = [0] * (x.rank - 1)
    sizes = [-1] * (x.rank - 1)
    strides = [1] * (x.rank - 1)
    if d != 0:
        axis = x.perm.index(d)
        begins[axis - 1], sizes[axis - 1], strides[axis - 1] = begin, size, step
    batch = [begin, size] if d == 0 else []
    if all(is_static(v) for v in begins + sizes + batch):
        cfg = {"begin": begins, "size": sizes}
        if batch:
            cfg["batch"] = batch
        extra = []
    else:
        w = ctx.writer(1)
        cfg = {"begin": [w.write(v) for v in begins], "size": [w.write(v) for v in sizes]}
        if batch:
            cfg["batch"] = [w.write(v) for v in batch]
        extra = w.extra
    if step != 1:
        cfg["strides"] = strides
    (y,) = ctx.b.layer("TorchSlice", cfg, [x] + extra, name or ctx.name(),
                       outputs=[(x.perm, out_value)])
    y.sym = out_sym
    return y


@register(aten.slice.Tensor)
def slice_(ctx, a):
    """slice: x[a:b:step] on any dim but the batch, dim 0 too where it is not a batch (bounds may
    be sizes known only at run time; a step > 1 on any dim but dim 0, as Swin's patch merging
    takes x[:, 0::2, 1::2, :]). The size is torch's own (ceil((end - begin) / step) of the
    clamped bounds), a size expression where it depends on the input's."""
    x = ctx.ref(a.self)
    d = dim_index(ctx, a.dim, x.rank)
    in_sym, out_sym = ctx.sym_shape(x), ctx.out_sym()
    step = ctx.static_int(a.step if a.step is not None else 1, "step")
    from ._common import same_size
    if all(same_size(p, q) for p, q in zip(in_sym, out_sym)):
        return alias(x, ctx.value, out_sym)
    if step < 1:
        ctx.fail(f"step must be >= 1, got {step}")
    start = a.start if a.start is not None else 0
    n = in_sym[d]
    if is_static(start):
        if start < 0:
            begin = _as_size(sympy.Max(0, _expr(n) + start), max(0, ctx.sym_value(n) + start))
        elif step != 1:
            # clamped to the size as PyTorch clamps it: x[:, 5::2] of a dim of 3 is empty
            begin = _as_size(sympy.Min(sympy.Integer(start), _expr(n)), min(start, ctx.sym_value(n)))
        else:
            begin = start
    else:
        begin = start
    return emit_slice(ctx, x, d, begin, out_sym[d], ctx.value, out_sym, step=step)


@register(aten.split.Tensor, aten.split_with_sizes.default)
def split(ctx, a):
    """split / chunk / split_with_sizes: along any dim but the batch (dim 0 too where it is not
    a batch)."""
    x = ctx.ref(a.self)
    d = dim_index(ctx, a.dim, x.rank)
    if d == 0 and is_batch(ctx, ctx.sym_shape(x)[0]):
        ctx.fail("splitting the batch dim is not supported")
    vals = ctx.value
    meta = ctx.node.meta.get("val")
    refs = []
    begin = sympy.Integer(0)
    bval = 0
    from .._context import sym_shape_of
    for i, part in enumerate(vals):
        sym = sym_shape_of(meta[i], part) if meta is not None else list(part.shape)
        size = sym[d]
        refs.append(emit_slice(ctx, x, d, _as_size(begin, bval), size, part, sym,
                               name=f"{ctx.name()}_{i}"))
        begin = begin + _expr(size)
        bval += int(part.shape[d])
    return refs


@register(aten.select.int)
def select(ctx, a):
    """select: x[:, i] (a slice, then the dim dropped); x[i] where dim 0 is not a batch, and of
    a torch.stack along dim 0 with a fixed i (the item itself)."""
    if is_stacked(a.self):   # Note [a stack in front of the batch, reduced over it]
        return select_stacked(ctx, a.self, a.index, ctx.value, ctx.out_sym())
    x = ctx.ref(a.self)
    d = dim_index(ctx, a.dim, x.rank)
    in_sym = ctx.sym_shape(x)
    i = a.index
    if is_static(i) and i < 0:
        i = _as_size(_expr(in_sym[d]) + i, ctx.sym_value(in_sym[d]) + i)
    mid_sym = list(in_sym)
    mid_sym[d] = 1
    mid_val = ctx.value.unsqueeze(d)
    s = emit_slice(ctx, x, d, i, 1, mid_val, mid_sym, name=f"{ctx.name()}_slice")
    s.record = False
    return emit_reshape(ctx, s, None, ctx.value)


def _bound(v, n, nval, default):
    """A slice bound as PyTorch clamps it against the dim's size n (int or SymDim; nval its value
    on the example): (sympy expression, value on the example)."""
    if v is None:
        v = default
    if isinstance(v, SymDim):
        return v.expr, v.value
    v = int(v)
    if v >= BIG:
        return _expr(n), nval
    if v < 0:
        return sympy.Max(0, _expr(n) + v), max(0, nval + v)
    return sympy.Min(sympy.Integer(v), _expr(n)), min(v, nval)


@register(aten.slice_scatter.default)
def slice_scatter(ctx, a):
    """slice_scatter: x[..., a:b, ...] = src (what a slice assignment such as SwinIR's
    `img_mask[:, h0:h1, w0:w1, :] = cnt` becomes), on any dim but the batch; the bounds may be
    sizes known only at run time; no step. Written as the parts of x before and after the slice
    concatenated around src."""
    from ._common import same_size
    x = ctx.ref(a.self)
    src = a.src
    d = dim_index(ctx, a.dim, x.rank)
    step = ctx.static_int(a.step if a.step is not None else 1, "step")
    if step != 1:
        ctx.fail("slice assignment with a step is not supported")
    in_sym, out_sym = ctx.sym_shape(x), ctx.out_sym()
    if not isinstance(src, Ref):
        ctx.fail("the assigned value must be a tensor of the model (a fill of a slice is one); "
                 "a stored constant is not supported")
    src_sym = ctx.sym_shape(src)
    if src.rank != x.rank:
        ctx.fail(f"src of rank {src.rank} assigned into a tensor of rank {x.rank}")
    if is_static(src_sym[d]) and int(src_sym[d]) == 0:
        return alias(x, ctx.value, out_sym)   # an empty slice: x unchanged
    if all(same_size(p, q) for p, q in zip(src_sym, in_sym)):
        return alias(src, ctx.value, out_sym)  # the whole of x replaced
    if d == 0 and is_batch(ctx, in_sym[0]):
        ctx.fail("assigning into a slice of the batch dim is not supported")
    n = in_sym[d]
    nval = ctx.sym_value(n)
    begin, bval = _bound(a.start, n, nval, 0)
    end, eval_ = _bound(a.end, n, nval, BIG)
    end, eval_ = sympy.Max(begin, end), max(bval, eval_)
    xv = x.value
    parts = []
    if _nonzero(begin):
        sym = list(in_sym)
        sym[d] = _as_size(begin, bval)
        parts.append(emit_slice(ctx, x, d, 0, sym[d], xv.narrow(d, 0, bval), sym,
                                name=f"{ctx.name()}_before"))
    parts.append(src)
    rest = sympy.simplify(_expr(n) - end)
    if _nonzero(rest):
        sym = list(in_sym)
        sym[d] = _as_size(rest, nval - eval_)
        parts.append(emit_slice(ctx, x, d, _as_size(end, eval_), sym[d],
                                xv.narrow(d, eval_, nval - eval_), sym, name=f"{ctx.name()}_after"))
    if len(parts) == 1:
        return alias(src, ctx.value, out_sym)
    perm = x.perm
    parts = [ctx.b.to_perm(p, perm) for p in parts]
    y = ctx.emit("Concatenate", {"axis": perm.index(d)}, parts, perm=perm)
    y.sym = out_sym
    return y


def _nonzero(e):
    """False only where a size is 0 whatever the input sizes."""
    e = sympy.simplify(sympy.sympify(e))
    return not (e.is_Integer and int(e) == 0)


@register(aten.copy.default)
def copy_(ctx, a):
    """copy: x.copy_(src) as a slice assignment leaves it (`z[:, 1:-2] = y[:, 1:-2] * 2` copies
    into the slice, then slice_scatter puts it back): src, of x's shape."""
    from ._common import same_size
    x, src = a.self, ctx.ref(a.src, "src")
    xs = ctx.sym_shape(x) if isinstance(x, Ref) else list(x.shape)
    ss = ctx.sym_shape(src)
    if len(xs) != len(ss) or not all(same_size(p, q) for p, q in zip(xs, ss)):
        ctx.fail(f"copy_ of a tensor of shape {ss} into one of shape {xs} (broadcasting) is not "
                 f"supported; expand src first")
    return alias(src, ctx.value, ctx.out_sym())
