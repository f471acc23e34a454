"""The zoo's entries: published decoders built from the upstream code in this folder.

Each entry has
  build(published)  a factory: the module with seeded random weights (every norm's affine weights and
                    running statistics randomized too), in eval mode. published=True gives the widths
                    and depths of the released model (for speed benches); published=False gives the
                    test configuration, the same architecture narrowed through the upstream
                    constructor's own arguments so that CI stays cheap.
  sizes             three input sets (each a tuple of input shapes in PyTorch's layout): sizes[0] is the
                    export example, sizes[1] and sizes[2] are two other sizes that satisfy the model's
                    size rule (the second one with a batch of 2), for the test configuration.
  published_sizes   the same for the published configuration (sizes[0] at a real image size).
  size_rule         what sizes the model accepts, in words.
  covers            the failure classes of issue 20 the model exercises.

  python -m zoo.registry [--published] [names...]   (from python/tests, under the torch 2.x venv) runs
  every entry eagerly at its three sizes and prints parameter counts and output shapes.
"""
import dataclasses
import functools
import sys
from typing import Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

Shapes = Tuple[Tuple[int, ...], ...]

# Failure classes named in issue 20's "Why".
PY_SIZES = "Python on traced sizes"
MUTATES = "module mutated by a failed export"
INPLACE = "in-place ops"
ATTENTION = "attention"
CALLING = "calling conventions"
FIXED = "fixed sizes (sizes read from tensors)"
RANK3 = "rank-3 output layout"


@dataclasses.dataclass
class Entry:
    name: str
    task: str
    source: str
    factory: Callable[[bool], nn.Module]
    sizes: Sequence[Shapes]
    published_sizes: Sequence[Shapes]
    size_rule: str
    covers: List[str]
    notes: str = ""
    # Seeded initialisation that keeps activations O(1) where upstream's own initialisation (meant for
    # training) leaves the eval-mode output too small or too sparse for the check to see a wrong layer:
    # fan_in_init names module prefixes whose convolutions / linear layers are drawn again as He normal
    # (fan_in_normal); calibrate_norms sets every BatchNorm's running statistics from one forward of a
    # seeded calibration input before randomizing them (calibrate_batch_norms).
    # center_biases maps a convolution that a final ReLU follows to a quantile q: its bias is set so that
    # a fraction 1 - q of each channel's output on the calibration input is positive (center_biases).
    fan_in_init: Sequence[str] = ()
    fan_in_gain: float = 2 ** 0.5
    calibrate_norms: bool = False
    center_biases: Dict[str, float] = dataclasses.field(default_factory=dict)

    def build(self, published=False, seed=0):
        torch.manual_seed(seed)
        m = self.factory(published)
        if self.fan_in_init:
            fan_in_normal(m, self.fan_in_init, seed + 2, self.fan_in_gain)
        randomize(m, seed + 1)
        if self.calibrate_norms or self.center_biases:
            shapes = (self.published_sizes if published else self.sizes)[0]
            g = torch.Generator().manual_seed(seed + 3)
            # a batch of 8 at the test sizes: BatchNorm statistics of the deepest maps (1x1 or 2x2
            # there) from one image's few pixels would make near-zero variances and blow the signal up;
            # the published sizes' deepest maps are large enough
            calib = tuple(torch.randn(s[0] if published else max(8, s[0]), *s[1:], generator=g) for s in shapes)
            if self.calibrate_norms:
                calibrate_batch_norms(m, calib, seed + 4)
            if self.center_biases:
                center_biases(m.eval(), self.center_biases, calib)
        return m.eval()

    def inputs(self, i, published=False, seed=100):
        """The i-th input set (0: export example), seeded random normal tensors."""
        shapes = (self.published_sizes if published else self.sizes)[i]
        g = torch.Generator().manual_seed(seed + i)
        return tuple(torch.randn(*s, generator=g) for s in shapes)


def randomize(module, seed):
    """Seeded random values for what upstream initializes to constants: norm layers' affine weights and
    running statistics, PReLU slopes, and biases left at zero, so that a wrong mapping shows."""
    g = torch.Generator().manual_seed(seed)

    def rand(t, lo, hi):
        return torch.rand(t.shape, generator=g) * (hi - lo) + lo

    def randn(t, std):
        return torch.randn(t.shape, generator=g) * std

    norms = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, norms):
                if getattr(m, "weight", None) is not None:
                    m.weight.copy_(rand(m.weight, 0.5, 1.5))
                if getattr(m, "bias", None) is not None:
                    m.bias.copy_(randn(m.bias, 0.2))
                if getattr(m, "running_mean", None) is not None:
                    m.running_mean.copy_(randn(m.running_mean, 0.2))
                    m.running_var.copy_(rand(m.running_var, 0.5, 1.5))
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(rand(m.weight, 0.05, 0.4))
            elif type(m).__name__ == "LayerNorm2d":  # segment-anything's channel LayerNorm
                m.weight.copy_(rand(m.weight, 0.5, 1.5))
                m.bias.copy_(randn(m.bias, 0.2))
            elif type(m).__name__ == "LayerNorm" and hasattr(m, "g"):  # segformer-pytorch's
                m.g.copy_(rand(m.g, 0.5, 1.5))
                m.b.copy_(randn(m.b, 0.2))
        for name, p in module.named_parameters():
            if name.endswith("bias") and p.ndim == 1 and bool((p == 0).all()):
                p.copy_(randn(p, 0.05))


