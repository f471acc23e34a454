"""Activations and other elementwise functions of one tensor, and softmax over any dim."""
import torch

from . import register
from ._common import dim_index

aten = torch.ops.aten


def _act(fn, **cfg):
    return ("TorchActivation", dict(cfg, fn=fn))


def emit_activation(ctx, x, cls, cfg):
    return ctx.emit(cls, cfg, [x], perm=x.perm)


def _simple(ops, layer, doc):
    def handler(ctx, a):
        x = ctx.ref(a.self if "self" in a else a.input)
        return emit_activation(ctx, x, *layer)
    handler.__doc__ = doc
    handler.__name__ = doc.split(":")[0].split(" ")[0]
    register(*ops)(handler)


_simple([aten.relu.default], ("ReLU", {}), "relu: nn.ReLU, F.relu, torch.relu (in place too).")
_simple([aten.sigmoid.default], ("Activation", {"activation": "sigmoid"}), "sigmoid: nn.Sigmoid.")
_simple([aten.tanh.default], ("Activation", {"activation": "tanh"}), "tanh: nn.Tanh.")
_simple([aten.silu.default], _act("silu"), "silu: nn.SiLU, F.silu.")
_simple([aten.mish.default], _act("mish"), "mish: nn.Mish.")
_simple([aten.hardswish.default], _act("hardswish"), "hardswish: nn.Hardswish.")
_simple([aten.hardsigmoid.default], _act("hardsigmoid"), "hardsigmoid: nn.Hardsigmoid.")
_simple([aten.neg.default], _act("neg"), "neg: -x.")
_simple([aten.abs.default], _act("abs"), "abs: torch.abs.")
_simple([aten.exp.default], _act("exp"), "exp: torch.exp.")
_simple([aten.log.default], _act("log"), "log: torch.log.")
_simple([aten.sqrt.default], _act("sqrt"), "sqrt: torch.sqrt.")
_simple([aten.rsqrt.default], _act("rsqrt"), "rsqrt: torch.rsqrt.")


@register(aten.log_sigmoid.default)
def log_sigmoid(ctx, a):
    """log_sigmoid: nn.LogSigmoid, F.logsigmoid."""
    return emit_activation(ctx, ctx.ref(a.self), *_act("logsigmoid"))


@register(aten.leaky_relu.default)
def leaky_relu(ctx, a):
    """leaky_relu: nn.LeakyReLU, F.leaky_relu (in place too)."""
    return emit_activation(ctx, ctx.ref(a.self), "LeakyReLU", {"alpha": float(a.negative_slope)})


@register(aten.gelu.default)
def gelu(ctx, a):
    """gelu: nn.GELU, F.gelu, both approximations ('none', 'tanh')."""
    approx = a.approximate or "none"
    return emit_activation(ctx, ctx.ref(a.self), *_act("geluTanh" if approx == "tanh" else "gelu"))


@register(aten.elu.default)
def elu(ctx, a):
    """elu: nn.ELU, nn.CELU, nn.SELU (PyTorch writes them all as elu with scales)."""
    x = ctx.ref(a.self)
    alpha, scale, in_scale = float(a.alpha), float(a.scale), float(a.input_scale)
    if scale == 1 and in_scale == 1:
        return emit_activation(ctx, x, *_act("elu", alpha=alpha))
    if scale == 1 and abs(in_scale * alpha - 1) < 1e-12:
        return emit_activation(ctx, x, *_act("celu", alpha=alpha))
    if abs(scale - 1.0507009873554805) < 1e-12 and abs(alpha - 1.6732632423543772) < 1e-12 and \
            in_scale == 1:
        return emit_activation(ctx, x, *_act("selu"))
    ctx.fail(f"elu with alpha {alpha}, scale {scale}, input_scale {in_scale} is not supported")


@register(aten.celu.default)
def celu(ctx, a):
    """celu: nn.CELU."""
    return emit_activation(ctx, ctx.ref(a.self), *_act("celu", alpha=float(a.alpha)))


@register(aten.selu.default)
def selu(ctx, a):
    """selu: nn.SELU."""
    return emit_activation(ctx, ctx.ref(a.self), *_act("selu"))


@register(aten.hardtanh.default)
def hardtanh(ctx, a):
    """hardtanh: nn.Hardtanh, nn.ReLU6, F.relu6."""
    lo, hi = float(a.min_val), float(a.max_val)
    if lo == 0 and hi == 6:
        return emit_activation(ctx, ctx.ref(a.self), "ReLU", {"max_value": 6.0})
    return emit_activation(ctx, ctx.ref(a.self), *_act("clamp", min=lo, max=hi))


@register(aten.clamp.default)
def clamp(ctx, a):
    """clamp: torch.clamp / clip with number bounds."""
    lo, hi = a.min, a.max
    for v in (lo, hi):
        if isinstance(v, torch.Tensor) or hasattr(v, "layer"):
            ctx.fail("clamp with tensor bounds is not supported")
    return emit_activation(ctx, ctx.ref(a.self), *_act(
        "clamp", min=None if lo is None else float(lo), max=None if hi is None else float(hi)))


@register(aten.softplus.default)
def softplus(ctx, a):
    """softplus: nn.Softplus (beta, threshold)."""
    return emit_activation(ctx, ctx.ref(a.self), *_act(
        "softplus", beta=float(a.beta), threshold=float(a.threshold)))


@register(aten.prelu.default, aten._prelu_kernel.default)
def prelu(ctx, a):
    """prelu: nn.PReLU (one or per-channel parameters)."""
    b = ctx.b
    x = ctx.ref(a.self)
    w = ctx.const(a.weight, "weight")
    n = w.numel()
    if n != 1 and (x.rank < 2 or x.torch_shape[1] != n):
        ctx.fail(f"PReLU with {n} parameters on an input of shape {x.torch_shape}")
    x = b.to_canonical(x)
    from ._common import np32
    cfg = {"numParameters": n, "dataFormat": b.data_format}
    return ctx.emit("TorchPReLU", cfg, [x], perm=x.perm,
                    weights=[("weight", np32(w).reshape(-1))], share=ctx.share_key())


def _softmax(ctx, x, dim, log):
    d = dim_index(ctx, dim if dim is not None else -1, x.rank)
    if d == 0:
        ctx.fail("softmax over the batch dim is not supported")
    return emit_activation(ctx, x, *_act("logSoftmax" if log else "softmax",
                                         axis=x.perm.index(d)))


@register(aten.softmax.int, aten._softmax.default)
def softmax(ctx, a):
    """softmax: nn.Softmax, F.softmax over any dim but the batch."""
    return _softmax(ctx, ctx.ref(a.self), a.dim, False)


@register(aten.log_softmax.int, aten._log_softmax.default)
def log_softmax(ctx, a):
    """log_softmax: nn.LogSoftmax, F.log_softmax over any dim but the batch."""
    return _softmax(ctx, ctx.ref(a.self), a.dim, True)
