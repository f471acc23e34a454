"""Capture: the user's module as an ATen graph (torch.export, non-strict) on a copy of it.

Note [never touch the user's module]
The module is deep-copied, the copy is put in eval mode and converted to float32, and only the
copy is exported: the user's parameters, buffers, attributes and every submodule's training flag
are never written, and the forward runs once (torch.export runs it once on fake tensors; the
outputs stored for the check come from running the captured graph, which has no Python side
effects). A half / bfloat16 module is exported as float32 (every half or bfloat16 value is exactly
a float32, so the weights are kept exactly; the model computes in float32 as tfjs does).
"""
import builtins
import contextlib
import copy
import inspect
import sys
import logging
import re
import traceback

import torch
from torch.export import Dim

from . import ops
from ._errors import ExportError, user_frame_of_exception, user_frame_of_stack

MIN_TORCH = (2, 6)


def torch_version():
    v = torch.__version__.split("+")[0].split(".")
    try:
        return int(v[0]), int(v[1])
    except (ValueError, IndexError):
        return (0, 0)


def check_torch():
    if torch_version() < MIN_TORCH:
        raise ExportError(f"export: tfjs_torch needs PyTorch >= {MIN_TORCH[0]}.{MIN_TORCH[1]} "
                          f"(torch.export with Dim.AUTO and run_decompositions), this is "
                          f"{torch.__version__}; pip install -U torch")


def unwrap(module):
    """The nn.Module (or ExportedProgram) to export, from what the user passed."""
    if isinstance(module, torch.export.ExportedProgram):
        return module
    if isinstance(module, torch.jit.ScriptModule) or isinstance(module, torch.jit.ScriptFunction):
        raise ExportError("export: a TorchScript module (torch.jit.script / trace) cannot be "
                          "exported: torch.export needs the Python module; pass the nn.Module "
                          "you scripted")
    seen = 0
    while seen < 8:
        seen += 1
        orig = getattr(module, "_orig_mod", None)   # torch.compile's OptimizedModule
        if isinstance(module, torch.nn.Module) and type(module).__name__ == "OptimizedModule" \
                and isinstance(orig, torch.nn.Module):
            module = orig
            continue
        if isinstance(module, (torch.nn.DataParallel,
                               torch.nn.parallel.DistributedDataParallel)):
            module = module.module
            continue
        break
    if not isinstance(module, torch.nn.Module):
        what = "a function" if callable(module) else f"a {type(module).__name__}"
        raise ExportError(f"export: module must be a torch.nn.Module (or a torch.compile'd one, "
                          f"DataParallel / DistributedDataParallel, or a torch.export."
                          f"ExportedProgram), got {what}; wrap a function in an nn.Module "
                          f"whose forward calls it")
    return module


def check_inputs(example_inputs):
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    if not isinstance(example_inputs, (tuple, list)):
        raise ExportError(f"export: example_inputs must be a tensor or a tuple of tensors, got "
                          f"{type(example_inputs).__name__}")
    example_inputs = tuple(example_inputs)
    if not example_inputs:
        raise ExportError("export: example_inputs is empty; give at least one input tensor")
    for i, x in enumerate(example_inputs):
        if not isinstance(x, torch.Tensor):
            raise ExportError(f"export: example_inputs[{i}] is a {type(x).__name__}; the inputs "
                              f"must be tensors")
        if not (x.dtype.is_floating_point):
            raise ExportError(f"export: example_inputs[{i}] has dtype {x.dtype}; the exported "
                              f"model takes float32 inputs")
        if x.dim() < 1:
            raise ExportError(f"export: example_inputs[{i}] is a scalar; inputs need a batch dim")
        if x.numel() == 0:
            raise ExportError(f"export: example_inputs[{i}] is empty (shape {list(x.shape)})")
    return tuple(x.detach().to(torch.float32).clone() for x in example_inputs)


def copy_module(module):
    try:
        m = copy.deepcopy(module)
    except Exception as e:  # noqa: BLE001 (anything a __deepcopy__ raises)
        raise ExportError(f"export: cannot copy {type(module).__name__} ({type(e).__name__}: "
                          f"{e}); tfjs_torch exports a copy so that your module is never changed: "
                          f"make it deep-copyable (copy.deepcopy)") from e
    m.eval()
    if any(p.dtype in (torch.float16, torch.bfloat16) for p in list(m.parameters()) + list(
            m.buffers())):
        m.float()  # exact: every half / bfloat16 value is a float32
    return m


