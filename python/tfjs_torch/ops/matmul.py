"""Matrix products: matmul / mm / bmm with torch.matmul's broadcasting, addmm / baddbmm (the
product, scaled and added), and einsum's two-operand patterns, as tfjs-torch's TorchMatMul and
TorchEinsum. They work in PyTorch's dim order: operands computed from the inputs are brought
into it (a Permute where their layout is another), and the result is in it."""
import re

import torch

from . import register
from .._builder import Ref, identity
from ._common import np32

aten = torch.ops.aten


def _torch_order(ctx, x):
    return ctx.b.to_torch_order(x)


def _batch_first(ctx, x, other, what, first):
    """A product of a tensor from the inputs with a stored operand keeps dim 0 as the batch only
    when the stored one brings no leading dims of its own. x @ W with both 2-D is the exception
    to the rank rule: W's dim 0 is the contracted dim, not a batch, and the product's dim 0 is
    x's (a flattened [N, C] times a stored [C, K]: diffusers' VQModel's cdist); W @ x with both
    2-D puts W's rows first and stays refused."""
    if not first and other.dim() == 2 and x.rank == 2:
        return
    if other.dim() > x.rank or (other.dim() == x.rank and other.shape[0] != 1):
        ctx.fail(f"{what}: the stored operand of shape {list(other.shape)} has as many dims as "
                 f"{x.torch_shape} or more, so the product's dim 0 would not be the batch; "
                 f"the tfjs model keeps dim 0 as its batch")


def emit_matmul(ctx, a, c, what="matmul", value=None, name=None, record=True):
    """torch.matmul(a, c), a and / or c a Ref; the other may be a stored tensor."""
    b = ctx.b
    value = ctx.value if value is None else value
    if isinstance(a, Ref) and isinstance(c, Ref):
        if a.rank != c.rank:
            ctx.fail(f"{what} of tensors of ranks {a.rank} and {c.rank} (both from the inputs): "
                     f"broadcasting across ranks moves the batch dim; unsqueeze one first")
        swap = identity(a.rank)[:-2] + [a.rank - 1, a.rank - 2]
        if a.rank >= 3 and c.perm == swap and a.perm != swap and \
                c.value.numel() > a.value.numel() + value.numel():
            # Note [a product held transposed]
            # c is held with its last two dims swapped ([..., n, k]: SAM's upscaled embedding
            # [b, h, w, c] viewed as [b, c, h * w], held [b, h * w, c]). Bringing it to PyTorch's
            # order is a transpose of the large operand (SAM: [1, 65536, 32], 7 ms on wasm, and
            # the product on the transposed copy another 10). Instead the product is computed
            # transposed, c^T @ a^T = (a @ c)^T, from the held c and a^T (a Permute of the small
            # a), and the result is brought to PyTorch's order (SAM: [1, 65536, 4], one transpose
            # of an eighth of the values), so what follows sees the same tensor as before (SAM's
            # masks stay [b, m, h, w]). Chosen where c has more values than a and the result
            # together. Same sums, in a product of the other shape.
            at = ctx.b.to_perm(a, swap)
            (out,) = b.layer("TorchMatMul", {}, [c, at], f"{name or ctx.name()}_transposed",
                             outputs=[(swap, value)], record=record)
            return ctx.b.to_torch_order(out)
        x, y = _torch_order(ctx, a), _torch_order(ctx, c)
        (out,) = b.layer("TorchMatMul", {}, [x, y], name or ctx.name(),
                         outputs=[(identity(value.dim()), value)], record=record)
        return out
    first = not isinstance(a, Ref)
    x, k = (c, a) if first else (a, c)
    if not isinstance(k, torch.Tensor):
        ctx.fail(f"{what} with a {type(k).__name__} operand is not supported")
    if k.dim() == 0:
        ctx.fail(f"{what} with a 0-d operand (PyTorch refuses it too)")
    _batch_first(ctx, x, k, what, first)
    x = _torch_order(ctx, x)
    cfg = {"constantShape": list(k.shape), "constantFirst": first}
    (out,) = b.layer("TorchMatMul", cfg, [x], name or ctx.name(), weights=[("constant", np32(k))],
                     outputs=[(identity(value.dim()), value)], record=record)
    return out


