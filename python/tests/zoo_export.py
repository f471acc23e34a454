"""The zoo's export step (under the torch 2.x venv): exports every entry of zoo/registry.py with
`tfjs_torch.export`'s defaults at its export size, and writes PyTorch's outputs at the two other sizes
beside it, for scripts/test-zoo.mjs to check on every backend.

  <venv python> python/tests/zoo_export.py OUT_DIR [--shard I/N] [names...]

For each entry, OUT_DIR/<name>/ gets
  model.json, weights (and check.safetensors)   what tfjs_torch.export(module, inputs) wrote
  check_1.safetensors, check_2.safetensors      the other two sizes, in the same format as the
                                                exporter's check.safetensors (below)
  zoo.json                                      {name, export: "ok" | "refused" | "trivial reference",
                                                error, sizes, ...}

An entry whose PyTorch outputs are too trivial to check against (constant, all zero, mostly one value,
tiny: reference_problems) is not exported; zoo.json says "trivial reference" and why, and the
zoo fails it.

The other sizes' check files copy the exporter's own check.safetensors: the same tensor names and
metadata, each input and output in the same layout. Where the file stores each tensor's permutation
(metadata "layout": "torch", with "input_perms" / "output_perms": exporter v2), the tensors are
written in PyTorch's layout under the same metadata; otherwise (the older format, tensors stored
in the tfjs model's layout) the permutation of each tensor is recovered from the export-size file by
finding the permutation of PyTorch's tensor that equals the stored one exactly. Recorded intermediate
layers are not written for the other sizes.

The module's outputs at every size are computed before the export, on the module as built; after the
export the module is run again at the export size and its state compared, and zoo.json says whether
the export changed it (issue 20: "the exporter never changes the user's module").
"""
import itertools
import json
import os
import shutil
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from tfjs_torch import export  # noqa: E402
from tfjs_torch._safetensors import from_bytes, to_bytes  # noqa: E402
from zoo.registry import ENTRIES  # noqa: E402


def flatten(out, prefix="output"):
    """PyTorch's return value as a flat list of tensors (tuple / list / dict order), as exported."""
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for v in out.values() for t in flatten(v)]
    if isinstance(out, (tuple, list)):
        return [t for v in out for t in flatten(v)]
    raise TypeError(f"unexpected output type {type(out).__name__}")


def as_stored(t):
    t = t.detach().cpu()
    return t.to(torch.float32).numpy() if t.dtype.is_floating_point else t.to(torch.int32).numpy()


def find_perm(torch_t, stored):
    """The permutation p with torch_t.permute(p) == stored exactly (identity first), or None."""
    t = as_stored(torch_t)
    for p in itertools.permutations(range(t.ndim)):
        if t.transpose(p).shape == stored.shape and (t.transpose(p) == stored).all():
            return list(p)
    return None


def stored_key_names(arrays, kind):
    return sorted((k for k in arrays if k.startswith(kind + "_")), key=lambda k: int(k.split("_")[1]))


def write_other_checks(out_dir, inputs_by_size, outputs_by_size):
    """check_<i>.safetensors for sizes 1.. from the exporter's check.safetensors (size 0)."""
    path = os.path.join(out_dir, "check.safetensors")
    with open(path, "rb") as f:
        arrays, metadata = from_bytes(f.read())
    in_keys = stored_key_names(arrays, "input")
    out_keys = stored_key_names(arrays, "output")
    if len(in_keys) != len(inputs_by_size[0]) or len(out_keys) != len(outputs_by_size[0]):
        raise RuntimeError(f"check.safetensors has {len(in_keys)} inputs and {len(out_keys)} outputs; "
                           f"the module takes {len(inputs_by_size[0])} and returns {len(outputs_by_size[0])}")
    torch_layout = metadata.get("layout") == "torch"
    perms = {}
    for kind, keys, values in (("input", in_keys, inputs_by_size[0]), ("output", out_keys, outputs_by_size[0])):
        for k, v in zip(keys, values):
            if torch_layout:
                perms[k] = None  # stored in PyTorch's layout; the permutations are in the metadata
                if list(arrays[k].shape) != list(v.shape):
                    raise RuntimeError(f"{k}: stored shape {list(arrays[k].shape)}, PyTorch's {list(v.shape)}")
                continue
            p = find_perm(v, arrays[k])
            if p is None:
                raise RuntimeError(f"{k} of check.safetensors is no permutation of PyTorch's "
                                   f"{list(v.shape)} tensor (stored {list(arrays[k].shape)})")
            perms[k] = p
    meta = dict(metadata)
    meta["layers"] = "[]"
    written = []
    for i in range(1, len(inputs_by_size)):
        new = {}
        for kind, keys, values in (("input", in_keys, inputs_by_size[i]), ("output", out_keys, outputs_by_size[i])):
            for k, v in zip(keys, values):
                a = as_stored(v)
                new[k] = a if perms[k] is None else a.transpose(perms[k])
        p = os.path.join(out_dir, f"check_{i}.safetensors")
        with open(p, "wb") as f:
            f.write(to_bytes(new, meta))
        written.append(os.path.basename(p))
    return written, {k: p for k, p in perms.items()}