def default_dynamic_shapes(inputs):
    """Batch and every dim after the first two (spatial) free, for each input (Dim.AUTO); a
    rank-3 input's dims 1 and 2 both ([N, T, C] token sequences as well as [N, C, L]: the dim
    that meets a weight (C) is fixed by torch.export itself, the other stays free)."""
    spec = []
    for x in inputs:
        dims = {0: Dim.AUTO}
        for d in range(1 if x.dim() == 3 else 2, x.dim()):
            dims[d] = Dim.AUTO
        spec.append(dims)
    return tuple(spec)


def enlarge(inputs, spec, spatial=True):
    """Note [a dim of 1]: torch.export fixes a free dim whose example is 1 (0/1 specialization).
    With the default dynamic_shapes the capture runs on an enlarged copy of the example: a batch
    of 1 is repeated to 2, and every free spatial dim whose example is 1 is repeated to 2 as well
    (a DCGAN latent of 1x1). The graph is then run at the user's own sizes too and checked
    (convert), so those dims stay free, down to 1."""
    out = []
    for x, dims in zip(inputs, spec):
        if isinstance(dims, dict):
            for d in sorted(dims):
                if x.shape[d] == 1 and (d == 0 or spatial):
                    x = torch.cat([x, x], d)
        out.append(x)
    return tuple(out)


def enlarged_dims(inputs, spec):
    """[(input index, dim)] of the spatial dims (not the batch) that enlarge() grows."""
    return [(i, d) for i, (x, dims) in enumerate(zip(inputs, spec)) if isinstance(dims, dict)
            for d in sorted(dims) if d != 0 and x.shape[d] == 1]


def fix_dims(spec, dims):
    """spec with these (input, dim) fixed (left out of the spec: torch.export keeps the example)."""
    out = []
    for i, s in enumerate(spec):
        out.append({d: v for d, v in s.items() if (i, d) not in dims})
    return tuple(out)


def decomposition_table():
    """torch.export's core-ATen table without the ops the registry handles whole (upsample_*,
    convolutions, pools with indices, max_unpool, pixel_shuffle, the norms, gelu, softmax,
    scaled_dot_product_attention, ...: each has an exact tfjs-torch kernel or layer)."""
    table = torch.export.default_decompositions()
    for op in list(table.keys()):
        if ops.is_kept(op):
            del table[op]
    # Core ATen ops without a handler, decomposed into ops with one.
    for op, fn in ((torch.ops.aten.var.correction, _var_correction),
                   (torch.ops.aten.var.dim, _var_dim)):
        if not ops.is_kept(op):
            table[op] = fn
    # Our own decompositions of ops that also have a handler: the decomposition takes the cases
    # it can write in other ops and returns NotImplemented for the rest, which stay whole for
    # the handler (F.fold: Note [F.fold without overlaps]).
    table.update(PARTIAL_DECOMPOSITIONS)
    return table


def _col2im(x, output_size, kernel_size, dilation, padding, stride):
    """Note [F.fold without overlaps]
    F.fold / nn.Fold puts the columns of [N, C*kh*kw, L] back as patches of an [N, C, H, W] map,
    summing where patches overlap. torch's own decomposition (torch._decomp's col2im) builds the
    patch indices from aranges of the sizes and scatters with index_put: index tensors the
    exporter cannot take (a [kh, 1] index grid reads as a constant with a batch dim).
    MobileViT(V2)'s folding (transformers, apple/ml-cvnets) uses stride == kernel_size, padding
    0, dilation 1: each output pixel is one input value, so the fold is a reshape to
    [N, C, kh, kw, Lh, Lw] (Lh = H // kh, Lw = W // kw), a permute to [N, C, Lh, kh, Lw, kw] and a
    reshape to [N, C, Lh*kh, Lw*kw], then zeros to H, W (the rows and columns past the last
    whole patch, which no patch covers: H % kh, W % kw, sizes known only at run time). Exact (no
    arithmetic), at any size. Any other fold returns NotImplemented, stays aten.col2im, and the
    handler (ops/conv.py) refuses it."""
    aten = torch.ops.aten
    kh, kw = kernel_size
    if list(stride) != [kh, kw] or any(p != 0 for p in padding) or any(d != 1 for d in dilation):
        return NotImplemented
    h, w = output_size
    batched = x.dim() == 3
    if not batched:
        x = aten.unsqueeze.default(x, 0)
    n, ckk, _ = x.shape
    c = ckk // (kh * kw)
    lh, lw = h // kh, w // kw
    y = aten.view.default(x, [n, c, kh, kw, lh, lw])
    y = aten.permute.default(y, [0, 1, 4, 2, 5, 3])
    y = aten.clone.default(y, memory_format=torch.contiguous_format)
    y = aten.view.default(y, [n, c, lh * kh, lw * kw])
    ph, pw = h - lh * kh, w - lw * kw
    if not (isinstance(ph, int) and isinstance(pw, int) and ph == 0 and pw == 0):
        y = aten.constant_pad_nd.default(y, [0, pw, 0, ph], 0.0)
    return y if batched else aten.squeeze.dim(y, 0)


