"""Pooling: max pooling (with indices), max unpooling, average and adaptive average pooling."""
import torch

from . import register
from .._shape import SymDim, is_static
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
    if divisor_override is not None and ctx.static_int(divisor_override, "divisor_override") <= 0:
        ctx.fail(f"divisor_override must be positive, got {divisor_override}")
    in_sym = ctx.sym_shape(x)[2:]
    out_sym = ctx.out_sym()[2:]
    floor_out = [(in_sym[i] + 2 * p[i] - k[i]) // s[i] + 1 if is_static(in_sym[i]) else None
                 for i in range(n)]
    ceil_changes = ceil_mode and (not all(is_static(d) for d in in_sym) or [
        int(d) for d in ctx.value.shape[2:]] != floor_out)
    if ceil_changes or divisor_override is not None or (any(p) and not count_include_pad):
        return _emit_avg_pool_divided(ctx, x, n, k, s, p, in_sym, out_sym, count_include_pad,
                                      divisor_override)
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


def _emit_avg_pool_divided(ctx, x, n, k, s, p, in_sym, out_sym, count_include_pad,
                           divisor_override):
    """Note [average pooling as a sum over a count]: PyTorch's avg_pool divides each window's
    sum by the number of its elements inside the input and its padding (count_include_pad), or
    inside the input only, or by divisor_override; with ceil_mode the last window may run past
    the padding (counted as nothing), so the output size and the divisors depend on the input's
    size, known only at run time. The input is padded with zeros by `padding` and, at the end of
    each spatial dim, by what the last window reaches past it (a shape expression:
    max(0, (out - 1) * stride + kernel - (in + 2 * padding)), out being PyTorch's own output
    size); a mask of ones over what counts (1 x 1 x spatial) is padded the same way; average
    pooling both and dividing gives each window's sum over its count (the kernel area cancels).
    divisor_override: the padded input's average times the kernel area over the divisor."""
    import sympy
    b = ctx.b
    name = ctx.name()
    x = b.to_canonical(x)
    extra = []
    for i in range(n):
        reach = (out_sym[i] if is_static(out_sym[i]) else out_sym[i].expr) * s[i] - s[i] + k[i] - (
            (in_sym[i] if is_static(in_sym[i]) else in_sym[i].expr) + 2 * p[i])
        value = (int(ctx.value.shape[2 + i]) - 1) * s[i] + k[i] - (int(x.torch_shape[2 + i]) + 2 * p[i])
        if isinstance(reach, int) or getattr(reach, "is_Integer", False):
            extra.append(max(0, int(reach)))
        else:
            extra.append(SymDim(sympy.Max(reach, 0), max(0, value)))
    pads = []
    for i in reversed(range(n)):
        pads += [p[i], _plus(p[i], extra[i])]
    xp = emit_pad(ctx, x, pads, name=f"{name}_pad")
    area = 1
    for v in k:
        area *= v
    cfg = {"pool_size": k, "strides": s, "padding": "valid"}
    if n == 1:
        xp = b.to_perm(xp, [0, 2, 1])
    else:
        cfg["data_format"] = b.data_format
    out_shape = list(ctx.value.shape)
    (mean,) = b.layer(f"AveragePooling{n}D", cfg, [xp], f"{name}_window_mean",
                      outputs=[(xp.perm, out_shape)], record=False)
    if divisor_override is not None:
        scale = area / float(divisor_override)
        return ctx.emit("TorchElementwise", {"op": "mul", "scalar": scale}, [mean], perm=mean.perm)
    # The mask of what counts: ones over the input (and its padding with count_include_pad).
    counted = [_plus(d, 2 * p[i]) if count_include_pad else d for i, d in enumerate(in_sym)]
    w = ctx.writer(0)
    torch_sizes = [1, 1] + [w.write(d) for d in counted]
    perm = x.perm
    fill_inputs = list(w.extra) or [x]
    fill_shape = [torch_sizes[d] for d in perm]
    plain = [1, 1] + [d.value if isinstance(d, SymDim) else d for d in counted]
    (ones,) = b.layer("TorchFill", {"shape": fill_shape, "value": 1.0}, fill_inputs,
                      f"{name}_counted", outputs=[(perm, plain)], record=False)
    mpads = []
    for i in reversed(range(n)):
        mpads += [0 if count_include_pad else p[i],
                  extra[i] if count_include_pad else _plus(p[i], extra[i])]
    mp = emit_pad(ctx, ones, mpads, name=f"{name}_counted_pad")
    if n == 1:
        mp = b.to_perm(mp, [0, 2, 1])
    count_shape = [1, 1] + out_shape[2:]
    (count,) = b.layer(f"AveragePooling{n}D", cfg, [mp], f"{name}_window_count",
                       outputs=[(mp.perm, count_shape)], record=False)
    return ctx.emit("TorchElementwise", {"op": "div"}, [mean, count], perm=mean.perm)


def _plus(a, c):
    """a + c for a size (int or SymDim) and an int."""
    if c == 0:
        return a
    if is_static(a):
        return a + c if is_static(c) else SymDim(c.expr + a, c.value + a)
    if is_static(c):
        return SymDim(a.expr + c, a.value + c)
    return SymDim(a.expr + c.expr, a.value + c.value)


@register(aten.avg_pool1d.default, aten.avg_pool2d.default, aten.avg_pool3d.default)
def avg_pool(ctx, a):
    """avg_pool1d / 2d / 3d: nn.AvgPool*d, F.avg_pool*d: every padding, ceil_mode,
    count_include_pad and divisor_override, at any input size."""
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
    in_sp = ctx.sym_shape(x)[2:]
    x = b.to_canonical(x)
    extra = []
    from .resize import scales_of_sizes
    recomputed = scales_of_sizes(ctx, size, in_sp)
    if recomputed is not None:  # F.interpolate(mode='area', scale_factor=...) at free sizes
        cfg = {"mode": "area", "antialias": False, "dataFormat": b.data_format,
               "scaleFactor": recomputed, "recomputeScaleFactor": True}
        return ctx.emit("TorchUpsample", cfg, [x], perm=x.perm)
    if all(is_static(s) for s in size):
        size = [int(s) for s in size]
    else:  # a size known only at run time (an output size that is the input's own)
        size, extra = size_list(ctx, x, size, 1)
    cfg = {"mode": "area", "antialias": False, "dataFormat": b.data_format, "size": size}
    return ctx.emit("TorchUpsample", cfg, [x] + extra, perm=x.perm)
