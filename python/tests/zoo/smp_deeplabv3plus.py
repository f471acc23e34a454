# segmentation_models_pytorch's DeepLabV3+ (ASPP with depthwise-separable dilated convolutions at
# rates 12 / 24 / 36, image pooling, x4 align_corners upsampling, the stride-4 skip) on a ResNet
# encoder whose last stage is dilated for output stride 16, as smp.DeepLabV3Plus builds it.
#
# Upstream code copied VERBATIM for tfjs-torch's test zoo (python/tests/zoo/README.md).
# Source: https://pypi.org/project/segmentation-models-pytorch/0.6.0/ segmentation_models_pytorch/decoders/deeplabv3/decoder.py (commit/version segmentation-models-pytorch 0.6.0 wheel)
# Source: https://pypi.org/project/segmentation-models-pytorch/0.6.0/ segmentation_models_pytorch/encoders/_utils.py (commit/version segmentation-models-pytorch 0.6.0 wheel)
# Source: https://pypi.org/project/segmentation-models-pytorch/0.6.0/ segmentation_models_pytorch/base/heads.py (commit/version segmentation-models-pytorch 0.6.0 wheel)
# Licence: MIT, Copyright (c) 2019 Pavel Iakubovskii (python/tests/zoo/LICENSES/segmentation_models.pytorch.txt);
# decoder.py carries torchvision's BSD-3-Clause notice itself (python/tests/zoo/LICENSES/torchvision.txt).
# Only the blocks marked "zoo" are written for the zoo: the imports, a stand-in for smp's Activation
# (identity for activation=None, the only value used here), and the model's glue (smp's
# DeepLabV3Plus.__init__ / forward and ResNetEncoder.forward / make_dilated, written out over the
# zoo's torchvision ResNet, which smp's ResNetEncoder subclasses); every other line is upstream's,
# in the marked line ranges.

# ---- zoo: imports (not upstream) ----
import torch
import torch.nn as nn


def Activation(name):  # zoo: smp.base.modules.Activation(None) is nn.Identity; only None is used here
    assert name is None
    return nn.Identity()

