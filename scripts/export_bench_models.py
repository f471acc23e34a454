"""Exports the `models` bench's decoders (zoo entries at published widths, real sizes) under the
torch 2.x venv, into .cache/bench-models/<name>/ (gitignored):

  tfjs/            tfjs_torch.export(module, inputs) with its defaults (channelsLast, dynamic sizes);
                   tfjs/check.safetensors holds the inputs and PyTorch's outputs (PyTorch's layout,
                   with each tensor's permutation into the model's layout): the bench's reference
  model.onnx       torch.onnx.export(module, inputs, opset_version=17, dynamo=False): the
                   TorchScript exporter, the one onnxruntime's docs and most published .onnx use;
                   where it refuses the module, dynamo=True (opset 18, torch.export-based)
  bench.json       {name, title, shapes, onnx input / output names, status, error}
  ref64.safetensors the module's outputs in float64 (a deep copy in .double() on the inputs in
                   float64: the exact answer within float64's rounding, PyTorch's layout,
                   output_<i>), and in bench.json torch_f32_vs_f64 (PyTorch float32's own largest
                   difference from it) and torch_f32_rule_ok (whether PyTorch float32 itself
                   keeps |torch32 - exact| <= 1e-4 + 1e-4 |exact|): the yardstick for a deep
                   model whose float32 result PyTorch itself cannot pin to 1e-4; also
                   bench.json's output_absmax (the largest |output| in float64) and
                   torch_f32_paths (PyTorch's own other float32 paths, channels_last and
                   mkldnn off, against its default float32 output: other_paths)

  <venv python> scripts/export_bench_models.py --ref64-only [names...]   adds ref64 to exports

  <venv python> scripts/export_bench_models.py [names...]     (npm run bench:models:export)

An entry already exported (bench.json with status "ok") is kept unless --force is given.
"""
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "python", "tests"))

import torch  # noqa: E402

from tfjs_torch import export  # noqa: E402
from zoo.registry import BY_NAME  # noqa: E402

OUT = os.path.join(ROOT, ".cache", "bench-models")

# (bench name, zoo entry, published widths?, input shapes or None for the entry's published
# export size, title)
MODELS = [
    ("esrgan_rrdbnet", "esrgan_rrdbnet", True, None, "ESRGAN RRDBNet x4 (64, 23 blocks)"),
    ("unet", "unet", True, None, "milesial U-Net (convT), published widths"),
    ("cyclegan_resnet", "cyclegan_resnet", True, None, "CycleGAN ResnetGenerator (ngf 64, 9 blocks)"),
    ("realesr_compact", "realesr_compact", True, ((1, 3, 128, 128),),
     "Real-ESRGAN SRVGGNetCompact x4 (64, 32 convs)"),
    # Exported at fixed sizes. This once avoided a z.shape[0] >= 2 rule from the batch-1 example
    # (float rounding between batch sizes, since fixed in _export.py's same_numbers); the dynamic
    # export now takes a batch of 1, and the bench keeps the fixed one it was measured with.
    ("sd_vae_decoder", "sd_vae_decoder", True, None, "SD VAE decoder (real widths, no attention)"),
    ("sam_mask_decoder", "sam_mask_decoder", True, None, "SAM mask decoder (ViT-B/L/H's, 256)"),
    # The zoo's test configuration of u2net is U2NETP: upstream's own small model (u2netp.pth),
    # not a narrowed one.
    ("u2netp", "u2net", False, ((1, 3, 320, 320),), "U^2-Net small (U2NETP)"),
    ("midas", "midas", True, ((1, 3, 256, 256),), "MiDaS v2.1 MidasNet (ResNeXt-101, features 256)"),
    ("fsrcnn", "fsrcnn", True, ((1, 1, 128, 128),), "FSRCNN x3 (56, 12, 4; convTranspose 56 -> 1, k9 s3)"),
]

