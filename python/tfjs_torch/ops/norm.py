"""Normalizations: batch norm (eval), instance norm, group norm, layer norm over trailing dims."""
import torch

from . import register
from .._builder import identity
from ._common import np32

aten = torch.ops.aten


def emit_norm(ctx, x, cls, cfg, weights, channels):
    """A channel norm (tfjs-torch's TorchBatchNorm / TorchInstanceNorm / TorchGroupNorm)."""
    b = ctx.b
    if x.rank < 2:
        ctx.fail(f"needs an input with batch and channel dims, got shape {x.torch_shape}")
    if x.torch_shape[1] != channels:
        ctx.fail(f"input has {x.torch_shape[1]} channels, the parameters {channels}")
    x = b.to_canonical(x)
    cfg = dict(cfg, dataFormat=b.data_format)
    return ctx.emit(cls, cfg, [x], perm=x.perm, weights=weights, share=ctx.share_key())


def _ones(c):
    return torch.ones(c)


def _zeros(c):
    return torch.zeros(c)


def _batch_norm(ctx, x, weight, bias, mean, var, training, momentum, eps):
    for n, v in (("weight", weight), ("bias", bias), ("running_mean", mean), ("running_var", var)):
        ctx.const(v, n)
    if training or mean is None or var is None:
        ctx.fail("batch norm in training form (batch statistics) is not supported; the exported "
                 "model is the module in eval mode with running statistics (a BatchNorm with "
                 "track_running_stats=False normalizes by batch statistics: use InstanceNorm or "
                 "GroupNorm)")
    c = x.torch_shape[1]
    w = weight if weight is not None else _ones(c)
    bb = bias if bias is not None else _zeros(c)
    ws = [("weight", np32(w)), ("bias", np32(bb)), ("running_mean", np32(mean)),
          ("running_var", np32(var))]
    cfg = {"numFeatures": c, "eps": float(eps), "momentum": float(momentum or 0.1),
           "affine": True, "trackRunningStats": True}
    return emit_norm(ctx, x, "TorchBatchNorm", cfg, ws, c)


@register(aten.batch_norm.default)
def batch_norm(ctx, a):
    """batch_norm: nn.BatchNorm1d/2d/3d and F.batch_norm in eval form (running statistics)."""
    return _batch_norm(ctx, ctx.ref(a.input), a.weight, a.bias, a.running_mean, a.running_var,
                       a.training, a.momentum, a.eps)


@register(aten._native_batch_norm_legit_no_training.default)
def native_batch_norm_no_training(ctx, a):
    """_native_batch_norm_legit_no_training: batch norm's core form (eval)."""
    y = _batch_norm(ctx, ctx.ref(a.input), a.weight, a.bias, a.running_mean, a.running_var,
                    False, a.momentum, a.eps)
    y.value = ctx.value[0]
    return [y, None, None]


@register(aten.instance_norm.default)
def instance_norm(ctx, a):
    """instance_norm: nn.InstanceNorm1d/2d/3d (affine or not; running statistics when
    track_running_stats=True in eval)."""
    x = ctx.ref(a.input)
    c = x.torch_shape[1]
    for n in ("weight", "bias", "running_mean", "running_var"):
        ctx.const(a[n], n)
    affine = a.weight is not None
    track = not a.use_input_stats
    ws = []
    if affine:
        ws += [("weight", np32(a.weight)),
               ("bias", np32(a.bias if a.bias is not None else _zeros(c)))]
    if track:
        if a.running_mean is None or a.running_var is None:
            ctx.fail("instance norm without input statistics needs running statistics")
        ws += [("running_mean", np32(a.running_mean)), ("running_var", np32(a.running_var))]
    cfg = {"numFeatures": c, "eps": float(a.eps), "momentum": float(a.momentum or 0.1),
           "affine": affine, "trackRunningStats": track}
    return emit_norm(ctx, x, "TorchInstanceNorm", cfg, ws, c)


@register(aten.group_norm.default)
def group_norm(ctx, a):
    """group_norm: nn.GroupNorm, F.group_norm."""
    x = ctx.ref(a.input)
    c = x.torch_shape[1]
    ctx.const(a.weight, "weight")
    ctx.const(a.bias, "bias")
    affine = a.weight is not None or a.bias is not None
    ws = []
    if affine:
        w = a.weight if a.weight is not None else _ones(c)
        bb = a.bias if a.bias is not None else _zeros(c)
        ws = [("weight", np32(w)), ("bias", np32(bb))]
    cfg = {"numGroups": ctx.static_int(a.num_groups, "num_groups"), "numChannels": c,
           "eps": float(a.eps), "affine": affine}
    return emit_norm(ctx, x, "TorchGroupNorm", cfg, ws, c)


@register(aten.layer_norm.default)
def layer_norm(ctx, a):
    """layer_norm: nn.LayerNorm, F.layer_norm over any number of trailing dims."""
    b = ctx.b
    x = ctx.ref(a.input)
    shape = ctx.ints(a.normalized_shape, 1, "normalized_shape")
    k = len(shape)
    if k >= x.rank:
        ctx.fail(f"normalizes over {k} dims of a rank-{x.rank} input, the batch included")
    ctx.const(a.weight, "weight")
    ctx.const(a.bias, "bias")
    tail = list(range(x.rank - k, x.rank))
    if x.perm[-k:] != tail:
        x = b.to_torch_order(x)
    cfg = {"axis": list(range(x.rank - k, x.rank)), "epsilon": float(a.eps),
           "center": a.bias is not None, "scale": a.weight is not None}
    ws = []
    if a.weight is not None:
        ws.append(("gamma", np32(a.weight)))
    if a.bias is not None:
        ws.append(("beta", np32(a.bias)))
    return ctx.emit("LayerNormalization", cfg, [x], perm=x.perm, weights=ws,
                    share=ctx.share_key())
