"""tfjs_torch.export: capture a module with torch.export, map each ATen node through the op
registry (ops/), and write a tf.LayersModel whose sizes are free where PyTorch's are.

Steps: check the arguments (before any work) -> copy the module and capture the copy
(_capture.py) -> run the captured graph once on the example inputs (every node's value: the check
file's outputs, the layout bookkeeping's shapes) -> build the layers node by node (one pass,
linear in the node count) -> write everything into a temporary folder beside out_dir and move it
into place whole.
"""
import json
import math
import operator
import os
import shutil
import tempfile
import warnings

import torch
import torch.fx
from torch.export.graph_signature import InputKind, OutputKind

from . import ops
from .ops import codebook
from ._builder import Builder, Ref, identity
from ._capture import capture, check_inputs, check_torch, copy_module, default_dynamic_shapes, \
    enlarged_dims, fix_dims, fixed_by, grow, unwrap
from ._context import CONSTANT, Context, sym_shape_of, where
from ._errors import ExportError, FixedSizeWarning
from ._guards import MAX_RULES, bind_rule, complexity, holds, parse_guard, pretty
from ._safetensors import to_bytes
from ._shape import MAX_NODES, SymDim, count_nodes
from .ops._common import is_batch

_OURS = ("model.json", "check.safetensors")


def _is_ours(name):
    return name in _OURS or (name.startswith("weights") and name.endswith(".bin")) or (
        name.startswith("check") and name.endswith(".safetensors"))


def check_out_dir(out_dir):
    if out_dir is None or not isinstance(out_dir, (str, os.PathLike)) or str(out_dir) == "":
        raise ExportError(f"export: out_dir must be a folder path, got {out_dir!r}")
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ExportError(f"export: out_dir {out_dir!r} is a file; give a folder (new or one an "
                          f"earlier export wrote)")
    parent = os.path.dirname(out_dir)
    p = parent
    while p and not os.path.exists(p):
        p = os.path.dirname(p)
    if p and not os.path.isdir(p):
        raise ExportError(f"export: out_dir {out_dir!r} is under {p!r}, which is a file")
    if os.path.isdir(out_dir):
        others = [n for n in os.listdir(out_dir) if not _is_ours(n)]
        if others:
            raise ExportError(f"export: out_dir {out_dir!r} holds other files ({', '.join(sorted(others)[:5])}"
                              f"); the export replaces the whole folder: give a new or empty one")
    return out_dir


