"""The modules the exporter's tests export: the repo's decoders (examples/decoders, defined in
scripts/fixtures/gen_decoders.py, with the weights in examples/decoders/assets) and one small
module per supported node kind. Shared by python/tests/test_export.py (fresh exports, checked end
to end in Node) and scripts/fixtures/gen_exported.py (the committed fixture test/fixtures/
exported.json that the JavaScript suites check on every backend without Python).

Each case: (name, factory returning the module, inputs, data formats). Inputs come from a seeded
generator, so every run exports the same numbers.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FORMATS = ("channelsLast", "channelsFirst")

# Cases exported with fixed sizes (dynamic_shapes=False), as the committed fixture
# (test/fixtures/exported.json) has them: interpolate_recompute (a float scale's floor with
# recompute_scale_factor=True; at free sizes since: test_known_limits.py), and an argument that
# would depend on the size (ConvTranspose2d's output_padding from output_size=).
FIXED = {"conv_transpose2d_output_size", "interpolate_recompute"}

# Cases whose numbers depend on the image size (a size as an operand: Note [a size as an operand]
# in src/layers/tensor_ops.ts), checked in Node at another batch and size too, as the decoders
# are (python/tests/test_export.py).
OTHER_SIZE = {"var_std_unbiased", "adain_calc_mean_std", "imdn_contrast", "size_operands"}
# slices with a step: the number of elements taken follows the size
OTHER_SIZE |= {"slice_step_hw", "slice_step_patch_merge", "slice_step_channels",
               "slice_step_end_near_size"}
# a channel count fixed by the capture's guards
OTHER_SIZE |= {"unshuffle_token_channels"}
# heads in front of the batch, with a per-head constant
OTHER_SIZE |= {"heads_first_constant"}


def export_kwargs(name):
    """The export options of a case (exporter v2)."""
    return {"dynamic_shapes": False} if name in FIXED else {}


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _rand(*shape, seed=0):
    return torch.rand(*shape, generator=_gen(seed)) * 2 - 1


def _seeded(module, seed=1):
    """Seeded weights, and non-trivial BatchNorm / InstanceNorm statistics."""
    g = _gen(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.rand(p.shape, generator=g) - 0.5)
        for m in module.modules():
            if getattr(m, "track_running_stats", False) and m.running_mean is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return module.eval()


class Fn(nn.Module):
    """A module whose forward is a function of its inputs (and its own parameters)."""

    def __init__(self, fn, **params):
        super().__init__()
        self.fn = fn
        for k, v in params.items():
            if isinstance(v, nn.Module):
                self.add_module(k, v)
            else:
                self.register_parameter(k, nn.Parameter(v)) if v.requires_grad else self.register_buffer(k, v)

    def forward(self, x):
        return self.fn(self, x)


def seq(*mods):
    return lambda: _seeded(nn.Sequential(*mods))


# ---- the decoders -------------------------------------------------------------------------------


def _decoders():
    sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
    import gen_decoders as g  # noqa: E402  (the repo's own definitions)
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from tfjs_torch._safetensors import from_bytes

    def load(cls, name):
        def make():
            m = cls()
            with open(os.path.join(ROOT, "examples", "decoders", "assets", f"{name}.safetensors"), "rb") as f:
                arrays, _ = from_bytes(f.read())
            m.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in arrays.items()})
            return m.eval()
        return make

    return [
        ("decoder_espcn", load(g.ESPCN, "espcn"), (torch.rand(1, 3, 24, 20, generator=_gen(11)),), FORMATS),
        ("decoder_segnet", load(g.SegNet, "segnet"), (torch.rand(2, 3, 30, 30, generator=_gen(12)),), FORMATS),
        ("decoder_dcgan", load(g.DCGANGenerator, "dcgan"), (torch.randn(3, 16, 1, 1, generator=_gen(13)),), FORMATS),
        ("decoder_unet", load(g.UNet, "unet"), (torch.rand(2, 3, 24, 24, generator=_gen(14)),), FORMATS),
        ("decoder_vae", load(g.VAEDecoder, "vae"), (torch.randn(4, 16, generator=_gen(15)),), FORMATS),
        ("decoder_cyclegan", load(g.CycleGANGenerator, "cyclegan"),
         (torch.rand(2, 3, 28, 36, generator=_gen(16)) * 2 - 1,), FORMATS),
        ("decoder_unet_odd", load(g.OddUNet, "unet_odd"), (torch.rand(2, 3, 37, 45, generator=_gen(17)),), FORMATS),
        ("decoder_unet_odd_bilinear", load(lambda: g.OddUNet(bilinear=True), "unet_odd_bilinear"),
         (torch.rand(2, 3, 37, 45, generator=_gen(18)),), FORMATS),
    ]


# ---- one module per node kind ---------------------------------------------------------------------

X2 = (_rand(2, 4, 9, 11),)      # N C H W
X1 = (_rand(2, 4, 13),)         # N C L
X3 = (_rand(2, 3, 5, 6, 7),)    # N C D H W


def _with_nan(x):
    """x with NaN at a few places (Note [activation folded into its convolution]: a NaN reaching
    a folded ReLU stays NaN, as PyTorch's). No Infinity: tfjs's packed webgl ReLU, folded or not,
    makes -Infinity NaN (x * (x >= 0)) where PyTorch gives 0."""
    x = x.clone()
    x[0, 0, 2, 3] = float("nan")
    x[0, 1, 5, 7] = float("nan")
    x[1, 3, 6, 9] = float("nan")
    return x


X2_NAN = (_with_nan(X2[0]),)


def _with_non_finite(x):
    """x with NaN, +Infinity and -Infinity at a few places, and large values of both signs."""
    x = _with_nan(x)
    x[0, 2, 1, 1] = float("inf")
    x[1, 0, 0, 0] = float("-inf")
    x[1, 2, 8, 10] = float("inf")
    x[0, 3, 4, 4] = float("-inf")
    x[1, 1, 3, 3] = -1e30
    x[0, 0, 0, 1] = 1e30
    x[1, 3, 1, 2] = -100.0
    return x


X2_NON_FINITE = (_with_non_finite(X2[0]),)


class TwoInputs(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, a, b):
        return self.fn(a, b)


class PoolUnpool(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.pool = [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][n - 1](2, stride=2, return_indices=True)
        self.unpool = [nn.MaxUnpool1d, nn.MaxUnpool2d, nn.MaxUnpool3d][n - 1](2, stride=2)

    def forward(self, x):
        y, i = self.pool(x)
        return self.unpool(y, i, output_size=x.shape)


class InterpolateLike(nn.Module):
    def __init__(self, mode, align_corners=None):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.mode = mode
        self.align_corners = align_corners

    def forward(self, x):
        h = self.conv(x)
        return F.interpolate(h, size=x.shape[-2:], mode=self.mode, align_corners=self.align_corners) + x


class FlattenLinear(nn.Module):
    """Flatten of NCHW features: its channel order must be PyTorch's in channelsLast too."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 3)
        self.fc = nn.Linear(3 * 7 * 9, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


class Outputs(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.conv = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        y = self.conv(x)
        if self.kind == "dict":
            return {"features": y, "pooled": y.mean(dim=(2, 3)), "sigmoid": torch.sigmoid(y)}
        if self.kind == "repeated":
            return y, x, y
        if self.kind == "list":
            return [torch.relu(y), [y * 2, x]]
        return y, torch.tanh(x)


class Shared(nn.Module):
    """One module called twice: one tfjs layer with two inbound nodes (shared weights)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(torch.relu(self.conv(x)))


class SRVGGNetCompact(nn.Module):
    """Real-ESRGAN's compact net, narrow: conv + PReLU stack, PixelShuffle, plus a nearest
    upscale of the input added in place."""

    def __init__(self, feat=8, convs=2, scale=2):
        super().__init__()
        self.scale = scale
        self.body = nn.ModuleList([nn.Conv2d(3, feat, 3, 1, 1), nn.PReLU(feat)])
        for _ in range(convs):
            self.body.extend([nn.Conv2d(feat, feat, 3, 1, 1), nn.PReLU(feat)])
        self.body.append(nn.Conv2d(feat, 3 * scale * scale, 3, 1, 1))
        self.upsampler = nn.PixelShuffle(scale)

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        out = self.upsampler(out)
        out += F.interpolate(x, scale_factor=self.scale, mode="nearest")
        return out


class SqueezeExcite(nn.Module):
    """A squeeze-and-excitation block: global pooling, two 1x1 convs, a sigmoid gate."""

    def __init__(self, c=4, r=2):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.fc2 = nn.Conv2d(c // r, c, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.fc2(F.silu(self.fc1(self.pool(x)))))


def _kinds():
    c = []

    def case(name, factory, inputs=X2, formats=FORMATS):
        c.append((name, factory, inputs, formats))

    # convolutions
    case("conv2d", seq(nn.Conv2d(4, 5, 3, padding=1)))
    case("conv2d_stride_pad", seq(nn.Conv2d(4, 3, (3, 2), stride=(2, 1), padding=(2, 0))))
    case("conv2d_dilation", seq(nn.Conv2d(4, 3, 3, dilation=2, padding=1)))
    case("conv2d_same_even_kernel", seq(nn.Conv2d(4, 3, 4, padding="same")))
    # U^2-Net's dilated 3x3 with padding = dilation: 'same' (Note [conv padding as 'same'])
    case("conv2d_dilation_same", seq(nn.Conv2d(4, 3, 3, dilation=2, padding=2)))
    case("conv2d_groups", seq(nn.Conv2d(4, 6, 3, padding=1, groups=2)))
    # ResNeXt's grouped 3x3 (stride 2 in a stage's first block), and groups without padding
    case("conv2d_groups_stride", seq(nn.Conv2d(4, 8, 3, stride=2, padding=(1, 2), groups=2)))
    case("conv2d_groups_dilation_valid", seq(nn.Conv2d(4, 6, 3, dilation=2, groups=2)))
    # one TorchGroupedConv2d: 'same' on an even kernel (uneven padding), no bias
    case("conv2d_groups_same_even_kernel", seq(nn.Conv2d(4, 4, 2, padding="same", groups=2, bias=False)))
    case("conv1d_groups", seq(nn.Conv1d(4, 6, 3, padding=1, groups=2)), X1)
    case("conv3d_groups", seq(nn.Conv3d(3, 6, 3, padding=1, groups=3)), X3)
    case("conv2d_depthwise", seq(nn.Conv2d(4, 8, 3, padding=1, groups=4, bias=False)))
    # dilated depthwise ones are TorchGroupedConv2d (tfjs-layers' DepthwiseConv2D drops dilation):
    # multiplier 2, and DeepLabV3+'s ASPP separable conv (segmentation_models_pytorch) with a
    # dilation above the map's size, its 1x1 and batch norm after it
    case("conv2d_depthwise_dilated", seq(nn.Conv2d(4, 8, 3, padding=2, dilation=2, groups=4)))
    case("separable_conv_dilation_above_map", seq(
        nn.Conv2d(4, 4, 3, padding=12, dilation=12, groups=4, bias=False), nn.Conv2d(4, 6, 1, bias=False),
        nn.BatchNorm2d(6), nn.ReLU()))
    case("conv2d_reflect", seq(nn.Conv2d(4, 3, 3, padding=1, padding_mode="reflect")))
    case("conv2d_circular", seq(nn.Conv2d(4, 3, 3, padding=2, padding_mode="circular")))
    case("conv1d", seq(nn.Conv1d(4, 5, 3, stride=2, padding=1)), X1)
    case("conv1d_valid_dilation", seq(nn.Conv1d(4, 5, 3, dilation=3)), X1)
    case("conv3d", seq(nn.Conv3d(3, 4, 3, padding=1)), X3)
    case("conv1d_replicate", seq(nn.Conv1d(4, 2, 5, padding=2, padding_mode="replicate")), X1)
    case("conv_transpose2d", seq(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)))
    case("conv_transpose2d_dilation", seq(nn.ConvTranspose2d(4, 3, 3, stride=1, padding=2, dilation=2)))
    case("conv_transpose1d", seq(nn.ConvTranspose1d(4, 3, 4, stride=3, padding=1, output_padding=2)), X1)
    case("conv_transpose3d", seq(nn.ConvTranspose3d(3, 2, 2, stride=2, bias=False)), X3)

    class CTOutputSize(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Conv2d(4, 4, 3, stride=2, padding=1)
            self.up = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1)

        def forward(self, x):
            return self.up(self.down(x), output_size=x.size())
    case("conv_transpose2d_output_size", lambda: _seeded(CTOutputSize()))
    case("functional_conv_linear", lambda: _seeded(Fn(
        lambda m, x: F.linear(F.conv2d(x, m.w, m.b, padding=1).mean(dim=(2, 3)), m.lw),
        w=torch.zeros(3, 4, 3, 3, requires_grad=True), b=torch.zeros(3, requires_grad=True),
        lw=torch.zeros(2, 3, requires_grad=True))))

    # linear and norms
    case("linear", seq(nn.Linear(4, 6)), (_rand(3, 4),))
    case("linear_on_last_dim_of_nchw", seq(nn.Linear(11, 2)))
    case("batch_norm2d", seq(nn.BatchNorm2d(4)))
    case("batch_norm1d_rank2", seq(nn.BatchNorm1d(4)), (_rand(3, 4),))
    case("batch_norm1d_rank3", seq(nn.BatchNorm1d(4, affine=False)), X1)
    case("batch_norm3d", seq(nn.BatchNorm3d(3)), X3)
    # batch norm folded into the convolution before it (Note [batch norm folded into its
    # convolution]): with and without the conv's bias, depthwise, 1d, affine=False; not folded
    # where the convolution's output is read twice, or the convolution is called twice
    case("conv_batch_norm_folded", seq(nn.Conv2d(4, 5, 3, padding=1), nn.BatchNorm2d(5), nn.ReLU()))
    case("conv_no_bias_batch_norm_folded", seq(nn.Conv2d(4, 5, 3, bias=False), nn.BatchNorm2d(5)))
    case("depthwise_batch_norm_folded", seq(nn.Conv2d(4, 8, 3, groups=4), nn.BatchNorm2d(8)))
    case("depthwise_dilated_batch_norm_folded", seq(nn.Conv2d(4, 4, (3, 2), padding=(3, 1), dilation=(3, 2),
                                                              groups=4), nn.BatchNorm2d(4)))
    case("grouped_conv_batch_norm_folded", seq(nn.Conv2d(4, 6, 3, padding=1, groups=2, bias=False),
                                               nn.BatchNorm2d(6), nn.ReLU()))
    case("conv1d_batch_norm_folded", seq(nn.Conv1d(4, 5, 3), nn.BatchNorm1d(5, affine=False)), X1)
    case("conv_batch_norm_not_folded_two_users", lambda: _seeded(Fn(
        lambda m, x: (lambda c: m.bn(c) - c)(m.conv(x)),
        conv=nn.Conv2d(4, 5, 3, padding=1), bn=nn.BatchNorm2d(5))))
    case("conv_called_twice_batch_norm_once", lambda: _seeded(Fn(
        lambda m, x: m.bn(m.conv(x)) + m.conv(x),
        conv=nn.Conv2d(4, 4, 3, padding=1), bn=nn.BatchNorm2d(4))))
    # activations folded into the convolution before them (Note [activation folded into its
    # convolution]): ReLU, after a folded batch norm, LeakyReLU (TorchFusedConv2d) strided and
    # dilated; not folded where the convolution's output is read twice or is a model output,
    # into a depthwise convolution or a 1 -> 1 channel one (NaN on wasm), nor ReLU6
    case("conv_relu_folded", seq(nn.Conv2d(4, 5, 3, padding=1), nn.ReLU(inplace=True)))
    case("conv_batch_norm_relu_folded", seq(nn.Conv2d(4, 5, 3, bias=False), nn.BatchNorm2d(5),
                                            nn.ReLU()))
    case("conv_leaky_relu_folded", seq(nn.Conv2d(4, 5, 3, stride=2, padding=1),
                                       nn.LeakyReLU(0.2, inplace=True),
                                       nn.Conv2d(5, 3, 3, dilation=2, padding=2, bias=False),
                                       nn.LeakyReLU(0.01)))
    case("conv_relu_not_folded_two_users", lambda: _seeded(Fn(
        lambda m, x: (lambda c: F.relu(c) - c)(m.conv(x)), conv=nn.Conv2d(4, 5, 3, padding=1))))
    case("conv_leaky_relu_not_folded_output", lambda: _seeded(Fn(
        lambda m, x: (lambda c: (F.leaky_relu(c, 0.2), c))(m.conv(x)),
        conv=nn.Conv2d(4, 5, 3, padding=1))))
    case("depthwise_relu_not_folded", seq(nn.Conv2d(4, 4, 3, groups=4), nn.ReLU(),
                                          nn.Conv2d(4, 1, 1), nn.ReLU(),
                                          nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(),
                                          nn.Conv2d(1, 2, 1), nn.ReLU6()))
    # the same, and folded ones, where NaN reaches them (not a convolution with one input
    # channel: XNNPACK's turns NaN into a number on wasm with no activation at all)
    case("conv_relu_folded_nan", seq(nn.Conv2d(4, 5, 3, padding=1), nn.ReLU(),
                                           nn.Conv2d(5, 4, 1), nn.BatchNorm2d(4),
                                           nn.LeakyReLU(0.1)), X2_NAN)
    case("depthwise_relu_not_folded_nan", seq(
        nn.Conv2d(4, 4, 3, groups=4), nn.ReLU(), nn.Conv2d(4, 1, 1), nn.ReLU()), X2_NAN)
    # PReLU folded too (per-channel and one weight; after a strided conv with uneven padding as
    # F.pad would not give), NaN kept; not where the convolution's output is read twice
    case("conv_prelu_folded", seq(nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.PReLU(6),
                                  nn.Conv2d(6, 3, 5, padding=2, bias=False), nn.PReLU(),
                                  nn.Conv2d(3, 2, (2, 3), padding=(1, 0)), nn.PReLU(2)))
    case("conv_prelu_folded_nan", seq(nn.Conv2d(4, 5, 3, padding=1), nn.PReLU(5),
                                      nn.Conv2d(5, 3, 1), nn.BatchNorm2d(3), nn.PReLU()), X2_NAN)
    case("conv_prelu_not_folded_two_users", lambda: _seeded(Fn(
        lambda m, x: (lambda c: m.act(c) - c)(m.conv(x)), conv=nn.Conv2d(4, 5, 3, padding=1),
        act=nn.PReLU(5))))
    case("instance_norm2d", seq(nn.InstanceNorm2d(4, affine=True)))
    case("instance_norm2d_running", seq(nn.InstanceNorm2d(4, track_running_stats=True)))
    # an instance norm with running statistics is an eval batch norm and folds the same way
    # (Note [instance norm with running statistics is a batch norm]): CycleGAN's reflection pad,
    # convolution, InstanceNorm2d(track_running_stats=True), ReLU; affine; not folded without
    # running statistics
    case("conv_instance_norm_running_relu_folded", seq(
        nn.ReflectionPad2d(1), nn.Conv2d(4, 5, 3), nn.InstanceNorm2d(5, track_running_stats=True),
        nn.ReLU(True)))
    case("conv_instance_norm_running_affine_folded", seq(
        nn.Conv2d(4, 5, 3, stride=2, padding=1, bias=False),
        nn.InstanceNorm2d(5, affine=True, track_running_stats=True)))
    # transposed convolutions (groups 1) take a folded norm too; a grouped one does not
    case("conv_transpose_instance_norm_running_folded", seq(
        nn.ConvTranspose2d(4, 5, 3, stride=2, padding=1, output_padding=1),
        nn.InstanceNorm2d(5, track_running_stats=True), nn.ReLU(True)))
    case("conv_transpose_no_bias_batch_norm_folded", seq(
        nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(6)))
    case("conv_transpose_grouped_batch_norm_not_folded", seq(
        nn.ConvTranspose2d(4, 6, 3, groups=2), nn.BatchNorm2d(6)))
    case("conv_instance_norm_not_folded", seq(nn.Conv2d(4, 5, 3, padding=1), nn.InstanceNorm2d(5), nn.ReLU()))
    case("group_norm", seq(nn.GroupNorm(2, 4)))
    case("instance_norm1d", seq(nn.InstanceNorm1d(4, affine=True)), X1)
    case("layer_norm_last_dim", seq(nn.LayerNorm(11)))
    case("layer_norm_chw", seq(nn.LayerNorm([4, 9, 11])))
    case("functional_norms_convnext_layer_norm2d", lambda: _seeded(Fn(
        lambda m, x: F.layer_norm(x.permute(0, 2, 3, 1), (4,), m.w, m.b, 1e-6).permute(0, 3, 1, 2)
        + F.group_norm(x, 2, m.w, None) + F.batch_norm(x, m.rm, m.rv, m.w, m.b, False, 0.1, 1e-3),
        w=torch.zeros(4, requires_grad=True), b=torch.zeros(4, requires_grad=True),
        rm=torch.zeros(4) + 0.1, rv=torch.ones(4) * 0.8)))

    # activations
    for m in [nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(0.2), nn.PReLU(4), nn.PReLU(), nn.ELU(0.7),
              nn.CELU(1.3), nn.SELU(), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.Mish(),
              nn.Sigmoid(), nn.Tanh(), nn.Hardswish(), nn.Hardsigmoid(), nn.Hardtanh(-0.5, 0.3),
              nn.Softplus(beta=2, threshold=1), nn.Softsign(), nn.LogSigmoid(),
              nn.Softmax(dim=1), nn.LogSoftmax(dim=-1)]:
        label = type(m).__name__.lower()
        if isinstance(m, nn.GELU) and m.approximate == "tanh":
            label += "_tanh"
        if isinstance(m, nn.PReLU):
            label += f"_{m.num_parameters}"
        case(f"act_{label}", seq(nn.Conv2d(4, 4, 1), m) if not isinstance(m, nn.Softmax) else seq(m))
    case("functional_activations", lambda: Fn(
        lambda m, x: F.gelu(F.hardtanh(F.elu(F.leaky_relu(x * 3, 0.1)), -1.5, 2.0))
        + torch.clamp(x, min=-0.2) + F.relu6(x * 8) + F.softmax(x, dim=2) + torch.exp(-x.abs())))
    # SiLU written out, x * torch.sigmoid(x) (Note [x * sigmoid(x) as one SiLU]): one silu layer
    # for each (either order, as the SD VAE decoder's GroupNorm -> nonlinearity -> conv), at
    # +-Infinity and NaN too; the sigmoid kept where something else reads it; not for a sigmoid
    # of another tensor
    case("silu_written_out", lambda: _seeded(Fn(
        lambda m, x: (lambda h: (lambda y: torch.sigmoid(y) * y)(m.conv(h * torch.sigmoid(h))))(m.gn(x)),
        gn=nn.GroupNorm(2, 4), conv=nn.Conv2d(4, 4, 3, padding=1))))
    case("silu_written_out_non_finite", lambda: Fn(lambda m, x: x * torch.sigmoid(x)), X2_NON_FINITE)
    case("silu_written_out_sigmoid_read_twice",
         lambda: Fn(lambda m, x: (lambda s: x * s + s)(torch.sigmoid(x))))
    case("mul_by_sigmoid_of_another", lambda: Fn(lambda m, x: x * torch.sigmoid(x * 2)))

    # pooling
    case("max_pool2d", seq(nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True)))
    case("max_pool2d_dilation", seq(nn.MaxPool2d(2, stride=1, dilation=2)))
    case("max_pool1d", seq(nn.MaxPool1d(3, stride=2)), X1)
    case("max_pool3d", seq(nn.MaxPool3d(2)), X3)
    case("max_unpool1d", lambda: PoolUnpool(1), X1)
    case("max_unpool2d", lambda: PoolUnpool(2))
    case("max_unpool3d", lambda: PoolUnpool(3), X3)
    case("avg_pool2d", seq(nn.AvgPool2d(3, stride=2, padding=1)))
    case("avg_pool1d", seq(nn.AvgPool1d(2)), X1)
    case("avg_pool3d", seq(nn.AvgPool3d(2, stride=1)), X3)
    case("adaptive_avg_pool2d", seq(nn.AdaptiveAvgPool2d((4, 3))))
    case("adaptive_avg_pool1d_3d", lambda: Fn(lambda m, x: F.adaptive_avg_pool3d(x, (2, 3, None))), X3)
    case("adaptive_avg_pool2d_global", seq(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)))

    # upsampling
    for name, m in [
            ("nearest", nn.Upsample(scale_factor=2)),
            ("nearest_exact", nn.Upsample(scale_factor=1.5, mode="nearest-exact")),
            ("bilinear", nn.Upsample(size=(13, 7), mode="bilinear")),
            ("bilinear_align_corners", nn.UpsamplingBilinear2d(scale_factor=2)),
            ("bicubic", nn.Upsample(scale_factor=(2, 3), mode="bicubic", align_corners=False)),
            ("area", nn.Upsample(size=(5, 4), mode="area")),
            ("nearest2d_module", nn.UpsamplingNearest2d(scale_factor=3))]:
        case(f"upsample_{name}", seq(m))
    case("upsample_linear1d", seq(nn.Upsample(scale_factor=2.5, mode="linear")), X1)
    case("upsample_trilinear", seq(nn.Upsample(scale_factor=2, mode="trilinear", align_corners=True)), X3)
    case("interpolate_antialias", lambda: Fn(
        lambda m, x: F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)))
    case("interpolate_recompute", lambda: Fn(
        lambda m, x: F.interpolate(x, scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)))
    case("interpolate_size_from_tensor", lambda: _seeded(InterpolateLike("bilinear")))
    case("pixel_shuffle", seq(nn.Conv2d(4, 8, 1), nn.PixelShuffle(2)))
    case("pixel_unshuffle", seq(nn.PixelUnshuffle(2)), (_rand(2, 3, 8, 6),))

    # padding
    case("pad_modules", seq(nn.ZeroPad2d((1, 2, 0, 3)), nn.ReflectionPad2d(2), nn.ReplicationPad2d((0, 1, 2, 0)),
                            nn.ConstantPad2d(1, 0.5)))
    case("pad_1d_3d", lambda: Fn(lambda m, x: F.pad(x, (2, 1), mode="reflect")), X1)
    case("pad_3d", seq(nn.ReplicationPad3d(1)), X3)
    case("f_pad_modes", lambda: Fn(
        lambda m, x: F.pad(F.pad(F.pad(x, (1, 0, 2, 1), mode="circular"), (-1, -2, 1, -1)),
                           (3, 3), mode="constant", value=-2.0)))
    # non-finite values in layer configs (Note [non-finite numbers in model.json]): masked_fill
    # with -inf before a softmax (an attention mask), a -inf constant pad read by a max, full(-inf)
    case("non_finite_config_values", lambda: Fn(lambda m, x: (
        x.masked_fill(x > 0.5, float("-inf")).softmax(-1),
        F.pad(x, (1, 1, 0, 2), value=float("-inf")).amax(dim=(2, 3)),
        torch.maximum(x, torch.full_like(x, float("-inf"))).clamp(min=float("-inf"), max=float("inf")))))

    # shapes and channel order
    case("flatten_linear", lambda: _seeded(FlattenLinear()))
    case("view_reshape", lambda: Fn(lambda m, x: torch.relu(x).view(x.size(0), 2, -1).reshape(x.shape[0], 2, 2, 99)
                                    .sum(dim=2) * 2))
    case("unsqueeze_squeeze", lambda: Fn(lambda m, x: torch.sigmoid(x).unsqueeze(2).squeeze(2)[:, 1:3]))
    case("permute_transpose", lambda: _seeded(Fn(
        lambda m, x: m.conv(x.permute(0, 1, 3, 2)).transpose(1, 3).contiguous().flatten(2),
        conv=nn.Conv2d(4, 3, 1))))
    # Views read in the held (channels-last) order, no transposes (Note [a view in the held
    # order]): SAM's image tokens (flatten(2).permute, a Linear, transpose(1, 2).view back), a
    # channel dim split in two, and expands of a channel dim of 1 (repeat_interleave's too).
    case("view_tokens_held_order", lambda: _seeded(Fn(
        lambda m, x: m.c2(m.lin(m.c1(x).flatten(2).permute(0, 2, 1)).transpose(1, 2)
                          .view(x.shape[0], 6, x.shape[2], x.shape[3])),
        c1=nn.Conv2d(4, 6, 3, padding=1), lin=nn.Linear(6, 6), c2=nn.Conv2d(6, 3, 1))))
    case("view_split_channels_held_order", lambda: _seeded(Fn(
        lambda m, x: torch.relu(m.conv(x)).view(x.size(0), 2, 2, x.size(2), x.size(3)).mean(2),
        conv=nn.Conv2d(4, 4, 1))))
    case("expand_channel_held_order", lambda: _seeded(Fn(
        lambda m, x: m.conv(x).expand(-1, 4, -1, -1) * x
        + m.conv(x).repeat_interleave(4, dim=1),
        conv=nn.Conv2d(4, 1, 1))))
    case("cat_channels", lambda: Fn(lambda m, x: torch.cat([x, torch.relu(x), x * 2], dim=1)))
    case("cat_width", lambda: Fn(lambda m, x: torch.cat((x, x[:, :, :, 2:5]), -1)))
    case("chunk_split", lambda: Fn(lambda m, x: torch.chunk(x, 2, dim=1)[1] - x.split([1, 3], dim=1)[1][:, :2]))
    case("identity_dropout", seq(nn.Identity(), nn.Dropout(0.5), nn.Dropout2d(0.3)))

    # arithmetic with broadcasting
    case("add_sub_mul_div", lambda: TwoInputs(lambda a, b: (a + b) * (a - b) / (b * b + 1)),
         (_rand(2, 4, 5, 6, seed=1), _rand(2, 4, 5, 6, seed=2)))
    case("broadcast_tensors", lambda: TwoInputs(lambda a, b: a * b + torch.maximum(a, b)),
         (_rand(2, 4, 5, 6, seed=3), _rand(2, 4, 1, 6, seed=4)))
    case("broadcast_channel_vector", lambda: TwoInputs(lambda a, b: a * b.mean(dim=(2, 3), keepdim=True)),
         (_rand(2, 4, 5, 6, seed=5), _rand(2, 4, 3, 3, seed=6)))
    case("scalars_and_constants", lambda: _seeded(Fn(
        lambda m, x: (2 - x) * m.scale + 1 / (x * x + 0.5) - m.offset ** 2 + x ** 2,
        scale=torch.zeros(4, 1, 1, requires_grad=True), offset=torch.zeros(11, requires_grad=True))))
    case("mean_sum_amax", lambda: Fn(lambda m, x: x.mean(dim=1, keepdim=True) + torch.sum(x, (1, 2)).unsqueeze(1).unsqueeze(2)
                                     + torch.amax(x, dim=-1, keepdim=True)))
    case("shared_module", lambda: _seeded(Shared()))
    case("net_srvgg_compact", lambda: _seeded(SRVGGNetCompact()), (torch.rand(1, 3, 12, 10, generator=_gen(21)),))
    case("net_squeeze_excite", lambda: _seeded(SqueezeExcite()))
    case("tuple_outputs", lambda: _seeded(Outputs("tuple")))
    case("dict_outputs", lambda: _seeded(Outputs("dict")))
    case("repeated_and_input_outputs", lambda: _seeded(Outputs("repeated")))
    case("nested_list_outputs", lambda: _seeded(Outputs("list")))
    case("two_inputs_rank2", lambda: TwoInputs(lambda a, b: torch.cat([a, torch.tanh(b)], dim=1)),
         (_rand(3, 4, seed=7), _rand(3, 2, seed=8)))

    # a size as an operand (Note [a size as an operand] in src/layers/tensor_ops.ts): unbiased
    # var and std divide by h * w - 1 (std by the float h * w - 1.0), AdaIN's calc_mean_std
    # (naoto0804/pytorch-AdaIN's function.py: the style's statistics at the style's own size),
    # IMDN's contrast-aware channel attention (Zheng Hui's IMDN, model/block.py: stdv_channels
    # and mean_channels divide by F.size(2) * F.size(3)), and +, -, *, / and ** by sizes, either
    # side. Checked at another size too (OTHER_SIZE).
    case("var_std_unbiased", lambda: Fn(lambda m, x: (
        x.var((2, 3), keepdim=True), x.std((2, 3), keepdim=True), x.var((2, 3)), x.std(dim=(2, 3)))))

    def calc_mean_std(feat, eps=1e-5):
        size = feat.size()
        assert len(size) == 4
        n, c = size[:2]
        feat_var = feat.view(n, c, -1).var(dim=2) + eps
        feat_std = feat_var.sqrt().view(n, c, 1, 1)
        feat_mean = feat.view(n, c, -1).mean(dim=2).view(n, c, 1, 1)
        return feat_mean, feat_std

    def adain(content_feat, style_feat):
        size = content_feat.size()
        style_mean, style_std = calc_mean_std(style_feat)
        content_mean, content_std = calc_mean_std(content_feat)
        normalized_feat = (content_feat - content_mean.expand(size)) / content_std.expand(size)
        return normalized_feat * style_std.expand(size) + style_mean.expand(size)
    case("adain_calc_mean_std", lambda: TwoInputs(adain),
         (_rand(2, 4, 9, 11, seed=9), _rand(2, 4, 6, 7, seed=10) * 3 + 0.5))

    def mean_channels(f):
        spatial_sum = f.sum(3, keepdim=True).sum(2, keepdim=True)
        return spatial_sum / (f.size(2) * f.size(3))

    def stdv_channels(f):
        f_mean = mean_channels(f)
        f_variance = (f - f_mean).pow(2).sum(3, keepdim=True).sum(2, keepdim=True) / (f.size(2) * f.size(3))
        return f_variance.pow(0.5)
    def cca(m, x):   # IMDN's CCALayer: contrast = stdv + mean, then squeeze-and-excite
        y = stdv_channels(x) + mean_channels(x)
        return x * m.du(y), y
    case("imdn_contrast", lambda: _seeded(Fn(
        cca, du=nn.Sequential(nn.Conv2d(4, 2, 1), nn.ReLU(), nn.Conv2d(2, 4, 1), nn.Sigmoid()))))
    case("size_operands", lambda: Fn(lambda m, x: (
        x.size(2) * x.size(3) / (x * x + 1) + (x.size(3) - x) * x.size(2) - (x + x.size(0)) / x.size(3),
        torch.pow(x * x + 1, x.size(2) - 6), x ** x.size(1))))

    # slices with a step (TorchSlice's strides): every other row and column, Swin's patch merging
    # (transformers' SwinPatchMerging: a channels-last view, the four x[:, r::2, c::2, :] cat
    # along the channels, then a Linear; Swin-UNet and space-to-depth take the same slices), a
    # step on the channel dim, an end near the size and a start known only at run time. The
    # sizes depend on the input's: checked at another size too (OTHER_SIZE).
    case("slice_step_hw", lambda: Fn(lambda m, x: x[:, :, ::2, 1::2]))

    def patch_merge(m, x):
        f = x.permute(0, 2, 3, 1)   # N H W C, as Swin holds its tokens
        f = torch.cat([f[:, row::2, col::2, :] for col in range(2) for row in range(2)], dim=-1)
        return m.lin(f).permute(0, 3, 1, 2)
    case("slice_step_patch_merge", lambda: _seeded(Fn(patch_merge, lin=nn.Linear(16, 6))),
         (_rand(2, 4, 8, 10, seed=11),))
    case("slice_step_channels", lambda: Fn(lambda m, x: x[:, ::3] * 2 + x[:, 1::2]),
         (_rand(2, 7, 5, 6, seed=12),))
    case("slice_step_end_near_size", lambda: Fn(lambda m, x: (
        x[:, :, 1:-1:3, 2:10:4], x[:, :, x.shape[2] // 2::2, :x.shape[3] - 1:3])))

    # A channel count that is one number only under the capture's guards (Note [a size a guard
    # makes constant] in ops/_common.py): torch.export gives PixelUnshuffle(2)'s channels as
    # 4 * (W // (W // 2)) * (H // (H // 2)); Restormer's LayerNorm (einops' `b c h w -> b (h w) c`
    # and back with h, w from the shape) then views to that size before a convolution, which
    # tfjs-layers builds from a known channel dim. Restormer's Downsample / LayerNorm / conv.
    def unshuffle_tokens(m, x):
        y = F.pixel_unshuffle(m.down(x), 2)
        b, c, h, w = y.shape
        t = m.norm(y.flatten(2).transpose(1, 2))
        return m.proj(t.transpose(1, 2).reshape(b, c, h, w))
    case("unshuffle_token_channels", lambda: _seeded(Fn(
        unshuffle_tokens, down=nn.Conv2d(4, 2, 3, padding=1), norm=nn.LayerNorm(8),
        proj=nn.Conv2d(8, 3, 1))), (_rand(2, 4, 8, 12, seed=13),))

    # Heads in front of the batch (SCUNet's WMSA: einops `b nw np (threeh c) -> threeh b nw np
    # c`, chunk along dim 0, einsum 'hbwpc,hbwqc->hbwpq', a per-head constant added, then
    # `h b w p c -> b w p (h c)`): Note [a constant along a dim 0 that is not the batch] in
    # ops/elementwise.py. Checked at another batch and size too (OTHER_SIZE).
    def heads_first(m, x):
        b, c, h, w = x.shape
        t = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
        q, k, v = m.qkv(t).reshape(b, h * w, 6, 4).permute(2, 0, 1, 3).chunk(3, dim=0)
        sim = torch.einsum("hbpc,hbqc->hbpq", q, k) * 0.5
        sim = sim + m.bias.view(2, 1, 1, 1) + m.table
        out = torch.einsum("hbpq,hbqc->hbpc", sim.softmax(-1), v)
        out = m.proj(out.permute(1, 2, 0, 3).reshape(b, h * w, 8))
        return out.reshape(b, h, w, c).permute(0, 3, 1, 2)
    case("heads_first_constant", lambda: _seeded(Fn(
        heads_first, qkv=nn.Linear(4, 24), proj=nn.Linear(8, 4),
        bias=nn.Parameter(torch.tensor([0.5, -1.0])),
        table=nn.Parameter(torch.tensor([0.25, -0.5]).view(2, 1, 1, 1)))), (_rand(2, 4, 3, 5, seed=14),))
    return c


def cases():
    return _decoders() + _kinds()
