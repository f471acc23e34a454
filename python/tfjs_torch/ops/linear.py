"""Linear layers: nn.Linear / F.linear on any rank (tfjs-torch's TorchLinear over the last dim:
Dense's config keys and weights, in fewer kernels; Note [a linear layer of our own] in
src/layers/attention.ts)."""
import torch

from . import register
from ._common import np32

aten = torch.ops.aten


@register(aten.linear.default)
def linear(ctx, a):
    """linear: nn.Linear, F.linear (on the last dim of any rank; weights are parameters)."""
    b = ctx.b
    x = ctx.ref(a.input)
    w = ctx.const(a.weight, "weight")
    bias = ctx.const(a.bias, "bias")
    if x.perm[-1] != x.rank - 1:
        x = b.to_torch_order(x)
    sym = ctx.sym_shape(x)
    if not isinstance(sym[-1], int):
        # TorchLinear needs its input's last dim fixed: it is the weight's (a flatten of free sizes
        # followed by a Linear only runs at one size; PyTorch's guards say which).
        from ._common import size_list
        dims, extra = size_list(ctx, x, sym[1:-1], 1)
        (x,) = b.layer("TorchReshape", {"shape": dims + [int(w.shape[1])]}, [x] + extra,
                       f"{ctx.name()}_in", outputs=[(x.perm, list(x.torch_shape))], record=False)
    cfg = {"units": int(w.shape[0]), "useBias": bias is not None}
    ws = [("kernel", np32(w).T)]
    if bias is not None:
        ws.append(("bias", np32(bias)))
    return ctx.emit("TorchLinear", cfg, [x], perm=x.perm, weights=ws, share=ctx.share_key())
