"""Activations and other elementwise functions of one tensor, and softmax over any dim."""
import numpy as np
import torch

from . import register
from ._common import alias, dim_index, np32
from .norm import _foldable_conv

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


def _sole_reader(ctx, x):
    """Whether this node is the only reader of tfjs tensor x: every graph node that stands for x
    (x's own node, views that change nothing, batch norms folded into x's convolution) has no
    user but this node and the others standing for x, so x is neither a model output nor read
    by any other layer."""
    key = x.key()
    same = set()
    for n, r in ctx.refs.items():
        rs = r if isinstance(r, (list, tuple)) else [r]
        if any(hasattr(i, "key") and i.key() == key for i in rs):
            same.add(n)
    return all(u is ctx.node or u in same for n in same for u in n.users)


def _fold_activation(ctx, x, activation, alpha=None):
    """Note [activation folded into its convolution]
    tfjs's fused convolution applies an activation to its output in the same kernel (XNNPACK's
    output clamp, or its PReLU pass right after, on wasm; in the shader on webgl / webgpu; on
    tensorflow separate TensorFlow ops as before), so where a ReLU, a LeakyReLU or a PReLU reads
    the output of a 2-d convolution layer that nothing else reads (Note [batch norm folded into
    its convolution]'s conditions: one call, no activation yet, weights of its own; the graph
    nodes that stand for the convolution's output have this activation as their only user, so it
    is no model output) the activation goes into that layer and emits none: one pass over the
    feature map and one tensor fewer. A batch norm folded into the convolution first leaves it
    foldable, so conv -> BatchNorm -> ReLU is one layer. The layer is tfjs-torch's
    TorchFusedConv2d (src/layers/fused_conv.ts, Note [every 2-d convolution through
    TorchConv2d]) with activation 'relu', 'leakyrelu' (leakyreluAlpha: LeakyReLU's
    negative_slope) or 'prelu' (its weight 'alpha' [out]: PReLU's per-channel weight, or its one
    weight repeated). The convolution's layer then stands for the activation's value (the check
    file records it as that) and leaves weight sharing, as for a folded norm.

    NaN: PyTorch's relu(NaN), leaky_relu(NaN) and prelu(NaN) are NaN. The fused activation keeps
    NaN on cpu, tensorflow, webgl and webgpu (a comparison that is false for NaN selects the
    input) and in XNNPACK's GEMM convolutions on wasm, but XNNPACK runs a depthwise convolution,
    and a dense one with one input and one output channel, through microkernels whose clamp turns
    NaN into 0; those are not folded (DepthwiseConv2D is never; a convolution with 1 -> 1 channels
    neither). ReLU6 / hardtanh(0, 6) is not folded: XNNPACK's clamp with an upper bound turns NaN
    into a number in every convolution. -Infinity: tfjs's packed webgl ReLU (x * (x >= 0)) gives
    NaN where PyTorch gives 0, fused or not (tf.relu's packed program is the same), so the fold
    changes nothing there. Returns the activation's Ref, or None where the pattern does not
    hold."""
    b = ctx.b
    layer = b.by_name.get(x.layer)
    if layer is None or layer["class_name"] != "TorchFusedConv2d" or x.node_index != 0 or \
            x.tensor_index != 0 or not _foldable_conv(b, layer):
        return None
    kernel = next(a for n, a in b.weights if n == f"{layer['name']}/kernel")
    if kernel.shape[-2] == 1 and kernel.shape[-1] == 1:
        return None
    if not _sole_reader(ctx, x):
        return None
    cfg = layer["config"]
    cfg["activation"] = activation
    if activation == "leakyrelu":
        cfg["leakyreluAlpha"] = float(alpha)
    elif activation == "prelu":
        name = layer["name"]
        last = max(i for i, (n, _) in enumerate(b.weights) if n.startswith(f"{name}/"))
        b.weights.insert(last + 1, (f"{name}/alpha",
                                    np.broadcast_to(alpha, (kernel.shape[-1],)).astype(np.float32)))
    for k, v in list(b._shared.items()):
        if v == layer["name"]:
            del b._shared[k]
    y = alias(x, ctx.value, x.sym)
    b.records = [y if r.key() == x.key() else r for r in b.records]
    return y


@register(aten.relu.default)
def relu(ctx, a):
    """relu: nn.ReLU, F.relu, torch.relu (in place too)."""
    x = ctx.ref(a.self)
    return _fold_activation(ctx, x, "relu") or emit_activation(ctx, x, "ReLU", {})


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
    x = ctx.ref(a.self)
    alpha = float(a.negative_slope)
    return _fold_activation(ctx, x, "leakyrelu", alpha) or \
        emit_activation(ctx, x, "LeakyReLU", {"alpha": alpha})


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
    folded = x.rank == 4 and _fold_activation(ctx, x, "prelu", np32(w).reshape(-1))
    if folded:
        return folded
    x = b.to_canonical(x)
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
