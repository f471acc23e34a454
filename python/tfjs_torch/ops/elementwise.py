"""Arithmetic of two operands with PyTorch's broadcasting: add, sub, mul, div, pow, maximum,
minimum, comparisons (tensor and tensor, tensor and a stored constant, tensor and a number, and
for add, sub, mul, div, pow and the comparisons tensor and a size known only at run time)."""
import torch

from . import register
from .._builder import Ref
from .._shape import SymDim
from ._common import np32

aten = torch.ops.aten


def emit_binary(ctx, op, a, c):
    """op(a, c), one of them at least a Ref."""
    b = ctx.b
    if isinstance(a, SymDim) or isinstance(c, SymDim):
        return _size_operand(ctx, op, a, c)
    if isinstance(a, Ref) and isinstance(c, Ref):
        if a.rank != c.rank:
            ctx.fail(f"{op} of tensors of ranks {a.rank} and {c.rank} (both from the inputs): "
                     f"broadcasting across ranks moves the batch dim; unsqueeze one first")
        canon = b.canonical(a.rank)
        perm = a.perm if a.perm == c.perm or c.perm != canon else canon
        a2, c2 = b.to_perm(a, perm), b.to_perm(c, perm)
        return ctx.emit("TorchElementwise", {"op": op}, [a2, c2], perm=perm)
    reversed_ = not isinstance(a, Ref)
    x, k = (c, a) if reversed_ else (a, c)
    cfg = {"op": op, "reversed": reversed_}
    ws = []
    if isinstance(k, torch.Tensor) and k.dim() == 0:
        k = k.item()
    if isinstance(k, bool) or not isinstance(k, (int, float, torch.Tensor)):
        ctx.fail(f"{op} with a {type(k).__name__} operand is not supported")
    if isinstance(k, torch.Tensor):
        if k.dim() > x.rank:
            ctx.fail(f"a constant of shape {list(k.shape)} broadcast against {x.torch_shape}")
        full = k.reshape([1] * (x.rank - k.dim()) + list(k.shape))
        if full.shape[0] != 1 and not _dim0_not_batch(ctx, x, full.shape[0]):
            ctx.fail(f"the constant operand of shape {list(k.shape)} has a batch dim; the "
                     f"exported model takes any batch size")
        arr = np32(full.permute(*x.perm).contiguous())
        cfg["constantShape"] = list(arr.shape)
        ws.append(("constant", arr))
    else:
        cfg["scalar"] = float(k)
    return ctx.emit("TorchElementwise", cfg, [x], perm=x.perm, weights=ws)


def _dim0_not_batch(ctx, x, k):
    """Note [a constant along a dim 0 that is not the batch]
    Inside a model dim 0 may hold something other than the batch (Note [dim 0 inside a model] in
    _builder.py): SCUNet's window attention puts the heads first (einops `b nw np (threeh c) ->
    threeh b nw np c`) and adds its relative position bias, a constant [heads, 1, 1, p, q]. A
    constant with k > 1 entries along dim 0 is fine where x's dim 0 is that same fixed k and the
    model's batch is a size known only at run time, so that dim 0 cannot hold the batch (a fixed
    size never does then). Where the batch is fixed too (dynamic_shapes=False), dim 0 might be the
    batch and the constant stays refused."""
    sym = ctx.sym_shape(x)
    if not (isinstance(sym[0], int) and sym[0] == k and k > 1):
        return False
    inputs = [ctx.sym_shape(r) for r in ctx.input_refs]
    return bool(inputs) and all(isinstance(s[0], SymDim) for s in inputs)


SIZE_OPS = ("add", "sub", "mul", "div", "pow", "eq", "ne", "lt", "le", "gt", "ge")


def _size_operand(ctx, op, a, c):
    """op(a, c) where one operand is a size known only at run time (a SymDim) and the other a
    tensor of the model: a TorchElementwise whose scalarExpr is that size, read at run time from
    the shapes of the model inputs it depends on (Note [a size as an operand] in
    src/layers/tensor_ops.ts)."""
    reversed_ = isinstance(a, SymDim)
    x, k = (c, a) if reversed_ else (a, c)
    if op not in SIZE_OPS or not isinstance(x, Ref):
        ctx.fail(f"{op} with a size known only at run time ({k}) as an operand is not supported "
                 f"(only add, sub, mul, div, pow and the comparisons of a tensor of the model and "
                 f"such a size); fix "
                 f"the sizes (dynamic_shapes=False)")
    w = ctx.writer(1)
    expr = w.write(k)
    cfg = {"op": op, "reversed": reversed_, "scalarExpr": expr}
    return ctx.emit("TorchElementwise", cfg, [x, *w.extra], perm=x.perm)