# Ops with a handler that decomposition_table still decomposes, where the decomposition can
# (python/tests/test_packaging.py checks that no other handled op is decomposed).
PARTIAL_DECOMPOSITIONS = {torch.ops.aten.col2im.default: _col2im}


def _var(x, dim, correction, keepdim):
    """var as PyTorch defines it (two passes): sum((x - mean)^2) / max(n - correction, 0)."""
    aten = torch.ops.aten
    dims = list(range(x.dim())) if dim is None else [d % x.dim() for d in (
        [dim] if isinstance(dim, int) else dim)]
    n = 1
    for d in dims:
        n = n * x.shape[d]
    d = aten.sub.Tensor(x, aten.mean.dim(x, dims, True))
    if correction == 0:   # (no division by a size, which may be known only at run time)
        return aten.mean.dim(aten.mul.Tensor(d, d), dims, keepdim)
    s = aten.sum.dim_IntList(aten.mul.Tensor(d, d), dims, keepdim)
    return aten.div.Tensor(s, max(n - correction, 0))


def _var_correction(x, dim=None, *, correction=None, keepdim=False):
    return _var(x, dim, 1 if correction is None else correction, keepdim)


def _var_dim(x, dim, unbiased=True, keepdim=False):
    return _var(x, dim, 1 if unbiased else 0, keepdim)


def grow(inputs, sizes):
    """Note [a size torch.export fixed]: the inputs with these (input, dim) repeated k times
    along the dim (sizes: {(input, dim): k}), for a capture at another size."""
    out = []
    for i, x in enumerate(inputs):
        for (j, d), k in sorted((sizes or {}).items()):
            if j == i:
                x = torch.cat([x] * k, d)
        out.append(x)
    return tuple(out)