def _check_custom(custom):
    if custom is None:
        return {}
    if not isinstance(custom, dict):
        raise ExportError(f"export: custom must be a dict {{ATen op: handler(ctx, args)}}, got "
                          f"{type(custom).__name__}")
    try:
        items = list(custom.items())
    except Exception as e:  # noqa: BLE001 (a dict subclass whose items() raises)
        raise ExportError(f"export: custom could not be read ({type(e).__name__}: {e}); give a "
                          f"plain dict {{ATen op: handler(ctx, args)}}") from e
    for k, fn in items:
        if isinstance(k, type):
            raise ExportError(f"export: custom maps ATen ops (torch.ops.aten.<op>.<overload>) to "
                              f"handlers since tfjs_torch 0.2 (torch.export sees no module "
                              f"boundaries); got the class {k.__name__}. See ops/__init__.py")
        if not isinstance(k, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
            raise ExportError(f"export: custom's key {k!r} is not an ATen op")
        if not callable(fn):
            raise ExportError(f"export: custom's handler for {k} is not callable")
    return dict(items)


def _flatten_names(structure, prefix="output"):
    if isinstance(structure, (tuple, list)):
        items = []
        for i, o in enumerate(structure):
            items += _flatten_names(o, f"{prefix}_{i}")
        return items
    if isinstance(structure, dict):
        items = []
        for k, o in structure.items():
            items += _flatten_names(o, str(k))
        return items
    return [(prefix, structure)]


def _output_names(ep, n):
    try:
        import torch.utils._pytree as pytree
        structure = pytree.tree_unflatten(list(range(n)), ep.call_spec.out_spec)
    except Exception:  # noqa: BLE001
        return [f"output_{i}" for i in range(n)] if n > 1 else ["output"]
    names = [name for name, _ in sorted(_flatten_names(structure), key=lambda t: t[1])]
    if n == 1 and names == ["output"]:
        return names
    return names


class _Recorder(torch.fx.Interpreter):
    def __init__(self, gm):
        super().__init__(gm)
        self.values = {}

    def run_node(self, n):
        out = super().run_node(n)
        self.values[n] = torch.fx.node.map_aggregate(
            out, lambda v: v.detach().clone() if isinstance(v, torch.Tensor) else v)
        return out


def _run_graph(ep, user_inputs):
    """Every node's value with these inputs, and the placeholders' constants."""
    gm = ep.graph_module
    state = ep.state_dict
    consts = getattr(ep, "constants", {}) or {}
    args = []
    user = list(user_inputs)
    for spec in ep.graph_signature.input_specs:
        if spec.kind == InputKind.USER_INPUT:
            if not user:
                raise ExportError("export: the captured program takes more inputs than were given")
            args.append(user.pop(0))
        elif spec.kind in (InputKind.PARAMETER, InputKind.BUFFER):
            t = state.get(spec.target)
            if t is None:
                t = consts.get(spec.target)
            args.append(t)
        elif spec.kind in (InputKind.CONSTANT_TENSOR, getattr(InputKind, "CUSTOM_OBJ", None)):
            args.append(consts.get(spec.target))
        else:
            args.append(None)
    rec = _Recorder(gm)
    with torch.no_grad():
        rec.run(*args)
    return rec.values


def _about_sizes(e):
    """Whether a capture failure is about sizes (worth another try with some fixed)."""
    low = str(e).lower()
    if "data-dependent" in low or "control flow" in low:
        return False
    return any(k in low for k in ("size of tensor", "must match", "shape", "constraint",
                                  "specializ", "guard", "dim"))


def _baked_batches(ep, inputs, fixed):
    """The inputs whose batch the default spec left free but torch.export fixed (Note [a batch
    torch.export fixed])."""
    ph = [n for n, sp in zip([n for n in ep.graph.nodes if n.op == "placeholder"],
                             ep.graph_signature.input_specs) if sp.kind == InputKind.USER_INPUT]
    out = []
    for i, n in enumerate(ph[:len(inputs)]):
        val = n.meta.get("val")
        if (i, 0) in fixed or val is None or val.dim() == 0:
            continue
        b = val.shape[0]
        if not isinstance(b, torch.SymInt) or not b.node.expr.free_symbols:
            out.append(i)
    return out


def _pinned_dims(ep, spec, fixed, n):
    """[(input, dim)] of the spatial dims the default spec left free (not fixed on purpose) that
    the capture fixed all the same (Note [a size torch.export fixed])."""
    if spec is None:
        return []
    ph = [nd for nd, sp in zip([nd for nd in ep.graph.nodes if nd.op == "placeholder"],
                               ep.graph_signature.input_specs) if sp.kind == InputKind.USER_INPUT]
    out = []
    for i, nd in enumerate(ph[:n]):
        val = nd.meta.get("val")
        dims = spec[i] if i < len(spec) and isinstance(spec[i], dict) else {}
        pinned = []
        for d in sorted(dims):
            if d == 0 or (i, d) in fixed or val is None or d >= val.dim():
                continue
            s = val.shape[d]
            if not isinstance(s, torch.SymInt) or not s.node.expr.free_symbols:
                pinned.append((i, d))
        if val is not None and val.dim() == 3 and len(pinned) == 1:
            # A rank-3 input frees dims 1 and 2 ([N, T, C] and [N, C, L]); the one that meets
            # a weight is fixed by design (default_dynamic_shapes), not by a branch.
            pinned = []
        out += pinned
    return out


def _json_numbers(v):
    """Note [non-finite numbers in model.json] (src/layers/common.ts): JSON has no Infinity or
    NaN (json.dumps would write -Infinity, which JSON.parse refuses); a non-finite float in a
    layer's config (masked_fill with float('-inf'), say) is written as the string 'inf', '-inf' or
    'nan', which the layers that take such values read back."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _json_numbers(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_numbers(x) for x in v]
    return v


def _guard_pinned(ep, spec, fixed, shapes):
    """Note [a size a guard pins]
    {(input, dim): guard text} of the spatial dims the default spec left free that the capture
    kept symbolic but a guard holds to a few sizes: Python on a size computed from the input's
    (MobileViT's `int(math.ceil(h / 2) * 2)` on a feature map's height after strided
    convolutions) makes torch.export specialize that computed size and keep the input's dim free
    under a guard such as `1 + (h - 1) // 2 == 8`, which it cannot solve for h. The graph then holds
    the computed size as a constant: the tfjs model had a free input dim and a constant inside,
    and would not even load (tfjs-layers' Concatenate refused [null, null, 48] beside [8, 8, 48]).
    Such a dim is treated as the capture fixing it (Note [a size torch.export fixed]): captures at
    2x and 3x are tried, else the dim is fixed at the example's size with a FixedSizeWarning. A
    guard counts when it reads that one dim only, holds at the example's size (shapes, PyTorch's
    layout) and fails at both 2x and 3x that size: a divisibility rule (`h % 8 == 0`) or a bound
    holds at multiples and stays a rule."""
    if spec is None:
        return {}
    ph = [nd for nd, sp in zip([nd for nd in ep.graph.nodes if nd.op == "placeholder"],
                               ep.graph_signature.input_specs) if sp.kind == InputKind.USER_INPUT]
    names = [nd.name for nd in ph]
    out = {}
    for text in getattr(ep, "_guards_code", None) or []:
        parsed = parse_guard(text, names)
        if parsed is None:
            continue
        rule, used = parsed
        if len(set(used)) != 1:
            continue
        ((i, d),) = set(used)
        dims = spec[i] if i < len(spec) and isinstance(spec[i], dict) else {}
        if d == 0 or d not in dims or (i, d) in fixed or (i, d) in out or i >= len(shapes):
            continue
        if not holds(rule, shapes):
            continue

        def at(k):
            grown = [list(sh) for sh in shapes]
            grown[i][d] *= k
            return grown
        if not holds(rule, at(2)) and not holds(rule, at(3)):
            out[(i, d)] = pretty(text, names)
    return out


def _batch_attempts(inputs, spec):
    """Note [inputs shared across the batch]: the sets of inputs whose batch the default capture
    fixes at its example size, tried in turn until torch.export captures the model: none (every
    batch free); where the examples' batches differ, the inputs with a smaller batch; then the
    first input, the first two, ... (a model whose leading inputs are shared by every sample of
    the others: SAM's image embeddings, batch 1, repeated for N prompts)."""
    yield []
    if spec is None or len(inputs) < 2:
        return
    tried = set()
    batches = [x.shape[0] for x in inputs]
    if len(set(batches)) > 1:
        small = [(i, 0) for i, n in enumerate(batches) if n < max(batches)]
        tried.add(tuple(small))
        yield small
    for k in range(1, len(inputs)):
        prefix = tuple((i, 0) for i in range(k))
        if prefix not in tried:
            yield list(prefix)


def _same_as_module(ep, target, inputs):
    """The captured graph's outputs at these inputs equal the module's own (run on a fresh copy)."""
    import torch.utils._pytree as pytree
    try:
        values = _run_graph(ep, [x.clone() for x in inputs])
        with torch.no_grad():
            want = pytree.tree_flatten(copy_module(target)(*[x.clone() for x in inputs]))[0]
    except Exception:  # noqa: BLE001 (the graph or the module fails at these sizes)
        return False
    out_node = [n for n in ep.graph.nodes if n.op == "output"][0]
    got = [values.get(o) if isinstance(o, torch.fx.Node) else o for o in _user_outputs(ep, out_node)]
    want = [w for w in want if isinstance(w, torch.Tensor)]
    got = [g for g in got if isinstance(g, torch.Tensor)]
    return len(got) == len(want) and all(
        same_numbers(g, w.float()) for g, w in zip(got, want))


def same_numbers(got, want):
    """Note [same numbers up to rounding]: whether two runs of one computation agree, up to the
    rounding a float32 network accumulates. Which shapes a run sees changes how PyTorch sums (a
    convolution over a batch of 2 is not a batch of 1 twice: the SD VAE decoder at its released
    widths differs by 1.5e-5 where its outputs reach 2.4), so an element's error is measured
    against the whole output's scale (1e-4 of its largest magnitude, plus 1e-5), not its own
    value; a graph that is wrong at those sizes (broadcasting a dim of 1, a dim read as a
    constant) is off by the values' own scale."""
    if got.shape != want.shape:
        return False
    g, w = got.double(), want.double()
    nan = torch.isnan(g) | torch.isnan(w)
    if not torch.equal(torch.isnan(g), torch.isnan(w)):
        return False
    g, w = g[~nan], w[~nan]
    if g.numel() == 0:
        return True
    inf = torch.isinf(g) | torch.isinf(w)
    if not torch.equal(g[inf], w[inf]):
        return False
    g, w = g[~inf], w[~inf]
    if g.numel() == 0:
        return True
    return bool((g - w).abs().max() <= 1e-5 + 1e-4 * w.abs().max())


def _is_tensorish(val):
    if isinstance(val, torch.Tensor):
        return True
    if isinstance(val, (tuple, list)):
        return any(_is_tensorish(v) for v in val)
    return False


def _has_sym(val):
    if isinstance(val, torch.Tensor):
        return any(isinstance(s, torch.SymInt) and not s.node.expr.is_Integer for s in val.shape)
    if isinstance(val, (tuple, list)):
        return any(_has_sym(v) for v in val)
    return False


def _user_outputs(ep, out_node):
    outs = list(out_node.args[0])
    specs = ep.graph_signature.output_specs
    return [o for o, s in zip(outs, specs) if s.kind == OutputKind.USER_OUTPUT]


def _constraints(ep, names, input_refs, example_shapes, relax_batch, relax_dims=None):
    """[(input index, rule config list)] for the TorchShapeCheck layers (Note [input
    constraints] in _guards.py)."""
    rules = []   # (parsed rule, text)
    # Ranges of the symbols that are input dims.
    sym_dims = {}
    for i, ref in enumerate(input_refs):
        for d, s in enumerate(ref.sym or []):
            if isinstance(s, SymDim) and s.expr.is_Symbol and s.expr not in sym_dims:
                sym_dims[s.expr] = (i, d)
    for sym, vr in (ep.range_constraints or {}).items():
        if sym not in sym_dims:
            continue
        i, d = sym_dims[sym]
        lo = int(vr.lower) if getattr(vr.lower, "is_Integer", False) else None
        hi = int(vr.upper) if getattr(vr.upper, "is_Integer", False) else None
        if d == 0 and relax_batch.get(i) or (relax_dims or {}).get((i, d)):
            lo = 1
        # A range that leaves out the user's own example comes from a capture at a multiple of
        # it (Note [a size torch.export fixed]: MobileViTV2 at 64 x 64 has a 1 x 1 last stage,
        # which torch.export bounds at W <= 96, and the capture at 128 then says W >= 97); that
        # capture's graph was checked at the example's size, so the range is widened to it.
        ex = example_shapes[i][d]
        if lo is not None and lo > ex:
            lo = ex
        if hi is not None and hi < ex:
            hi = ex
        if lo is not None and lo > 1:
            rules.append((["ge", ["tdim", i, d], lo], f"{names[i]}.shape[{d}] >= {lo}"))
        if hi is not None:
            rules.append((["le", ["tdim", i, d], hi], f"{names[i]}.shape[{d}] <= {hi}"))
    for text in getattr(ep, "_guards_code", None) or []:
        parsed = parse_guard(text, names)
        if parsed is None:
            continue
        rule, used = parsed
        # A guard that the user's own example breaks only says what the capture's example had
        # (a batch of 2 for a batch of 1 checked to give the same numbers): not a rule.
        if not holds(rule, example_shapes) or (relax_batch and not holds(
                rule, [[1] + s[1:] for s in example_shapes])):
            continue
        text = pretty(text, names)
        if len(text) > 300:
            text = text[:297] + "..."
        if len(used) > 16:
            continue
        if count_nodes(rule) > MAX_NODES:
            # The loader refuses a longer one (src/layers/shape_expr.ts): refused here, not
            # written into a model.json that would not load.
            raise ExportError(f"export: the size rule {text!r} has {count_nodes(rule)} nodes, more "
                              f"than the {MAX_NODES} a tfjs model may hold; fix the sizes it reads "
                              f"with dynamic_shapes (or dynamic_shapes=False)")
        rules.append((rule, text))
    seen = set()
    uniq = []
    for rule, text in sorted(rules, key=lambda r: complexity(r[0])):
        key = json.dumps(rule)
        if key in seen:
            continue
        seen.add(key)
        uniq.append((rule, text))
    return uniq[:MAX_RULES]


def _is_hard(rule):
    """A rule the first pass of probes never drops: a dim's range from torch.export's range
    constraints, or an equality (a divisibility the graph's views need; Note [an equality a
    probe drops] for the second pass)."""
    return _is_range(rule) or rule[0] == "eq"


MAX_PROBE_STEPS = 256
MAX_PROBES = 4    # per free dim and direction


def _is_range(rule):
    """A dim's range from torch.export's range constraints."""
    return rule[0] in ("ge", "le") and isinstance(rule[1], list) and rule[1][0] == "tdim" and \
        isinstance(rule[2], int)


def _relax_by_probes(ep, target, inputs, input_refs, rules, equalities=False):
    """Note [guards that a probe drops]: torch.export records a guard wherever PyTorch's own code
    asked a question about a size while capturing: is this view contiguous, may these dims be
    merged, is this dim 1 (broadcasting), ... A graph traced where a size derived from H is 2
    holds guards such as `(H // 32) != 1` that break at H = 32 although the captured ops compute
    the same thing there (SegFormer's last stage). For each free spatial dim, the nearest size
    that keeps every range and equality rule but breaks some other rule is a probe: the captured
    graph and a fresh copy of the module are run there (as for a batch of 1, Note [a dim of 1]),
    and where they agree the rules the probe breaks are dropped. Where they differ (or either
    fails) the rules stay and the model refuses those sizes with the rule's text.

    Note [an equality a probe drops]: equalities over one input's dims (and `and`s of them) are
    probed in a second pass (equalities=True), after every other rule has had its probes; every
    other rule left must still hold at a probe size (so a probe never makes a dim empty, and an
    equality between two inputs' dims, which a probe at a broadcastable 1 would pass, stays), and
    there is no probe of every dim at once. Most equalities are a
    divisibility the graph's views need (a probe there fails and the rule stays), but PyTorch
    also asks whether a crop is a no-op: NAFNet pads to a multiple of 16 and crops back with
    x[:, :, :H, :W], and at an example that is a multiple already the padded size equals H, so
    torch.export records `H + (16 - H % 16) % 16 == H` and friends although the graph crops at
    any size. The second pass drops those where the graph and the module agree."""
    if equalities:
        soft = [(r, t) for r, t in rules if _equality_of_one_input(r)]
        hard = [r for r, t in rules if (r, t) not in soft]
    else:
        hard = [r for r, _ in rules if _is_hard(r)]
        soft = [(r, t) for r, t in rules if not _is_hard(r)]
    if not soft:
        return rules
    shapes = [list(x.shape) for x in inputs]
    free = [(i, d) for i, ref in enumerate(input_refs) for d, s in enumerate(ref.sym or [])
            if d >= 1 and isinstance(s, SymDim)]

    def broken(sh):
        if not all(holds(r, sh) for r in hard):
            return None
        return [k for k, (r, _) in enumerate(soft) if not holds(r, sh)]

    dropped = set()
    g = torch.Generator().manual_seed(0)

    def probe(sh):
        """Drops the rules sh breaks where graph and module agree there; False where not."""
        b = set(broken(sh) or []) - dropped
        if not b:
            return True
        xs = [torch.randn(*s_, generator=g) for s_ in sh]
        if _same_as_module(ep, target, xs):
            dropped.update(b)
            return True
        return False

    for i, d in free:
        e = shapes[i][d]
        for order in (range(e - 1, 0, -1), range(e + 1, 2 * e + 2)):
            tried = 0
            for v in list(order)[:MAX_PROBE_STEPS]:
                sh = [list(s_) for s_ in shapes]
                sh[i][d] = v
                if not set(broken(sh) or []) - dropped:
                    continue
                tried += 1
                if not probe(sh) or tried >= MAX_PROBES:
                    break
    # Every free dim at the smallest size each was probed to, at once.
    small = [list(s_) for s_ in shapes]
    for i, d in free:
        for v in range(1, shapes[i][d]):
            sh = [list(s_) for s_ in shapes]
            sh[i][d] = v
            if broken(sh) is not None:
                small[i][d] = v
                break
    if small != shapes and not equalities:
        probe(small)
    return [rt for rt in rules if not (rt in soft and soft.index(rt) in dropped)]


def _equality_of_one_input(rule):
    """An equality, or an `and` of equalities, over the dims of one input."""
    def eqs(r):
        return r[0] == "eq" or (r[0] == "and" and all(isinstance(q, list) and eqs(q) for q in r[1:]))
    return eqs(rule) and len({i for i, _ in _used_inputs(rule, [])}) == 1


def _used_inputs(rule, acc):
    if isinstance(rule, list):
        if rule[0] == "tdim":
            if (rule[1], rule[2]) not in acc:
                acc.append((rule[1], rule[2]))
            return acc
        for r in rule[1:]:
            _used_inputs(r, acc)
    return acc


def convert(module, example_inputs, data_format="channelsLast", custom=None, dynamic_shapes=None):
    """Builds the tfjs model in memory: a dict with builder, input_refs, output_refs, names,
    inputs, outputs (PyTorch's, in PyTorch's layout). Raises ExportError before anything is
    written."""
    check_torch()
    if data_format not in ("channelsLast", "channelsFirst"):
        raise ExportError(f"export: data_format must be 'channelsLast' or 'channelsFirst', got "
                          f"{data_format!r}")
    custom = _check_custom(custom)
    if dynamic_shapes not in (None, False) and not isinstance(dynamic_shapes, (dict, tuple, list)):
        raise ExportError(f"export: dynamic_shapes must be None (free sizes), False (fixed) or a "
                          f"torch.export spec (dict / tuple), got {type(dynamic_shapes).__name__}")
    target = unwrap(module)
    inputs = check_inputs(example_inputs)
    model_name = type(target).__name__ if not isinstance(target, torch.export.ExportedProgram) \
        else "ExportedProgram"
    if isinstance(target, torch.export.ExportedProgram):
        copy = target
    else:
        copy = copy_module(target)
    spec = default_dynamic_shapes(inputs) if dynamic_shapes is None else None
    # Note [a dim of 1]: a free spatial dim whose example is 1 is captured at 2 and the graph is
    # checked at the user's own sizes against the module (a second copy, run once); where the
    # capture fails or the numbers differ, those dims are fixed at 1 and the module captured again.
    grown = enlarged_dims(inputs, spec) if spec is not None else []
    ep, fixed, first_error = None, (), None
    for fixed_batch in _batch_attempts(inputs, spec):
        for fix_grown in ([False, True] if grown else [False]):
            fixed = tuple(fixed_batch) + (tuple(grown) if fix_grown else ())
            try:
                ep = capture(copy, inputs, dynamic_shapes, fixed)
                if grown and not fix_grown and not _same_as_module(ep, target, inputs):
                    ep = None
            except ExportError as e:
                ep = None
                first_error = first_error or e
                if not _about_sizes(e):
                    raise first_error
            if ep is None and copy is not target and not isinstance(
                    copy, torch.export.ExportedProgram):
                copy = copy_module(target)   # a fresh copy for the next try
            if ep is not None:
                break
        if ep is not None:
            break
    if ep is None:
        raise first_error
    # Note [a batch torch.export fixed]: Python in the model that computes with the batch size
    # (SwinIR's `int(windows.shape[0] / (h * w / ws / ws))`, a float division) makes torch.export
    # fix the batch at the size the capture ran at, silently. The capture's batch (2 for an
    # example of 1) must never be baked into the model: the module is captured again at the
    # user's own batch with that batch fixed, and model.json gets a rule that says so (the tfjs
    # model's batch dim is null, so nothing else would check it).
    def settle_batch(ep, copy, fixed, sizes):
        baked = _baked_batches(ep, inputs, fixed) if spec is not None else []
        if baked:
            fixed = tuple(fixed) + tuple((i, 0) for i in baked)
            if copy is not target and not isinstance(copy, torch.export.ExportedProgram):
                copy = copy_module(target)
            ep = capture(copy, inputs, dynamic_shapes, fixed, sizes)
        return ep, copy, fixed, baked

    # Note [a size torch.export fixed]: Python in the model that branches on an image size
    # (SwinIR's `if self.input_resolution == x_size`: a mask precomputed for the training size)
    # makes torch.export fix that dim at the example's size, silently. Where the defaults left a
    # spatial dim free and the capture fixed it, the module is captured again at a multiple of
    # the example's size (2x, then 3x: every divisibility the example has is kept), where the
    # branch goes the general way. That capture is kept only if its dims are free and its graph,
    # run at the user's own sizes, gives the module's own outputs there (a fresh copy run once);
    # the guard that says "not the example's size" is then dropped like any guard the user's
    # example breaks (_constraints). Otherwise the dim stays fixed, with a FixedSizeWarning
    # naming the input, the dim and the guard's line, and model.json's tfjsTorch.fixedDims.
    default = dynamic_shapes is None and not isinstance(target, torch.export.ExportedProgram)
    shapes = [list(x.shape) for x in inputs]
    # Note [a size a guard pins]: those too, with the guard that pins each.
    guarded = _guard_pinned(ep, spec, fixed, shapes) if default else {}
    pinned = sorted(set(_pinned_dims(ep, spec, fixed, len(inputs))) | set(guarded)) if default else []
    fixed0 = fixed
    sizes, baked = {}, []
    if pinned and not isinstance(target, torch.export.ExportedProgram):
        # A batch this capture fixed (Note [a batch torch.export fixed]) is fixed in the next
        # ones from the start: one capture at free sizes saved (they are the costly ones).
        pre = [i for i in _baked_batches(ep, inputs, fixed)]
        f1 = tuple(fixed) + tuple((i, 0) for i in pre)
        for k in (2, 3):
            try_sizes = {p: k for p in pinned}
            try:
                c2 = copy_module(target)
                e2 = capture(c2, inputs, dynamic_shapes, f1, try_sizes)
                e2, c2, f2, b2 = settle_batch(e2, c2, f1, try_sizes)
            except ExportError:
                continue
            grown_shapes = [list(x.shape) for x in grow(inputs, try_sizes)]
            if _pinned_dims(e2, spec, f2, len(inputs)) or _guard_pinned(e2, spec, f2, grown_shapes) or \
                    not _same_as_module(e2, target, inputs):
                continue
            ep, copy, fixed, baked, sizes = e2, c2, f2, sorted(set(pre) | set(b2)), try_sizes
            pinned = []
            break
    if not sizes:
        if guarded:
            # Note [a size a guard pins]: captured again with those dims fixed, so that the
            # graph's input has the size its constants were computed from.
            fixed = tuple(fixed) + tuple(sorted(guarded))
            copy = copy_module(target)
            ep = capture(copy, inputs, dynamic_shapes, fixed)
        ep, copy, fixed, baked = settle_batch(ep, copy, fixed, {})
        if pinned:
            pinned = sorted(set(_pinned_dims(ep, spec, fixed, len(inputs))) | set(guarded))
    why = {}
    if pinned:
        # Which guard fixed each dim, from one more capture with torch's guard log read
        # (costly, so only here, where the export warns).
        try:
            why = fixed_by(capture(copy_module(target), inputs, dynamic_shapes, fixed0,
                                   log_guards=True))
        except ExportError:
            why = {}
    if spec is not None:
        spec = fix_dims(spec, fixed)
    relax_dims = {g: True for g in grown if g not in fixed}
    free_batch = [i for i in range(len(inputs)) if (i, 0) not in fixed]

    # Note [a dim of 1]: torch.export never lets a free dim be 1 (its example is 2 or more, and an
    # example of 1 fixes the dim), so the batch's range starts at 2. A batch of 1 is the common
    # case: the graph is run at batch 1 and at the captured batch, and where each sample's outputs
    # agree the batch's lower bound becomes 1.
    relax = {}
    try:
        values = _run_graph(ep, [x.clone() for x in inputs])
        run_inputs = inputs
        batch_free = spec is not None or dynamic_shapes not in (None, False)
        if batch_free:
            big_in = [torch.cat([x, x], 0) if x.shape[0] == 1 and i in free_batch else x
                      for i, x in enumerate(inputs)]
            one_in = [x[:1] if i in free_batch else x for i, x in enumerate(big_in)]
            nb = big_in[free_batch[0] if free_batch else 0].shape[0]
            big = values if all(b is x for b, x in zip(big_in, inputs)) else _run_graph(
                ep, [x.clone() for x in big_in])
            one = _run_graph(ep, [x.clone() for x in one_in])
            out_node = [n for n in ep.graph.nodes if n.op == "output"][0]
            ok = True
            for o in _user_outputs(ep, out_node):
                if isinstance(o, torch.fx.Node) and isinstance(big.get(o), torch.Tensor):
                    a, b = one[o], big[o]
                    if a.dim() == 0 or a.shape[0] != 1 or b.shape[0] != nb or \
                            not same_numbers(a, b[:1]):
                        ok = False
            for i in free_batch:
                relax[i] = ok
            if not ok and any(x.shape[0] == 1 for x in inputs):
                values, run_inputs = big, big_in
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001
        from ._capture import _capture_error
        raise _capture_error(target, e, "running the captured graph on the example inputs") from e

    b = Builder(data_format)
    gm = ep.graph_module
    sig = ep.graph_signature
    consts, param_names = {}, {}
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    user_nodes = []
    for n, s in zip(placeholders, sig.input_specs):
        if s.kind == InputKind.USER_INPUT:
            user_nodes.append(n)
        else:
            consts[n] = values.get(n)
            if s.kind == InputKind.PARAMETER or s.kind == InputKind.BUFFER:
                param_names[n] = s.target
    ctx = Context(b, gm, values, consts, param_names, {}, model_name)
    ctx.custom = custom   # the user's own mappings (a dim-0 stack's readers: ops/_stacked.py)
    names = [n.name for n in user_nodes]
    fixed_dims = []
    for i, d in pinned:   # Note [a size torch.export fixed]
        size = int(inputs[i].shape[d])
        where_ = why.get((i, d)) or guarded.get((i, d))
        # (the guard's file:line goes into the warning only: model.json stays the same
        # wherever the export runs from)
        fixed_dims.append({"input": names[i], "dim": d, "size": size})
        warnings.warn(
            f"export: {model_name}'s input {names[i]!r} dim {d} is fixed at {size}: torch.export "
            f"fixed it although dynamic_shapes leaves it free (the model needs that size: "
            f"{'guard ' + where_ if where_ else 'a weight or Python on sizes'}), and a capture at "
            f"2x and 3x that size did not keep it free with the module's own numbers. The model "
            f"takes {names[i]}.shape[{d}] == {size} only (model.json: userDefinedMetadata."
            f"tfjsTorch.fixedDims); fix the dim in dynamic_shapes to silence this",
            FixedSizeWarning, stacklevel=3)
    input_refs = []
    for i, n in enumerate(user_nodes):
        ctx.node = n
        v = values[n]
        sym = sym_shape_of(n.meta.get("val"), v)
        ref = b.add_input(n.name, v, sym)
        input_refs.append(ref)
        for d, s in enumerate(sym):
            if isinstance(s, SymDim) and s.expr.is_Symbol and s.expr not in ctx.sources:
                ctx.sources[s.expr] = (ref, ref.perm.index(d))
    ctx.input_refs = input_refs
    # Input checks (TorchShapeCheck after each input that has rules).
    example_shapes = [list(x.shape) for x in run_inputs]
    if not any(relax.values()):
        relax = {}
    rules = _constraints(ep, names, input_refs, example_shapes, relax, relax_dims)
    if spec is not None and not isinstance(target, torch.export.ExportedProgram):
        rules = _relax_by_probes(ep, target, run_inputs, input_refs, rules)
        rules = _relax_by_probes(ep, target, run_inputs, input_refs, rules, equalities=True)
    for i in baked:   # Note [a batch torch.export fixed]
        n0 = int(inputs[i].shape[0])
        rules.append((["eq", ["tdim", i, 0], n0],
                      f"{names[i]}.shape[0] == {n0} (torch.export fixed the batch: the model's "
                      f"Python computes with it)"))
    checked = list(input_refs)
    per_input = {}
    for rule, text in rules:
        used = _used_inputs(rule, [])
        per_input.setdefault(min(i for i, _ in used), []).append((rule, text, used))
    for i, items in sorted(per_input.items()):
        ins = [i] + sorted({j for _, _, used in items for j, _ in used} - {i})
        slot_of = {j: k for k, j in enumerate(ins)}
        cfg_rules = []
        for rule, text, used in items:
            slots = {(j, d): (slot_of[j], input_refs[j].perm.index(d)) for j, d in used}
            cfg_rules.append({"rule": bind_rule(rule, slots), "text": text,
                              "dims": [[slots[(j, d)][0], slots[(j, d)][1], f"{names[j]}.shape[{d}]"]
                                       for j, d in used]})
        cfg = {"rules": cfg_rules, "inputNames": [names[j] for j in ins]}
        (r,) = b.layer("TorchShapeCheck", cfg, [input_refs[j] for j in ins], f"{names[i]}_check",
                       outputs=[(input_refs[i].perm, input_refs[i].value)], record=False)
        r.sym = input_refs[i].sym
        checked[i] = r
    for n, r in zip(user_nodes, checked):
        ctx.refs[n] = r
    by_layer = {ref.layer: c for ref, c in zip(input_refs, checked)}
    ctx.sources = {s: (by_layer[ref.layer], axis) for s, (ref, axis) in ctx.sources.items()}

    out_node = None
    for node in gm.graph.nodes:
        ctx.node = node
        if node.op == "placeholder":
            continue
        if node.op == "output":
            out_node = node
            continue
        if node.op == "get_attr":
            consts[node] = values.get(node)
            continue
        if node.op != "call_function":
            ctx.fail(f"graph node kind {node.op!r} is not supported")
        val = node.meta.get("val")
        if node.target is operator.getitem:
            base = node.args[0]
            if base in ctx.refs and isinstance(ctx.refs[base], (list, tuple)):
                item = ctx.refs[base][node.args[1]]
                if item is not None:
                    ctx.refs[node] = item
                continue
            if base in ctx.refs:
                ctx.fail("indexes a tensor result as a tuple")
            consts[node] = values.get(node)
            continue
        if not _is_tensorish(val if val is not None else values.get(node)):
            continue  # size arithmetic, asserts: their values are read where they are used
        dynamic = any(a in ctx.refs for a in node.all_input_nodes)
        if not dynamic and not _has_sym(val):
            consts[node] = values.get(node)   # a constant of the model (folded)
            continue
        handler = custom.get(node.target) or (custom.get(node.target.overloadpacket) if hasattr(
            node.target, "overloadpacket") else None) or ops.handler_for(node.target)
        if codebook.reads_marker(ctx, node):
            # Note [argmin indices that only look up a table] (ops/codebook.py): the argmin
            # checked that this reader is a lookup (or the one-hot on the way to one).
            handler = codebook.read_marker
        if handler is None:
            ctx.fail(f"ATen op {node.target} has no tfjs-torch mapping. The supported ops are "
                     f"listed in docs/exporter-ops.md; map it yourself with export(..., "
                     f"custom={{torch.ops.aten.{getattr(node.target, '_opname', node.target)}: "
                     f"fn}}) (see tfjs_torch/ops/__init__.py), or rewrite that line with "
                     f"supported ops")
        try:
            result = handler(ctx, ctx.bind())
        except ExportError:
            raise
        except Exception as e:  # noqa: BLE001 (a handler's or a custom mapping's own bug)
            raise ExportError(f"export: {where(node, model_name)}: the mapping failed with "
                              f"{type(e).__name__}: {e}") from e
        if result is CONSTANT:
            consts[node] = values.get(node)
            continue
        _annotate(ctx, node, result)
        ctx.refs[node] = result
    outs = _user_outputs(ep, out_node)
    out_names = _output_names(ep, len(outs))
    output_refs, outputs = [], []
    for name, o in zip(out_names, outs):
        if not isinstance(o, torch.fx.Node) or o not in ctx.refs or not isinstance(ctx.refs[o], Ref):
            raise ExportError(f"export: output {name!r} is not a tensor computed from the inputs "
                              f"(got {type(values.get(o, o) if isinstance(o, torch.fx.Node) else o).__name__}); "
                              f"the tfjs model's outputs must be tensors that depend on its inputs")
        ref = ctx.refs[o]
        if ref.rank >= 1 and not _batch_free_fixed(ctx) and not is_batch(ctx, ctx.sym_shape(ref)[0]):
            ctx.node = o
            ctx.fail(f"output {name!r} has {ctx.sym_shape(ref)[0]} at dim 0, not the batch of "
                     f"an input; a tfjs model's outputs keep the batch at dim 0 (Note [dim 0 "
                     f"inside a model]): permute or view it back")
        if ref.rank >= 3 and _is_feature_map(ref):
            ref = b.to_canonical(ref)
        else:
            ref = b.to_torch_order(ref)
        if any(r.key() == ref.key() for r in output_refs) or ref.layer in [
                r.layer for r in input_refs] or ref.layer in [r.layer for r in checked]:
            (ref,) = b.layer("Activation", {"activation": "linear"}, [ref], f"{name}_copy",
                             outputs=[(ref.perm, ref.value)], record=False)
        output_refs.append(ref)
        outputs.append(values[o])
    # Note [an attention scale folded into the query projection] (_builder.py)
    b.fold_attention_scales(output_refs)
    # Note [LayerNorm2d written out as one layer norm] (_builder.py)
    b.fold_layer_norms_2d(output_refs)
    b.prune(output_refs)
    return {"builder": b, "input_refs": input_refs, "output_refs": output_refs,
            "names": out_names, "inputs": list(run_inputs), "outputs": outputs,
            "model_name": model_name, "rules": rules, "input_names": names,
            "fixed_dims": fixed_dims}


def _batch_free_fixed(ctx):
    """Whether every input's batch is a fixed size (dynamic_shapes=False and the like): an
    output's dim 0 is then checked by nothing (the model takes those sizes only)."""
    return all(isinstance(ctx.sym_shape(r)[0], int) for r in ctx.input_refs)


def _is_feature_map(ref):
    """Note [layouts by what a dim is]: an output is a feature map (channels moved last with
    channelsLast) when the model holds it in the canonical layout already, i.e. a layer that
    knows channels (a convolution, a norm, a resize, ...) made it or it kept that layout through
    elementwise ops; a tensor that went through a reshape / squeeze / permute is in PyTorch's
    order and stays so ([N, H, W] from [N, 1, H, W] stays [N, H, W])."""
    from ._builder import channels_last
    return ref.perm == channels_last(ref.rank) and ref.perm != identity(ref.rank)


def _annotate(ctx, node, result):
    val = node.meta.get("val")
    value = ctx.values.get(node)
    if isinstance(result, Ref):
        if result.value is None or not isinstance(result.value, torch.Tensor):
            result.value = value
        if result.sym is None and isinstance(val, torch.Tensor):
            result.sym = sym_shape_of(val, value)
    elif codebook.is_marker(result):
        pass
    elif isinstance(result, (list, tuple)):
        for i, r in enumerate(result):
            if isinstance(r, Ref) and r.sym is None and isinstance(val, (list, tuple)) and \
                    isinstance(val[i], torch.Tensor):
                r.sym = sym_shape_of(val[i], value[i])
    else:
        ctx.fail(f"the mapping returned {type(result).__name__}, not a Ref or a list of Refs")


def _to_numpy(t):
    t = t.detach().cpu().contiguous()
    if t.dtype.is_floating_point:
        return t.to(torch.float32).numpy()
    return t.to(torch.int32).numpy()


def export(module, example_inputs, out_dir, data_format="channelsLast", check=True,
           intermediates=False, custom=None, dynamic_shapes=None):
    """Exports `module` (as in eval mode; never modified) to a tf.LayersModel in `out_dir`.

    example_inputs: a tensor or a tuple of tensors in PyTorch's layout. dynamic_shapes: None
    (default): batch and every spatial dim of every input free, within the constraints PyTorch
    infers (written into model.json and checked at predict time); False: the example's sizes;
    or a spec in torch.export's form. Writes model.json, weights.bin and with check=True
    check.safetensors (inputs and PyTorch's outputs in PyTorch's layout, each with its
    permutation into the model's layout; with intermediates=True every layer's output too).
    custom: {ATen op: handler(ctx, args)} (see tfjs_torch/ops/__init__.py).
    Returns a dict with the paths written and the model's input / output names.
    """
    if not isinstance(check, bool) or not isinstance(intermediates, bool):
        raise ExportError("export: check and intermediates must be True or False")
    out_dir = check_out_dir(out_dir)
    r = convert(module, example_inputs, data_format, custom, dynamic_shapes)
    b = r["builder"]
    input_refs, output_refs = r["input_refs"], r["output_refs"]
    model = b.model_json(input_refs, output_refs, r["model_name"])
    from . import __version__
    model["userDefinedMetadata"] = {"tfjsTorch": {
        "exporter": __version__, "torchVersion": torch.__version__, "dataFormat": data_format,
        "inputs": [{"name": ref.layer, "torchShape": [s if isinstance(s, int) else None for s in (
            ref.sym or ref.torch_shape)], "perm": ref.perm} for ref in input_refs],
        "outputs": [{"name": n, "perm": ref.perm} for n, ref in zip(r["names"], output_refs)],
        "constraints": [text for _, text in r["rules"]],
        "fixedDims": r["fixed_dims"],
    }}
    files = {"model.json": json.dumps(_json_numbers(model), separators=(",", ":"),
                                      allow_nan=False).encode(),
             "weights.bin": b.weights_bytes()}
    if check:
        arrays = {}
        for i, x in enumerate(r["inputs"]):
            arrays[f"input_{i}"] = _to_numpy(x)
        for i, y in enumerate(r["outputs"]):
            arrays[f"output_{i}"] = _to_numpy(y)
        layers = []
        if intermediates:
            seen = set()
            for ref in b.records:
                if ref.key() in seen or not isinstance(ref.value, torch.Tensor):
                    continue
                seen.add(ref.key())
                arrays[f"layer:{ref.key()}"] = _to_numpy(ref.value)
                layers.append([ref.layer, ref.node_index, ref.tensor_index, ref.perm])
        metadata = {
            "format": "tfjs-torch-check",
            "layout": "torch",
            "torch_version": torch.__version__,
            "data_format": data_format,
            "inputs": json.dumps([ref.layer for ref in input_refs]),
            "input_perms": json.dumps([ref.perm for ref in input_refs]),
            "outputs": json.dumps(r["names"]),
            "output_perms": json.dumps([ref.perm for ref in output_refs]),
            "layers": json.dumps(layers),
        }
        files["check.safetensors"] = to_bytes(arrays, metadata)
    _write_whole(out_dir, files)
    written = {"model": os.path.join(out_dir, "model.json"),
               "weights": os.path.join(out_dir, "weights.bin"),
               "inputs": [ref.layer for ref in input_refs], "outputs": r["names"]}
    if check:
        written["check"] = os.path.join(out_dir, "check.safetensors")
    return written


def _write_whole(out_dir, files):
    """Writes the files into a fresh temporary folder beside out_dir, then swaps it into place:
    out_dir ends up holding exactly these files, or (on any failure) is as it was."""
    parent = os.path.dirname(out_dir)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=parent)
    except OSError as e:
        raise ExportError(f"export: cannot write beside {out_dir!r}: {e}") from e
    old = None
    try:
        for name, data in files.items():
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        if os.path.isdir(out_dir):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.old-", dir=parent)
            os.rmdir(old)
            os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        tmp = None
    except OSError as e:
        if old is not None and not os.path.exists(out_dir):
            os.rename(old, out_dir)
            old = None
        raise ExportError(f"export: writing {out_dir!r} failed ({e}); nothing was changed") from e
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def write_check(module, example_inputs, model_dir, path=None):
    """Writes a check file for an exported model at other input sizes: runs a copy of `module`
    (eval, float32; the module itself is untouched) on `example_inputs` (PyTorch's layout) and
    stores inputs and outputs with the permutations model.json records. path defaults to
    model_dir/check.safetensors. Returns the path. For `pt.checkExport` at sizes other than the
    export's."""
    target = unwrap(module)
    if isinstance(target, torch.export.ExportedProgram):
        run = target.module()
    else:
        run = copy_module(target)
    inputs = check_inputs(example_inputs)
    stored = [x.clone() for x in inputs]   # a forward that changes its input in place
    with open(os.path.join(model_dir, "model.json")) as f:
        meta = json.load(f).get("userDefinedMetadata", {}).get("tfjsTorch")
    if meta is None:
        raise ExportError(f"write_check: {model_dir}/model.json was not written by tfjs_torch 0.2+")
    with torch.no_grad():
        out = run(*inputs)
    flat = [v for _, v in _flatten_names(out)]
    if len(flat) != len(meta["outputs"]) or len(inputs) != len(meta["inputs"]):
        raise ExportError(f"write_check: the module gives {len(flat)} output(s) for "
                          f"{len(inputs)} input(s), the model has {len(meta['outputs'])} and "
                          f"{len(meta['inputs'])}")
    arrays = {f"input_{i}": _to_numpy(x) for i, x in enumerate(stored)}
    arrays.update({f"output_{i}": _to_numpy(y) for i, y in enumerate(flat)})
    metadata = {
        "format": "tfjs-torch-check", "layout": "torch", "torch_version": torch.__version__,
        "data_format": meta["dataFormat"],
        "inputs": json.dumps([m["name"] for m in meta["inputs"]]),
        "input_perms": json.dumps([m["perm"] for m in meta["inputs"]]),
        "outputs": json.dumps([m["name"] for m in meta["outputs"]]),
        "output_perms": json.dumps([m["perm"] for m in meta["outputs"]]),
        "layers": "[]",
    }
    path = path or os.path.join(model_dir, "check.safetensors")
    with open(path, "wb") as f:
        f.write(to_bytes(arrays, metadata))
    return path