def _scaled(ctx, other, alpha):
    """alpha * other (torch.add(x, y, alpha=a) is x + a * y): a number or constant scaled here,
    a tensor from the inputs by a TorchElementwise mul before the add."""
    if alpha in (None, 1):
        return other
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        ctx.fail(f"alpha must be a number, got {alpha!r}")
    if isinstance(other, SymDim):   # a size known only at run time (Note [a size as an operand])
        if not isinstance(alpha, int):
            ctx.fail(f"alpha={alpha!r} times a size known only at run time ({other}) is not "
                     f"supported (an integer alpha is)")
        return SymDim(other.expr * alpha, other.value * alpha)
    if isinstance(other, Ref):
        value = other.value * alpha if isinstance(other.value, torch.Tensor) else other.value
        (y,) = ctx.b.layer("TorchElementwise", {"op": "mul", "scalar": float(alpha)}, [other],
                           f"{ctx.name()}_alpha", outputs=[(other.perm, value)], record=False)
        y.sym = other.sym
        return y
    return other * alpha


@register(aten.add.Tensor, aten.add.Scalar)
def add(ctx, a):
    """add: +, torch.add (alpha included), in place too; with sub, mul, div and pow, one operand
    may be a size known only at run time (Note [a size as an operand] in
    src/layers/tensor_ops.ts)."""
    return emit_binary(ctx, "add", a.self, _scaled(ctx, a.other, a.get("alpha")))


@register(aten.sub.Tensor, aten.sub.Scalar)
def sub(ctx, a):
    """sub: -, torch.sub (alpha included)."""
    return emit_binary(ctx, "sub", a.self, _scaled(ctx, a.other, a.get("alpha")))


@register(aten.rsub.Scalar, aten.rsub.Tensor)
def rsub(ctx, a):
    """rsub: number - tensor (alpha included: other - alpha * self)."""
    return emit_binary(ctx, "sub", a.other, _scaled(ctx, a.self, a.get("alpha")))


def _sigmoid_input(b, s):
    """The Ref that s is the sigmoid of, when s is the output of an Activation('sigmoid') layer's
    one call; else None."""
    layer = b.by_name.get(s.layer)
    if layer is None or layer["class_name"] != "Activation" or \
            layer["config"].get("activation") != "sigmoid" or len(layer["inbound_nodes"]) != 1 or \
            s.node_index != 0 or s.tensor_index != 0:
        return None
    (inbound,) = layer["inbound_nodes"][0]
    return inbound[:3]


def _silu_written_out(ctx, a, c):
    """Note [x * sigmoid(x) as one SiLU]
    Models that predate nn.SiLU write it out: taming-transformers' Decoder (Stable Diffusion's VAE
    decoder) has `nonlinearity(x) = x * torch.sigmoid(x)`, 30 times. Exported as written that is
    a sigmoid layer and a mul layer, two passes over the feature map (Sigmoid and Mul on
    tensorflow). Where a mul's two operands are a tensor x and the output of a sigmoid layer whose
    input is that same tfjs tensor (same layer output, so the same layout), in either order, the
    mul emits the silu activation (one TorchSilu kernel, Note [silu numerics] in src/ops/silu.ts)
    on x instead. The sigmoid layer is then read by nobody unless something else reads it (then it
    stays, and only the mul is replaced), and the export's pruning drops it. Numbers: PyTorch's
    x * sigmoid(x) and its silu agree within float32 rounding, at +-Infinity and NaN too (-inf *
    0 = NaN = -inf / inf, +inf * 1 = +inf), and so do their gradients (NaN at +-Infinity both).
    Returns the silu's Ref, or None where the pattern does not hold."""
    b = ctx.b
    if not (isinstance(a, Ref) and isinstance(c, Ref)):
        return None
    for x, s in ((a, c), (c, a)):
        src = _sigmoid_input(b, s)
        if src is not None and src == x.inbound()[:3]:
            return ctx.emit("TorchActivation", {"fn": "silu"}, [x], perm=x.perm)
    return None


