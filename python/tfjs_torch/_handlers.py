"""Node kinds: each supported PyTorch module, function and tensor method, mapped to tfjs layers.

A handler gets the Context (ctx.node is the node) and returns the Ref (or list of Refs) of its
result; PyTorch's value for it is the node's recorded value. Layer names follow module paths with
dots turned into underscores (what pt.loadTorchWeights expects), and graph node names for
functions. See Note [layouts] in _builder.py for Ref.perm.
"""
import operator

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ._builder import Ref, identity, invert

# ---- helpers ------------------------------------------------------------------------------------


def _tuple(v, n):
    if isinstance(v, (tuple, list)):
        if len(v) == 1 and n > 1:
            return [int(v[0])] * n
        return [int(x) for x in v]
    return [int(v)] * n


def _name(ctx):
    node = ctx.node
    return node.target.replace(".", "_") if node.op == "call_module" else node.name


def _value(ctx):
    return ctx.values[ctx.node]


def _out(ctx, perm, value=None):
    return [(perm, _value(ctx) if value is None else value)]


def _bind(ctx, names, defaults, args=None, kwargs=None):
    """A call's arguments as a dict (positional then keyword), defaults filled in."""
    node = ctx.node
    args = node.args if args is None else args
    kwargs = node.kwargs if kwargs is None else kwargs
    if len(args) > len(names):
        ctx.fail(f"takes at most {len(names)} arguments here, got {len(args)}")
    out = dict(defaults)
    for n, a in zip(names, args):
        out[n] = a
    for k, a in kwargs.items():
        if k not in names:
            ctx.fail(f"argument {k!r} is not supported (supported: {', '.join(names)})")
        out[k] = a
    missing = [n for n in names if n not in out]
    if missing:
        ctx.fail(f"missing argument(s) {missing}")
    return {k: ctx.arg(v) for k, v in out.items()}


def _ref(ctx, v, what="input"):
    if not isinstance(v, Ref):
        ctx.fail(f"{what} must be a tensor computed from the model's inputs, got {type(v).__name__}")
    return v


def _spatial_dims(ctx, x, lo, hi, what):
    n = x.rank - 2
    if not lo <= n <= hi:
        ctx.fail(f"{what} needs an input of rank {lo + 2} to {hi + 2} (batch, channels, spatial), "
                 f"got shape {x.torch_shape}")
    return n


def _check_batch(ctx, x, out_value):
    if out_value.shape[0] != x.torch_shape[0]:
        ctx.fail(f"changes the batch dim ({x.torch_shape[0]} -> {out_value.shape[0]}); the tfjs "
                 f"model keeps dim 0 as its batch")


def _dim(ctx, d, rank):
    d = int(d)
    if not -rank <= d < rank:
        ctx.fail(f"dim {d} is out of range for rank {rank}")
    return d % rank


def _np(t):
    return t.detach().cpu().to(torch.float32).numpy()


# ---- layer emitters shared by module and function forms ----------------------------------------


def emit_pad(ctx, x, pads, mode="constant", value=0.0, name=None, out_value=None):
    """F.pad's `pads` (last dim first) on the spatial dims of x (any layout; the result is in the
    canonical one). out_value: PyTorch's result when the pad is a node of its own."""
    b = ctx.b
    pads = [int(p) for p in pads]
    if not any(pads):
        return x if out_value is None else Ref(x.layer, x.node_index, x.tensor_index, x.perm, out_value)
    k = len(pads) // 2
    if len(pads) % 2 or k > x.rank - 2:
        ctx.fail(f"pads {pads} must be pairs for the spatial dims (at most {x.rank - 2} here, "
                 f"the dims after batch and channels)")
    pads = pads + [0, 0] * (x.rank - 2 - k)
    x = b.to_canonical(x)
    shape = list(x.torch_shape)
    for i in range(x.rank - 2):
        shape[-1 - i] += pads[2 * i] + pads[2 * i + 1]
    out = shape if out_value is None else out_value
    record = out_value is not None
    if (mode == "constant" and value == 0 and x.rank == 4 and min(pads) >= 0):
        # tfjs-layers' ZeroPadding2D: [[top, bottom], [left, right]].
        cfg = {"padding": [[pads[2], pads[3]], [pads[0], pads[1]]], "data_format": b.data_format}
        (y,) = b.layer("ZeroPadding2D", cfg, [x], name or f"{_name(ctx)}_pad",
                       outputs=[(x.perm, out)], record=record)
        return y
    cfg = {"padding": pads[:2 * (x.rank - 2)], "mode": mode, "value": float(value),
           "dataFormat": b.data_format}
    (y,) = b.layer("TorchPad", cfg, [x], name or f"{_name(ctx)}_pad",
                   outputs=[(x.perm, out)], record=record)
    return y


def _with_value(ref, value):
    ref.value = value
    return ref