def fan_in_normal(module, prefixes, seed, gain=2 ** 0.5):
    """Draws the weights of every Conv / ConvTranspose / Linear under the named module prefixes ("" for
    all) again from N(0, gain^2 / fan_in), He's initialisation for ReLU networks: PyTorch's default
    (kaiming_uniform with a=sqrt(5), variance 1 / (3 fan_in)) shrinks a signal about six-fold per
    conv + ReLU, which over a deep decoder without normalisation leaves the output near zero or its
    bias alone. Biases are left to upstream and randomize()."""
    g = torch.Generator().manual_seed(seed)
    kinds = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
    with torch.no_grad():
        for name, m in module.named_modules():
            if isinstance(m, kinds) and any(name == p or name.startswith(p + ".") or p == "" for p in prefixes):
                w = m.weight
                if isinstance(m, nn.ConvTranspose2d):  # weight [in, out / groups, kh, kw]: fan in per output
                    fan_in = w.shape[0] // m.groups * w.shape[2] * w.shape[3]
                else:
                    fan_in = w[0].numel()
                w.copy_(torch.randn(w.shape, generator=g) * (gain / fan_in ** 0.5))


def calibrate_batch_norms(module, inputs, seed):
    """Running statistics as a trained network has them: one eval-mode forward of a seeded calibration
    input (not one of the checked inputs) in which each BatchNorm, just before it runs, takes the mean
    and variance of its own input over the batch and space, then shifts each channel's mean by N(0, 0.2)
    of its standard deviation and scales its variance by U(0.5, 1.5), so that a mapping that swapped or
    ignored the statistics still shows. Layer by layer, so each later layer is calibrated on what the
    perturbed earlier ones give it. randomize()'s statistics alone (mean N(0, 0.2), variance U(0.5, 1.5)
    whatever the layer's real scale) let the signal of a deep convolutional stack shrink layer by layer
    in eval mode, below the check's tolerance (SegNet's deepest layers moved its output by 1/700 of it)."""
    g = torch.Generator().manual_seed(seed)

    def pre(m, args):
        x = args[0].detach().double()
        if x.numel() // x.shape[1] < 2:  # one value per channel (an image-pooling branch at batch 1):
            return                        # no variance to take; randomize()'s statistics stay
        dims = [0] + list(range(2, x.ndim))
        mean, var = x.mean(dims), x.var(dims)
        std = var.sqrt()
        m.running_mean.copy_(mean + torch.randn(mean.shape, generator=g).double() * 0.2 * std)
        m.running_var.copy_(var * (torch.rand(var.shape, generator=g).double() + 0.5))

    hooks = [m.register_forward_pre_hook(pre) for m in module.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    module.eval()
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        for h in hooks:
            h.remove()


def center_biases(module, quantiles, inputs):
    """Data-dependent biases for the convolutions a final ReLU follows (name -> q): with random weights
    the pre-activation of such a layer (a sum of non-negative features with weights of either sign)
    has a common offset of either sign as large as its spread, so a seed decides whether the ReLU
    passes most of the output or kills nearly all of it (MiDaS's depth head: every pixel zero). Each
    channel's bias is set to minus the q-quantile of its output without bias on the calibration
    input, as a trained head's output is positive where the scene is."""
    layers = dict(module.named_modules())
    for name, q in quantiles.items():
        conv = layers[name]
        seen = []
        hook = conv.register_forward_hook(lambda mod, inp, out: seen.append(out.detach().clone()))
        with torch.no_grad():
            conv.bias.zero_()
            try:
                module(*inputs)
            finally:
                hook.remove()
            pre = seen[0].transpose(0, 1).reshape(seen[0].shape[1], -1)
            conv.bias.copy_(-torch.quantile(pre, q, dim=1))


def _img(n, h, w, c=3):
    return ((n, c, h, w),)


# SIZES_AVOID_ONE: torch.export specializes a dim whose example size is 1 (its 0/1 rule), so an
# export example whose deepest feature map is 1x1 fixes the input size through the size rules PyTorch
# infers (pix2pix at 32x32 gave "(H // 32) == 1"). The zoo's sizes keep every internal map at least
# 2x2, as an export at a real image size does. DCGAN is the exception on purpose: its real input is a
# 1x1 latent, and its export at 1x1 is what users do.
ENTRIES: List[Entry] = []


def entry(**kw):
    def deco(factory):
        ENTRIES.append(Entry(factory=factory, **kw))
        return factory
    return deco


# ---------------------------------------------------------------- super-resolution

@entry(name="esrgan_rrdbnet", task="super-resolution x4", source="xinntao/ESRGAN RRDBNet_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 12, 20), _img(2, 20, 8)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 32, 40)],
       size_rule="any H, W >= 1", covers=[],
       fan_in_init=("",),
       notes="published: RRDBNet(3, 3, 64, 23, gc=32) (ESRGAN x4); test: nf=16, nb=2, gc=8")
def _esrgan(published):
    from .esrgan_rrdbnet_arch import RRDBNet
    return RRDBNet(3, 3, 64, 23, gc=32) if published else RRDBNet(3, 3, 16, 2, gc=8)


@entry(name="realesrgan_x2plus", task="super-resolution x2", source="XPixelGroup/BasicSR rrdbnet_arch.py (scale=2)",
       sizes=[_img(1, 16, 16), _img(1, 12, 20), _img(2, 20, 8)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 32, 40)],
       size_rule="H, W even (pixel_unshuffle by 2 asserts it)", covers=[PY_SIZES],
       fan_in_init=("",),
       notes="Real-ESRGAN x2plus = BasicSR RRDBNet(scale=2): pixel_unshuffle first, then x4 upsampling. "
             "published: num_feat=64, num_block=23, num_grow_ch=32; test: 16, 2, 8")