@register(aten.matmul.default, aten.mm.default, aten.bmm.default)
def matmul(ctx, a):
    """matmul / mm / bmm / @: torch.matmul's broadcasting (1-D operands too); one operand may be
    a parameter or constant (x @ W, W @ x; a 2-D x @ a 2-D W keeps x's dim 0)."""
    other = a.get("other", a.get("mat2"))
    if not isinstance(a.self, Ref) and not isinstance(other, Ref):
        ctx.fail("needs an operand computed from the inputs")
    y = emit_matmul(ctx, a.self, other, str(ctx.node.target).split(".")[1])
    y.sym = ctx.out_sym()
    return y


def _scaled_sum(ctx, prod, prod_value, bias, alpha, beta, what):
    """beta * bias + alpha * prod (addmm / baddbmm): TorchElementwise layers on prod."""
    b = ctx.b
    for name, v in (("alpha", alpha), ("beta", beta)):
        if isinstance(v, torch.Tensor) or not isinstance(v, (int, float)):
            ctx.fail(f"{what}: {name} must be a number, got {v!r}")
    y, y_val = prod, prod_value
    if alpha != 1:
        y_val = y_val * alpha
        (y,) = b.layer("TorchElementwise", {"op": "mul", "scalar": float(alpha)}, [y],
                       f"{ctx.name()}_alpha", outputs=[(y.perm, y_val)], record=False)
    if beta == 0:
        # PyTorch ignores the input when beta is 0 (nan and inf in it too).
        from ._common import alias
        return alias(y, ctx.value)
    if isinstance(bias, Ref):
        if bias.rank != y.rank:
            ctx.fail(f"{what}: an input of rank {bias.rank} from the model's inputs added to a "
                     f"product of rank {y.rank}")
        bias = _torch_order(ctx, bias)
        if beta != 1:
            bv = bias.value * beta
            (bias,) = b.layer("TorchElementwise", {"op": "mul", "scalar": float(beta)}, [bias],
                              f"{ctx.name()}_beta", outputs=[(bias.perm, bv)], record=False)
        (out,) = b.layer("TorchElementwise", {"op": "add"}, [y, bias], ctx.name(),
                         outputs=[(y.perm, ctx.value)])
        return out
    if not isinstance(bias, torch.Tensor):
        ctx.fail(f"{what}: input must be a tensor, got {type(bias).__name__}")
    k = (bias * beta).detach()
    full = k.reshape([1] * (y.rank - k.dim()) + list(k.shape)) if k.dim() < y.rank else k
    if full.dim() > y.rank or full.shape[0] != 1:
        ctx.fail(f"{what}: the stored input of shape {list(k.shape)} has a batch dim; the "
                 f"exported model takes any batch size")
    cfg = {"op": "add", "constantShape": list(full.shape)}
    (out,) = b.layer("TorchElementwise", cfg, [y], ctx.name(), weights=[("constant", np32(full))],
                     outputs=[(y.perm, ctx.value)])
    return out


@register(aten.addmm.default, aten.baddbmm.default, aten.addbmm.default)
def addmm(ctx, a):
    """addmm / baddbmm: beta * input + alpha * (batch1 @ batch2) (addbmm refused: it sums over
    the batch)."""
    what = str(ctx.node.target).split(".")[1]
    if what == "addbmm":
        ctx.fail("addbmm sums the products over the batch dim; the tfjs model keeps dim 0 as its "
                 "batch")
    m1 = a.get("mat1", a.get("batch1"))
    m2 = a.get("mat2", a.get("batch2"))
    if not isinstance(m1, Ref) and not isinstance(m2, Ref):
        ctx.fail("needs a product operand computed from the inputs")
    v1 = m1.value if isinstance(m1, Ref) else m1
    v2 = m2.value if isinstance(m2, Ref) else m2
    pv = torch.matmul(v1.float(), v2.float())
    prod = emit_matmul(ctx, m1, m2, what, value=pv, name=f"{ctx.name()}_mm", record=False)
    y = _scaled_sum(ctx, prod, pv, a.self, a.alpha, a.beta, what)
    y.sym = ctx.out_sym()
    return y