@register(aten.mul.Tensor, aten.mul.Scalar)
def mul(ctx, a):
    """mul: *, torch.mul (x * sigmoid(x) as one SiLU: Note [x * sigmoid(x) as one SiLU])."""
    return _silu_written_out(ctx, a.self, a.other) or emit_binary(ctx, "mul", a.self, a.other)


@register(aten.div.Tensor, aten.div.Scalar, aten.div.Tensor_mode)
def div(ctx, a):
    """div: /, torch.div (true division only; by a size known only at run time too, as
    unbiased var / std and `x / (h * w)` do: Note [a size as an operand] in
    src/layers/tensor_ops.ts)."""
    if a.get("rounding_mode") is not None:
        ctx.fail(f"div with rounding_mode={a.rounding_mode!r} is not supported")
    return emit_binary(ctx, "div", a.self, a.other)


@register(aten.pow.Tensor_Scalar, aten.pow.Tensor_Tensor, aten.pow.Scalar)
def pow_(ctx, a):
    """pow: **, torch.pow."""
    return emit_binary(ctx, "pow", a.self, a.exponent)


@register(aten.maximum.default)
def maximum(ctx, a):
    """maximum: torch.maximum."""
    return emit_binary(ctx, "maximum", a.self, a.other)


@register(aten.minimum.default)
def minimum(ctx, a):
    """minimum: torch.minimum."""
    return emit_binary(ctx, "minimum", a.self, a.other)


@register(aten.reciprocal.default)
def reciprocal(ctx, a):
    """reciprocal: 1 / x."""
    return emit_binary(ctx, "div", 1.0, ctx.ref(a.self))


@register(aten.eq.Scalar, aten.eq.Tensor, aten.ne.Scalar, aten.ne.Tensor, aten.lt.Scalar,
          aten.lt.Tensor, aten.le.Scalar, aten.le.Tensor, aten.gt.Scalar, aten.gt.Tensor,
          aten.ge.Scalar, aten.ge.Tensor)
def compare(ctx, a):
    """eq / ne / lt / le / gt / ge: ==, !=, <, <=, >, >= (a mask: 1 where true, 0 where not, as
    float32 in the model; masked_fill and torch.where read it); with a size known only at run
    time too (Swin2SR's `arange(h) >= h - window_size`: Note [a size as an operand])."""
    op = ctx.node.target._opname   # noqa: SLF001 (the ATen name: eq, ne, ...)
    return emit_binary(ctx, op, a.self, a.other)


def _where_operand(ctx, v, what):
    if isinstance(v, Ref):
        return v
    if isinstance(v, torch.Tensor) and v.dim() == 0:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        ctx.fail(f"torch.where's {what} must be a tensor of the model or a number, got "
                 f"{type(v).__name__} (a stored tensor of several values is not supported)")
    return float(v)


@register(aten.where.self)
def where(ctx, a):
    """where: torch.where(cond, x, y) and masked_fill (cond a mask of the model; x and y
    tensors of the model or numbers, broadcast as PyTorch broadcasts)."""
    cond = ctx.ref(a.condition, "condition")
    x = _where_operand(ctx, a.self, "input")
    y = _where_operand(ctx, a.other, "other")
    refs = [cond] + [t for t in (x, y) if isinstance(t, Ref)]
    if any(r.rank != cond.rank for r in refs):
        ctx.fail(f"torch.where of tensors of ranks {[r.rank for r in refs]}: broadcasting across "
                 f"ranks moves the batch dim; unsqueeze first")
    canon = ctx.b.canonical(cond.rank)
    perm = cond.perm if all(r.perm == cond.perm for r in refs) else canon
    inputs = [ctx.b.to_perm(r, perm) for r in refs]
    cfg = {"x": None if isinstance(x, Ref) else x, "y": None if isinstance(y, Ref) else y}
    return ctx.emit("TorchWhere", cfg, inputs, perm=perm)
