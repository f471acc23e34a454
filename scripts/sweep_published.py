"""Exports published models the exporter is not tested on (segmentation_models_pytorch, diffusers,
transformers: random weights from each library's own constructors) at two sizes each, to find what
the exporter refuses or gets wrong. A manual tool, not a test: those libraries are not the
exporter's test dependencies and CI does not install them.

  <torch2 venv>/bin/pip install segmentation-models-pytorch diffusers transformers
  <torch2 venv>/bin/python scripts/sweep_published.py [--out DIR] [names...]
  npx tsx scripts/check-export.ts --all-checks DIR/<name> ...   (TFJS_TORCH_BACKEND=cpu|wasm|tensorflow)

Prints one JSON line per model: exported (with check.safetensors and check_1.safetensors, PyTorch's
outputs at the second size), or the exporter's error. Outputs are not calibrated as the zoo's are:
a random-weight model whose activations grow large (MobileOne: outputs near 4e5) fails the check's
1e-4 rule by float32 rounding alone; compare with PyTorch's own float32 / float64 spread before
calling a difference a bug. The versions tried on 2026-12-07: segmentation-models-pytorch 0.6.0,
diffusers 0.42.1, transformers 5.25.0, timm 1.0.31, torch 2.15.
"""
import argparse
import json
import os
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from tfjs_torch import export, write_check  # noqa: E402


class Dec(nn.Module):
    def __init__(self, vae): super().__init__(); self.vae = vae
    def forward(self, z): return self.vae.decode(z).sample

class HF(nn.Module):
    def __init__(self, m, key): super().__init__(); self.m = m; self.key = key
    def forward(self, x): return getattr(self.m(pixel_values=x), self.key)


def torch_init(m):
    """PyTorch's own initialisation (reset_parameters) of every layer that has one: transformers
    draws MobileViTV2's convolutions at std 0.02, and its activations shrink by ~30x a block
    (1e-21 by the second stage, logits exactly 0), so a check against them proves nothing."""
    for mod in m.modules():
        if hasattr(mod, "reset_parameters") and mod is not m:
            mod.reset_parameters()
    return m


def smp_model(arch, enc="resnet18"):
    def f():
        import segmentation_models_pytorch as smp
        return getattr(smp, arch)(encoder_name=enc, encoder_weights=None, classes=3)
    return f


def vae_kl():
    from diffusers import AutoencoderKL
    v = AutoencoderKL(block_out_channels=(32, 64), down_block_types=("DownEncoderBlock2D",)*2,
                      up_block_types=("UpDecoderBlock2D",)*2, latent_channels=4, norm_num_groups=16, layers_per_block=1)
    return Dec(v)


def vae_tiny():
    from diffusers import AutoencoderTiny
    return Dec(AutoencoderTiny())


def vq():
    from diffusers import VQModel
    v = VQModel(block_out_channels=(32, 64), down_block_types=("DownEncoderBlock2D",)*2,
                up_block_types=("UpDecoderBlock2D",)*2, latent_channels=4, norm_num_groups=16, layers_per_block=1)
    return Dec(v)


def dpt():
    from transformers import DPTConfig, DPTForDepthEstimation
    c = DPTConfig(hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=128,
                  image_size=64, patch_size=16, neck_hidden_sizes=[16, 32, 64, 64], fusion_hidden_size=32,
                  backbone_out_indices=[0, 1, 2, 3], reassemble_factors=[4, 2, 1, 0.5])
    return HF(DPTForDepthEstimation(c), "predicted_depth")


def depth_anything():
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config
    b = Dinov2Config(hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=128,
                     patch_size=14, image_size=70, out_features=["stage1", "stage2", "stage3", "stage4"], reshape_hidden_states=False)
    c = DepthAnythingConfig(backbone_config=b, neck_hidden_sizes=[16, 32, 64, 64], fusion_hidden_size=32,
                            head_hidden_size=16, reassemble_hidden_size=64)
    return HF(DepthAnythingForDepthEstimation(c), "predicted_depth")