# A check against a trivial reference cannot fail: the tolerance is |ours - torch| <= 1e-4 + 1e-4 |torch|,
# so an output that is constant, all zero or nearly so (a final ReLU that the seeded weights kill
# everywhere: MiDaS's depth head once), saturated (a final sigmoid / tanh at its limit) or tiny passes
# whatever a wrong layer does to it. Every output of every entry at every size must clear these floors
# before the export runs; an entry that does not is reported as "trivial reference" and fails the zoo.
#  - finite everywhere;
#  - max |v| >= MIN_MAX_ABS = 1e-2: 100 times the tolerance's absolute term, so that the absolute term
#    is at most 1% of the largest values (at 1e-3, the floor suggested for this guard, it is 10%);
#  - std >= MIN_STD = 1e-3: the variation a wrong mapping would disturb at least 10 times the
#    absolute tolerance;
#  - at most MAX_ONE_VALUE = 90% of the elements within ONE_VALUE_ATOL = 1e-3 of one value (the
#    median: exact zeros of a dead ReLU, a constant, one saturated limit) or of +-max |v| (a tanh
#    saturated at both limits).
MIN_MAX_ABS = 1e-2
MIN_STD = 1e-3
MAX_ONE_VALUE = 0.9
ONE_VALUE_ATOL = 1e-3


def reference_problems(outputs_by_size):
    """Why PyTorch's outputs are too trivial to check against, one line each (none: fine)."""
    problems = []
    for i, outs in enumerate(outputs_by_size):
        for k, o in enumerate(outs):
            where = f"output {k} at size {i} {list(o.shape)}"
            if not o.dtype.is_floating_point:
                continue
            o = o.detach().double().flatten()
            if o.numel() == 0:
                problems.append(f"{where} is empty")
                continue
            if not torch.isfinite(o).all():
                problems.append(f"{where} has non-finite values")
                continue
            top = o.abs().max().item()
            std = o.std().item() if o.numel() > 1 else 0.0
            near_median = ((o - o.median()).abs() <= ONE_VALUE_ATOL).double().mean().item()
            near_limits = ((o.abs() - top).abs() <= ONE_VALUE_ATOL).double().mean().item()
            zeros = (o == 0).double().mean().item()
            stats = f"(max |v| {top:.3g}, std {std:.3g}, exact zeros {zeros:.1%})"
            if top < MIN_MAX_ABS:
                problems.append(f"{where}: max |v| {top:.3g} < {MIN_MAX_ABS:g} {stats}")
            elif o.numel() > 1 and std < MIN_STD:
                problems.append(f"{where}: std {std:.3g} < {MIN_STD:g} {stats}")
            elif o.numel() >= 10 and max(near_median, near_limits) > MAX_ONE_VALUE:
                what = "its median" if near_median >= near_limits else "+-max |v|"
                problems.append(f"{where}: {max(near_median, near_limits):.1%} of it within {ONE_VALUE_ATOL:g} "
                                f"of {what} {stats}")
    return problems


def state_of(m):
    """Parameters, buffers and plain tensor attributes (EDSR's self.mean is one) of every submodule."""
    state = {k: v.detach().clone() for k, v in m.state_dict().items()}
    for name, sub in m.named_modules():
        for k, v in vars(sub).items():
            if isinstance(v, torch.Tensor):
                state[f"{name}.{k} (attribute)"] = v.detach().clone()
            elif k[:1] != "_" and v is not None and type(v).__module__.startswith("torch.fx"):
                state[f"{name}.{k} (attribute)"] = f"a {type(v).__name__}"
    return state


