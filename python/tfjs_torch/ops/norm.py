"""Normalizations: batch norm (eval), instance norm, group norm, layer norm over trailing dims."""
import numpy as np
import torch

from . import register
from .._builder import identity
from ._common import alias, np32

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


_TRANSPOSED = ("TorchConvTranspose1d", "TorchConvTranspose2d", "TorchConvTranspose3d")
_CONVS = ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "TorchGroupedConv2d", "TorchFusedConv2d") + \
    _TRANSPOSED


def _kernel_name(layer):
    return {"DepthwiseConv2D": "depthwise_kernel"}.get(
        layer["class_name"], "weight" if layer["class_name"] in _TRANSPOSED else "kernel")


def _foldable_conv(b, layer):
    """Whether the conv layer's weights may take a folded norm: a convolution without
    activation, called once, its kernel in b.weights (a transposed one with groups 1)."""
    if layer is None or layer["class_name"] not in _CONVS or len(layer["inbound_nodes"]) != 1:
        return False
    if layer["config"].get("activation", "linear") != "linear":
        return False
    if layer["class_name"] in _TRANSPOSED and layer["config"].get("groups", 1) != 1:
        return False
    return any(n == f"{layer['name']}/{_kernel_name(layer)}" for n, _ in b.weights)


def _fold_conv(b, layer, a, shift):
    """kernel * a over the output channels, bias * a + shift (float64, stored float32)."""
    name = layer["name"]
    cfg = layer["config"]
    kname = _kernel_name(layer)
    index = {n: i for i, (n, _) in enumerate(b.weights)}
    ki = index[f"{name}/{kname}"]
    kernel = b.weights[ki][1].astype(np.float64)
    # Output channels are the kernel's last axis ([*k, in, out]); a depthwise kernel's
    # [kh, kw, in, m] holds output channel i * m + j at [..., i, j]; a transposed one keeps
    # PyTorch's [in, out, *k] (groups 1).
    if layer["class_name"] in _TRANSPOSED:
        kernel = kernel * a.reshape((1, -1) + (1,) * (kernel.ndim - 2))
    else:
        kernel = kernel * a.reshape(kernel.shape[-2:] if kname == "depthwise_kernel" else (-1,))
    b.weights[ki] = (b.weights[ki][0], kernel.astype(np.float32))
    use_bias = {"TorchGroupedConv2d": "bias", "TorchFusedConv2d": "useBias"}.get(
        layer["class_name"], "bias" if layer["class_name"] in _TRANSPOSED else "use_bias")
    if cfg.get(use_bias):
        bi = index[f"{name}/bias"]
        b.weights[bi] = (b.weights[bi][0],
                         (b.weights[bi][1].astype(np.float64) * a + shift).astype(np.float32))
    else:
        cfg[use_bias] = True
        b.weights.insert(ki + 1, (f"{name}/bias", shift.astype(np.float32)))
    for k, v in list(b._shared.items()):
        if v == name:
            del b._shared[k]


def _fold_into_conv(ctx, x, w, bb, mean, var, eps, value):
    """Note [batch norm folded into its convolution]
    An eval batch norm is y = x * a + s per channel, a = weight / sqrt(var + eps),
    s = bias - mean * a (PyTorch's cpu inference kernel computes it in this form). When its input
    is the output of a convolution layer that nothing else reads (the graph node has this norm as
    its only user, the layer has one call and no activation), a and s go into that layer's
    weights (kernel * a over the output channels, bias * a + s) and the norm emits no layer: one
    pass over the tensor fewer (onnxruntime folds Conv + BatchNormalization the same way). A
    transposed convolution with groups 1 takes it the same way (its weight [in, out, *k] scaled
    along the output channels), and a grouped convolution too (a TorchGroupedConv2d's kernel has the output channels
    last; the per-group form of ops/conv.py in each group's convolution, the slice of a and s for
    its channels). a and s are
    formed in float64. The convolution's layer now stands for the norm's value (the check file
    records it as that). The layer is taken out of weight sharing, so a later call of the same
    convolution module gets a layer of its own with the unfolded weights. Returns the norm's
    Ref, or None where the pattern does not hold."""
    b = ctx.b
    src = ctx.node.args[0] if ctx.node.args else None
    if not isinstance(src, torch.fx.Node) or len(src.users) != 1:
        return None
    layer = b.by_name.get(x.layer)
    if layer is None or x.node_index != 0 or x.tensor_index != 0:
        return None
    if layer["class_name"] == "Concatenate":
        # A grouped convolution's concatenation: each input a convolution that only it reads.
        if len(layer["inbound_nodes"]) != 1 or layer["config"].get("axis") != x.perm.index(1):
            return None
        convs = [b.by_name.get(i[0]) for i in layer["inbound_nodes"][0]]
        if not all(_foldable_conv(b, c) for c in convs):
            return None
        names = {c["name"] for c in convs}
        for other in b.layers:
            if other is not layer and any(i[0] in names for node in other["inbound_nodes"] for i in node):
                return None
    elif _foldable_conv(b, layer):
        convs = [layer]
    else:
        return None
    a = torch.as_tensor(np32(w), dtype=torch.float64) / torch.sqrt(
        torch.as_tensor(np32(var), dtype=torch.float64) + float(eps))
    shift = torch.as_tensor(np32(bb), dtype=torch.float64) - \
        torch.as_tensor(np32(mean), dtype=torch.float64) * a
    a, shift = a.numpy(), shift.numpy()
    widths = [int(c["config"]["filters"]) if "filters" in c["config"] else None for c in convs]
    if len(convs) > 1 and (None in widths or sum(widths) != len(a)):
        return None
    offset = 0
    for c, width in zip(convs, widths):
        n = len(a) if width is None else width
        _fold_conv(b, c, a[offset:offset + n], shift[offset:offset + n])
        offset += n
    y = alias(x, value, x.sym)
    b.records = [y if r.key() == x.key() else r for r in b.records]
    return y