def _x2plus(published):
    from .basicsr_rrdbnet_arch import RRDBNet
    if published:
        return RRDBNet(num_in_ch=3, num_out_ch=3, scale=2, num_feat=64, num_block=23, num_grow_ch=32)
    return RRDBNet(num_in_ch=3, num_out_ch=3, scale=2, num_feat=16, num_block=2, num_grow_ch=8)


@entry(name="edsr", task="super-resolution x4", source="XPixelGroup/BasicSR edsr_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 12, 20), _img(2, 10, 24)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 32, 40)],
       size_rule="any H, W >= 1", covers=[MUTATES],
       fan_in_init=("",), fan_in_gain=1.0,
       notes="forward assigns self.mean = self.mean.type_as(x). published: EDSR baseline x4 "
             "(num_feat=64, num_block=16); test: num_feat=16, num_block=2")
def _edsr(published):
    from .basicsr_edsr_arch import EDSR
    if published:
        return EDSR(3, 3, num_feat=64, num_block=16, upscale=4)
    return EDSR(3, 3, num_feat=16, num_block=2, upscale=4)


@entry(name="rcan", task="super-resolution x2", source="XPixelGroup/BasicSR rcan_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 12, 20), _img(2, 10, 24)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 32, 40)],
       size_rule="any H, W >= 1", covers=[MUTATES],
       fan_in_init=("",), fan_in_gain=1.0,
       notes="channel attention (global average pool + sigmoid gate); forward assigns self.mean. "
             "published: RCAN x2 (num_feat=64, num_group=10, num_block=20, squeeze 16); "
             "test: num_feat=16, num_group=2, num_block=2, squeeze_factor=4")
def _rcan(published):
    from .basicsr_rcan_arch import RCAN
    if published:
        return RCAN(3, 3, num_feat=64, num_group=10, num_block=20, squeeze_factor=16, upscale=2)
    return RCAN(3, 3, num_feat=16, num_group=2, num_block=2, squeeze_factor=4, upscale=2)


@entry(name="swinir_light", task="super-resolution x2 / x4", source="XPixelGroup/BasicSR swinir_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 8, 24), _img(1, 12, 20)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(1, 32, 40)],
       size_rule="H, W multiples of window_size (4 in the test configuration, 8 published); the "
                 "batch of the example only: upstream's window_reverse computes the batch as "
                 "int(windows.shape[0] / (h * w / ws / ws)), a float division torch.export "
                 "cannot follow, so it fixes the batch (model.json's rule x.shape[0] == 1; "
                 "Note [a batch torch.export fixed]). The third size is a batch of 1 for that.",
       covers=[ATTENTION, MUTATES, PY_SIZES],
       notes="window attention with relative position bias, shifted windows (mask recomputed for sizes "
             "other than img_size), self.mean = self.mean.type_as(x). published: lightweight SwinIR x4 "
             "(embed_dim=60, depths=4x6, heads=4x6, window 8, mlp_ratio 2, pixelshuffledirect); "
             "test: embed_dim=12, depths=(2,), heads=(2,), window 4, x2")
def _swinir(published):
    from .basicsr_swinir_arch import SwinIR
    if published:
        m = SwinIR(upscale=4, img_size=64, window_size=8, img_range=1., depths=[6, 6, 6, 6],
                   embed_dim=60, num_heads=[6, 6, 6, 6], mlp_ratio=2, upsampler='pixelshuffledirect')
        _relative_position_tables(m)
        return m
    m = SwinIR(upscale=2, img_size=16, window_size=4, img_range=1., depths=[2], embed_dim=12,
               num_heads=[2], mlp_ratio=2, upsampler='pixelshuffledirect')
    _relative_position_tables(m)
    return m


def _relative_position_tables(m):
    """Upstream draws the relative position bias tables at std 0.02, so small beside the attention
    logits that a wrong index into them stayed under the check's tolerance: drawn again at std 1."""
    with torch.no_grad():
        for mod in m.modules():
            if hasattr(mod, "relative_position_bias_table"):
                mod.relative_position_bias_table.normal_(0.0, 1.0)


@entry(name="hat", task="super-resolution x2 / x4", source="XPixelGroup/HAT hat_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 24, 32), _img(1, 8, 32)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(1, 32, 48)],
       size_rule="H, W multiples of window_size (8 in the test configuration, 16 published: upstream's "
                 "hat_model.py pads the image to it before the network, the forward does not); the batch "
                 "of the example only, as SwinIR's (window_reverse's int(windows.shape[0] / (h * w / ws / "
                 "ws)); Note [a batch torch.export fixed]). The third size is a batch of 1 for that. "
                 "Exported at 16x16, the model also asks W >= 2 windows (model.json's rule x.shape[3] >= "
                 "16, inferred by torch.export; H = 8, one window, is allowed and is the third size)",
       covers=[ATTENTION, MUTATES, PY_SIZES],
       fan_in_init=("",),
       notes="hybrid attention blocks (shifted-window attention with relative position bias beside a "
             "conv + channel-attention branch scaled by conv_scale), overlapping cross-attention (nn.Unfold "
             "of K and V, einops rearrange), mask computed for every size (zeros, slice assignment, "
             "masked_fill), self.mean = self.mean.type_as(x). published: HAT-S x4 "
             "(options/test/HAT-S_SRx4.yml: embed_dim=144, depths=6x6, heads=6x6, window 16, "
             "compress_ratio 24, squeeze_factor 24, mlp_ratio 2, pixelshuffle); test: embed_dim=32, "
             "depths=(2,), heads=(2,), window 8, compress_ratio 4, squeeze_factor 8, x2. Initialisation: "
             "every convolution and linear layer He normal, the relative position tables at std 1 (upstream's "
             "trunc_normal std 0.02 for the linear layers and the conv_scale 0.01 left the channel-attention "
             "convolutions of the conv branch below the tolerance, a squeeze ReLU dead at gain 1)")