# Smaller inputs for the webgpu bench (scripts/bench-webgpu-models.mjs): Chromium's WebGPU here is
# SwiftShader on the CPU, where one run of SRVGGNetCompact at 1x3x128x128 took over 5 minutes on
# either engine on the shared 2-core machine. Same modules, same widths; exported only when named
# (or with --swiftshader), and bench.json says "swiftshader": true so that the Node `models`
# section (bench/models.ts) leaves them out.
SWIFTSHADER_MODELS = [
    ("realesr_compact_32", "realesr_compact", True, ((1, 3, 32, 32),),
     "Real-ESRGAN SRVGGNetCompact x4 (64, 32 convs)"),
    ("unet_64", "unet", True, ((1, 3, 64, 64),), "milesial U-Net (convT), published widths"),
    ("u2netp_64", "u2net", False, ((1, 3, 64, 64),), "U^2-Net small (U2NETP)"),
    ("fsrcnn_32", "fsrcnn", True, ((1, 1, 32, 32),), "FSRCNN x3 (56, 12, 4; convTranspose 56 -> 1, k9 s3)"),
    # The other decoders at sizes where one run takes seconds, not minutes, on SwiftShader here
    # (SwiftShader ran U-Net at 64x64, about 3.4 GMAC, in 22-33 s): about 1-5 GMAC each.
    ("esrgan_rrdbnet_16", "esrgan_rrdbnet", True, ((1, 3, 16, 16),), "ESRGAN RRDBNet x4 (64, 23 blocks)"),
    # 16x16 gave no result in 600 s on the shared machine (345 convolutions of 64-192 -> 32
    # channels, which tfjs's webgpu Conv2DMMProgram runs slowly on SwiftShader).
    ("esrgan_rrdbnet_8", "esrgan_rrdbnet", True, ((1, 3, 8, 8),), "ESRGAN RRDBNet x4 (64, 23 blocks)"),
    ("cyclegan_resnet_64", "cyclegan_resnet", True, ((1, 3, 64, 64),),
     "CycleGAN ResnetGenerator (ngf 64, 9 blocks)"),
    ("midas_64", "midas", True, ((1, 3, 64, 64),), "MiDaS v2.1 MidasNet (ResNeXt-101, features 256)"),
    # 64x64 gave no result in 600 s here; 32x32 leaves a 1x1 deepest map.
    ("midas_32", "midas", True, ((1, 3, 32, 32),), "MiDaS v2.1 MidasNet (ResNeXt-101, features 256)"),
    # A 4x4 latent (a 32x32 image): about 4 GMAC; the published 32x32 latent is about 250.
    ("sd_vae_decoder_4", "sd_vae_decoder", True, ((1, 4, 4, 4),), "SD VAE decoder (real widths, no attention)"),
    # SAM's decoder takes any map size (image_embeddings, image_pe, sparse and dense prompts):
    # a 32x32 map where the image encoder gives 64x64.
    ("sam_mask_decoder_32", "sam_mask_decoder", True,
     ((1, 256, 32, 32), (1, 256, 32, 32), (1, 2, 256), (1, 256, 32, 32)), "SAM mask decoder (ViT-B/L/H's, 256)"),
]


def flatten(out):
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for v in out.values() for t in flatten(v)]
    return [t for v in out for t in flatten(v)]


STATIC = {"sd_vae_decoder", "sd_vae_decoder_4"}


def write_ref64(d, module, inputs, outs, info):
    """ref64.safetensors and bench.json's torch_f32_vs_f64 / torch_f32_rule_ok (module docstring).
    The module is not changed: the float64 copy is a deep copy."""
    import copy

    import numpy as np
    from tfjs_torch._safetensors import to_bytes

    m64 = copy.deepcopy(module).double()
    with torch.no_grad():
        outs64 = flatten(m64(*(t.double() for t in inputs)))
    worst, ok = 0.0, True
    for o32, o64 in zip(outs, outs64):
        diff = (o32.double() - o64).abs()
        worst = max(worst, float(diff.max()))
        ok = ok and bool((diff <= 1e-4 + 1e-4 * o64.abs()).all())
    info["torch_f32_vs_f64"] = worst
    info["torch_f32_rule_ok"] = ok
    info["output_absmax"] = max(float(o.abs().max()) for o in outs64)
    info["torch_f32_paths"] = other_paths(module, inputs, outs)
    with open(os.path.join(d, "ref64.safetensors"), "wb") as f:
        f.write(to_bytes({f"output_{i}": o.numpy().astype(np.float64) for i, o in enumerate(outs64)}))