def emit_conv(ctx, x, weight, bias, stride, padding, dilation, groups, padding_mode="zeros"):
    b = ctx.b
    n = _spatial_dims(ctx, x, 1, 3, f"Conv{x.rank - 2}d")
    stride, dilation = _tuple(stride, n), _tuple(dilation, n)
    kernel = list(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = [0] * (2 * n)
        elif padding == "same":
            pads = []
            for i in reversed(range(n)):  # Note: PyTorch puts an odd total's extra pixel last.
                total = dilation[i] * (kernel[i] - 1)
                pads += [total // 2, total - total // 2]
        else:
            ctx.fail(f"padding {padding!r} is not supported ('same', 'valid' or numbers)")
    else:
        p = _tuple(padding, n)
        pads = []
        for i in reversed(range(n)):
            pads += [p[i], p[i]]
    if any(s > 1 for s in stride) and any(d > 1 for d in dilation):
        ctx.fail(f"stride {stride} together with dilation {dilation}: tfjs's convolutions take "
                 f"one or the other, not both")
    mode = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
            "circular": "circular"}.get(padding_mode)
    if mode is None:
        ctx.fail(f"padding_mode {padding_mode!r} is not supported")
    x = b.to_canonical(x)
    name = _name(ctx)
    cin = x.torch_shape[1]
    cout = weight.shape[0]
    if groups != 1 and not (n == 2 and groups == cin and cout % cin == 0):
        return _grouped_conv(ctx, x, weight, bias, stride, pads, dilation, groups, mode, name)
    xp = emit_pad(ctx, x, pads, mode, name=f"{name}_pad")
    fmt = b.data_format
    w = _np(weight)
    if groups == 1:
        cls = f"Conv{n}D"
        # PyTorch [out, in, *k] -> tfjs [*k, in, out]
        kernel_t = np.transpose(w, list(range(2, 2 + n)) + [1, 0])
        cfg = {"filters": int(cout), "kernel_size": kernel, "strides": stride,
               "padding": "valid", "dilation_rate": dilation, "activation": "linear",
               "use_bias": bias is not None}
        if n != 1:
            cfg["data_format"] = fmt
        wnames = [("kernel", kernel_t)]
    else:
        cls = "DepthwiseConv2D"
        # PyTorch [in * m, 1, kh, kw] (out channel i * m + j) -> tfjs [kh, kw, in, m]
        m = cout // cin
        kernel_t = np.transpose(w.reshape(cin, m, *kernel), (2, 3, 0, 1))
        cfg = {"kernel_size": kernel, "strides": stride, "padding": "valid",
               "depth_multiplier": int(m), "dilation_rate": dilation, "activation": "linear",
               "use_bias": bias is not None, "data_format": fmt}
        wnames = [("depthwise_kernel", kernel_t)]
    if bias is not None:
        wnames.append(("bias", _np(bias)))
    if n == 1:
        # tfjs's Conv1D is channels-last only.
        xp = b.to_perm(xp, [0, 2, 1])
    (y,) = b.layer(cls, cfg, [xp], name, weights=wnames, outputs=_out(ctx, xp.perm),
                   share=ctx.node.target if ctx.node.op == "call_module" else None)
    return y


def _grouped_conv(ctx, x, weight, bias, stride, pads, dilation, groups, mode, name):
    """A grouped convolution: one convolution per group on a channel slice, then concatenated."""
    b = ctx.b
    n = x.rank - 2
    cin, cout = x.torch_shape[1], weight.shape[0]
    xp = emit_pad(ctx, x, pads, mode, name=f"{name}_pad")
    if n == 1:
        xp = b.to_perm(xp, [0, 2, 1])
    ig, og = cin // groups, cout // groups
    axis = xp.perm.index(1)
    parts = []
    for g in range(groups):
        begin = [0] * xp.rank
        size = [-1] * xp.rank
        begin[axis], size[axis] = g * ig, ig
        in_shape = list(xp.torch_shape)
        in_shape[1] = ig
        (s,) = b.layer("TorchSlice", {"begin": begin[1:], "size": size[1:]}, [xp],
                       f"{name}_group{g}_in", outputs=[(xp.perm, in_shape)], record=False)
        w = _np(weight[g * og:(g + 1) * og])
        cfg = {"filters": int(og), "kernel_size": list(weight.shape[2:]), "strides": stride,
               "padding": "valid", "dilation_rate": dilation, "activation": "linear",
               "use_bias": bias is not None}
        if n != 1:
            cfg["data_format"] = b.data_format
        ws = [("kernel", np.transpose(w, list(range(2, 2 + n)) + [1, 0]))]
        if bias is not None:
            ws.append(("bias", _np(bias[g * og:(g + 1) * og])))
        out_shape = list(_value(ctx).shape)
        out_shape[1] = og
        (c,) = b.layer(f"Conv{n}D", cfg, [s], f"{name}_group{g}", weights=ws,
                       outputs=[(xp.perm, out_shape)], record=False)
        parts.append(c)
    (y,) = b.layer("Concatenate", {"axis": axis}, parts, name, outputs=_out(ctx, xp.perm))
    return y


def emit_conv_transpose(ctx, x, weight, bias, stride, padding, output_padding, groups, dilation):
    b = ctx.b
    n = _spatial_dims(ctx, x, 1, 3, f"ConvTranspose{x.rank - 2}d")
    stride, padding, dilation = _tuple(stride, n), _tuple(padding, n), _tuple(dilation, n)
    kernel = list(weight.shape[2:])
    out_spatial = list(_value(ctx).shape[2:])
    in_spatial = x.torch_shape[2:]
    # The output padding that gives the size PyTorch produced (output_size= included).
    opad = [out_spatial[i] - ((in_spatial[i] - 1) * stride[i] - 2 * padding[i]
                              + dilation[i] * (kernel[i] - 1) + 1) for i in range(n)]
    x = b.to_canonical(x)
    cfg = {"inChannels": int(weight.shape[0]), "outChannels": int(weight.shape[1] * groups),
           "kernelSize": kernel, "stride": stride, "padding": padding, "outputPadding": opad,
           "groups": int(groups), "dilation": dilation, "bias": bias is not None,
           "dataFormat": b.data_format}
    ws = [("weight", _np(weight))]
    if bias is not None:
        ws.append(("bias", _np(bias)))
    (y,) = b.layer(f"TorchConvTranspose{n}d", cfg, [x], _name(ctx), weights=ws,
                   outputs=_out(ctx, x.perm),
                   share=ctx.node.target if ctx.node.op == "call_module" else None)
    return y


def emit_linear(ctx, x, weight, bias):
    b = ctx.b
    if x.perm[-1] != x.rank - 1:
        x = b.to_torch_order(x)
    cfg = {"units": int(weight.shape[0]), "activation": "linear", "use_bias": bias is not None}
    ws = [("kernel", _np(weight).T)]
    if bias is not None:
        ws.append(("bias", _np(bias)))
    (y,) = b.layer("Dense", cfg, [x], _name(ctx), weights=ws, outputs=_out(ctx, x.perm),
                   share=ctx.node.target if ctx.node.op == "call_module" else None)
    return y


def emit_upsample(ctx, x, size, scale_factor, mode, align_corners, recompute_scale_factor,
                  antialias=False):
    b = ctx.b
    _spatial_dims(ctx, x, 1, 3, "interpolate")
    x = b.to_canonical(x)
    cfg = {"mode": mode, "antialias": bool(antialias), "dataFormat": b.data_format}
    n = x.rank - 2
    if size is not None:
        cfg["size"] = _tuple(size, n)
    else:
        sf = scale_factor
        cfg["scaleFactor"] = [float(s) for s in sf] if isinstance(sf, (tuple, list)) else float(sf)
    if align_corners is not None:
        cfg["alignCorners"] = bool(align_corners)
    if recompute_scale_factor is not None:
        cfg["recomputeScaleFactor"] = bool(recompute_scale_factor)
    (y,) = b.layer("TorchUpsample", cfg, [x], _name(ctx), outputs=_out(ctx, x.perm))
    return y


def emit_max_pool(ctx, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    b = ctx.b
    n = _spatial_dims(ctx, x, 1, 3, "max pooling")
    x = b.to_canonical(x)
    k = _tuple(kernel_size, n)
    cfg = {"kernelSize": k, "stride": _tuple(stride, n) if stride not in (None, []) else k,
           "padding": _tuple(padding, n), "dilation": _tuple(dilation, n),
           "ceilMode": bool(ceil_mode), "returnIndices": bool(return_indices),
           "dataFormat": b.data_format}
    v = _value(ctx)
    outs = [(x.perm, v[0]), (x.perm, v[1])] if return_indices else [(x.perm, v)]
    refs = b.layer(f"TorchMaxPool{n}d", cfg, [x], _name(ctx), outputs=outs)
    return refs if return_indices else refs[0]


def emit_max_unpool(ctx, x, indices, kernel_size, stride, padding):
    b = ctx.b
    n = _spatial_dims(ctx, x, 1, 3, "max unpooling")
    x = b.to_canonical(x)
    indices = b.to_canonical(_ref(ctx, indices, "indices"))
    k = _tuple(kernel_size, n)
    cfg = {"kernelSize": k, "stride": _tuple(stride, n) if stride not in (None, []) else k,
           "padding": _tuple(padding, n), "outputSize": list(_value(ctx).shape[2:]),
           "dataFormat": b.data_format}
    (y,) = b.layer(f"TorchMaxUnpool{n}d", cfg, [x, indices], _name(ctx), outputs=_out(ctx, x.perm))
    return y


def emit_avg_pool(ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override):
    b = ctx.b
    n = _spatial_dims(ctx, x, 1, 3, "average pooling")
    k = _tuple(kernel_size, n)
    s = _tuple(stride, n) if stride not in (None, []) else k
    p = _tuple(padding, n)
    if divisor_override is not None:
        ctx.fail("divisor_override is not supported")
    if any(p) and not count_include_pad:
        ctx.fail("count_include_pad=False with padding is not supported")
    in_sp = x.torch_shape[2:]
    floor_out = [(in_sp[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(n)]
    if list(_value(ctx).shape[2:]) != floor_out:
        ctx.fail("ceil_mode=True where it changes the output size is not supported")
    x = b.to_canonical(x)
    pads = []
    for i in reversed(range(n)):
        pads += [p[i], p[i]]
    x = emit_pad(ctx, x, pads, name=f"{_name(ctx)}_pad")
    cfg = {"pool_size": k, "strides": s, "padding": "valid"}
    if n == 1:
        x = b.to_perm(x, [0, 2, 1])
    else:
        cfg["data_format"] = b.data_format
    (y,) = b.layer(f"AveragePooling{n}D", cfg, [x], _name(ctx), outputs=_out(ctx, x.perm))
    return y


def emit_adaptive_avg_pool(ctx, x, output_size):
    n = _spatial_dims(ctx, x, 1, 3, "adaptive average pooling")
    size = list(_value(ctx).shape[2:])
    assert len(size) == n
    return emit_upsample(ctx, x, size, None, "area", None, None)


def emit_pixel_shuffle(ctx, x, factor, unshuffle):
    b = ctx.b
    if x.rank != 4:
        ctx.fail(f"pixel (un)shuffle needs a rank-4 input here, got shape {x.torch_shape}")
    x = b.to_canonical(x)
    if unshuffle:
        cls, cfg = "TorchPixelUnshuffle", {"downscaleFactor": int(factor)}
    else:
        cls, cfg = "TorchPixelShuffle", {"upscaleFactor": int(factor)}
    cfg["dataFormat"] = b.data_format
    (y,) = b.layer(cls, cfg, [x], _name(ctx), outputs=_out(ctx, x.perm))
    return y


def emit_norm(ctx, x, cls, cfg, weights, channels):
    """BatchNorm / InstanceNorm / GroupNorm (tfjs-torch layers, channels at dim 1)."""
    b = ctx.b
    if x.rank < 2:
        ctx.fail(f"needs an input with batch and channel dims, got shape {x.torch_shape}")
    if x.torch_shape[1] != channels:
        ctx.fail(f"input has {x.torch_shape[1]} channels, the module {channels}")
    x = b.to_canonical(x)
    cfg = dict(cfg, dataFormat=b.data_format)
    (y,) = b.layer(cls, cfg, [x], _name(ctx), weights=weights, outputs=_out(ctx, x.perm),
                   share=ctx.node.target if ctx.node.op == "call_module" else None)
    return y


def emit_layer_norm(ctx, x, normalized_shape, weight, bias, eps):
    b = ctx.b
    k = len(normalized_shape)
    if k >= x.rank:
        ctx.fail(f"normalizes over {k} dims of a rank-{x.rank} input, the batch included")
    tail = list(range(x.rank - k, x.rank))
    if x.perm[-k:] != tail:
        x = b.to_torch_order(x)
    axes = list(range(x.rank - k, x.rank))
    cfg = {"axis": axes, "epsilon": float(eps), "center": bias is not None,
           "scale": weight is not None}
    ws = []
    if weight is not None:
        ws.append(("gamma", _np(weight)))
    if bias is not None:
        ws.append(("beta", _np(bias)))
    (y,) = b.layer("LayerNormalization", cfg, [x], _name(ctx), weights=ws,
                   outputs=_out(ctx, x.perm),
                   share=ctx.node.target if ctx.node.op == "call_module" else None)
    return y


def emit_activation(ctx, x, cls, cfg):
    (y,) = ctx.b.layer(cls, cfg, [x], _name(ctx), outputs=_out(ctx, x.perm))
    return y


def _act(fn, **cfg):
    return ("TorchActivation", dict(cfg, fn=fn))


def emit_softmax(ctx, x, dim, log):
    d = _dim(ctx, dim if dim is not None else -1, x.rank)
    if d == 0:
        ctx.fail("softmax over the batch dim is not supported")
    return emit_activation(ctx, x, *_act("logSoftmax" if log else "softmax", axis=x.perm.index(d)))


def emit_reshape(ctx, x, out_value):
    b = ctx.b
    _check_batch(ctx, x, out_value)
    shape = list(out_value.shape)
    if x.perm == identity(x.rank) and x.torch_shape == shape:
        return Ref(x.layer, x.node_index, x.tensor_index, x.perm, out_value)
    x = b.to_torch_order(x)
    (y,) = b.layer("Reshape", {"target_shape": shape[1:]}, [x], _name(ctx),
                   outputs=[(identity(len(shape)), out_value)])
    return y


def emit_permute(ctx, x, dims):
    dims = [_dim(ctx, d, x.rank) for d in dims]
    if sorted(dims) != identity(x.rank):
        ctx.fail(f"dims {dims} are not a permutation of the input's {x.rank} dims")
    if dims[0] != 0:
        ctx.fail(f"permutes the batch dim (dims {dims}); the tfjs model keeps dim 0 as its batch")
    inv = invert(dims)
    # Free: only the bookkeeping changes (Note [layouts]).
    return Ref(x.layer, x.node_index, x.tensor_index, [inv[p] for p in x.perm], _value(ctx))


def emit_reduce(ctx, x, op, dim, keepdim):
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        ctx.fail(f"{op} over every dim reduces the batch too; give dims without 0")
    dims = sorted({_dim(ctx, d, x.rank) for d in (dim if isinstance(dim, (tuple, list)) else [dim])})
    if 0 in dims:
        ctx.fail(f"{op} over the batch dim is not supported")
    axes = sorted(x.perm.index(d) for d in dims)
    if keepdim:
        perm = x.perm
    else:
        perm = [p - sum(d < p for d in dims) for p in x.perm if p not in dims]
    (y,) = ctx.b.layer("TorchReduce", {"op": op, "axis": axes, "keepDims": bool(keepdim)}, [x],
                       _name(ctx), outputs=_out(ctx, perm))
    return y


def emit_cat(ctx, tensors, dim):
    if not isinstance(tensors, (tuple, list)) or not tensors:
        ctx.fail("needs a list of tensors")
    for t in tensors:
        _ref(ctx, t, "every tensor in the list")
    rank = tensors[0].rank
    d = _dim(ctx, dim, rank)
    if d == 0:
        ctx.fail("cat along the batch dim is not supported")
    perm = tensors[0].perm
    parts = [ctx.b.to_perm(t, perm) for t in tensors]
    if len(parts) == 1:
        return Ref(parts[0].layer, parts[0].node_index, parts[0].tensor_index, perm, _value(ctx))
    (y,) = ctx.b.layer("Concatenate", {"axis": perm.index(d)}, parts, _name(ctx),
                       outputs=_out(ctx, perm))
    return y


def emit_binary(ctx, op, a, b_):
    """add / sub / mul / div / pow / maximum / minimum with PyTorch's broadcasting."""
    b = ctx.b
    if isinstance(a, Ref) and isinstance(b_, Ref):
        if a.rank != b_.rank:
            ctx.fail(f"{op} of tensors of ranks {a.rank} and {b_.rank} (both from the inputs): "
                     f"broadcasting across ranks moves the batch dim; unsqueeze one first")
        canon = b.canonical(a.rank)
        perm = a.perm if a.perm == b_.perm or b_.perm != canon else canon
        a2, b2 = b.to_perm(a, perm), b.to_perm(b_, perm)
        (y,) = b.layer("TorchElementwise", {"op": op}, [a2, b2], _name(ctx),
                       outputs=_out(ctx, perm))
        return y
    reversed_ = not isinstance(a, Ref)
    x, c = (b_, a) if reversed_ else (a, b_)
    cfg = {"op": op, "reversed": reversed_}
    ws = []
    if isinstance(c, torch.Tensor) and c.dim() == 0:
        c = c.item()
    if isinstance(c, bool) or not isinstance(c, (int, float, torch.Tensor)):
        ctx.fail(f"{op} with a {type(c).__name__} operand is not supported")
    if isinstance(c, torch.Tensor):
        if c.dim() > x.rank:
            ctx.fail(f"a constant of shape {list(c.shape)} broadcast against {x.torch_shape}")
        full = c.reshape([1] * (x.rank - c.dim()) + list(c.shape))
        if full.shape[0] != 1:
            ctx.fail(f"the constant operand of shape {list(c.shape)} has a batch dim; the "
                     f"exported model takes any batch size")
        arr = _np(full.permute(*x.perm).contiguous())
        cfg["constantShape"] = list(arr.shape)
        ws.append(("constant", arr))
    else:
        cfg["scalar"] = float(c)
    (y,) = b.layer("TorchElementwise", cfg, [x], _name(ctx), weights=ws,
                   outputs=_out(ctx, x.perm))
    return y


def emit_slice(ctx, x, dim, start, stop):
    d = _dim(ctx, dim, x.rank)
    if d == 0:
        ctx.fail("slicing the batch dim is not supported")
    axis = x.perm.index(d)
    begin = [0] * (x.rank - 1)
    size = [-1] * (x.rank - 1)
    begin[axis - 1], size[axis - 1] = int(start), int(stop - start)
    (y,) = ctx.b.layer("TorchSlice", {"begin": begin, "size": size}, [x], _name(ctx),
                       outputs=_out(ctx, x.perm))
    return y


# ---- modules ------------------------------------------------------------------------------------

# Modules that are the identity in eval mode.
_ELEMENTWISE_ALIASES = tuple(getattr(nn, n) for n in (
    "Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
    "FeatureAlphaDropout") if hasattr(nn, n))


def _m_conv(ctx, m, x):
    return emit_conv(ctx, x, m.weight, m.bias, m.stride, m.padding, m.dilation, m.groups,
                     m.padding_mode)


def _m_conv_t(ctx, m, x, output_size=None):
    if m.padding_mode != "zeros":
        ctx.fail(f"padding_mode {m.padding_mode!r} (PyTorch allows only 'zeros' here)")
    return emit_conv_transpose(ctx, x, m.weight, m.bias, m.stride, m.padding, m.output_padding,
                               m.groups, m.dilation)


def _m_batch_norm(ctx, m, x):
    ws = []
    if m.affine:
        ws += [("weight", _np(m.weight)), ("bias", _np(m.bias))]
    if m.track_running_stats:
        ws += [("running_mean", _np(m.running_mean)), ("running_var", _np(m.running_var))]
    cfg = {"numFeatures": m.num_features, "eps": m.eps,
           "momentum": m.momentum, "affine": m.affine,
           "trackRunningStats": m.track_running_stats}
    return emit_norm(ctx, x, "TorchBatchNorm", cfg, ws, m.num_features)


def _m_instance_norm(ctx, m, x):
    ws = []
    if m.affine:
        ws += [("weight", _np(m.weight)), ("bias", _np(m.bias))]
    if m.track_running_stats:
        ws += [("running_mean", _np(m.running_mean)), ("running_var", _np(m.running_var))]
    cfg = {"numFeatures": m.num_features, "eps": m.eps, "momentum": m.momentum,
           "affine": m.affine, "trackRunningStats": m.track_running_stats}
    return emit_norm(ctx, x, "TorchInstanceNorm", cfg, ws, m.num_features)


def _m_group_norm(ctx, m, x):
    ws = [("weight", _np(m.weight)), ("bias", _np(m.bias))] if m.affine else []
    cfg = {"numGroups": m.num_groups, "numChannels": m.num_channels, "eps": m.eps,
           "affine": m.affine}
    return emit_norm(ctx, x, "TorchGroupNorm", cfg, ws, m.num_channels)


def _m_prelu(ctx, m, x):
    b = ctx.b
    n = m.weight.numel()
    if n != 1 and (x.rank < 2 or x.torch_shape[1] != n):
        ctx.fail(f"PReLU with {n} parameters on an input of shape {x.torch_shape}")
    x = b.to_canonical(x)
    cfg = {"numParameters": n, "dataFormat": b.data_format}
    (y,) = b.layer("TorchPReLU", cfg, [x], _name(ctx), weights=[("weight", _np(m.weight))],
                   outputs=_out(ctx, x.perm), share=ctx.node.target)
    return y


def _m_pad(ctx, m, x):
    if isinstance(m, (nn.ReflectionPad1d, nn.ReflectionPad2d, nn.ReflectionPad3d)):
        mode, value = "reflect", 0.0
    elif isinstance(m, (nn.ReplicationPad1d, nn.ReplicationPad2d, nn.ReplicationPad3d)):
        mode, value = "replicate", 0.0
    elif hasattr(nn, "CircularPad2d") and isinstance(m, getattr(nn, "CircularPad2d")):
        mode, value = "circular", 0.0
    else:
        mode, value = "constant", float(getattr(m, "value", 0.0))
    return emit_pad(ctx, x, m.padding, mode, value, name=_name(ctx), out_value=_value(ctx))


def _m_upsample(ctx, m, x):
    return emit_upsample(ctx, x, m.size, m.scale_factor, m.mode, m.align_corners,
                         getattr(m, "recompute_scale_factor", None))


def _m_max_pool(ctx, m, x):
    return emit_max_pool(ctx, x, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode,
                         m.return_indices)


def _m_max_unpool(ctx, m, x, indices, output_size=None):
    return emit_max_unpool(ctx, x, indices, m.kernel_size, m.stride, m.padding)


def _m_avg_pool(ctx, m, x):
    return emit_avg_pool(ctx, x, m.kernel_size, m.stride, m.padding, m.ceil_mode,
                         m.count_include_pad, getattr(m, "divisor_override", None))


def _module_activation(m):
    if isinstance(m, nn.ReLU6):
        return ("ReLU", {"max_value": 6.0})
    if isinstance(m, nn.ReLU):
        return ("ReLU", {})
    if isinstance(m, nn.LeakyReLU):
        return ("LeakyReLU", {"alpha": float(m.negative_slope)})
    if isinstance(m, nn.Sigmoid):
        return ("Activation", {"activation": "sigmoid"})
    if isinstance(m, nn.Tanh):
        return ("Activation", {"activation": "tanh"})
    if isinstance(m, nn.ELU):
        return _act("elu", alpha=float(m.alpha))
    if isinstance(m, nn.CELU):
        return _act("celu", alpha=float(m.alpha))
    if isinstance(m, nn.SELU):
        return _act("selu")
    if isinstance(m, nn.GELU):
        return _act("geluTanh" if getattr(m, "approximate", "none") == "tanh" else "gelu")
    if isinstance(m, nn.SiLU):
        return _act("silu")
    if isinstance(m, nn.Mish):
        return _act("mish")
    if isinstance(m, nn.Hardswish):
        return _act("hardswish")
    if isinstance(m, nn.Hardsigmoid):
        return _act("hardsigmoid")
    if isinstance(m, nn.Hardtanh):  # ReLU6 is a Hardtanh too: handled above
        return _act("clamp", min=float(m.min_val), max=float(m.max_val))
    if isinstance(m, nn.Softplus):
        return _act("softplus", beta=float(m.beta), threshold=float(m.threshold))
    if isinstance(m, nn.Softsign):
        return _act("softsign")
    if isinstance(m, nn.LogSigmoid):
        return _act("logsigmoid")
    return None


def handle_module(ctx, node):
    m = ctx.gm.get_submodule(node.target)
    args = [ctx.arg(a) for a in node.args]
    kwargs = {k: ctx.arg(v) for k, v in node.kwargs.items()}
    custom = ctx.custom.get(type(m))
    if custom is not None:
        out = custom(ctx, m, *args, **kwargs)
        value = _value(ctx)
        if isinstance(out, Ref):
            return _with_value(out, value)
        if isinstance(out, (tuple, list)) and all(isinstance(o, Ref) for o in out):
            for o, v in zip(out, value):
                _with_value(o, v)
            return list(out)
        ctx.fail(f"the custom mapping returned {type(out).__name__}, not a Ref or a tuple of Refs")
    x = _ref(ctx, args[0]) if args else None
    if isinstance(m, _ELEMENTWISE_ALIASES):
        return Ref(x.layer, x.node_index, x.tensor_index, x.perm, _value(ctx))
    act = _module_activation(m)
    if act is not None:
        return emit_activation(ctx, x, *act)
    if isinstance(m, (nn.Softmax, nn.LogSoftmax)):
        return emit_softmax(ctx, x, m.dim, isinstance(m, nn.LogSoftmax))
    table = [
        ((nn.Conv1d, nn.Conv2d, nn.Conv3d), _m_conv),
        ((nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d), _m_conv_t),
        ((nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d), _m_batch_norm),
        ((nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d), _m_instance_norm),
        ((nn.GroupNorm,), _m_group_norm),
        ((nn.PReLU,), _m_prelu),
        ((nn.Upsample,), _m_upsample),
        ((nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d), _m_max_pool),
        ((nn.MaxUnpool1d, nn.MaxUnpool2d, nn.MaxUnpool3d), _m_max_unpool),
        ((nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d), _m_avg_pool),
        ((nn.ConstantPad1d, nn.ConstantPad2d, nn.ConstantPad3d, nn.ZeroPad2d,
          nn.ReflectionPad1d, nn.ReflectionPad2d, nn.ReflectionPad3d,
          nn.ReplicationPad1d, nn.ReplicationPad2d, nn.ReplicationPad3d), _m_pad),
    ]
    for classes, fn in table:
        if isinstance(m, classes):
            return fn(ctx, m, *args, **kwargs)
    if isinstance(m, nn.Linear):
        return emit_linear(ctx, x, m.weight, m.bias)
    if isinstance(m, nn.LayerNorm):
        return emit_layer_norm(ctx, x, m.normalized_shape, m.weight, m.bias, m.eps)
    if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)):
        return emit_adaptive_avg_pool(ctx, x, m.output_size)
    if isinstance(m, nn.PixelShuffle):
        return emit_pixel_shuffle(ctx, x, m.upscale_factor, False)
    if isinstance(m, nn.PixelUnshuffle):
        return emit_pixel_shuffle(ctx, x, m.downscale_factor, True)
    if isinstance(m, (nn.Flatten, nn.Unflatten)):
        return emit_reshape(ctx, x, _value(ctx))
    ctx.fail(f"{type(m).__module__}.{type(m).__name__} is not supported. Supported modules: "
             f"{', '.join(SUPPORTED_MODULES)}; or map it yourself with "
             f"export(..., custom={{{type(m).__name__}: fn}})")


SUPPORTED_MODULES = [
    "Conv1d/2d/3d", "ConvTranspose1d/2d/3d", "Linear", "BatchNorm1d/2d/3d", "InstanceNorm1d/2d/3d",
    "GroupNorm", "LayerNorm", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "CELU", "SELU", "GELU",
    "SiLU", "Mish", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "Hardtanh", "Softplus",
    "Softsign", "LogSigmoid", "Softmax", "LogSoftmax", "MaxPool1d/2d/3d", "MaxUnpool1d/2d/3d",
    "AvgPool1d/2d/3d", "AdaptiveAvgPool1d/2d/3d", "Upsample", "UpsamplingNearest2d",
    "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "ZeroPad2d", "ConstantPad1d/2d/3d",
    "ReflectionPad1d/2d/3d", "ReplicationPad1d/2d/3d", "Flatten", "Unflatten", "Identity",
    "Dropout*",
]

# ---- functions and methods ----------------------------------------------------------------------

_BINARY = {
    operator.add: "add", torch.add: "add", operator.sub: "sub", torch.sub: "sub",
    operator.mul: "mul", torch.mul: "mul", operator.truediv: "div", torch.div: "div",
    operator.pow: "pow", torch.pow: "pow", torch.maximum: "maximum", torch.minimum: "minimum",
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow", "maximum": "maximum",
    "minimum": "minimum", "add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div",
    operator.iadd: "add", operator.isub: "sub", operator.imul: "mul", operator.itruediv: "div",
}

_UNARY = {
    F.relu: ("ReLU", {}), torch.relu: ("ReLU", {}), "relu": ("ReLU", {}), "relu_": ("ReLU", {}),
    F.relu6: ("ReLU", {"max_value": 6.0}),
    torch.sigmoid: ("Activation", {"activation": "sigmoid"}),
    "sigmoid": ("Activation", {"activation": "sigmoid"}),
    torch.tanh: ("Activation", {"activation": "tanh"}),
    "tanh": ("Activation", {"activation": "tanh"}),
    F.silu: _act("silu"), F.mish: _act("mish"), F.hardswish: _act("hardswish"),
    F.hardsigmoid: _act("hardsigmoid"), F.selu: _act("selu"), F.softsign: _act("softsign"),
    F.logsigmoid: _act("logsigmoid"),
    torch.neg: _act("neg"), operator.neg: _act("neg"), "neg": _act("neg"),
    torch.abs: _act("abs"), "abs": _act("abs"), torch.exp: _act("exp"), "exp": _act("exp"),
    torch.log: _act("log"), "log": _act("log"), torch.sqrt: _act("sqrt"), "sqrt": _act("sqrt"),
    torch.rsqrt: _act("rsqrt"), "rsqrt": _act("rsqrt"),
}
if hasattr(F, "sigmoid"):
    _UNARY[F.sigmoid] = ("Activation", {"activation": "sigmoid"})
if hasattr(F, "tanh"):
    _UNARY[F.tanh] = ("Activation", {"activation": "tanh"})

_ALIAS_METHODS = {"contiguous", "clone", "detach", "float"}
_ALIAS_FUNCTIONS = {torch.clone, torch.detach} if hasattr(torch, "detach") else {torch.clone}


def handle_function(ctx, node):
    t = node.target
    name = t if isinstance(t, str) else None
    v = _value(ctx)
    if t in _BINARY:
        if name is None and t in (torch.add, torch.sub):
            a = _bind(ctx, ["input", "other", "alpha"], {"alpha": 1})
            if a["alpha"] != 1:
                ctx.fail("alpha != 1 is not supported")
        elif t is torch.div or t == "div":
            a = _bind(ctx, ["input", "other", "rounding_mode"], {"rounding_mode": None})
            if a["rounding_mode"] is not None:
                ctx.fail("rounding_mode is not supported")
        else:
            a = _bind(ctx, ["input", "other"], {})
        return emit_binary(ctx, _BINARY[t], a["input"], a["other"])
    if t in _UNARY:
        x = _ref(ctx, ctx.arg(node.args[0]))
        cls, cfg = _UNARY[t]
        return emit_activation(ctx, x, cls, cfg)
    if t in _ALIAS_FUNCTIONS or name in _ALIAS_METHODS or (name == "to" and v.dtype == torch.float32):
        x = _ref(ctx, ctx.arg(node.args[0]))
        if name == "float" or name == "to":
            if not x.value.dtype.is_floating_point:
                ctx.fail("converting an integer tensor to float is not supported")
        return Ref(x.layer, x.node_index, x.tensor_index, x.perm, v)
    if t is F.dropout or t is F.dropout2d or t is F.dropout3d or t is F.alpha_dropout:
        a = _bind(ctx, ["input", "p", "training", "inplace"], {"p": 0.5, "training": True, "inplace": False})
        if a["training"]:
            ctx.fail("dropout with training=True; pass training=self.training (export runs in eval mode)")
        x = a["input"]
        return Ref(x.layer, x.node_index, x.tensor_index, x.perm, v)
    if t is F.leaky_relu or name == "leaky_relu":
        a = _bind(ctx, ["input", "negative_slope", "inplace"], {"negative_slope": 0.01, "inplace": False})
        return emit_activation(ctx, a["input"], "LeakyReLU", {"alpha": float(a["negative_slope"])})
    if t is F.elu or t is F.celu:
        a = _bind(ctx, ["input", "alpha", "inplace"], {"alpha": 1.0, "inplace": False})
        return emit_activation(ctx, a["input"], *_act("elu" if t is F.elu else "celu", alpha=float(a["alpha"])))
    if t is F.gelu or name == "gelu":
        a = _bind(ctx, ["input", "approximate"], {"approximate": "none"})
        return emit_activation(ctx, a["input"], *_act("geluTanh" if a["approximate"] == "tanh" else "gelu"))
    if t is F.hardtanh or t in (torch.clamp, torch.clip) or name in ("clamp", "clip"):
        if t is F.hardtanh:
            a = _bind(ctx, ["input", "min_val", "max_val", "inplace"], {"min_val": -1.0, "max_val": 1.0, "inplace": False})
            lo, hi = a["min_val"], a["max_val"]
        else:
            a = _bind(ctx, ["input", "min", "max"], {"min": None, "max": None})
            lo, hi = a["min"], a["max"]
        if isinstance(lo, Ref) or isinstance(hi, Ref) or isinstance(lo, torch.Tensor) or isinstance(hi, torch.Tensor):
            ctx.fail("clamp with tensor bounds is not supported")
        return emit_activation(ctx, a["input"], *_act("clamp", min=None if lo is None else float(lo),
                                                      max=None if hi is None else float(hi)))
    if t is F.softplus:
        a = _bind(ctx, ["input", "beta", "threshold"], {"beta": 1.0, "threshold": 20.0})
        return emit_activation(ctx, a["input"], *_act("softplus", beta=float(a["beta"]), threshold=float(a["threshold"])))
    if t in (F.softmax, F.log_softmax, torch.softmax, torch.log_softmax) or name in ("softmax", "log_softmax"):
        a = _bind(ctx, ["input", "dim", "_stacklevel", "dtype"], {"dim": None, "_stacklevel": 3, "dtype": None})
        return emit_softmax(ctx, _ref(ctx, a["input"]), a["dim"],
                            t in (F.log_softmax, torch.log_softmax) or name == "log_softmax")
    if t in (F.interpolate, F.upsample):
        a = _bind(ctx, ["input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"],
                  {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None,
                   "recompute_scale_factor": None, "antialias": False})
        return emit_upsample(ctx, _ref(ctx, a["input"]), a["size"], a["scale_factor"], a["mode"],
                             a["align_corners"], a["recompute_scale_factor"], a["antialias"])
    if t is F.pad:
        a = _bind(ctx, ["input", "pad", "mode", "value"], {"mode": "constant", "value": None})
        x = _ref(ctx, a["input"])
        value = 0.0 if a["value"] is None else float(a["value"])
        return emit_pad(ctx, x, a["pad"], a["mode"], value, name=_name(ctx), out_value=v)
    if t in (F.max_pool1d, F.max_pool2d, F.max_pool3d, F.max_pool1d_with_indices,
             F.max_pool2d_with_indices, F.max_pool3d_with_indices):
        a = _bind(ctx, ["input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"],
                  {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False})
        ri = a["return_indices"] or t in (F.max_pool1d_with_indices, F.max_pool2d_with_indices,
                                          F.max_pool3d_with_indices)
        return emit_max_pool(ctx, _ref(ctx, a["input"]), a["kernel_size"], a["stride"], a["padding"],
                             a["dilation"], a["ceil_mode"], ri)
    if t in (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d):
        a = _bind(ctx, ["input", "indices", "kernel_size", "stride", "padding", "output_size"],
                  {"stride": None, "padding": 0, "output_size": None})
        return emit_max_unpool(ctx, _ref(ctx, a["input"]), a["indices"], a["kernel_size"], a["stride"], a["padding"])
    if t in (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d):
        a = _bind(ctx, ["input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
                  {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True, "divisor_override": None})
        return emit_avg_pool(ctx, _ref(ctx, a["input"]), a["kernel_size"], a["stride"], a["padding"],
                             a["ceil_mode"], a["count_include_pad"], a["divisor_override"])
    if t in (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d):
        a = _bind(ctx, ["input", "output_size"], {})
        return emit_adaptive_avg_pool(ctx, _ref(ctx, a["input"]), a["output_size"])
    if t in (F.pixel_shuffle, F.pixel_unshuffle):
        a = _bind(ctx, ["input", "factor"], {})
        return emit_pixel_shuffle(ctx, _ref(ctx, a["input"]), a["factor"], t is F.pixel_unshuffle)
    if t is F.linear:
        a = _bind(ctx, ["input", "weight", "bias"], {"bias": None})
        if isinstance(a["weight"], Ref) or isinstance(a["bias"], Ref):
            ctx.fail("F.linear with a weight computed from the inputs is not supported")
        return emit_linear(ctx, _ref(ctx, a["input"]), a["weight"], a["bias"])
    if t in (F.conv1d, F.conv2d, F.conv3d):
        a = _bind(ctx, ["input", "weight", "bias", "stride", "padding", "dilation", "groups"],
                  {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1})
        if isinstance(a["weight"], Ref) or isinstance(a["bias"], Ref):
            ctx.fail("a convolution with a weight computed from the inputs is not supported")
        return emit_conv(ctx, _ref(ctx, a["input"]), a["weight"], a["bias"], a["stride"],
                         a["padding"], a["dilation"], a["groups"])
    if t in (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d):
        a = _bind(ctx, ["input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation"],
                  {"bias": None, "stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "dilation": 1})
        if isinstance(a["weight"], Ref) or isinstance(a["bias"], Ref):
            ctx.fail("a convolution with a weight computed from the inputs is not supported")
        return emit_conv_transpose(ctx, _ref(ctx, a["input"]), a["weight"], a["bias"], a["stride"],
                                   a["padding"], a["output_padding"], a["groups"], a["dilation"])
    if t is F.layer_norm:
        a = _bind(ctx, ["input", "normalized_shape", "weight", "bias", "eps"],
                  {"weight": None, "bias": None, "eps": 1e-5})
        _constants(ctx, a, ["weight", "bias"])
        return emit_layer_norm(ctx, _ref(ctx, a["input"]), _tuple(a["normalized_shape"], 1),
                               a["weight"], a["bias"], a["eps"])
    if t is F.group_norm:
        a = _bind(ctx, ["input", "num_groups", "weight", "bias", "eps"],
                  {"weight": None, "bias": None, "eps": 1e-5})
        _constants(ctx, a, ["weight", "bias"])
        x = _ref(ctx, a["input"])
        c = x.torch_shape[1]
        affine = a["weight"] is not None or a["bias"] is not None
        ws = []
        if affine:
            w = a["weight"] if a["weight"] is not None else torch.ones(c)
            bb = a["bias"] if a["bias"] is not None else torch.zeros(c)
            ws = [("weight", _np(w)), ("bias", _np(bb))]
        cfg = {"numGroups": int(a["num_groups"]), "numChannels": c, "eps": float(a["eps"]), "affine": affine}
        return emit_norm(ctx, x, "TorchGroupNorm", cfg, ws, c)
    if t is F.batch_norm:
        a = _bind(ctx, ["input", "running_mean", "running_var", "weight", "bias", "training", "momentum", "eps"],
                  {"weight": None, "bias": None, "training": False, "momentum": 0.1, "eps": 1e-5})
        _constants(ctx, a, ["running_mean", "running_var", "weight", "bias"])
        if a["training"] or a["running_mean"] is None or a["running_var"] is None:
            ctx.fail("F.batch_norm is supported in eval form only (training=False, running statistics given)")
        x = _ref(ctx, a["input"])
        c = x.torch_shape[1]
        w = a["weight"] if a["weight"] is not None else torch.ones(c)
        bb = a["bias"] if a["bias"] is not None else torch.zeros(c)
        ws = [("weight", _np(w)), ("bias", _np(bb)), ("running_mean", _np(a["running_mean"])),
              ("running_var", _np(a["running_var"]))]
        cfg = {"numFeatures": c, "eps": float(a["eps"]), "momentum": a["momentum"], "affine": True,
               "trackRunningStats": True}
        return emit_norm(ctx, x, "TorchBatchNorm", cfg, ws, c)
    if t in (torch.cat, getattr(torch, "concat", torch.cat)):
        a = _bind(ctx, ["tensors", "dim"], {"dim": 0})
        return emit_cat(ctx, a["tensors"], a["dim"])
    if t is torch.stack:
        ctx.fail("torch.stack is not supported; unsqueeze and torch.cat instead")
    if t in (torch.flatten, torch.reshape) or name in (
            "view", "reshape", "flatten", "unsqueeze", "squeeze", "view_as", "reshape_as") or \
            t in (torch.unsqueeze, torch.squeeze):
        x = _ref(ctx, ctx.arg(node.args[0]))
        return emit_reshape(ctx, x, v)
    if t is torch.permute or name == "permute":
        x = _ref(ctx, ctx.arg(node.args[0]))
        rest = [ctx.arg(a) for a in node.args[1:]]
        dims = node.kwargs.get("dims")
        if dims is None:
            dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        return emit_permute(ctx, x, list(dims))
    if t is torch.transpose or name == "transpose":
        a = _bind(ctx, ["input", "dim0", "dim1"], {})
        x = _ref(ctx, a["input"])
        d0, d1 = _dim(ctx, a["dim0"], x.rank), _dim(ctx, a["dim1"], x.rank)
        dims = identity(x.rank)
        dims[d0], dims[d1] = d1, d0
        return emit_permute(ctx, x, dims)
    if t in (torch.mean, torch.sum, torch.amax, torch.amin) or name in ("mean", "sum", "amax", "amin"):
        op = {torch.mean: "mean", torch.sum: "sum", torch.amax: "max", torch.amin: "min"}.get(t) or \
            {"amax": "max", "amin": "min"}.get(name, name)
        a = _bind(ctx, ["input", "dim", "keepdim", "dtype"], {"dim": None, "keepdim": False, "dtype": None})
        return emit_reduce(ctx, _ref(ctx, a["input"]), op, a["dim"], a["keepdim"])
    if t is operator.getitem:
        return _getitem(ctx, node)
    if t in (torch.chunk, torch.split) or name in ("chunk", "split"):
        return _split(ctx, node, t is torch.chunk or name == "chunk")
    what = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    ctx.fail(f"{'method' if name else 'function'} {what!r} is not supported. Supported functions "
             f"and methods: {', '.join(SUPPORTED_FUNCTIONS)}")


SUPPORTED_FUNCTIONS = [
    "+ - * / ** (tensors, constants, scalars; broadcasting)", "torch.add/sub/mul/div/pow/maximum/minimum",
    "F.relu/relu6/leaky_relu/elu/celu/selu/gelu/silu/mish/hardswish/hardsigmoid/hardtanh/softplus/"
    "softsign/logsigmoid/softmax/log_softmax", "torch.sigmoid/tanh/relu/clamp/neg/abs/exp/log/sqrt/rsqrt",
    "F.interpolate", "F.pad", "F.max_pool*d", "F.max_unpool*d", "F.avg_pool*d", "F.adaptive_avg_pool*d",
    "F.pixel_shuffle/pixel_unshuffle", "F.linear", "F.conv*d", "F.layer_norm/group_norm/batch_norm (eval)", "F.conv_transpose*d", "F.dropout*",
    "torch.cat", "torch.flatten/reshape/permute/transpose/squeeze/unsqueeze",
    "torch.mean/sum/amax/amin over dims", "torch.chunk/split (channel dims)", "tensor[...] slices",
    ".view/.reshape/.flatten/.permute/.transpose/.contiguous/.size/.shape",
]


def _constants(ctx, a, names):
    for n in names:
        if isinstance(a.get(n), Ref):
            ctx.fail(f"argument {n!r} computed from the inputs is not supported (parameters and "
                     f"buffers are)")


def _getitem(ctx, node):
    base = ctx.arg(node.args[0])
    idx = ctx.arg(node.args[1])
    if isinstance(base, (list, tuple)):
        item = base[idx]
        if not isinstance(item, Ref):
            ctx.fail("indexes a structure that holds no model tensor here")
        return item
    x = _ref(ctx, base)
    idx = idx if isinstance(idx, tuple) else (idx,)
    if any(i is Ellipsis for i in idx):
        k = idx.index(Ellipsis)
        idx = idx[:k] + (slice(None),) * (x.rank - len(idx) + 1) + idx[k + 1:]
    if len(idx) > x.rank or not all(isinstance(i, slice) for i in idx):
        ctx.fail("only slices (a:b on dims after the batch) are supported as tensor indices")
    out = x
    sliced = False
    for d, s in enumerate(idx):
        if s == slice(None):
            continue
        if d == 0:
            ctx.fail("slicing the batch dim is not supported")
        size = x.torch_shape[d]
        start, stop, step = s.indices(size)
        if step != 1:
            ctx.fail("slices with a step are not supported")
        if sliced:
            ctx.fail("slicing more than one dim at once is not supported; slice one dim at a time")
        out = emit_slice(ctx, out, d, start, max(stop, start))
        sliced = True
    if not sliced:
        return Ref(x.layer, x.node_index, x.tensor_index, x.perm, _value(ctx))
    return out


def _split(ctx, node, is_chunk):
    x = _ref(ctx, ctx.arg(node.args[0]))
    names = ["input", "chunks", "dim"] if is_chunk else ["input", "split_size_or_sections", "dim"]
    if node.op == "call_method" and not is_chunk:
        names = ["input", "split_size", "dim"]
    a = _bind(ctx, names, {"dim": 0})
    d = _dim(ctx, a["dim"], x.rank)
    values = _value(ctx)
    refs = []
    start = 0
    for i, part in enumerate(values):
        n = part.shape[d]
        if d == 0:
            ctx.fail("splitting the batch dim is not supported")
        axis = x.perm.index(d)
        begin = [0] * (x.rank - 1)
        size = [-1] * (x.rank - 1)
        begin[axis - 1], size[axis - 1] = start, n
        (r,) = ctx.b.layer("TorchSlice", {"begin": begin, "size": size}, [x], f"{_name(ctx)}_{i}",
                           outputs=[(x.perm, part)])
        refs.append(r)
        start += n
    return refs


def handle(ctx, node):
    if node.op == "call_module":
        return handle_module(ctx, node)
    if node.op == "call_function" and node.target is getattr:
        ctx.fail("reads an attribute of a tensor that is itself a tensor")
    if node.op in ("call_function", "call_method"):
        return handle_function(ctx, node)
    ctx.fail(f"graph node kind {node.op!r} is not supported")
