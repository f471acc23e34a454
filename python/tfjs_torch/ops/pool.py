"""Pooling: max pooling (with indices), max unpooling, average and adaptive average pooling."""
import torch

from . import register
from .._shape import is_static
from ._common import emit_pad, size_list, spatial_count

aten = torch.ops.aten


def emit_max_pool(ctx, x, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    b = ctx.b
    n = spatial_count(ctx, x, 1, 3, "max pooling")
    x = b.to_canonical(x)
    k = ctx.ints(kernel_size, n, "kernel_size")
    cfg = {"kernelSize": k,
           "stride": ctx.ints(stride, n, "stride") if stride not in (None, []) else k,
           "padding": ctx.ints(padding, n, "padding"), "dilation": ctx.ints(dilation, n, "dilation"),
           "ceilMode": bool(ceil_mode), "returnIndices": bool(with_indices),
           "dataFormat": b.data_format}
    v = ctx.value
    outs = [(x.perm, v[0]), (x.perm, v[1])] if with_indices else [(x.perm, v)]
    refs = b.layer(f"TorchMaxPool{n}d", cfg, [x], ctx.name(), outputs=outs)
    return refs if with_indices else refs[0]


@register(aten.max_pool1d_with_indices.default, aten.max_pool2d_with_indices.default,
          aten.max_pool3d_with_indices.default)
def max_pool_with_indices(ctx, a):
    """max_pool*d_with_indices: nn.MaxPool*d(return_indices=True), and the core form of every
    max pool."""
    return emit_max_pool(ctx, ctx.ref(a.self), a.kernel_size, a.stride, a.padding, a.dilation,
                         a.ceil_mode, True)


@register(aten.max_pool1d.default, aten.max_pool2d.default, aten.max_pool3d.default)
def max_pool(ctx, a):
    """max_pool1d / 2d / 3d: nn.MaxPool*d, F.max_pool*d."""
    return emit_max_pool(ctx, ctx.ref(a.self), a.kernel_size, a.stride, a.padding, a.dilation,
                         a.ceil_mode, False)


@register(aten.max_unpool2d.default, aten.max_unpool3d.default)
def max_unpool(ctx, a):
    """max_unpool2d / 3d: nn.MaxUnpool*d, F.max_unpool*d (output_size= included, any calling
    form); the output size may be a size known only at run time."""
    b = ctx.b
    x = ctx.ref(a.self)
    n = spatial_count(ctx, x, 2, 3, "max unpooling")
    idx = b.to_canonical(ctx.ref(a.indices, "indices"))
    x = b.to_canonical(x)
    out = list(a.output_size)
    in_sp = x.torch_shape[2:]
    out_sp = list(ctx.value.shape[2:])
    # The window only checks the output size; the scatter uses the indices.
    k = [max(1, o // i) if i else 1 for o, i in zip(out_sp, in_sp)]
    if all(is_static(o) for o in out):
        sizes, extra = [int(o) for o in out], []
    else:
        sizes, extra = size_list(ctx, x, out, 2)
    cfg = {"kernelSize": k, "stride": k, "padding": [0] * n, "outputSize": sizes,
           "dataFormat": b.data_format}
    return ctx.emit(f"TorchMaxUnpool{n}d", cfg, [x, idx] + extra, perm=x.perm)


def emit_avg_pool(ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override):
    b = ctx.b
    n = spatial_count(ctx, x, 1, 3, "average pooling")
    k = ctx.ints(kernel_size, n, "kernel_size")
    s = ctx.ints(stride, n, "stride") if stride not in (None, []) else k
    p = ctx.ints(padding, n, "padding")
    if divisor_override is not None:
        ctx.fail("divisor_override is not supported")
    if any(p) and not count_include_pad:
        ctx.fail("count_include_pad=False with padding is not supported")
    if ceil_mode:
        sym = ctx.sym_shape(x)[2:]
        if not all(is_static(d) for d in sym):
            ctx.fail("ceil_mode=True on a size known only at run time is not supported (it "
                     "changes the output size for some sizes only); fix the sizes or use "
                     "ceil_mode=False")
        floor_out = [(sym[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(n)]
        if list(ctx.value.shape[2:]) != floor_out:
            ctx.fail("ceil_mode=True where it changes the output size is not supported")
    x = b.to_canonical(x)
    pads = []
    for i in reversed(range(n)):
        pads += [p[i], p[i]]
    x = emit_pad(ctx, x, pads, name=f"{ctx.name()}_pad")
    cfg = {"pool_size": k, "strides": s, "padding": "valid"}
    if n == 1:
        x = b.to_perm(x, [0, 2, 1])
    else:
        cfg["data_format"] = b.data_format
    return ctx.emit(f"AveragePooling{n}D", cfg, [x], perm=x.perm)


@register(aten.avg_pool1d.default, aten.avg_pool2d.default, aten.avg_pool3d.default)
def avg_pool(ctx, a):
    """avg_pool1d / 2d / 3d: nn.AvgPool*d (ceil_mode only where it changes nothing; no
    divisor_override)."""
    return emit_avg_pool(ctx, ctx.ref(a.self), a.kernel_size, a.stride, a.padding, a.ceil_mode,
                         a.count_include_pad, a.get("divisor_override"))


@register(aten.adaptive_avg_pool1d.default, aten.adaptive_avg_pool2d.default,
          aten._adaptive_avg_pool2d.default, aten.adaptive_avg_pool3d.default,
          aten._adaptive_avg_pool3d.default)
def adaptive_avg_pool(ctx, a):
    """adaptive_avg_pool1d / 2d / 3d: nn.AdaptiveAvgPool*d (PyTorch's windows: tfjs-torch's
    'area' interpolation), at any input size."""
    b = ctx.b
    x = ctx.ref(a.self)
    n = spatial_count(ctx, x, 1, 3, "adaptive average pooling")
    size = list(a.output_size) if isinstance(a.output_size, (list, tuple)) else [a.output_size] * n
    x = b.to_canonical(x)
    extra = []
    if all(is_static(s) for s in size):
        size = [int(s) for s in size]
    else:  # a size known only at run time (an output size that is the input's own)
        size, extra = size_list(ctx, x, size, 1)
    cfg = {"mode": "area", "antialias": False, "dataFormat": b.data_format, "size": size}
    return ctx.emit("TorchUpsample", cfg, [x] + extra, perm=x.perm)
