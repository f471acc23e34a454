"""The registry: one handler per ATen op (or op family), each in the file of its family.

How to add a handler (say for aten.bmm, in a new file ops/matmul.py):

    # python/tfjs_torch/ops/matmul.py
    import torch
    from . import register
    aten = torch.ops.aten

    @register(aten.bmm.default, aten.matmul.default)   # OpOverloads, or packets (aten.bmm)
    def bmm(ctx, a):
        # a: the op's arguments by schema name, defaults filled in, whatever calling form the
        # user's code used. Tensors computed from the model inputs are Refs (see _builder.py's
        # Note [layouts]); parameters, buffers and constants are torch.Tensors; sizes are ints
        # or SymDims (_shape.py); everything else is as torch.export recorded it.
        x, y = ctx.ref(a.self), ctx.ref(a.mat2)
        x, y = ctx.b.to_torch_order(x), ctx.b.to_torch_order(y)
        return ctx.emit("TorchMatMul", {}, [x, y], perm=x.perm)

then add "matmul" to FAMILIES below. A handler returns the Ref of its result (a list of Refs for
several outputs) and fails with ctx.fail("what is wrong; what to do"), which names the module,
the op and the user's file:line. Useful Context methods (_context.py): ctx.ref, ctx.const,
ctx.static_int, ctx.size / ctx.sizes (a static int or a shape expression), ctx.emit (a layer with
shape-expression inputs), ctx.name(), ctx.share_key(), ctx.value (PyTorch's result on the
example), ctx.sym_shape(ref). An op with a handler is kept whole by the decomposition table
(_capture.py): registering aten.foo stops torch.export from decomposing it; every op without a
handler is decomposed to core ATen first, so only core ATen ops (and the ones kept) need handlers.
docs/exporter-ops.md is generated from this registry (scripts/gen_exporter_ops.py; a test checks
that it is current): give each handler a docstring, whose first line is its entry there.
"""
import importlib

import torch

_REGISTRY = {}   # OpOverload or OpOverloadPacket -> handler
_ORDER = []      # (family, ops, handler) in registration order, for the docs

# One module per op family. H20-attn's families (matmul, attention, ...) go here too.
FAMILIES = ["conv", "linear", "pool", "norm", "activation", "elementwise", "shape", "resize",
            "pad", "reduce", "create", "codebook"]


def register(*ops):
    """Registers a handler for these ATen ops (OpOverload, or OpOverloadPacket for every
    overload). A second handler for the same op is an error."""
    if not ops:
        raise ValueError("register needs at least one op")

    def deco(fn):
        for op in ops:
            if not isinstance(op, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
                raise TypeError(f"register: {op!r} is not an ATen op (torch.ops.aten.<name>"
                                f"[.<overload>])")
            if op in _REGISTRY:
                raise ValueError(f"register: {op} already has a handler "
                                 f"({_REGISTRY[op].__module__}.{_REGISTRY[op].__name__})")
            _REGISTRY[op] = fn
        _ORDER.append((fn.__module__.rsplit(".", 1)[-1], ops, fn))
        return fn
    return deco


def _load():
    for fam in FAMILIES:
        importlib.import_module(f"{__name__}.{fam}")


def _optional(name):
    """A family module that a teammate's branch adds (absent here: nothing to load)."""
    try:
        importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{name}":
            raise


def handler_for(op):
    """The handler of an op (its overload's, else its packet's), or None."""
    h = _REGISTRY.get(op)
    if h is None and isinstance(op, torch._ops.OpOverload):
        h = _REGISTRY.get(op.overloadpacket)
    return h


def is_kept(op):
    """Whether the decomposition table keeps op whole (it has a handler)."""
    return handler_for(op) is not None


def registered():
    """[(family, [op names], handler)] in registration order."""
    out = []
    for fam, ops, fn in _ORDER:
        names = [str(op) if isinstance(op, torch._ops.OpOverload) else f"{op}.*" for op in ops]
        out.append((fam, names, fn))
    return out


_load()
for _name in ("matmul", "attention", "gather", "expand"):  # H20-attn's files, when merged
    if _name not in FAMILIES:
        _optional(_name)