def other_paths(module, inputs, outs):
    """PyTorch float32's own spread: the largest difference between its default float32 outputs
    and those of two other float32 paths PyTorch itself offers, on a deep copy (the module is not
    changed): {"channels_last": module and 4-D inputs in torch.channels_last (other convolution
    kernels, other summation orders), "no_mkldnn": torch.backends.mkldnn disabled (PyTorch's
    own non-oneDNN convolutions)}. A path PyTorch refuses for the module is left out. Where these
    differ from the default by as much as another engine does, that engine's difference is
    float32's summation order, not an error."""
    import copy

    def worst(new_outs):
        return max(float((a - b).abs().max()) for a, b in zip(flatten(new_outs), outs))

    paths = {}
    try:
        mcl = copy.deepcopy(module).to(memory_format=torch.channels_last)
        xs = tuple(t.to(memory_format=torch.channels_last) if t.dim() == 4 else t for t in inputs)
        with torch.no_grad():
            paths["channels_last"] = worst(mcl(*xs))
    except Exception as e:  # noqa: BLE001 - a path this module cannot take is reported as absent
        print(f"  channels_last path refused: {e}", flush=True)
    was = torch.backends.mkldnn.enabled
    try:
        torch.backends.mkldnn.enabled = False
        with torch.no_grad():
            paths["no_mkldnn"] = worst(copy.deepcopy(module)(*inputs))
    except Exception as e:  # noqa: BLE001
        print(f"  no-mkldnn path refused: {e}", flush=True)
    finally:
        torch.backends.mkldnn.enabled = was
    return paths


def ref64_only(name, zoo_name, published, shapes, title, **_):
    d = os.path.join(OUT, name)
    info_path = os.path.join(d, "bench.json")
    with open(info_path) as f:
        info = json.load(f)
    module, inputs = build(zoo_name, published, shapes)
    with torch.no_grad():
        outs = flatten(module(*inputs))
    write_ref64(d, module, inputs, outs, info)
    with open(info_path, "w") as f:
        json.dump(info, f, indent=1)
    print(f"{name}: ref64 (PyTorch float32 vs float64 {info['torch_f32_vs_f64']:.1e})", flush=True)


def build(zoo_name, published, shapes):
    entry = BY_NAME[zoo_name]
    module = entry.build(published=published)
    if shapes is None:
        inputs = entry.inputs(0, published=published)
    else:
        g = torch.Generator().manual_seed(100)
        inputs = tuple(torch.randn(*s, generator=g) for s in shapes)
    return module, inputs