class _IntType(type):
    """The metaclass of the `int` _int_keeps_sizes puts in a model's modules: isinstance,
    issubclass and attributes (int.from_bytes) are builtins.int's."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, builtins.int)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, builtins.int)

    def __getattr__(cls, name):
        return getattr(builtins.int, name)


class _SizeInt(metaclass=_IntType):
    """Note [int() of a size]: `int(n)` where n is a size torch.export keeps symbolic (a
    torch.SymInt: `h // 14 * 14`) is n itself: the integer it names is already an integer.
    Python's int() must return a real int, so torch answers it by specializing: it evaluates n at
    the capture's size, adds a guard that holds n there (`14*(h // 14) == 140`) and the graph
    holds the number. Depth Anything's DPT head (transformers' modeling_depth_anything.py
    `int(patch_height * self.patch_size)`, and the upstream Depth-Anything-V2 dpt.py
    `int(patch_h * 14)`) interpolates its output to that size, so the guard pinned the input's
    size (Note [a size a guard pins]) at every capture size tried, and the model took the export
    size only. While the exporter captures a model, `int` in the Python modules that define the
    model's classes is this class: int(SymInt) gives the SymInt back where its expression is one
    a tfjs model can compute (Note [shape expressions]), so the size stays an expression over the
    input's dims; every other call (a float, a SymFloat, a string, base=) is builtins.int's own."""

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], torch.SymInt):
            from ._shape import writable
            if writable(args[0].node.expr):
                return args[0]
        if len(args) == 1 and not kwargs and isinstance(args[0], torch.SymFloat):
            # int(n ** 0.5) of a size n: Note [the square root of a size] (_shape.py)
            from ._shape import sqrt_of, writable
            import torch.utils._sympy.functions as F
            e = F.TruncToInt(args[0].node.expr) if hasattr(F, "TruncToInt") else None
            n = sqrt_of(e) if e is not None else None
            if n is not None and writable(n):
                return torch.sym_int(args[0])
        return builtins.int(*args, **kwargs)


def _model_modules(module):
    """The Python modules (not torch's own) that define the classes of module and its
    submodules, their base classes included, and the modules of the functions those import by
    name from their own package (transformers' torch_int, from transformers.utils.generic; not
    numpy's or another library's)."""
    import types

    def ours(name):
        return bool(name) and name != "builtins" and name.split(".")[0] != "torch"
    names = set()
    for m in module.modules():
        for cls in type(m).__mro__:
            name = getattr(cls, "__module__", None) or ""
            if ours(name):
                names.add(name)
    for n in list(names):
        for v in list(getattr(sys.modules.get(n), "__dict__", {}).values()):
            vm = getattr(v, "__module__", None) or ""
            if isinstance(v, types.FunctionType) and ours(vm) and \
                    vm.split(".")[0] == n.split(".")[0]:
                names.add(v.__module__)
    return [sys.modules[n] for n in sorted(names) if n in sys.modules]


@contextlib.contextmanager
def _int_keeps_sizes(module):
    """Note [int() of a size]: `int` in the model's own modules is _SizeInt during a capture; a
    module that defines its own `int` keeps it. Restored on the way out, whatever happens."""
    patched = []
    try:
        for mod in _model_modules(module):
            g = getattr(mod, "__dict__", None)
            if isinstance(g, dict) and "int" not in g:
                g["int"] = _SizeInt
                patched.append(g)
        yield
    finally:
        for g in patched:
            if g.get("int") is _SizeInt:
                del g["int"]


_SYMBOL = re.compile(r"create_symbol (s\d+) = \d+ for L\['(\w+)'\](?:\[(\d+)\])?\.size\(\)\[(\d+)\]")
_GUARD = re.compile(r"eval (.*) \[guard added\][^(]*\((.*?)\)(?:, for more info|$)")


class _GuardLog(logging.Handler):
    """torch's symbolic-shapes log during a capture: which symbol is which input dim, and where
    (file:line of the user's code) each guard was added, to say why a dim got fixed."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.symbols = {}   # symbol name -> (input name or args index, dim)
        self.guards = []    # (guard text, where)

    def emit(self, record):
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001
            return
        m = _SYMBOL.search(msg)
        if m:
            key = int(m.group(3)) if m.group(2) == "args" and m.group(3) else m.group(2)
            self.symbols[m.group(1)] = (key, int(m.group(4)))
            return
        m = _GUARD.search(msg)
        if m:
            # The log runs inside the traced forward: the stack holds the user's own line.
            where = user_frame_of_stack(traceback.extract_stack()) or m.group(2)
            self.guards.append((m.group(1), where))

    def where_fixed(self, names):
        """{(input index, dim): 'guard at file:line in fn'} for the symbols a guard pinned to a
        number (Eq(s0, 16), or any guard naming the symbol with '=='). A divisibility (`Eq(Mod(s0,
        14), 0)`: DINOv2's `assert H % patch_H == 0`) holds at every multiple and pins nothing: not
        named as the reason."""
        out = {}
        for sym, (key, d) in self.symbols.items():
            i = key if isinstance(key, int) else (names.index(key) if names and key in names
                                                  else None)
            if i is None:
                continue
            pat = re.compile(rf"\b{sym}\b")
            for text, where in self.guards:
                if re.fullmatch(r"Eq\((Mod|PythonMod)\(.*\), 0\)", text.strip()):
                    continue
                if pat.search(text) and (text.startswith("Eq(") or "==" in text):
                    out[(i, d)] = f"{text} at {where}"
                    break
        return out


def capture(module, inputs, dynamic_shapes, fixed=(), sizes=None, log_guards=False):
    """ExportedProgram lowered to the registry's ops. fixed: (input, dim) pairs of the default
    spec to keep at their example size (Note [a dim of 1]); sizes: {(input, dim): k} to capture
    at k times the example's size there (Note [a size torch.export fixed]). log_guards: read
    torch's symbolic-shapes log to learn which guard fixed which input dim (fixed_by; costly:
    torch then writes a stack summary for every guard, so only for a capture that warns)."""
    fixed_by = {}
    if isinstance(module, torch.export.ExportedProgram):
        ep = module
    else:
        names = _arg_names(module, len(inputs))
        if dynamic_shapes is None:
            spec = default_dynamic_shapes(inputs)
        elif dynamic_shapes is False:
            spec = None
        else:
            spec = dynamic_shapes
        if fixed and spec is not None:
            spec = fix_dims(spec, fixed)
        cap_inputs = enlarge(inputs, spec) if spec is not None and dynamic_shapes is None else inputs
        if sizes:
            cap_inputs = grow(cap_inputs, sizes)
        if spec is not None and isinstance(spec, (tuple, list)) and names is not None:
            spec = tuple(spec)
        quiet = logging.getLogger("torch._export.non_strict_utils")
        level = quiet.level
        quiet.setLevel(logging.ERROR)   # its notes on 0/1 specialization: see Note [a dim of 1]
        # A capture at another size (Note [a size torch.export fixed]) may fail where a weight
        # fixes the size; fake_tensor logs that failure as an error of its own: not printed.
        fake_log = logging.getLogger("torch._subclasses.fake_tensor")
        fake_level = fake_log.level
        if sizes:
            fake_log.setLevel(logging.CRITICAL)
        shapes_log = logging.getLogger("torch.fx.experimental.symbolic_shapes")
        saved = (shapes_log.level, shapes_log.propagate)
        log = _GuardLog()
        handlers = list(shapes_log.handlers) if log_guards else []
        if log_guards:
            for h in handlers:
                shapes_log.removeHandler(h)   # read here, not printed
            shapes_log.addHandler(log)
            shapes_log.setLevel(logging.INFO)
            shapes_log.propagate = False
        try:
            with torch.no_grad(), _int_keeps_sizes(module):   # Note [int() of a size]
                ep = torch.export.export(module, cap_inputs, dynamic_shapes=spec, strict=False)
        except ExportError:
            raise
        except Exception as e:  # noqa: BLE001 (torch.export raises many kinds)
            raise _capture_error(module, e) from e
        finally:
            quiet.setLevel(level)
            fake_log.setLevel(fake_level)
            if log_guards:
                shapes_log.removeHandler(log)
                for h in handlers:
                    shapes_log.addHandler(h)
                shapes_log.setLevel(saved[0])
                shapes_log.propagate = saved[1]
        fixed_by = log.where_fixed(names)
    try:
        ep = ep.run_decompositions(decomposition_table())
    except Exception as e:  # noqa: BLE001
        raise _capture_error(module, e, "lowering to ATen (run_decompositions)") from e
    ep._tfjs_torch_fixed_by = fixed_by
    return ep


def fixed_by(ep):
    """{(input, dim): 'guard at file:line in fn'} for the dims a guard fixed in this capture
    (from torch's symbolic-shapes log; empty where it said nothing)."""
    return getattr(ep, "_tfjs_torch_fixed_by", None) or {}


def _arg_names(module, n):
    try:
        params = list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    return [p.name for p in params[:n]]


def _capture_error(module, e, stage="capturing it with torch.export"):
    name = type(module).__name__ if not isinstance(module, torch.export.ExportedProgram) \
        else "the ExportedProgram"
    frame = user_frame_of_exception(e)
    msg = str(e).strip().splitlines()
    first = msg[0] if msg else ""
    detail = "\n".join(msg[:12])
    text = f"export: {name} failed while {stage}"
    if frame:
        text += f", at {frame}"
    text += f": {type(e).__name__}: {first}"
    low = detail.lower()
    if "data-dependent" in low or "guardonDataDependent".lower() in low or "could not guard" in low:
        text += ("\nPython control flow on tensor *values* (if x.sum() > 0, int(x.max())) cannot be "
                 "captured; compute it with tensor ops (torch.where) or from sizes only")
    elif "constraint" in low or "specializ" in low or "dynamic_shapes" in low:
        text += ("\nThe model fixes a size that dynamic_shapes leaves free: export with "
                 "dynamic_shapes=False (fixed sizes) or a spec that fixes that dim")
    else:
        text += "\n(details: " + detail[:1500] + ")"
    return ExportError(text)