def _hat(published):
    from .hat_arch import HAT
    if published:
        m = HAT(upscale=4, in_chans=3, img_size=64, window_size=16, compress_ratio=24, squeeze_factor=24,
                conv_scale=0.01, overlap_ratio=0.5, img_range=1., depths=[6, 6, 6, 6, 6, 6], embed_dim=144,
                num_heads=[6, 6, 6, 6, 6, 6], mlp_ratio=2, upsampler='pixelshuffle', resi_connection='1conv')
    else:
        m = HAT(upscale=2, in_chans=3, img_size=16, window_size=8, compress_ratio=4, squeeze_factor=8,
                conv_scale=0.01, overlap_ratio=0.5, img_range=1., depths=[2], embed_dim=32, num_heads=[2],
                mlp_ratio=2, upsampler='pixelshuffle', resi_connection='1conv')
    _relative_position_tables(m)
    return m


@entry(name="msrresnet", task="super-resolution x4", source="XPixelGroup/BasicSR srresnet_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 12, 20), _img(2, 10, 24)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 32, 40)],
       size_rule="any H, W >= 1", covers=[INPLACE],
       fan_in_init=("",),
       notes="bilinear upsampling of the input as the base, LeakyReLU(inplace=True). "
             "published: num_feat=64, num_block=16; test: 16, 2")
def _msrresnet(published):
    from .basicsr_srresnet_arch import MSRResNet
    return MSRResNet(3, 3, num_feat=64 if published else 16, num_block=16 if published else 2, upscale=4)


@entry(name="realesr_compact", task="super-resolution x4", source="xinntao/Real-ESRGAN srvgg_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 12, 20), _img(2, 10, 24)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 32, 40)],
       size_rule="any H, W >= 1", covers=[],
       notes="SRVGGNetCompact (PReLU, pixel_shuffle, nearest-upsampled input added). published: "
             "realesr-general-x4v3 (num_feat=64, num_conv=32); test: num_feat=16, num_conv=2")
def _srvgg(published):
    from .realesrgan_srvgg_arch import SRVGGNetCompact
    return SRVGGNetCompact(3, 3, num_feat=64 if published else 16, num_conv=32 if published else 2,
                           upscale=4, act_type='prelu')


@entry(name="fsrcnn", task="super-resolution x3 (luminance)", source="Lornatang/FSRCNN-PyTorch model.py",
       sizes=[_img(1, 16, 16, c=1), _img(1, 12, 20, c=1), _img(2, 10, 24, c=1)],
       published_sizes=[_img(1, 128, 128, c=1), _img(1, 96, 160, c=1), _img(2, 64, 80, c=1)],
       size_rule="any H, W >= 1", covers=[],
       notes="FSRCNN(56, 12, 4) x3: PReLU after every conv, ConvTranspose2d 56 -> 1 with kernel 9, stride 3, "
             "padding 4, output_padding 2. published and test: the same (upstream's constructor takes only "
             "the scale). The deconv weight is drawn again at std 1/sqrt(56 * 9) instead of upstream's "
             "initial 0.001, so that its share of the output is not hidden under the check's tolerance")
def _fsrcnn(published):
    from .lornatang_fsrcnn import FSRCNN
    m = FSRCNN(3)
    with torch.no_grad():
        m.deconv.weight.normal_(0.0, (56 * 9) ** -0.5)
    return m


@entry(name="ecbsr", task="super-resolution x4 (mobile)", source="XPixelGroup/BasicSR ecbsr_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 12, 20), _img(2, 10, 24)],
       published_sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 32, 40)],
       size_rule="any H, W >= 1", covers=[PY_SIZES],
       notes="in eval mode each ECB block builds its 3x3 weight from its five branches inside forward "
             "(rep_params: weight arithmetic, F.conv2d with a computed weight); repeat_interleave "
             "shortcut, pixel_shuffle. published: ECBSR-M16C64 x4 (num_block=16, num_channel=64, "
             "PReLU, no identity); test: num_block=2, num_channel=8")
def _ecbsr(published):
    from .basicsr_ecbsr_arch import ECBSR
    if published:
        return ECBSR(3, 3, num_block=16, num_channel=64, with_idt=False, act_type='prelu', scale=4)
    return ECBSR(3, 3, num_block=2, num_channel=8, with_idt=False, act_type='prelu', scale=4)


@entry(name="ridnet", task="denoising", source="XPixelGroup/BasicSR ridnet_arch.py",
       sizes=[_img(1, 16, 16), _img(1, 12, 20), _img(2, 10, 24)],
       published_sizes=[_img(1, 256, 256), _img(1, 192, 320), _img(2, 128, 160)],
       size_rule="any H, W >= 1", covers=[INPLACE],
       notes="MeanShift 1x1 convs, dilated merge-and-run units, channel attention, ReLU(inplace=True). "
             "published: mid_channels=64, num_block=4; test: mid_channels=16, num_block=1")
def _ridnet(published):
    from .basicsr_ridnet_arch import RIDNet
    if published:
        return RIDNet(3, 64, 3, num_block=4)
    return RIDNet(3, 16, 3, num_block=1)


# ---------------------------------------------------------------- segmentation

