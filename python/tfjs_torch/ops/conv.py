"""Convolutions: conv1d/2d/3d (numeric or 'same'/'valid' padding), grouped and depthwise, and the
transposed ones (tfjs-layers' ConvND / DepthwiseConv2D, tfjs-torch's TorchConvTransposeNd)."""
import numpy as np
import torch

from . import register
from .._shape import is_static
from ._common import emit_pad, np32, spatial_count

aten = torch.ops.aten


def _pads_for(ctx, padding, n, kernel, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return [0] * (2 * n)
        if padding == "same":
            pads = []
            for i in reversed(range(n)):  # PyTorch puts an odd total's extra pixel last
                total = dilation[i] * (kernel[i] - 1)
                pads += [total // 2, total - total // 2]
            return pads
        ctx.fail(f"padding {padding!r} is not supported ('same', 'valid' or numbers)")
    p = ctx.ints(padding, n, "padding")
    pads = []
    for i in reversed(range(n)):
        pads += [p[i], p[i]]
    return pads


def _same_padding(pads, stride, kernel, dilation):
    """Note [conv padding as 'same']
    tfjs's 'same' padding at stride 1 pads each spatial dim by d * (k - 1) in all, the floor of
    half before and the rest after (tfjs-core's getPadAndOutInfo, TensorFlow's SAME). Where the
    convolution's zero padding is exactly that (PyTorch's symmetric padding=d * (k - 1) / 2 with
    an odd kernel, or padding='same'), the layer takes padding 'same' and no pad layer is emitted:
    the convolution pads inside itself (TensorFlow's Conv2D, XNNPACK's, the GPU programs' bounds
    checks) instead of a separate pass that writes a padded copy of the input (a PadV2 on
    tensorflow). The numbers are the same: both read zeros outside the input. At stride > 1
    TensorFlow's split depends on the input size, so those keep the explicit pad."""
    n = len(kernel)
    if any(s != 1 for s in stride) or not all(is_static(p) for p in pads):
        return False
    for i in range(n):
        total = dilation[i] * (kernel[i] - 1)
        before, after = pads[2 * (n - 1 - i)], pads[2 * (n - 1 - i) + 1]
        if (before, after) != (total // 2, total - total // 2):
            return False
    return True


def emit_conv(ctx, x, weight, bias, stride, padding, dilation, groups):
    b = ctx.b
    n = spatial_count(ctx, x, 1, 3, f"conv{x.rank - 2}d")
    weight = ctx.const(weight, "weight")
    bias = ctx.const(bias, "bias")
    stride, dilation = ctx.ints(stride, n, "stride"), ctx.ints(dilation, n, "dilation")
    groups = ctx.static_int(groups, "groups")
    kernel = list(weight.shape[2:])
    pads = _pads_for(ctx, padding, n, kernel, dilation)
    if any(s > 1 for s in stride) and any(d > 1 for d in dilation):
        ctx.fail(f"stride {stride} together with dilation {dilation}: tfjs's convolutions take "
                 f"one or the other, not both")
    x = b.to_canonical(x)
    name = ctx.name()
    cin = x.torch_shape[1]
    cout = weight.shape[0]
    share = ctx.share_key()
    depthwise = n == 2 and groups == cin and cout % cin == 0
    # A dilated depthwise one too: tfjs-layers' DepthwiseConv2D drops its dilation_rate (its call
    # passes none to the op: "TODO(cais): Add support for dilation", tfjs-layers 4.22), so it gave
    # the undilated convolution's numbers. TorchGroupedConv2d runs it as tfjs's own depthwise
    # convolution, dilation taken (Note [depthwise convolution as tfjs's own] in
    # src/ops/grouped_conv.ts).
    if groups != 1 and (not depthwise or any(d != 1 for d in dilation)):
        return _grouped_conv(ctx, x, weight, bias, stride, pads, dilation, groups, name)
    if n == 2 and groups == 1:
        return _conv2d(ctx, x, weight, bias, stride, pads, dilation, name, share)
    # Note [conv padding as 'same'].
    same = any(pads) and _same_padding(pads, stride, kernel, dilation)
    xp = x if same else emit_pad(ctx, x, pads, "constant", name=f"{name}_pad")
    pad_mode = "same" if same else "valid"
    fmt = b.data_format
    w = np32(weight)
    if groups == 1:
        cls = f"Conv{n}D"
        kernel_t = np.transpose(w, list(range(2, 2 + n)) + [1, 0])  # [out, in, *k] -> [*k, in, out]
        cfg = {"filters": int(cout), "kernel_size": kernel, "strides": stride,
               "padding": pad_mode, "dilation_rate": dilation, "activation": "linear",
               "use_bias": bias is not None}
        if n != 1:
            cfg["data_format"] = fmt
        wnames = [("kernel", kernel_t)]
    else:
        cls = "DepthwiseConv2D"
        m = cout // cin   # [in * m, 1, kh, kw] (out channel i * m + j) -> [kh, kw, in, m]
        kernel_t = np.transpose(w.reshape(cin, m, *kernel), (2, 3, 0, 1))
        cfg = {"kernel_size": kernel, "strides": stride, "padding": pad_mode,
               "depth_multiplier": int(m), "dilation_rate": dilation, "activation": "linear",
               "use_bias": bias is not None, "data_format": fmt}
        wnames = [("depthwise_kernel", kernel_t)]
    if bias is not None:
        wnames.append(("bias", np32(bias)))
    if n == 1:
        xp = b.to_perm(xp, [0, 2, 1])  # tfjs's Conv1D is channels-last only
    return ctx.emit(cls, cfg, [xp], perm=xp.perm, weights=wnames, name=name, share=share)


def _conv2d(ctx, x, weight, bias, stride, pads, dilation, name, share):
    """Note [every 2-d convolution through TorchConv2d]
    A 2-d convolution of groups 1 is one TorchFusedConv2d layer (src/layers/fused_conv.ts), which
    runs one TorchConv2d kernel (src/ops/conv2d.ts): by default tfjs's own FusedConv2D kernel of
    the backend, the kernel tfjs-layers' Conv2D runs too, so a model it changes nothing in runs
    the same convolution code; a backend may answer some shapes with a faster kernel of its own,
    and every exported convolution takes that route. Its zero padding is the layer's explicit
    [top, bottom, left, right] (no pad layer before it: TensorFlow's EXPLICIT paddings, XNNPACK's
    and the GPU programs' padding, where tfjs-layers' Conv2D takes only 'valid' / 'same' and a
    strided or uneven padding needed a pad pass writing a padded copy of the input). The activation
    after it is folded in later where it can be (Note [activation folded into its convolution]);
    a batch norm after it too (Note [batch norm folded into its convolution]). Its kernel and
    bias are Conv2D's ([kh, kw, in, out], [out])."""
    b = ctx.b
    cout = weight.shape[0]
    # pads are F.pad's order (last dim first): [left, right, top, bottom].
    cfg = {"filters": int(cout), "kernelSize": [int(k) for k in weight.shape[2:]],
           "strides": stride, "padding": [int(pads[2]), int(pads[3]), int(pads[0]), int(pads[1])],
           "dilationRate": dilation, "useBias": bias is not None, "activation": "linear",
           "dataFormat": b.data_format}
    ws = [("kernel", np.transpose(np32(weight), (2, 3, 1, 0)))]   # [out, in, kh, kw] -> [kh, kw, in, out]
    if bias is not None:
        ws.append(("bias", np32(bias)))
    return ctx.emit("TorchFusedConv2d", cfg, [x], perm=x.perm, weights=ws, name=name, share=share)


def _grouped_conv(ctx, x, weight, bias, stride, pads, dilation, groups, name):
    """A grouped convolution (groups > 1; depthwise only where dilated, see emit_conv).

    2-D: one TorchGroupedConv2d layer (src/layers/grouped_conv.ts): on tensorflow one TensorFlow
    Conv2D with the group's input channels (TensorFlow's CPU kernel runs the groups itself: 1.4x
    to 7x faster than a convolution per group on ResNeXt's shapes), elsewhere one convolution per
    group inside the layer. Its kernel is tfjs's Conv2D layout with in / groups input channels.

    1-D and 3-D: one convolution per group on a channel slice, then concatenated. Each group's
    input (3-D) is one TorchPad of x: the convolution's zero padding of the spatial dims and, as
    negative pads, the crop of the channel dim to the group's channels (one pass that reads only
    the group's channels). Not a pad then a slice per group: tfjs-backend-wasm's Slice copies its
    whole input out of the heap on every call (readSync), G copies of the padded input per
    convolution (ResNeXt's 32 groups: a quarter of MiDaS's time on wasm)."""
    b = ctx.b
    n = x.rank - 2
    cin, cout = x.torch_shape[1], weight.shape[0]
    if n == 2:
        x = b.to_canonical(x)
        # pads are F.pad's order (last dim first): [left, right, top, bottom].
        cfg = {"inChannels": int(cin), "outChannels": int(cout),
               "kernelSize": list(weight.shape[2:]), "stride": stride,
               "padding": [int(pads[2]), int(pads[3]), int(pads[0]), int(pads[1])], "dilation": dilation,
               "groups": groups, "bias": bias is not None, "dataFormat": b.data_format}
        ws = [("kernel", np.transpose(np32(weight), (2, 3, 1, 0)))]
        if bias is not None:
            ws.append(("bias", np32(bias)))
        return ctx.emit("TorchGroupedConv2d", cfg, [x], perm=x.perm, weights=ws, name=name,
                        share=ctx.share_key())
    ig, og = cin // groups, cout // groups
    if n == 1:
        # tfjs's Conv1D is channels-last only: pad once, put channels last, slice.
        xp = b.to_perm(emit_pad(ctx, x, pads, "constant", name=f"{name}_pad"), [0, 2, 1])
    else:
        xp = b.to_canonical(x)
    axis = xp.perm.index(1)
    parts = []
    for g in range(groups):
        in_shape = list(xp.torch_shape)
        in_shape[1] = ig
        if n == 1:
            begin = [0] * xp.rank
            size = [-1] * xp.rank
            begin[axis], size[axis] = g * ig, ig
            (s,) = b.layer("TorchSlice", {"begin": begin[1:], "size": size[1:]}, [xp],
                           f"{name}_group{g}_in", outputs=[(xp.perm, in_shape)], record=False)
        else:
            s = emit_pad(ctx, xp, list(pads) + [-g * ig, -(cin - (g + 1) * ig)], "constant",
                         name=f"{name}_group{g}_in")
        w = np32(weight[g * og:(g + 1) * og])
        cfg = {"filters": int(og), "kernel_size": list(weight.shape[2:]), "strides": stride,
               "padding": "valid", "dilation_rate": dilation, "activation": "linear",
               "use_bias": bias is not None}
        if n != 1:
            cfg["data_format"] = b.data_format
        ws = [("kernel", np.transpose(w, list(range(2, 2 + n)) + [1, 0]))]
        if bias is not None:
            ws.append(("bias", np32(bias[g * og:(g + 1) * og])))
        out_shape = list(ctx.value.shape)
        out_shape[1] = og
        (c,) = b.layer(f"Conv{n}D", cfg, [s], f"{name}_group{g}", weights=ws,
                       outputs=[(xp.perm, out_shape)], record=False)
        parts.append(c)
    return ctx.emit("Concatenate", {"axis": axis}, parts, perm=xp.perm, name=name)


def emit_conv_transpose(ctx, x, weight, bias, stride, padding, output_padding, groups, dilation):
    b = ctx.b
    n = spatial_count(ctx, x, 1, 3, f"conv_transpose{x.rank - 2}d")
    weight = ctx.const(weight, "weight")
    bias = ctx.const(bias, "bias")
    stride, padding = ctx.ints(stride, n, "stride"), ctx.ints(padding, n, "padding")
    dilation = ctx.ints(dilation, n, "dilation")
    opads = list(output_padding) if isinstance(output_padding, (tuple, list)) else [output_padding] * n
    if len(opads) == n and not all(is_static(o) for o in opads):
        return _conv_transpose_cropped(ctx, x, weight, bias, stride, padding, groups, dilation)
    opad = ctx.ints(output_padding, n, "output_padding")
    groups = ctx.static_int(groups, "groups")
    x = b.to_canonical(x)
    cfg = {"inChannels": int(weight.shape[0]), "outChannels": int(weight.shape[1] * groups),
           "kernelSize": list(weight.shape[2:]), "stride": stride, "padding": padding,
           "outputPadding": opad, "groups": groups, "dilation": dilation,
           "bias": bias is not None, "dataFormat": b.data_format}
    ws = [("weight", np32(weight))]
    if bias is not None:
        ws.append(("bias", np32(bias)))
    return ctx.emit(f"TorchConvTranspose{n}d", cfg, [x], perm=x.perm, weights=ws,
                    share=ctx.share_key())


def _conv_transpose_cropped(ctx, x, weight, bias, stride, padding, groups, dilation):
    """Note [output_size at free sizes]: ConvTranspose2d(x, output_size=skip.shape) makes its
    output padding a size known only at run time. The full transposed convolution (padding 0, no
    output padding) holds every output of any padding p and output padding op <= p as the crop
    [p, p + out): the same taps summed, the bias added once. So: that convolution, then a slice
    whose size is the output's size expression."""
    b = ctx.b
    n = x.rank - 2
    groups = ctx.static_int(groups, "groups")
    x = b.to_canonical(x)
    out_sym = ctx.out_sym()
    in_shape = x.torch_shape
    full = [in_shape[0], int(weight.shape[1] * groups)] + [
        (in_shape[2 + i] - 1) * stride[i] + dilation[i] * (weight.shape[2 + i] - 1) + 1
        for i in range(n)]
    # An output padding op > p reaches past the full output, where no tap lands (the bias only):
    # the full output (no bias) is padded with zeros at the end to cover the largest op,
    # max(stride, dilation) - 1, and the bias added after the crop.
    extra = [max(0, max(stride[i], dilation[i]) - 1 - padding[i]) for i in range(n)]
    late_bias = bias is not None and any(extra)
    cfg = {"inChannels": int(weight.shape[0]), "outChannels": int(weight.shape[1] * groups),
           "kernelSize": list(weight.shape[2:]), "stride": stride, "padding": [0] * n,
           "outputPadding": [0] * n, "groups": groups, "dilation": dilation,
           "bias": bias is not None and not late_bias, "dataFormat": b.data_format}
    ws = [("weight", np32(weight))]
    if bias is not None and not late_bias:
        ws.append(("bias", np32(bias)))
    name = ctx.name()
    (c,) = b.layer(f"TorchConvTranspose{n}d", cfg, [x], f"{name}_full", weights=ws,
                   outputs=[(x.perm, full)], record=False)
    if any(extra):
        pads = []
        for i in reversed(range(n)):
            pads += [0, extra[i]]
        c = emit_pad(ctx, c, pads, "constant", name=f"{name}_room")
    begins = [0] * (x.rank - 1)
    sizes = [-1] * (x.rank - 1)
    for i in range(n):
        axis = x.perm.index(2 + i)
        begins[axis - 1], sizes[axis - 1] = padding[i], out_sym[2 + i]
    w = ctx.writer(1)
    cfg = {"begin": begins, "size": [w.write(v) for v in sizes]}
    if not late_bias:
        y = ctx.emit("TorchSlice", cfg, [c] + w.extra, perm=x.perm, name=name)
        y.sym = out_sym
        return y
    (y,) = b.layer("TorchSlice", cfg, [c] + w.extra, f"{name}_crop",
                   outputs=[(x.perm, list(ctx.value.shape))], record=False)
    y.sym = out_sym
    k = np32(bias).reshape([1, -1] + [1] * n).transpose(x.perm)
    y = ctx.emit("TorchElementwise", {"op": "add", "reversed": False,
                                      "constantShape": list(k.shape)}, [y], perm=x.perm,
                 weights=[("constant", k)])
    y.sym = out_sym
    return y


@register(aten.conv1d.default, aten.conv2d.default, aten.conv3d.default,
          aten.conv1d.padding, aten.conv2d.padding, aten.conv3d.padding)
def conv(ctx, a):
    """conv1d / conv2d / conv3d: nn.Conv*d, F.conv*d (numbers, 'same', 'valid'; groups)."""
    return emit_conv(ctx, ctx.ref(a.input), a.weight, a.bias, a.stride, a.padding, a.dilation,
                     a.groups)


@register(aten.conv_transpose1d.default, aten.conv_transpose2d.input,
          aten.conv_transpose3d.input)
def conv_transpose(ctx, a):
    """conv_transpose1d / 2d / 3d: nn.ConvTranspose*d (output_size= included), F.conv_transpose*d."""
    return emit_conv_transpose(ctx, ctx.ref(a.input), a.weight, a.bias, a.stride, a.padding,
                               a.output_padding, a.groups, a.dilation)


@register(aten.convolution.default)
def convolution(ctx, a):
    """convolution: the generic form (transposed or not)."""
    if a.transposed:
        return emit_conv_transpose(ctx, ctx.ref(a.input), a.weight, a.bias, a.stride, a.padding,
                                   a.output_padding, a.groups, a.dilation)
    if any(ctx.ints(a.output_padding, 1, "output_padding")):
        ctx.fail("output_padding on a convolution that is not transposed")
    return emit_conv(ctx, ctx.ref(a.input), a.weight, a.bias, a.stride, a.padding, a.dilation,
                     a.groups)


@register(aten.im2col.default)
def im2col(ctx, a):
    """im2col: nn.Unfold / F.unfold on [N, C, H, W] (sliding patches [N, C*kh*kw, L]), as a
    convolution with one-hot kernels (each output channel copies one input pixel: exact for finite
    inputs; an inf or NaN in a patch spreads to its other channels as NaN) and a
    reshape of its spatial dims into L."""
    b = ctx.b
    x = ctx.ref(a.self)
    if x.rank != 4:
        ctx.fail(f"F.unfold / nn.Unfold on a rank-{x.rank} input: only [N, C, H, W] is supported")
    k = ctx.ints(a.kernel_size, 2, "kernel_size")
    dil = ctx.ints(a.dilation, 2, "dilation")
    pad = ctx.ints(a.padding, 2, "padding")
    stride = ctx.ints(a.stride, 2, "stride")
    if any(s > 1 for s in stride) and any(d > 1 for d in dil):
        ctx.fail(f"stride {stride} together with dilation {dil}: tfjs's convolutions take one or "
                 f"the other, not both")
    x = b.to_canonical(x)
    cin = x.torch_shape[1]
    kk = k[0] * k[1]
    w = np.zeros((k[0], k[1], cin, cin * kk), np.float32)   # tfjs's [kh, kw, in, out]
    for c in range(cin):
        for i in range(k[0]):
            for j in range(k[1]):
                w[i, j, c, c * kk + i * k[1] + j] = 1.0
    name = ctx.name()
    xp = emit_pad(ctx, x, [pad[1], pad[1], pad[0], pad[0]], "constant", name=f"{name}_pad")
    n, _, h, wd = xp.torch_shape
    ho = (h - dil[0] * (k[0] - 1) - 1) // stride[0] + 1
    wo = (wd - dil[1] * (k[1] - 1) - 1) // stride[1] + 1
    cfg = {"filters": int(cin * kk), "kernel_size": k, "strides": stride, "padding": "valid",
           "dilation_rate": dil, "activation": "linear", "use_bias": False,
           "data_format": b.data_format}
    (c,) = b.layer("Conv2D", cfg, [xp], f"{name}_patches", weights=[("kernel", w)],
                   outputs=[(xp.perm, [n, cin * kk, ho, wo])], record=False)
    c = b.to_torch_order(c)
    y = ctx.emit("Reshape", {"target_shape": [int(cin * kk), -1]}, [c], perm=[0, 1, 2], name=name)
    y.sym = ctx.out_sym()
    return y


@register(aten.col2im.default)
def col2im(ctx, a):
    """col2im: F.fold / nn.Fold without overlaps (stride == kernel_size, padding 0, dilation 1,
    as MobileViT's folding) is rewritten as reshapes before the export sees it (Note [F.fold
    without overlaps] in _capture.py); any other fold reaches here and is refused."""
    ctx.fail(f"F.fold / nn.Fold with kernel_size={list(a.kernel_size)}, "
             f"stride={list(a.stride)}, padding={list(a.padding)}, "
             f"dilation={list(a.dilation)}: only a fold without overlaps (stride == "
             f"kernel_size, padding 0, dilation 1) is supported; overlapping patches are summed "
             f"(write that fold as a conv_transpose2d with one-hot kernels)")