def segformer():
    from transformers import SegformerConfig, SegformerForSemanticSegmentation
    c = SegformerConfig(num_labels=5, hidden_sizes=[16, 32, 64, 128], decoder_hidden_size=64, depths=[1,1,1,1])
    return HF(SegformerForSemanticSegmentation(c), "logits")


def swin2sr():
    from transformers import Swin2SRConfig, Swin2SRForImageSuperResolution
    c = Swin2SRConfig(embed_dim=32, depths=[2, 2], num_heads=[2, 2], window_size=8, upscale=2)
    # PyTorch's init: with transformers' std-0.02 weights the shifted-window mask moves the
    # output by 2e-3 (20x the check's rule), with PyTorch's by 0.045
    return HF(torch_init(Swin2SRForImageSuperResolution(c)), "reconstruction")


def glpn():
    from transformers import GLPNConfig, GLPNForDepthEstimation
    c = GLPNConfig(hidden_sizes=[16, 32, 64, 128], decoder_hidden_size=32, depths=[1, 1, 1, 1], num_attention_heads=[1, 2, 4, 8])
    return HF(GLPNForDepthEstimation(c), "predicted_depth")


def upernet():
    from transformers import UperNetConfig, UperNetForSemanticSegmentation, ConvNextConfig
    b = ConvNextConfig(hidden_sizes=[16, 32, 64, 128], depths=[1, 1, 1, 1], out_features=["stage1", "stage2", "stage3", "stage4"])
    c = UperNetConfig(backbone_config=b, hidden_size=32, auxiliary_in_channels=64, use_auxiliary_head=False, num_labels=5)
    return HF(UperNetForSemanticSegmentation(c), "logits")


def mobilevit():
    from transformers import MobileViTConfig, MobileViTForSemanticSegmentation
    c = MobileViTConfig(hidden_sizes=[48, 64, 80], neck_hidden_sizes=[16, 16, 24, 48, 64, 80, 320], num_labels=5, image_size=64, aspp_out_channels=32)
    return HF(MobileViTForSemanticSegmentation(c), "logits")


def mobilevitv2():
    from transformers import MobileViTV2Config, MobileViTV2ForSemanticSegmentation
    c = MobileViTV2Config(width_multiplier=0.5, num_labels=5, image_size=64, aspp_out_channels=32)
    return HF(torch_init(MobileViTV2ForSemanticSegmentation(c)), "logits")


def vitmatte():
    from transformers import VitMatteConfig, VitMatteForImageMatting, VitDetConfig
    b = VitDetConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, num_channels=4, image_size=64, patch_size=16, out_features=["stage2"], use_relative_position_embeddings=False, use_absolute_position_embeddings=True, pretrain_image_size=64)
    c = VitMatteConfig(backbone_config=b, hidden_size=64, convstream_hidden_sizes=[16, 32, 64], fusion_hidden_sizes=[64, 32, 16, 8])
    return HF(VitMatteForImageMatting(c), "alphas")


def upernet_swin():
    from transformers import UperNetConfig, UperNetForSemanticSegmentation, SwinConfig
    b = SwinConfig(embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 2, 4, 8], window_size=4, image_size=64, out_features=["stage1", "stage2", "stage3", "stage4"])
    c = UperNetConfig(backbone_config=b, hidden_size=32, auxiliary_in_channels=64, use_auxiliary_head=False, num_labels=5)
    return HF(UperNetForSemanticSegmentation(c), "logits")


def img(n, h, w, c=3):
    return (n, c, h, w)