@entry(name="deeplabv3", task="segmentation", source="pytorch/vision deeplabv3.py + resnet.py",
       sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 40, 56)],
       published_sizes=[_img(1, 256, 256), _img(1, 192, 320), _img(2, 160, 224)],
       size_rule="any H, W >= 32 or so (ASPP pooling to 1x1, interpolation back to the input size)",
       covers=[FIXED],
       notes="returns a dict {'out': ...}. published: deeplabv3_resnet50 (ResNet-50 with dilation "
             "in layers 3-4, DeepLabHead(2048, 21)); test: DeepLabV3(IntermediateLayerGetter("
             "ResNet(BasicBlock, [1, 1, 1, 1])), DeepLabHead(512, 21)) through the same upstream "
             "constructors (BasicBlock refuses dilation, so the test backbone has output stride 32)")
def _deeplabv3(published):
    from . import torchvision_deeplabv3 as tv
    if published:
        backbone = tv.ResNet(tv.Bottleneck, [3, 4, 6, 3], replace_stride_with_dilation=[False, True, True])
        return tv._deeplabv3_resnet(backbone, 21, False)
    backbone = tv.IntermediateLayerGetter(tv.ResNet(tv.BasicBlock, [1, 1, 1, 1]), return_layers={"layer4": "out"})
    return tv.DeepLabV3(backbone, tv.DeepLabHead(512, 21), None)


@entry(name="deeplabv3plus", task="segmentation",
       source="qubvel-org/segmentation_models.pytorch decoders/deeplabv3/decoder.py, encoders/_utils.py, "
              "base/heads.py (0.6.0) + pytorch/vision resnet.py",
       sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 32, 64)],
       published_sizes=[_img(1, 256, 256), _img(1, 192, 320), _img(2, 160, 224)],
       size_rule="H, W multiples of 16 (the x4 upsampled ASPP output is concatenated with the stride-4 "
                 "skip)",
       covers=[FIXED], calibrate_norms=True,
       notes="smp.DeepLabV3Plus's defaults (output stride 16, separable ASPP at rates 12 / 24 / 36, "
             "which at these sizes are dilated far past the 2x2 to 16x16 map). published: smp's default "
             "encoder resnet34 (ResNet(BasicBlock, [3, 4, 6, 3])); test: ResNet(BasicBlock, [1, 1, 1, 1]). "
             "BatchNorm statistics calibrated (the ASPP branches' norms see one value per channel at the "
             "test sizes' 4x4 maps otherwise far from their random statistics)")
def _deeplabv3plus(published):
    from . import torchvision_deeplabv3 as tv
    from .smp_deeplabv3plus import DeepLabV3Plus
    resnet = tv.ResNet(tv.BasicBlock, [3, 4, 6, 3] if published else [1, 1, 1, 1])
    return DeepLabV3Plus(resnet, (3, 64, 64, 128, 256, 512), classes=21)


@entry(name="fpn", task="segmentation",
       source="qubvel-org/segmentation_models.pytorch decoders/fpn/decoder.py (0.6.0) + pytorch/vision resnet.py",
       sizes=[_img(1, 64, 64), _img(1, 96, 64), _img(2, 32, 96)],
       published_sizes=[_img(1, 256, 256), _img(1, 192, 320), _img(2, 160, 224)],
       size_rule="H, W multiples of 32 (each pyramid level is added to the x2 upsampled coarser one)",
       covers=[], calibrate_norms=True,
       notes="smp.FPN's defaults (merge policy add: torch.stack(x).sum(dim=0), nearest laterals, GroupNorm "
             "blocks). published: smp's default encoder resnet34 (ResNet(BasicBlock, [3, 4, 6, 3])), "
             "pyramid 256, segmentation 128; test: ResNet(BasicBlock, [1, 1, 1, 1]), pyramid 64, "
             "segmentation 32 (its GroupNorm has 32 groups)")
def _fpn(published):
    from . import torchvision_deeplabv3 as tv
    from .smp_fpn import FPN
    resnet = tv.ResNet(tv.BasicBlock, [3, 4, 6, 3] if published else [1, 1, 1, 1])
    if published:
        return FPN(resnet, (3, 64, 64, 128, 256, 512), classes=21)
    return FPN(resnet, (3, 64, 64, 128, 256, 512), classes=21, pyramid_channels=64, segmentation_channels=32)


@entry(name="u2net", task="salient object segmentation", source="xuebinqin/U-2-Net model/u2net.py",
       sizes=[_img(1, 64, 64), _img(1, 48, 80), _img(2, 80, 48)],
       published_sizes=[_img(1, 320, 320), _img(1, 256, 192), _img(2, 160, 224)],
       size_rule="any H, W (max pools with ceil_mode, _upsample_like back to each skip's size); the "
                 "zoo's sizes keep the deepest maps at least 2x2 (at 32x32 they are 1x1 and the export "
                 "inferred W <= 32)",
       fan_in_init=("",), fan_in_gain=1.0,
       covers=[FIXED],
       notes="7 outputs (d0..d6). published: U2NET(3, 1); test: U2NETP(3, 1), upstream's own "
             "small variant of the same blocks (the U2NET constructor has no width argument)")
def _u2net(published):
    from .u2net import U2NET, U2NETP
    return U2NET(3, 1) if published else U2NETP(3, 1)


@entry(name="enet", task="segmentation", source="davidtvs/PyTorch-ENet models/enet.py",
       sizes=[_img(1, 32, 32), _img(1, 24, 40), _img(2, 48, 16)],
       published_sizes=[_img(1, 256, 256), _img(1, 192, 320), _img(2, 160, 224)],
       size_rule="H, W multiples of 8",
       covers=[PY_SIZES, CALLING],
       notes="torch.zeros(n, ch, h, w) from x.size() to pad channels, max_pool with indices, "
             "max_unpool with output_size, PReLU. ENet(num_classes) has no width argument: the "
             "test configuration is the published one (0.36 M parameters)")
def _enet(published):
    from .enet import ENet
    return ENet(12)