_TERM = re.compile(r"^(?:[a-zA-Z]|\.\.\.)*$")


def _einsum_as_product(ctx, eq, terms, rhs, ops):
    """einsum of a tensor from the inputs and a 2-D stored operand that is a plain product x @ W
    (taming-transformers' VectorQuantizer2: 'bd,dn->bn' with the codebook transposed): x's last
    letter contracted with one of W's, W's other letter appended to x's others in the output,
    either operand first. The TorchMatMul of x @ W (W transposed as the equation reads it), or
    None for any other einsum."""
    if len(ops) != 2 or sum(isinstance(t, Ref) for t in ops) != 1 or "..." in eq:
        return None
    i = 0 if isinstance(ops[0], Ref) else 1
    x, w = ops[i], ops[1 - i]
    tx, tw = terms[i], terms[1 - i]
    if not isinstance(w, torch.Tensor) or w.dim() != 2 or len(tw) != 2 or tw[0] == tw[1] or \
            len(set(tx)) != len(tx) or len(tx) != x.rank or len(tx) < 2:
        return None
    c = tx[-1]
    if c not in tw:
        return None
    n = tw[1] if tw[0] == c else tw[0]
    if n in tx or rhs != tx[:-1] + n:
        return None
    k = w if tw[0] == c else w.t()
    y = emit_matmul(ctx, x, k.contiguous(), "einsum")
    y.sym = ctx.out_sym()
    return y


@register(aten.einsum.default)
def einsum(ctx, a):
    """einsum: one or two operands from the inputs, each keeping its batch dim first (as one
    batched matmul; no letter repeated inside an operand); or one from the inputs and a 2-D stored
    operand in a plain product ('bd,dn->bn', as x @ W)."""
    eq = a.equation
    ops = list(a.tensors)
    if not 1 <= len(ops) <= 2:
        ctx.fail(f"einsum of {len(ops)} operands is not supported (one or two; split it into "
                 f"pairwise einsums)")
    lhs, _, rhs = eq.replace(" ", "").partition("->")
    terms = lhs.split(",")
    product = _einsum_as_product(ctx, eq, terms, rhs, ops)
    if product is not None:
        return product
    for i, t in enumerate(ops):
        if not isinstance(t, Ref):
            ctx.fail(f"einsum operand {i} is a parameter or constant; only operands computed from "
                     f"the inputs are supported, and a 2-D stored operand in a plain product "
                     f"('bd,dn->bn'; use torch.matmul for other products with weights)")
    for t in terms + ([rhs] if rhs else []):
        if not _TERM.match(t):
            ctx.fail(f"einsum equation {eq!r}: terms hold letters and '...'")
    if not rhs and "->" not in eq:
        ctx.fail(f"einsum equation {eq!r} without '->': write the output out (the implicit "
                 f"output reorders the batch letter)")
    # The batch dim (dim 0 of every operand) must be the output's dim 0.
    heads = {t[0] if not t.startswith("...") else "..." for t in terms}
    out_head = rhs[0] if rhs and not rhs.startswith("...") else ("..." if rhs else None)
    if len(heads) != 1 or out_head not in heads:
        ctx.fail(f"einsum equation {eq!r}: every operand's first dim and the output's first dim "
                 f"must be the same letter (the batch; the tfjs model keeps dim 0 as its batch)")
    xs = [_torch_order(ctx, t) for t in ops]
    y = ctx.emit("TorchEinsum", {"equation": eq.replace(" ", "")}, xs, perm=identity(ctx.value.dim()))
    y.sym = ctx.out_sym()
    return y