def export_one(name, zoo_name, published, shapes, title, force, swiftshader=False):
    d = os.path.join(OUT, name)
    info_path = os.path.join(d, "bench.json")
    if not force and os.path.exists(info_path):
        with open(info_path) as f:
            if json.load(f).get("status") == "ok":
                print(f"{name}: kept", flush=True)
                return
    os.makedirs(d, exist_ok=True)
    module, inputs = build(zoo_name, published, shapes)
    info = {"name": name, "zoo": zoo_name, "published": published, "title": title,
            "shapes": [list(t.shape) for t in inputs],
            "params": sum(p.numel() for p in module.parameters()), "torch": torch.__version__}
    if swiftshader:
        info["swiftshader"] = True
    with torch.no_grad():
        outs = flatten(module(*inputs))
    n_out = len(outs)
    info["input_names"] = [f"input_{i}" for i in range(len(inputs))]
    info["output_names"] = [f"output_{i}" for i in range(n_out)]
    info["output_shapes"] = [list(t.shape) for t in outs]
    write_ref64(d, module, inputs, outs, info)
    status = {}
    t0 = time.time()
    try:
        if name in STATIC:
            raise RuntimeError("a batch of 1 exported with dynamic sizes gets the rule batch >= 2")
        export(module, inputs, os.path.join(d, "tfjs"))
        status["tfjs"] = "ok"
        info["tfjs_exporter"] = "tfjs_torch.export (defaults: dynamic sizes)"
    except Exception as e:  # noqa: BLE001 -- reported in bench.json and the table
        # The bench runs one size: where the dynamic-size export is refused, the example's own
        # sizes (dynamic_shapes=False) are tried, and the refusal is kept in bench.json.
        info["tfjs_dynamic_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
        try:
            export(module, inputs, os.path.join(d, "tfjs"), dynamic_shapes=False)
            status["tfjs"] = "ok"
            info["tfjs_exporter"] = "tfjs_torch.export(dynamic_shapes=False)"
        except Exception as e2:  # noqa: BLE001
            status["tfjs"] = f"{type(e2).__name__}: {str(e2).splitlines()[0][:300]}"
            traceback.print_exc()
    info["tfjs_export_s"] = round(time.time() - t0, 1)
    t0 = time.time()
    onnx_path = os.path.join(d, "model.onnx")
    try:
        torch.onnx.export(module, inputs, onnx_path, opset_version=17, dynamo=False,
                          input_names=info["input_names"], output_names=info["output_names"])
        status["onnx"] = "ok"
        info["onnx_exporter"] = "torch.onnx.export(dynamo=False, opset_version=17)"
    except Exception as e:  # noqa: BLE001
        # The TorchScript exporter refuses some modules (InstanceNorm2d without running stats:
        # "ONNX export of instance_norm training for unknown batch size"); the torch.export-based
        # one (PyTorch 2.9's default) is tried next, weights inside the file.
        info["onnx_legacy_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
        try:
            torch.onnx.export(module, inputs, onnx_path, opset_version=18, dynamo=True,
                              external_data=False, input_names=info["input_names"],
                              output_names=info["output_names"])
            status["onnx"] = "ok"
            info["onnx_exporter"] = "torch.onnx.export(dynamo=True, opset_version=18)"
        except Exception as e2:  # noqa: BLE001
            status["onnx"] = f"{type(e2).__name__}: {str(e2).splitlines()[0][:300]}"
            traceback.print_exc()
    info["onnx_export_s"] = round(time.time() - t0, 1)
    info["exports"] = status
    info["status"] = "ok" if all(v == "ok" for v in status.values()) else "failed"
    with open(info_path, "w") as f:
        json.dump(info, f, indent=1)
    print(f"{name}: {status} ({info['params']} params)", flush=True)


def main(argv):
    force = "--force" in argv
    swiftshader = "--swiftshader" in argv
    only64 = "--ref64-only" in argv
    names = [a for a in argv if a not in ("--force", "--swiftshader", "--ref64-only")]
    known = [m[0] for m in MODELS + SWIFTSHADER_MODELS]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown bench model(s) {unknown}; known: {known}")
    if not only64:
        try:
            import onnx  # noqa: F401
            import onnxscript  # noqa: F401
        except ImportError as e:
            raise SystemExit(f"bench export: torch.onnx.export needs onnx and onnxscript ({e}): "
                             f"{sys.executable} -m pip install onnx onnxscript")
    torch.set_num_threads(1)
    one = ref64_only if only64 else export_one
    for m in MODELS:
        if (not names and not swiftshader) or m[0] in names:
            one(*m, force=force)
    for m in SWIFTSHADER_MODELS:
        if swiftshader or m[0] in names:
            one(*m, force=force, swiftshader=True)


if __name__ == "__main__":
    main(sys.argv[1:])