@entry(name="segformer", task="segmentation", source="lucidrains/segformer-pytorch",
       sizes=[_img(1, 64, 64), _img(1, 32, 96), _img(2, 96, 32)],
       published_sizes=[_img(1, 256, 256), _img(1, 192, 320), _img(2, 160, 224)],
       size_rule="H, W multiples of 32 (the MiT stages recover h from int(sqrt(h * w / patches)))",
       covers=[ATTENTION, PY_SIZES],
       notes="nn.Unfold patch embedding, einops rearrange, einsum attention, GELU, all-MLP head "
             "(1x1 conv + nn.Upsample per stage). published: the package's defaults (MiT-B0 widths "
             "32/64/160/256, heads 1/2/5/8, 2 layers, decoder_dim 256); test: dims (8, 16, 24, 32), "
             "heads (1, 2, 2, 4), 1 layer, decoder_dim 16")
def _segformer(published):
    from .segformer_pytorch import Segformer
    if published:
        return Segformer(num_classes=19)
    return Segformer(dims=(8, 16, 24, 32), heads=(1, 2, 2, 4), ff_expansion=(2, 2, 2, 2),
                     reduction_ratio=(8, 4, 2, 1), num_layers=1, decoder_dim=16, num_classes=5)


@entry(name="segnet", task="segmentation", source="meetshah1995/pytorch-semseg segnet.py + utils.py",
       sizes=[_img(1, 32, 32), _img(1, 40, 56), _img(2, 48, 32)],
       published_sizes=[_img(1, 256, 256), _img(1, 192, 320), _img(2, 160, 224)],
       size_rule="any H, W >= 32 (floor pooling undone by max_unpool with output_size)",
       fan_in_init=("",),
       covers=[CALLING, FIXED],
       notes="self.unpool(input=x, indices=i, output_size=s) with s from x.size(). segnet(n_classes, "
             "in_channels) has no width argument: the test configuration is the published one "
             "(29 M parameters)")
def _segnet(published):
    from .semseg_segnet import segnet
    return segnet(n_classes=21, in_channels=3)


@entry(name="unet", task="segmentation", source="milesial/Pytorch-UNet unet_model.py + unet_parts.py",
       sizes=[_img(1, 32, 32), _img(1, 36, 52), _img(2, 48, 40)],
       published_sizes=[_img(1, 256, 256), _img(1, 200, 312), _img(2, 160, 224)],
       size_rule="any H, W >= 16 (F.pad by the size difference to each skip)",
       calibrate_norms=True,
       covers=[FIXED],
       notes="published: UNet(3, 2, bilinear=False) (ConvTranspose2d up, 31 M parameters); test: "
             "bilinear=True (bilinear Upsample, half the bottom width, 17 M; UNet has no width argument)")
def _unet(published):
    from .milesial_unet import UNet
    return UNet(3, 2, bilinear=not published)


# ---------------------------------------------------------------- image-to-image

@entry(name="nafnet", task="image restoration (denoising / deblurring)",
       source="megvii-research/NAFNet NAFNet_arch.py + arch_util.py",
       sizes=[_img(1, 16, 16), _img(1, 18, 30), _img(2, 13, 22)],
       published_sizes=[_img(1, 256, 256), _img(1, 200, 312), _img(2, 160, 224)],
       size_rule="any H, W >= 1 (check_image_size pads to a multiple of 2 ** len(enc_blk_nums), 4 in the "
                 "test configuration, 16 published, and the output is cropped back by x[:, :, :H, :W]). "
                 "The export takes only the example's side of that: exported at a multiple (16x16) it "
                 "refuses other sizes (model.json's rule: the padded size equals H, W), exported at "
                 "18x30 it refuses multiples; the second and third sizes are not multiples, so the "
                 "zoo fails them until the exporter keeps both",
       covers=[PY_SIZES],
       notes="LayerNorm2d as a custom torch.autograd.Function (LayerNormFunction.apply), SimpleGate "
             "(chunk + multiply), simplified channel attention (AdaptiveAvgPool2d(1) + 1x1 conv), F.pad by "
             "amounts computed from the size, PixelShuffle up, x[:, :, :H, :W]. Upstream initialises the "
             "blocks' residual scales beta and gamma to zero (every block an identity); _naf_scales draws "
             "them. published: NAFNet-SIDD-width64 (options/test/SIDD/NAFNet-width64.yml: width 64, "
             "enc_blk_nums [2, 2, 4, 8], middle_blk_num 12, dec_blk_nums [2, 2, 2, 2]); test: width 8, "
             "[1, 1], 1, [1, 1]")
def _nafnet(published):
    from .nafnet_arch import NAFNet
    if published:
        m = NAFNet(img_channel=3, width=64, middle_blk_num=12, enc_blk_nums=[2, 2, 4, 8], dec_blk_nums=[2, 2, 2, 2])
    else:
        m = NAFNet(img_channel=3, width=8, middle_blk_num=1, enc_blk_nums=[1, 1], dec_blk_nums=[1, 1])
    _naf_scales(m)
    return m


def _naf_scales(m):
    """NAFBlock's residual scales beta and gamma start at zero upstream (each block the identity until
    trained): drawn as N(0, 0.5) per channel (torch's global generator, seeded by Entry.build)."""
    with torch.no_grad():
        for mod in m.modules():
            if type(mod).__name__ == "NAFBlock":
                mod.beta.normal_(0.0, 0.5)
                mod.gamma.normal_(0.0, 0.5)


