"""Resizing: upsample_* (F.interpolate / nn.Upsample in every mode, to a size, a scale, or another
tensor's size known only at run time; antialias), pixel_shuffle / pixel_unshuffle."""
import torch

from . import register
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


@register(*_OPS)
def upsample(ctx, a):
    """upsample_* (every overload): F.interpolate / nn.Upsample in modes nearest, nearest-exact,
    (bi/tri)linear, bicubic, antialias, to a size (sizes from other tensors included) or a
    scale factor."""
    b = ctx.b
    name = ctx.node.target.overloadpacket.__name__
    mode, aa = _MODES[name]
    x = ctx.ref(a.get("input", a.get("self")))
    n = spatial_count(ctx, x, 1, 3, "interpolate")
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