MODELS = {
    "smp_unet": (smp_model("Unet"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unetpp": (smp_model("UnetPlusPlus"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_fpn": (smp_model("FPN"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_pspnet": (smp_model("PSPNet"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_deeplabv3": (smp_model("DeepLabV3"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_deeplabv3plus": (smp_model("DeepLabV3Plus"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_linknet": (smp_model("Linknet"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_manet": (smp_model("MAnet"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_pan": (smp_model("PAN"), [img(1, 128, 128), img(1, 128, 192)]),
    "smp_upernet": (smp_model("UPerNet"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_segformer": (smp_model("Segformer"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_dpt": (smp_model("DPT", enc="tu-vit_tiny_patch16_224"), [img(1, 224, 224), img(1, 224, 224)]),
    "smp_unet_effb0": (smp_model("Unet", enc="efficientnet-b0"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_mobilenet": (smp_model("Unet", enc="mobilenet_v2"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_resnext": (smp_model("Unet", enc="resnext50_32x4d"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_densenet": (smp_model("Unet", enc="densenet121"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_vgg": (smp_model("Unet", enc="vgg11_bn"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_mit": (smp_model("Unet", enc="mit_b0"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_regnet": (smp_model("Unet", enc="timm-regnetx_002"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_convnext": (smp_model("Unet", enc="tu-convnext_atto"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_mobileone": (smp_model("Unet", enc="mobileone_s0"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_unet_dpn": (smp_model("Unet", enc="dpn68"), [img(1, 128, 128), img(1, 96, 160)]),
    "smp_deeplabv3plus_effb0": (smp_model("DeepLabV3Plus", enc="efficientnet-b0"), [img(1, 128, 128), img(1, 96, 160)]),
    "diffusers_vae_kl": (vae_kl, [img(1, 16, 16, 4), img(1, 12, 20, 4)]),
    "diffusers_vae_tiny": (vae_tiny, [img(1, 16, 16, 4), img(1, 12, 20, 4)]),
    "diffusers_vq": (vq, [img(1, 16, 16, 4), img(1, 12, 20, 4)]),
    "hf_dpt": (dpt, [img(1, 64, 64), img(1, 96, 96)]),   # its neck takes square grids only
    "hf_depth_anything": (depth_anything, [img(1, 70, 70), img(1, 98, 84)]),
    "hf_segformer": (segformer, [img(1, 64, 64), img(1, 96, 64)]),
    "hf_swin2sr": (swin2sr, [img(1, 32, 32), img(1, 40, 24)]),
    "hf_glpn": (glpn, [img(1, 64, 64), img(1, 96, 64)]),
    "hf_upernet_convnext": (upernet, [img(1, 64, 64), img(1, 96, 64)]),
    "hf_upernet_swin": (upernet_swin, [img(1, 64, 64), img(1, 96, 64)]),
    "hf_mobilevit_seg": (mobilevit, [img(1, 64, 64), img(1, 96, 64)]),
    "hf_mobilevitv2_seg": (mobilevitv2, [img(1, 64, 64), img(1, 96, 64)]),
    "hf_vitmatte": (vitmatte, [img(1, 64, 64, 4), img(1, 96, 64, 4)]),
}


def sweep(models, names, out):
    """Exports each named model (models: name -> (factory, [input shapes])) into out/<name> at
    the first shape, writes PyTorch's outputs at the others (check_<i>.safetensors), and prints
    a JSON line for each: exported, or the error."""
    for name in names or list(models):
        f, sizes = models[name]
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        t0 = time.time()
        try:
            torch.manual_seed(0)
            m = f().eval()
            g = torch.Generator().manual_seed(1)
            xs = [torch.randn(*s, generator=g) for s in sizes]
            export(m, xs[0], d)
            for i, x in enumerate(xs[1:], 1):
                write_check(m, x, d, os.path.join(d, f"check_{i}.safetensors"))
            print(json.dumps({"name": name, "ok": True, "dir": d, "s": round(time.time() - t0, 1)}), flush=True)
        except Exception as e:  # noqa: BLE001 (report every failure, go on)
            print(json.dumps({"name": name, "ok": False, "err": f"{type(e).__name__}: {e}"[:600]}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "sweep"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    sweep(MODELS, args.names, args.out)


if __name__ == "__main__":
    main()
