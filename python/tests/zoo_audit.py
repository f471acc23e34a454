"""Audits the zoo's references (under the torch 2.x venv; not part of `npm test`): can the zoo's check,
|ours - torch| <= 1e-4 + 1e-4 |torch| per element, fail for each entry, and does float32 itself pass it?

  <venv python> python/tests/zoo_audit.py [--layers] [names...]

For every output of every entry at its three sizes it prints max |v|, std, the fraction of exact zeros,
the number of distinct values, zoo_export.reference_problems' verdict, and `f32/tol`: the largest
|PyTorch float32 - PyTorch float64| in units of the element's tolerance (well under 1, or the reference
sits at float32's noise and a correct backend can fail it).

--layers also replaces each parameter in turn by a plausible wrong mapping (reversed along its input
axis; a vector reversed; one left equal by that scaled by 1.5) and prints, per entry, the parameters
whose change moves the output by less than one tolerance at the export size: a bug there could not fail
the check. Some are structural and expected: a module upstream never calls (MiDaS's
refinenet4.resConfUnit1), a per-channel constant removed by a following per-channel norm (VQGAN's
GroupNorm(32) on 32 channels), an attention key bias (softmax is shift-invariant), a mask output the
forward drops (SAM's first hypernetwork MLP), ECBSR's 1x1 branch biases under zero-sum masks.
"""
import copy
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE)))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from zoo.registry import ENTRIES  # noqa: E402
from zoo_export import flatten, reference_problems  # noqa: E402


def tolerance(ref):
    return 1e-4 + 1e-4 * ref.abs()


def audit_outputs(e):
    m = e.build(False)
    md = copy.deepcopy(m).double()
    outs = []
    for i in range(3):
        xs = e.inputs(i)
        with torch.no_grad():
            a = flatten(m(*xs))
            b = flatten(md(*[x.double() if x.dtype.is_floating_point else x for x in xs]))
        outs.append(a)
        for k, (o, r) in enumerate(zip(a, b)):
            o64 = o.double()
            f32 = ((o64 - r).abs() / tolerance(r)).max().item()
            print(f"{e.name:18s} size {i} output {k} {str(list(o.shape)):18s} max|v| {o64.abs().max().item():8.3g} "
                  f"std {o64.std().item():8.3g} zeros {(o64 == 0).double().mean().item():6.1%} "
                  f"distinct {torch.unique(o).numel():6d} f32/tol {f32:5.2f}", flush=True)
    problems = reference_problems(outs)
    print(f"{e.name:18s} reference: {'ok' if not problems else 'TRIVIAL: ' + '; '.join(problems)}", flush=True)
    return m


def audit_layers(e, m):
    xs = e.inputs(0)
    with torch.no_grad():
        ref = flatten(m(*xs))
    tol = [tolerance(r) for r in ref]
    rows = []
    for name, p in m.named_parameters():
        if p.numel() < 2:
            continue
        saved = p.detach().clone()
        with torch.no_grad():
            p.copy_(saved.flip(1) if p.ndim >= 2 else saved.flip(0))
            if torch.equal(p, saved):
                p.mul_(1.5)
            out = flatten(m(*xs))
            p.copy_(saved)
        rows.append((max(((o - r).abs() / t).max().item() for o, r, t in zip(out, ref, tol)), name))
    rows.sort()
    hidden = [r for r in rows if r[0] < 1]
    print(f"{e.name:18s} layers: {len(rows)} parameters, {len(hidden)} whose wrong mapping stays under the "
          f"tolerance" + "".join(f"\n    {n}: {r:.3g} of the tolerance" for r, n in hidden), flush=True)


def main(argv):
    layers = "--layers" in argv
    names = [a for a in argv if not a.startswith("--")]
    unknown = set(names) - {e.name for e in ENTRIES}
    if unknown:
        print(f"unknown zoo entries: {sorted(unknown)}")
        return 2
    torch.set_num_threads(1)
    for e in ENTRIES:
        if names and e.name not in names:
            continue
        m = audit_outputs(e)
        if layers:
            audit_layers(e, m)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
