"""Attention: F.scaled_dot_product_attention (scale, is_causal, enable_gqa, a boolean or additive
attn_mask computed from the inputs or stored) as tfjs-torch's TorchScaledDotProductAttention, in
PyTorch's dim order. Softmax and the products of hand-written attention (q @ k.transpose, softmax,
@ v) are the softmax and matmul handlers'."""
import torch

from . import register
from .._builder import Ref, identity
from ._common import np32

aten = torch.ops.aten


@register(aten.scaled_dot_product_attention.default)
def scaled_dot_product_attention(ctx, a):
    """scaled_dot_product_attention: scale, is_causal, enable_gqa, a boolean or additive
    attn_mask (from the inputs, or a stored one without a batch dim); dropout_p 0 only."""
    b = ctx.b
    q, k, v = (ctx.ref(a[n], n) for n in ("query", "key", "value"))
    if not (q.rank == k.rank == v.rank):
        ctx.fail(f"query, key and value of ranks {q.rank}, {k.rank}, {v.rank} from the inputs: "
                 f"broadcasting across ranks moves the batch dim")
    dropout = a.get("dropout_p", 0.0)
    if not isinstance(dropout, (int, float)) or dropout != 0:
        ctx.fail(f"dropout_p={dropout!r}: attention dropout is for training; pass "
                 f"dropout_p=self.dropout if self.training else 0.0 (export runs in eval mode)")
    scale = a.get("scale")
    if scale is not None and not isinstance(scale, (int, float)):
        ctx.fail(f"scale {scale!r} must be a number (a scale computed from sizes known only at run "
                 f"time is not supported)")
    cfg = {"scale": None if scale is None else float(scale),
           "isCausal": bool(a.get("is_causal", False)),
           "enableGqa": bool(a.get("enable_gqa", False))}
    inputs = [b.to_torch_order(t) for t in (q, k, v)]
    mask = a.get("attn_mask")
    weights = []
    if mask is not None:
        dtype = mask.value.dtype if isinstance(mask, Ref) else mask.dtype
        cfg["maskType"] = "boolean" if dtype == torch.bool else "additive"
        if isinstance(mask, Ref):
            if mask.rank != q.rank:
                ctx.fail(f"attn_mask of rank {mask.rank} from the inputs with a query of rank "
                         f"{q.rank}: broadcasting across ranks moves the batch dim")
            inputs.append(b.to_torch_order(mask))
        else:
            m = ctx.const(mask, "attn_mask")
            if m.dim() >= q.rank and m.shape[0] != 1:
                ctx.fail(f"the stored attn_mask of shape {list(m.shape)} has a batch dim; the "
                         f"exported model takes any batch size (make it broadcast: size 1 there)")
            arr = m.detach().to(torch.float32) if m.dtype == torch.bool else m.detach()
            cfg["maskShape"] = list(arr.shape)
            weights.append(("mask", np32(arr)))
    y = ctx.emit("TorchScaledDotProductAttention", cfg, inputs, perm=identity(ctx.value.dim()),
                 weights=weights)
    y.sym = ctx.out_sym()
    return y