def _batch_norm(ctx, x, weight, bias, mean, var, training, momentum, eps, value):
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
    if x.rank >= 3 and x.torch_shape[1] == c:
        folded = _fold_into_conv(ctx, x, w, bb, mean, var, eps, value)
        if folded is not None:
            return folded
    ws = [("weight", np32(w)), ("bias", np32(bb)), ("running_mean", np32(mean)),
          ("running_var", np32(var))]
    cfg = {"numFeatures": c, "eps": float(eps), "momentum": float(momentum or 0.1),
           "affine": True, "trackRunningStats": True}
    return emit_norm(ctx, x, "TorchBatchNorm", cfg, ws, c)


@register(aten.batch_norm.default)
def batch_norm(ctx, a):
    """batch_norm: nn.BatchNorm1d/2d/3d and F.batch_norm in eval form (running statistics)."""
    return _batch_norm(ctx, ctx.ref(a.input), a.weight, a.bias, a.running_mean, a.running_var,
                       a.training, a.momentum, a.eps, ctx.value)


@register(aten._native_batch_norm_legit_no_training.default)
def native_batch_norm_no_training(ctx, a):
    """_native_batch_norm_legit_no_training: batch norm's core form (eval)."""
    y = _batch_norm(ctx, ctx.ref(a.input), a.weight, a.bias, a.running_mean, a.running_var,
                    False, a.momentum, a.eps, ctx.value[0])
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
        # Note [instance norm with running statistics is a batch norm]: in eval form with
        # track_running_stats=True, F.instance_norm normalizes by the running statistics, one
        # scale and shift per channel, the same arithmetic as an eval batch norm (PyTorch's
        # instance_norm reshapes to [1, N * C, ...] and calls batch_norm with the running
        # statistics repeated N times): it folds into the convolution before it the same way
        # (Note [batch norm folded into its convolution]).
        if x.rank >= 3:
            folded = _fold_into_conv(
                ctx, x, a.weight if affine else _ones(c),
                (a.bias if a.bias is not None else _zeros(c)) if affine else _zeros(c),
                a.running_mean, a.running_var, a.eps, ctx.value)
            if folded is not None:
                return folded
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
    # tfjs-torch's TorchLayerNorm (one GroupNorm kernel, PyTorch's statistics), not tfjs-layers'
    # LayerNormalization: that one tiles its mean, variance, gamma and beta to the input's full
    # shape before a batchNormalization (four copies of the input's size per call; tfjs-backend-
    # wasm's Tile took 55% of SAM's mask decoder there, `npm run bench -- models`).
    affine = a.weight is not None or a.bias is not None
    ws = []
    if affine:
        w = a.weight if a.weight is not None else torch.ones(shape)
        bb = a.bias if a.bias is not None else torch.zeros(shape)
        ws = [("weight", np32(w)), ("bias", np32(bb))]
    cfg = {"normalizedShape": shape, "eps": float(a.eps), "elementwiseAffine": affine}
    return ctx.emit("TorchLayerNorm", cfg, [x], perm=x.perm, weights=ws,
                    share=ctx.share_key())