@entry(name="pix2pix_unet", task="image-to-image", source="junyanz/pytorch-CycleGAN-and-pix2pix networks.py",
       sizes=[_img(1, 64, 64), _img(1, 96, 64), _img(2, 64, 128)],
       published_sizes=[_img(1, 512, 512), _img(1, 768, 512), _img(2, 512, 1024)],
       size_rule="H, W multiples of 2 ** num_downs (32 in the test configuration, 256 published); the "
                 "zoo's sizes keep the innermost map at least 2x2 (see SIZES_AVOID_ONE)",
       covers=[INPLACE],
       notes="LeakyReLU(0.2, True) in place on the tensor that the skip's torch.cat reads. "
             "published: unet_256 (num_downs=8, ngf=64, batch norm, dropout); test: num_downs=5, ngf=8")
def _pix2pix(published):
    from .cyclegan_pix2pix_networks import UnetGenerator, get_norm_layer
    if published:
        return UnetGenerator(3, 3, 8, 64, norm_layer=get_norm_layer('batch'), use_dropout=True)
    return UnetGenerator(3, 3, 5, 8, norm_layer=get_norm_layer('batch'), use_dropout=True)


@entry(name="cyclegan_resnet", task="image-to-image", source="junyanz/pytorch-CycleGAN-and-pix2pix networks.py",
       sizes=[_img(1, 32, 32), _img(1, 20, 28), _img(2, 24, 40)],
       published_sizes=[_img(1, 256, 256), _img(1, 192, 320), _img(2, 160, 224)],
       size_rule="H, W multiples of 4",
       covers=[INPLACE],
       notes="ReflectionPad2d, InstanceNorm2d(track_running_stats=True) as upstream's 'instance' norm "
             "at this commit, ConvTranspose2d with output_padding. published: resnet_9blocks, ngf=64; "
             "test: n_blocks=2, ngf=8")
def _cyclegan(published):
    from .cyclegan_pix2pix_networks import ResnetGenerator, get_norm_layer
    return ResnetGenerator(3, 3, 64 if published else 8, norm_layer=get_norm_layer('instance'),
                           use_dropout=False, n_blocks=9 if published else 2)


# ---------------------------------------------------------------- generative

@entry(name="vqgan_decoder", task="generative (VQGAN decoder)", source="CompVis/taming-transformers model.py",
       sizes=[((1, 4, 8, 8),), ((1, 4, 6, 10),), ((2, 4, 4, 12),)],
       published_sizes=[((1, 256, 16, 16),), ((1, 256, 12, 20),), ((2, 256, 8, 8),)],
       size_rule="any latent h, w >= 1 (output 2 ** (len(ch_mult) - 1) times larger)",
       covers=[ATTENTION, PY_SIZES],
       notes="AttnBlock: bmm, softmax, `int(c)**(-0.5)`; GroupNorm(32); nearest x2 + conv. published: "
             "VQGAN ImageNet f16 (ch=128, ch_mult=(1,1,2,2,4), 2 res blocks, attention at 16, "
             "z_channels=256); test: ch=32, ch_mult=(1, 2), 1 res block, attention at 8, z_channels=4")
def _vqgan(published):
    from .taming_vqgan_model import Decoder
    if published:
        return Decoder(ch=128, out_ch=3, ch_mult=(1, 1, 2, 2, 4), num_res_blocks=2, attn_resolutions=[16],
                       dropout=0.0, in_channels=3, resolution=256, z_channels=256)
    return Decoder(ch=32, out_ch=3, ch_mult=(1, 2), num_res_blocks=1, attn_resolutions=[8],
                   dropout=0.0, in_channels=3, resolution=16, z_channels=4)


@entry(name="sd_vae_decoder", task="generative (Stable Diffusion VAE decoder)",
       source="CompVis/taming-transformers model.py (the Decoder CompVis/stable-diffusion copied)",
       sizes=[((1, 4, 8, 8),), ((1, 4, 6, 10),), ((2, 4, 4, 12),)],
       published_sizes=[((1, 4, 32, 32),), ((1, 4, 24, 40),), ((2, 4, 16, 16),)],
       size_rule="any latent h, w >= 1 (output 8x for the published kl-f8)",
       covers=[ATTENTION, PY_SIZES],
       notes="Stable Diffusion v1's first stage (kl-f8) decoder config on the same Decoder class: "
             "ch=128, ch_mult=(1,2,4,4), 2 res blocks, no attention but the mid block's, z_channels=4; "
             "test: ch=32, ch_mult=(1, 1, 2), 1 res block")
def _sdvae(published):
    from .taming_vqgan_model import Decoder
    if published:
        return Decoder(ch=128, out_ch=3, ch_mult=(1, 2, 4, 4), num_res_blocks=2, attn_resolutions=[],
                       dropout=0.0, in_channels=3, resolution=256, z_channels=4)
    return Decoder(ch=32, out_ch=3, ch_mult=(1, 1, 2), num_res_blocks=1, attn_resolutions=[],
                   dropout=0.0, in_channels=3, resolution=32, z_channels=4)


@entry(name="dcgan_generator", task="generative (DCGAN)", source="pytorch/examples dcgan/main.py",
       sizes=[((1, 100, 1, 1),), ((1, 100, 2, 3),), ((2, 100, 2, 2),)],
       published_sizes=[((1, 100, 1, 1),), ((1, 100, 2, 3),), ((2, 100, 2, 2),)],
       size_rule="any latent h, w >= 1 (1x1 gives 64x64; each more latent pixel 16 more output pixels)",
       covers=[PY_SIZES],
       notes="forward reads input.is_cuda / input.is_xpu and self.ngpu. published: --ngf 64; test: "
             "--ngf 8 (main.py's own option, a module global)")
