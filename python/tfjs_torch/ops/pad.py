"""Padding: F.pad in every mode (constant on any dims but the batch, reflect / replicate /
circular on the spatial ones), nn.*Pad*d, with pads that are sizes known only at run time
(U-Net's pad by a size difference)."""
import torch

from . import register
from ._common import emit_pad

aten = torch.ops.aten


@register(aten.pad.default)
def pad(ctx, a):
    """pad: F.pad (constant / reflect / replicate / circular)."""
    value = 0.0 if a.value is None else float(a.value)
    return emit_pad(ctx, ctx.ref(a.self), a.pad, a.mode or "constant", value,
                    name=ctx.name(), out_value=ctx.value)


@register(aten.constant_pad_nd.default)
def constant_pad(ctx, a):
    """constant_pad_nd: F.pad(mode='constant'), nn.ConstantPad*d, nn.ZeroPad*d (negative pads crop)."""
    return emit_pad(ctx, ctx.ref(a.self), a.pad, "constant", float(a.value), name=ctx.name(),
                    out_value=ctx.value)


@register(aten.reflection_pad1d.default, aten.reflection_pad2d.default,
          aten.reflection_pad3d.default)
def reflection_pad(ctx, a):
    """reflection_pad1d/2d/3d: nn.ReflectionPad*d, F.pad(mode='reflect')."""
    return emit_pad(ctx, ctx.ref(a.self), a.padding, "reflect", name=ctx.name(),
                    out_value=ctx.value)


@register(aten.replication_pad1d.default, aten.replication_pad2d.default,
          aten.replication_pad3d.default)
def replication_pad(ctx, a):
    """replication_pad1d/2d/3d: nn.ReplicationPad*d, F.pad(mode='replicate')."""
    return emit_pad(ctx, ctx.ref(a.self), a.padding, "replicate", name=ctx.name(),
                    out_value=ctx.value)


@register(aten._pad_circular.default)
def circular_pad(ctx, a):
    """_pad_circular: nn.CircularPad*d, F.pad(mode='circular')."""
    return emit_pad(ctx, ctx.ref(a.self), a.pad, "circular", name=ctx.name(),
                    out_value=ctx.value)