def run_entry(e, root):
    out_dir = os.path.join(root, e.name)
    shutil.rmtree(out_dir, ignore_errors=True)
    info = {"name": e.name, "task": e.task, "source": e.source, "covers": e.covers,
            "sizes": [[list(s) for s in e.sizes[i]] for i in range(3)], "size_rule": e.size_rule}
    m = e.build(published=False)
    info["params"] = sum(p.numel() for p in m.parameters())
    inputs = [e.inputs(i) for i in range(3)]
    with torch.no_grad():
        outputs = [flatten(m(*xs)) for xs in inputs]
    info["output_shapes"] = [[list(o.shape) for o in outs] for outs in outputs]
    problems = reference_problems(outputs)
    if problems:  # the check would prove nothing: fail the entry, naming it, before exporting
        info["export"] = "trivial reference"
        info["error_type"] = "ZooTrivialReference"
        info["error"] = (f"zoo entry {e.name}: PyTorch's output is too trivial for a check to fail (see its "
                         f"seeded initialisation in zoo/registry.py): " + "; ".join(problems))
        info["export_s"] = 0.0
        info["module_changed_by_export"] = []
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "zoo.json"), "w") as f:
            json.dump(info, f, indent=1)
        return info
    before = state_of(m)
    flags_before = {n: s.training for n, s in m.named_modules()}
    t0 = time.time()
    try:
        export(m, inputs[0] if len(inputs[0]) > 1 else inputs[0][0], out_dir)
        info["export"] = "ok"
    except Exception as ex:  # the failure is the finding: record it whole
        info["export"] = "refused"
        info["error_type"] = f"{type(ex).__module__}.{type(ex).__name__}"
        info["error"] = str(ex)
        info["traceback_tail"] = traceback.format_exc().splitlines()[-6:]
    info["export_s"] = round(time.time() - t0, 2)
    # Did the export change the module? Its state, its training flags, its output at the export size.
    changed = []
    after = state_of(m)
    if set(after) != set(before):
        changed.append("state_dict keys")
    else:
        changed += [k for k in before if type(before[k]) is not type(after[k]) or (
            isinstance(before[k], torch.Tensor) and not torch.equal(before[k], after[k]))]
    changed += [f"training flag of {n or '<root>'}" for n, s in m.named_modules() if flags_before.get(n) != s.training]
    try:
        with torch.no_grad():
            again = flatten(m(*inputs[0]))
        if len(again) != len(outputs[0]) or not all(
                isinstance(a, torch.Tensor) and torch.equal(a, b) for a, b in zip(again, outputs[0])):
            changed.append("forward's output at the export size")
    except Exception as ex:
        changed.append(f"forward fails after export: {type(ex).__name__}: {str(ex)[:200]}")
    info["module_changed_by_export"] = changed
    os.makedirs(out_dir, exist_ok=True)
    if info["export"] == "ok":
        try:
            info["checks"], perms = write_other_checks(out_dir, inputs, outputs)
            info["permutations"] = perms
        except Exception as ex:
            info["export"] = "ok"
            info["check_error"] = f"{type(ex).__name__}: {ex}"
    with open(os.path.join(out_dir, "zoo.json"), "w") as f:
        json.dump(info, f, indent=1)
    return info


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    root = argv[0]
    shard = None
    names = []
    rest = argv[1:]
    while rest:
        a = rest.pop(0)
        if a == "--shard":
            i, n = rest.pop(0).split("/")
            shard = (int(i), int(n))
        else:
            names.append(a)
    entries = [e for e in ENTRIES if not names or e.name in names]
    unknown = set(names) - {e.name for e in ENTRIES}
    if unknown:
        print(f"unknown zoo entries: {sorted(unknown)}")
        return 2
    if shard is not None:
        entries = [e for k, e in enumerate(entries) if k % shard[1] == shard[0]]
    os.makedirs(root, exist_ok=True)
    for e in entries:
        try:
            info = run_entry(e, root)
        except Exception as ex:  # the zoo entry itself could not be built or run eagerly
            info = {"name": e.name, "export": "not built", "error_type": type(ex).__name__, "error": str(ex),
                    "export_s": 0.0, "module_changed_by_export": [],
                    "sizes": [[list(s) for s in e.sizes[i]] for i in range(3)],
                    "traceback_tail": traceback.format_exc().splitlines()[-6:]}
            os.makedirs(os.path.join(root, e.name), exist_ok=True)
            with open(os.path.join(root, e.name, "zoo.json"), "w") as f:
                json.dump(info, f, indent=1)
        line = f"{e.name:18s} export {info['export']:8s} {info['export_s']:6.1f}s"
        if info["export"] != "ok":
            line += f"  {info['error_type']}: {info['error'].splitlines()[0][:160] if info['error'] else ''}"
        if info.get("check_error"):
            line += f"  (other sizes not written: {info['check_error'][:160]})"
        if info["module_changed_by_export"]:
            line += f"  MODULE CHANGED: {', '.join(info['module_changed_by_export'])[:200]}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