def _dcgan(published):
    from . import dcgan_generator as d
    d.ngf = 64 if published else 8
    try:
        return d.Generator(1)
    finally:
        d.ngf = 64


# ---------------------------------------------------------------- depth

@entry(name="midas", task="depth", source="isl-org/MiDaS midas_net.py + blocks.py",
       sizes=[_img(1, 64, 64), _img(1, 96, 64), _img(2, 64, 128)],
       published_sizes=[_img(1, 384, 384), _img(1, 256, 384), _img(2, 256, 256)],
       size_rule="H, W multiples of 32 (the zoo's sizes keep the deepest map at least 2x2)",
       covers=[RANK3, FIXED],
       fan_in_init=("scratch",), fan_in_gain=1.0, calibrate_norms=True, center_biases={"scratch.output_conv.2": 0.5, "scratch.output_conv.4": 0.1},
       notes="returns torch.squeeze(out, dim=1): a rank-3 [N, H, W] depth map. published: MidasNet "
             "(features=256, ResNeXt-101 32x8d encoder as upstream's resnext101_wsl); test: features=32, "
             "a ResNeXt-style ResNet(Bottleneck, [1, 1, 1, 1], groups=4, width_per_group=2) encoder (the "
             "same widths as width_per_group=8 without groups; grouped 3x3s as the published one). "
             "Initialisation: the scratch decoder's convolutions He normal at gain 1, BatchNorm statistics "
             "calibrated, the depth head's two convolutions before ReLUs given data-dependent biases "
             "(upstream's init with randomize() alone left the output all zeros with the grouped encoder: "
             "the final ReLU killed every pixel)")
def _midas(published):
    from . import midas_net as mn
    saved = dict(mn.ENCODER)
    if not published:
        mn.ENCODER.update(layers=[1, 1, 1, 1], groups=4, width_per_group=2)
    try:
        return mn.MidasNet(None, features=256 if published else 32)
    finally:
        mn.ENCODER.clear()
        mn.ENCODER.update(saved)


# ---------------------------------------------------------------- SAM

class SamMaskDecoderMultimask(nn.Module):
    """Not upstream: the calling convention of SAM's own ONNX export (scripts/export_onnx_model.py
    wraps the model the same way): the four tensors positionally, multimask_output=True."""

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, image_embeddings, image_pe, sparse_prompt_embeddings, dense_prompt_embeddings):
        return self.decoder(image_embeddings=image_embeddings, image_pe=image_pe,
                            sparse_prompt_embeddings=sparse_prompt_embeddings,
                            dense_prompt_embeddings=dense_prompt_embeddings, multimask_output=True)


def _sam_shapes(n, tokens, h, w, c):
    return ((1, c, h, w), (1, c, h, w), (n, tokens, c), (n, c, h, w))


@entry(name="sam_mask_decoder", task="promptable segmentation (mask decoder)",
       source="facebookresearch/segment-anything mask_decoder.py + transformer.py + common.py",
       sizes=[_sam_shapes(1, 2, 16, 16, 32), _sam_shapes(1, 3, 8, 12, 32), _sam_shapes(2, 5, 12, 8, 32)],
       published_sizes=[_sam_shapes(1, 2, 64, 64, 256), _sam_shapes(1, 3, 32, 48, 256),
                        _sam_shapes(2, 5, 64, 64, 256)],
       size_rule="image_embeddings and image_pe [1, C, h, w], sparse prompts [N, T, C], dense [N, C, h, w]; "
                 "any h, w, T, N",
       covers=[ATTENTION, CALLING],
       notes="TwoWayTransformer (matmul attention, token-to-image and image-to-token), LayerNorm2d, "
             "ConvTranspose2d x4 upscaling, hypernetwork MLPs, masks via `@`; outputs masks [N, 3, 4h, 4w] "
             "and iou [N, 3] (rank 2). Keyword call wrapped as SAM's ONNX export does. published: "
             "ViT-B/L/H's decoder (transformer_dim=256, depth 2, mlp 2048, 8 heads); test: dim 32, "
             "mlp 64, 2 heads, iou head 32")
def _sam(published):
    from .sam_mask_decoder import MaskDecoder, TwoWayTransformer
    dim, mlp, heads, iou = (256, 2048, 8, 256) if published else (32, 64, 2, 32)
    dec = MaskDecoder(transformer_dim=dim,
                      transformer=TwoWayTransformer(depth=2, embedding_dim=dim, mlp_dim=mlp, num_heads=heads),
                      num_multimask_outputs=3, iou_head_depth=3, iou_head_hidden_dim=iou)
    return SamMaskDecoderMultimask(dec)


BY_NAME = {e.name: e for e in ENTRIES}


def _flat(out):
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for v in out.values() for t in _flat(v)]
    return [t for v in out for t in _flat(v)]


def main(argv):
    import time
    published = "--published" in argv
    names = [a for a in argv if not a.startswith("--")] or list(BY_NAME)
    failed = 0
    for name in names:
        e = BY_NAME[name]
        t0 = time.time()
        m = e.build(published)
        params = sum(p.numel() for p in m.parameters())
        cells = []
        for i in range(3):
            xs = e.inputs(i, published)
            try:
                with torch.no_grad():
                    outs = _flat(m(*xs))
                cells.append(" ".join("x".join(map(str, o.shape)) + f"|{o.abs().max().item():.3g}" for o in outs[:2])
                             + (f" +{len(outs) - 2}" if len(outs) > 2 else ""))
            except Exception as ex:  # report, keep going
                failed += 1
                cells.append(f"FAILED {type(ex).__name__}: {ex}")
        print(f"{name:18s} {params / 1e6:7.2f}M {time.time() - t0:6.1f}s  " + "  ;  ".join(cells), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