# ---- upstream segmentation_models_pytorch/decoders/deeplabv3/decoder.py, lines 1-255 (verbatim) ----
"""
BSD 3-Clause License

Copyright (c) Soumith Chintala 2016,
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

* Redistributions of source code must retain the above copyright notice, this
  list of conditions and the following disclaimer.

* Redistributions in binary form must reproduce the above copyright notice,
  this list of conditions and the following disclaimer in the documentation
  and/or other materials provided with the distribution.

* Neither the name of the copyright holder nor the names of its
  contributors may be used to endorse or promote products derived from
  this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

from collections.abc import Iterable, Sequence
from typing import List, Literal

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["DeepLabV3Decoder", "DeepLabV3PlusDecoder"]


class DeepLabV3Decoder(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        atrous_rates: Iterable[int],
        aspp_separable: bool,
        aspp_dropout: float,
    ):
        super().__init__()
        self.aspp = ASPP(
            in_channels,
            out_channels,
            atrous_rates,
            separable=aspp_separable,
            dropout=aspp_dropout,
        )
        self.conv = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, features: List[torch.Tensor]) -> torch.Tensor:
        x = features[-1]
        x = self.aspp(x)
        x = self.conv(x)
        x = self.bn(x)
        x = self.relu(x)
        return x


class DeepLabV3PlusDecoder(nn.Module):
    def __init__(
        self,
        encoder_channels: Sequence[int],
        encoder_depth: Literal[3, 4, 5],
        out_channels: int,
        atrous_rates: Iterable[int],
        output_stride: Literal[8, 16],
        aspp_separable: bool,
        aspp_dropout: float,
    ):
        super().__init__()
        if encoder_depth < 3:
            raise ValueError(
                "Encoder depth for DeepLabV3Plus decoder cannot be less than 3, got {}.".format(
                    encoder_depth
                )
            )

        self.aspp = nn.Sequential(
            ASPP(
                encoder_channels[-1],
                out_channels,
                atrous_rates,
                separable=aspp_separable,
                dropout=aspp_dropout,
            ),
            SeparableConv2d(
                out_channels, out_channels, kernel_size=3, padding=1, bias=False
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

        scale_factor = 4 if output_stride == 16 and encoder_depth > 3 else 2
        self.up = nn.Upsample(
            mode="bilinear", scale_factor=scale_factor, align_corners=True
        )

        highres_in_channels = encoder_channels[2]
        highres_out_channels = 48  # proposed by authors of paper
        self.block1 = nn.Sequential(
            nn.Conv2d(
                highres_in_channels, highres_out_channels, kernel_size=1, bias=False
            ),
            nn.BatchNorm2d(highres_out_channels),
            nn.ReLU(),
        )
        self.block2 = nn.Sequential(
            SeparableConv2d(
                highres_out_channels + out_channels,
                out_channels,
                kernel_size=3,
                padding=1,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, features: List[torch.Tensor]) -> torch.Tensor:
        aspp_features = self.aspp(features[-1])
        aspp_features = self.up(aspp_features)
        high_res_features = self.block1(features[2])
        concat_features = torch.cat([aspp_features, high_res_features], dim=1)
        fused_features = self.block2(concat_features)
        return fused_features


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, dilation: int):
        super().__init__(
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size=3,
                padding=dilation,
                dilation=dilation,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ASPPSeparableConv(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, dilation: int):
        super().__init__(
            SeparableConv2d(
                in_channels,
                out_channels,
                kernel_size=3,
                padding=dilation,
                dilation=dilation,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ASPPPooling(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        atrous_rates: Iterable[int],
        separable: bool,
        dropout: float,
    ):
        super(ASPP, self).__init__()
        modules = [
            nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
            )
        ]

        rate1, rate2, rate3 = tuple(atrous_rates)
        ASPPConvModule = ASPPConv if not separable else ASPPSeparableConv

        modules.append(ASPPConvModule(in_channels, out_channels, rate1))
        modules.append(ASPPConvModule(in_channels, out_channels, rate2))
        modules.append(ASPPConvModule(in_channels, out_channels, rate3))
        modules.append(ASPPPooling(in_channels, out_channels))

        self.convs = nn.ModuleList(modules)

        self.project = nn.Sequential(
            nn.Conv2d(5 * out_channels, out_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = []
        for conv in self.convs:
            res.append(conv(x))
        res = torch.cat(res, dim=1)
        return self.project(res)


class SeparableConv2d(nn.Sequential):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        bias: bool = True,
    ):
        dephtwise_conv = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=in_channels,
            bias=False,
        )
        pointwise_conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=bias)
        super().__init__(dephtwise_conv, pointwise_conv)


# ---- upstream segmentation_models_pytorch/encoders/_utils.py, lines 46-57 (verbatim) ----
def replace_strides_with_dilation(module, dilation_rate):
    """Patch Conv2d modules replacing strides with dilation"""
    for mod in module.modules():
        if isinstance(mod, nn.Conv2d):
            mod.stride = (1, 1)
            mod.dilation = (dilation_rate, dilation_rate)
            kh, kw = mod.kernel_size
            mod.padding = ((kh // 2) * dilation_rate, (kh // 2) * dilation_rate)

            # Kostyl for EfficientNet
            if hasattr(mod, "static_padding"):
                mod.static_padding = nn.Identity()


# ---- upstream segmentation_models_pytorch/base/heads.py, lines 6-19 (verbatim) ----
class SegmentationHead(nn.Sequential):
    def __init__(
        self, in_channels, out_channels, kernel_size=3, activation=None, upsampling=1
    ):
        conv2d = nn.Conv2d(
            in_channels, out_channels, kernel_size=kernel_size, padding=kernel_size // 2
        )
        upsampling = (
            nn.Upsample(mode="bilinear", scale_factor=upsampling, align_corners=True)
            if upsampling > 1
            else nn.Identity()
        )
        activation = Activation(activation)
        super().__init__(conv2d, upsampling, activation)


# ---- zoo: not upstream ----
def resnet_features(r, x):
    """smp's ResNetEncoder.forward over the zoo's torchvision ResNet `r`: the input,
    conv1-bn1-relu, maxpool + layer1, layer2, layer3, layer4."""
    features = [x]
    x = r.relu(r.bn1(r.conv1(x)))
    features.append(x)
    for stage in (lambda t: r.layer1(r.maxpool(t)), r.layer2, r.layer3, r.layer4):
        x = stage(x)
        features.append(x)
    return features


class DeepLabV3Plus(nn.Module):
    """smp.DeepLabV3Plus(encoder_name=<a ResNet>, encoder_weights=None, classes=classes) with its
    defaults (encoder_depth 5, output stride 16, decoder_channels 256, atrous rates (12, 24, 36),
    separable ASPP, dropout 0.5, upsampling 4, no activation), over `resnet` (the zoo's torchvision
    ResNet): smp's make_dilated(16) dilates the stride-32 stage (layer4) at rate 32 // 16, and
    ResNetEncoder.forward's features are the input, conv1-bn1-relu, maxpool + layer1, layer2, layer3,
    layer4."""

    def __init__(self, resnet, encoder_channels, classes):
        super().__init__()
        self.resnet = resnet
        replace_strides_with_dilation(resnet.layer4, 2)
        self.decoder = DeepLabV3PlusDecoder(
            encoder_channels=encoder_channels, encoder_depth=5, out_channels=256,
            atrous_rates=(12, 24, 36), output_stride=16, aspp_separable=True, aspp_dropout=0.5)
        self.segmentation_head = SegmentationHead(in_channels=256, out_channels=classes, activation=None,
                                                  kernel_size=1, upsampling=4)

    def forward(self, x):
        return self.segmentation_head(self.decoder(resnet_features(self.resnet, x)))
