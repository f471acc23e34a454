"""Exports published restoration models from their upstream repositories (not pip packages) at two
sizes each, with random weights, to find what the exporter refuses or gets wrong. A manual tool,
like scripts/sweep_published.py: the upstream files are not part of this repository (Restormer's
licence is non-commercial), so they are read from a folder you fill yourself:

  DIR/nafnet_arch.py      megvii-research/NAFNet   basicsr/models/archs/NAFNet_arch.py   (MIT)
  DIR/naf_arch_util.py    megvii-research/NAFNet   basicsr/models/archs/arch_util.py
  DIR/local_arch.py       megvii-research/NAFNet   basicsr/models/archs/local_arch.py
  DIR/restormer_arch.py   swz30/Restormer          basicsr/models/archs/restormer_arch.py (academic)
  DIR/hat_arch.py         XPixelGroup/HAT          hat/archs/hat_arch.py                 (Apache-2.0)
  DIR/network_scunet.py   cszn/SCUNet              models/network_scunet.py              (Apache-2.0)

(commits tried on 2026-12-07: NAFNet 2b4af71e, Restormer df766d55, HAT 1638a9a8, SCUNet 52e440a8),
then

  <torch2 venv>/bin/python scripts/sweep_upstream.py --src DIR [--out out/sweep_upstream] [names...]
  npx tsx scripts/check-export.ts --all-checks out/sweep_upstream/<name>   (TFJS_TORCH_BACKEND=...)

The basicsr / thop imports of those files are stood in for here (registry decorators, a logger);
the model code itself runs unchanged. Needs einops and timm in the venv.
"""
import argparse
import importlib.util
import os
import sys
import types
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

sys.path.insert(0, os.path.join(ROOT, "scripts"))

from sweep_published import sweep  # noqa: E402


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


class _Registry:
    def register(self, *a, **k):
        return (lambda f: f) if not a or not callable(a[0]) else a[0]


def _stand_ins(src):
    for n in ("basicsr", "basicsr.utils", "basicsr.utils.registry", "basicsr.models",
              "basicsr.models.archs", "basicsr.archs", "thop"):
        _module(n)
    sys.modules["basicsr.utils"].get_root_logger = lambda *a, **k: None
    sys.modules["basicsr.utils.registry"].ARCH_REGISTRY = _Registry()
    sys.modules["thop"].profile = None
    from timm.layers import to_2tuple, trunc_normal_
    _module("basicsr.archs.arch_util", to_2tuple=to_2tuple, trunc_normal_=trunc_normal_)
    if os.path.exists(os.path.join(src, "naf_arch_util.py")):
        _load(os.path.join(src, "naf_arch_util.py"), "basicsr.models.archs.arch_util")
        _load(os.path.join(src, "local_arch.py"), "basicsr.models.archs.local_arch")


def models(src):
    def nafnet():
        m = _load(os.path.join(src, "nafnet_arch.py"), "nafnet_arch")
        return m.NAFNet(img_channel=3, width=16, middle_blk_num=1, enc_blk_nums=[1, 1],
                        dec_blk_nums=[1, 1])

    def restormer():
        m = _load(os.path.join(src, "restormer_arch.py"), "restormer_arch")
        return m.Restormer(dim=16, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1,
                           heads=[1, 2, 2, 4])

    def hat():
        m = _load(os.path.join(src, "hat_arch.py"), "hat_arch")
        return m.HAT(img_size=16, embed_dim=32, depths=(2,), num_heads=(2,), window_size=8,
                     compress_ratio=4, squeeze_factor=8, upscale=2, upsampler="pixelshuffle",
                     mlp_ratio=2)

    def scunet():
        m = _load(os.path.join(src, "network_scunet.py"), "network_scunet")
        return m.SCUNet(in_nc=3, config=[1, 1, 1, 1, 1, 1, 1], dim=64)

    return {
        "nafnet": (nafnet, [(1, 3, 32, 32), (1, 3, 48, 64)]),
        "restormer": (restormer, [(1, 3, 32, 32), (1, 3, 48, 64)]),
        "hat": (hat, [(1, 3, 16, 16), (1, 3, 24, 32)]),
        "scunet": (scunet, [(1, 3, 64, 64), (1, 3, 128, 64)]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", required=True, help="folder with the upstream files (see above)")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "sweep_upstream"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    _stand_ins(args.src)
    sweep(models(args.src), args.names, args.out)


if __name__ == "__main__":
    main()
