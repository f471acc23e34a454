"""Resizing: upsample_* (F.interpolate / nn.Upsample in every mode, to a size, a scale, or another
tensor's size known only at run time; antialias), pixel_shuffle / pixel_unshuffle."""
import torch

from . import register
from .._builder import Ref
from .._shape import is_static
from ._common import size_list, spatial_count

aten = torch.ops.aten

_MODES = {
    "upsample_nearest1d": ("nearest", False), "upsample_nearest2d": ("nearest", False),
    "upsample_nearest3d": ("nearest", False),
    "_upsample_nearest_exact1d": ("nearest-exact", False),
    "_upsample_nearest_exact2d": ("nearest-exact", False),
    "_upsample_nearest_exact3d": ("nearest-exact", False),
    "upsample_linear1d": ("linear", False), "upsample_bilinear2d": ("bilinear", False),
    "upsample_trilinear3d": ("trilinear", False), "upsample_bicubic2d": ("bicubic", False),
    "_upsample_bilinear2d_aa": ("bilinear", True), "_upsample_bicubic2d_aa": ("bicubic", True),
}

_OPS = []
for _name in _MODES:
    _packet = getattr(aten, _name, None)
    if _packet is not None:
        _OPS.append(_packet)


def scales_of_sizes(ctx, sizes, in_sizes):
    """Note [scale factors recomputed at run time]: F.interpolate(x, scale_factor=c,
    recompute_scale_factor=True) (and mode='area', which always recomputes) asks for the output
    size floor(in * c), computed in float64, and then samples by in / out; at a size known only at
    run time torch.export writes that size as TruncToInt(c * ToFloat(in)), outside the shape
    grammar (it has no floats). Such sizes are given back as the scale factors [c, ...], which
    tfjs-torch's interpolate turns into sizes exactly as PyTorch does (Math.floor(in * c), float64);
    a dim whose size is an integer multiple m of its input's is the factor m, a fixed dim the
    factor of the others where it gives that size. None where no size has that form."""
    import sympy
    from torch.utils._sympy import functions as SF
    rounding = tuple(getattr(SF, n) for n in ("TruncToInt", "FloorToInt") if hasattr(SF, n))
    to_float = getattr(SF, "ToFloat", None)
    found, factors = False, []
    for out, inp in zip(sizes, in_sizes):
        c = None
        if not is_static(out) and not is_static(inp):
            e = out.expr
            if rounding and isinstance(e, rounding) and isinstance(e.args[0], sympy.Mul):
                consts = [t for t in e.args[0].args if t.is_number]
                rest = [t for t in e.args[0].args if not t.is_number]
                if len(consts) == 1 and len(rest) == 1 and to_float is not None and isinstance(
                        rest[0], to_float) and sympy.simplify(rest[0].args[0] - inp.expr) == 0:
                    c, found = float(consts[0]), True
            if c is None:
                ratio = sympy.simplify(e / inp.expr)
                if ratio.is_Integer and int(ratio) >= 1:
                    c = float(int(ratio))
        factors.append(c)
    if not found:
        return None
    known = sorted({c for c in factors if c is not None})
    out = []
    for c, o, i in zip(factors, sizes, in_sizes):
        if c is None:
            fits = [k for k in known if is_static(o) and is_static(i) and int(i * k) == o]
            if not fits:
                ctx.fail(f"output size {o} of input size {i} is neither a fixed size nor the "
                         f"input's size times a scale factor; export with dynamic_shapes=False "
                         f"or free that dim")
            c = fits[0]
        out.append(c)
    return out


@register(*_OPS)
def upsample(ctx, a):
    """upsample_* (every overload): F.interpolate / nn.Upsample in modes nearest, nearest-exact,
    (bi/tri)linear, bicubic, antialias, to a size (sizes from other tensors included) or a
    scale factor; a stored tensor (a ViT's position embedding) resized to a size known only at
    run time is made a tensor of the model."""
    b = ctx.b
    name = ctx.node.target.overloadpacket.__name__
    mode, aa = _MODES[name]
    x = a.get("input", a.get("self"))
    if isinstance(x, torch.Tensor) and not isinstance(x, Ref):
        # A stored tensor resized to a size known only at run time (a ViT's position embedding
        # resized to the input's patch grid): Note [a constant made a tensor of the model].
        x = ctx.materialize(x, "input", b.canonical(x.dim()) if 3 <= x.dim() <= 5 else None)
    x = ctx.ref(x)
    n = spatial_count(ctx, x, 1, 3, "interpolate")
    in_sp = ctx.sym_shape(x)[2:]
    x = b.to_canonical(x)
    cfg = {"mode": mode, "antialias": aa, "dataFormat": b.data_format}
    if "align_corners" in a and a.align_corners is not None:
        cfg["alignCorners"] = bool(a.align_corners)
    scales = a.get("scale_factors")
    if scales is None:  # the .default overloads: scales_h, scales_w, ...
        per = [a.get(k) for k in ("scales", "scales_d", "scales_h", "scales_w") if k in a]
        per = [s for s in per if s is not None]
        scales = per if len(per) == n else None
    size = a.get("output_size")
    extra = []
    if scales is not None and size is None:
        cfg["scaleFactor"] = [float(s) for s in scales]
    elif size is not None:
        size = list(size)
        recomputed = scales_of_sizes(ctx, size, in_sp) if scales is None else None
        if recomputed is not None:
            cfg["scaleFactor"] = recomputed
            cfg["recomputeScaleFactor"] = True
            return ctx.emit("TorchUpsample", cfg, [x], perm=x.perm)
        if all(is_static(s) for s in size):
            cfg["size"] = [int(s) for s in size]
        else:
            cfg["size"], extra = size_list(ctx, x, size, 1)
        if scales is not None:
            # torch's scale-based source coordinates with a given size: kept as scaleFactor
            # would change the output size, so both are recorded only when they agree.
            ctx.fail("an upsample with both an output size and scale factors is not supported")
    else:
        ctx.fail("interpolate needs a size or a scale factor")
    return ctx.emit("TorchUpsample", cfg, [x] + extra, perm=x.perm)


@register(aten.pixel_shuffle.default, aten.pixel_unshuffle.default)
def pixel_shuffle(ctx, a):
    """pixel_shuffle / pixel_unshuffle: nn.PixelShuffle, nn.PixelUnshuffle (rank 4)."""
    b = ctx.b
    x = ctx.ref(a.self)
    if x.rank != 4:
        ctx.fail(f"pixel (un)shuffle needs a rank-4 input here, got shape {x.torch_shape}")
    x = b.to_canonical(x)
    if ctx.node.target.overloadpacket is aten.pixel_unshuffle:
        cls, cfg = "TorchPixelUnshuffle", {"downscaleFactor": ctx.static_int(
            a.downscale_factor, "downscale_factor")}
    else:
        cls, cfg = "TorchPixelShuffle", {"upscaleFactor": ctx.static_int(
            a.upscale_factor, "upscale_factor")}
    cfg["dataFormat"] = b.data_format
    return ctx.emit(cls, cfg, [x], perm=x.perm)
