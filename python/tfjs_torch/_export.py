"""tfjs_torch.export: trace a module with torch.fx, run it once on the example inputs to make every
size concrete, map each node to tfjs layers, and write a tf.LayersModel.

Only torch.fx's stable surface is used (Tracer, GraphModule, Interpreter, Node), the same in torch
1.13 and 2.x.
"""
import contextlib
import dis
import inspect
import json
import operator
import os

import torch
import torch.fx
import torch.nn.functional as F

from . import _handlers as H
from ._builder import Builder, ExportError, Ref, to_tfjs
from ._safetensors import to_bytes


class _Proxy(torch.fx.Proxy):
    # `values, indices = pool(x)`: torch.fx unpacks a proxy when the calling bytecode is
    # UNPACK_SEQUENCE, but torch 1.13 looks the instruction up by f_lasti // 2, which fails on
    # Python 3.11's bytecode (inline caches). Look it up by offset instead.
    def __iter__(self):
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        if caller is not None:
            for inst in dis.get_instructions(caller.f_code):
                if inst.offset == caller.f_lasti:
                    if inst.opname == "UNPACK_SEQUENCE":
                        return iter([self[i] for i in range(inst.argval)])
                    break
        return self.tracer.iter(self)


class _Tracer(torch.fx.Tracer):
    """torch.nn's own modules (and the user's custom ones) stay whole: one node each."""

    def __init__(self, custom):
        super().__init__()
        self.custom = custom
        self.record_stack_traces = True

    def is_leaf_module(self, m, qualname):
        if type(m) in self.custom:
            return True
        return super().is_leaf_module(m, qualname)

    def proxy(self, node):
        return _Proxy(node, self)


class _Recorder(torch.fx.Interpreter):
    """Runs the traced graph and keeps every node's value (sizes, tensors, tuples)."""

    def __init__(self, gm):
        super().__init__(gm)
        self.values = {}

    def run_node(self, n):
        out = super().run_node(n)
        # A copy: a later in-place op (nn.ReLU(inplace=True)) would change the tensor we keep.
        self.values[n] = torch.fx.node.map_aggregate(
            out, lambda v: v.detach().clone() if isinstance(v, torch.Tensor) else v)
        return out


# Note [builtins that reject proxies]
# In torch 1.13, F.pad is the C++ builtin torch._C._nn.pad, whose argument parser rejects a list
# of proxies (`F.pad(x, [dx // 2, dx - dx // 2, ...])` with dx from x.size(), as milesial's U-Net
# pads) before torch.fx's __torch_function__ hook can record the call. (torch 2.x's F.pad is a
# Python function that hands proxies to the hook.) While tracing, such builtins are replaced by a
# wrapper that records one call_function node of the original when any argument is a proxy.
_WRAPPED = ("pad",)


def _record_if_proxy(orig):
    def wrapper(*args, **kwargs):
        proxies = []
        torch.fx.node.map_aggregate((args, kwargs), lambda v: proxies.append(v) if isinstance(
            v, torch.fx.Proxy) else None)
        if proxies:
            return proxies[0].tracer.create_proxy("call_function", orig, args, kwargs)
        return orig(*args, **kwargs)
    return wrapper


@contextlib.contextmanager
def _wrapped_builtins():
    saved = {name: getattr(F, name) for name in _WRAPPED}
    try:
        for name, orig in saved.items():
            if not inspect.isfunction(orig):  # a builtin (torch 1.13)
                setattr(F, name, _record_if_proxy(orig))
        yield
    finally:
        for name, orig in saved.items():
            setattr(F, name, orig)


def _holds_tensor(v):
    if isinstance(v, torch.Tensor):
        return True
    if isinstance(v, (tuple, list)):
        return any(_holds_tensor(x) for x in v)
    if isinstance(v, dict):
        return any(_holds_tensor(x) for x in v.values())
    return False


def _where(node, gm):
    """Where a node comes from, for error messages: module path or the user's source line."""
    if node.op == "call_module":
        return f"module '{node.target}' ({type(gm.get_submodule(node.target)).__name__})"
    what = node.target if isinstance(node.target, str) else getattr(
        node.target, "__name__", None) or str(node.target)
    kind = {"call_method": "method", "call_function": "function"}.get(node.op, node.op)
    where = f"{kind} '{what}' (graph node '{node.name}')"
    trace = getattr(node, "stack_trace", None)
    if trace:
        lines = [l.strip() for l in trace.strip().splitlines() if l.strip().startswith("File")
                 and f"{os.sep}torch{os.sep}" not in l and "<frozen" not in l]
        if lines:  # the innermost frame of the user's code
            where += f" at {lines[0]}"
    return where


class Context:
    """What a node handler (and a user's custom mapping) sees."""

    def __init__(self, builder, gm, values, custom):
        self.b = builder
        self.gm = gm
        self.values = values
        self.custom = custom
        self.refs = {}  # node -> Ref | list of Ref (tfjs tensors); absent for static nodes
        self.node = None

    @property
    def data_format(self):
        return self.b.data_format

    def where(self, node=None):
        return _where(node or self.node, self.gm)

    def fail(self, message):
        raise ExportError(f"export: {self.where()}: {message}")

    def arg(self, a):
        """A node argument: Ref(s) for tfjs tensors, the concrete value for everything else."""
        def one(x):
            if isinstance(x, torch.fx.Node):
                return self.refs[x] if x in self.refs else self.values[x]
            return x
        return torch.fx.node.map_aggregate(a, one)

    # For custom mappings: add a layer whose outputs are in the canonical layout.
    def layer(self, class_name, config, inputs, weights=(), name=None, n_outputs=1):
        """Adds a tfjs layer applied to `inputs` (Refs, converted to the canonical layout).

        For `export(..., custom={MyModule: fn})`: fn(ctx, module, *args) calls this and returns
        its Ref (or a tuple of Refs); PyTorch's values for the outputs come from the module's
        own run. weights: (name, numpy array in the layer's layout), in the layer's order.
        """
        node = self.node
        value = self.values[node]
        values = list(value) if isinstance(value, (tuple, list)) else [value]
        if len(values) != n_outputs:
            self.fail(f"custom mapping says {n_outputs} output(s), the module returned {len(values)}")
        inputs = [self.b.to_canonical(r) for r in inputs]
        name = name or (node.target if node.op == "call_module" else node.name)
        outs = self.b.layer(class_name, config, inputs, name, weights=weights,
                            outputs=[(self.b.canonical(v.dim()), v) for v in values])
        return outs[0] if n_outputs == 1 else tuple(outs)


def _is_inplace(ctx, node):
    if node.op == "call_method" and isinstance(node.target, str):
        return node.target.endswith("_") and not node.target.startswith("_")
    if node.op == "call_module":
        return getattr(ctx.gm.get_submodule(node.target), "inplace", False) is True
    if node.op == "call_function" and node.target in (
            operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ipow):
        return True
    return node.op == "call_function" and node.kwargs.get("inplace") is True


def _check_inplace(ctx, node):
    """An in-place op changes its input for every later reader in PyTorch; the tfjs graph has no
    such aliasing, so refuse where a later node reads the changed tensor."""
    if not _is_inplace(ctx, node) or not node.args or not isinstance(node.args[0], torch.fx.Node):
        return
    src = node.args[0]
    order = {n: i for i, n in enumerate(ctx.gm.graph.nodes)}
    later = [u for u in src.users if u is not node and order[u] > order[node]]
    if later:
        ctx.fail(f"works in place on '{src.name}', which {', '.join(repr(u.name) for u in later)} "
                 f"read(s) afterwards; use the out-of-place form")


def _bind_inputs(module, example_inputs):
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    example_inputs = tuple(example_inputs)
    for i, x in enumerate(example_inputs):
        if not isinstance(x, torch.Tensor):
            raise ExportError(f"export: example_inputs[{i}] is a {type(x).__name__}; the inputs "
                              f"must be tensors")
    params = list(inspect.signature(module.forward).parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        raise ExportError(f"export: {type(module).__name__}.forward takes *args or **kwargs, which "
                          f"torch.fx cannot trace; give it named arguments")
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(example_inputs) > len(positional):
        raise ExportError(f"export: {len(example_inputs)} example inputs given, but "
                          f"{type(module).__name__}.forward takes {len(positional)}")
    concrete = {}
    for p in positional[len(example_inputs):]:
        if p.default is p.empty:
            raise ExportError(f"export: {type(module).__name__}.forward's argument {p.name!r} has "
                              f"no example input and no default")
        concrete[p.name] = p.default
    return example_inputs, concrete


def _flatten_outputs(out, prefix="output"):
    """(name, node or value) for every leaf of the output structure, in order."""
    if isinstance(out, (tuple, list)):
        items = []
        for i, o in enumerate(out):
            items += _flatten_outputs(o, f"{prefix}_{i}" if prefix != "output" else f"output_{i}")
        return items
    if isinstance(out, dict):
        items = []
        for k, o in out.items():
            items += _flatten_outputs(o, str(k))
        return items
    return [(prefix, out)]


def trace(module, example_inputs, custom=None):
    """(GraphModule, node values, inputs): the traced module run once on the example inputs."""
    custom = dict(custom or {})
    example_inputs, concrete = _bind_inputs(module, example_inputs)
    tracer = _Tracer(custom)
    try:
        with _wrapped_builtins():
            graph = tracer.trace(module, concrete_args=concrete or None)
    except Exception as e:  # torch.fx raises many kinds (TraceError, TypeError, ...)
        raise ExportError(
            f"export: torch.fx could not trace {type(module).__name__}: {type(e).__name__}: {e}. "
            f"Python control flow on tensor values cannot be traced; make it depend on "
            f"constructor arguments only, or map the module with custom={{Class: fn}}") from e
    gm = torch.fx.GraphModule(tracer.root, graph)
    rec = _Recorder(gm)
    with torch.no_grad():
        try:
            # Clones: a module that changes its input in place must not change the example.
            rec.run(*[x.clone() for x in example_inputs])
        except Exception as e:
            raise ExportError(f"export: {type(module).__name__} fails in PyTorch on the example "
                              f"inputs ({type(e).__name__}: {e})") from e
    return gm, rec.values, example_inputs


def convert(module, example_inputs, data_format="channelsLast", custom=None):
    """Builds the tfjs model in memory. Returns (builder, input refs, output refs, output names,
    inputs, outputs) or raises ExportError before anything is written."""
    custom = dict(custom or {})
    was_training = module.training
    module.eval()
    try:
        gm, values, inputs = trace(module, example_inputs, custom)
        with torch.no_grad():
            eager = module(*[x.clone() for x in inputs])
    finally:
        module.train(was_training)
    b = Builder(data_format)
    ctx = Context(b, gm, values, custom)
    dynamic = set()
    input_refs = []
    out_items = None
    for node in gm.graph.nodes:
        ctx.node = node
        if node.op == "placeholder":
            if node not in values or not isinstance(values[node], torch.Tensor):
                continue
            ref = b.add_input(node.target, values[node])
            input_refs.append(ref)
            ctx.refs[node] = ref
            dynamic.add(node)
            continue
        if node.op == "output":
            out_items = _flatten_outputs(node.args[0])
            continue
        v = values[node]
        is_dynamic = _holds_tensor(v) and any(i in dynamic for i in node.all_input_nodes)
        if not is_dynamic:
            continue  # a constant or a size: its concrete value is used where it is needed
        dynamic.add(node)
        if node.op == "get_attr":
            continue
        _check_inplace(ctx, node)
        result = H.handle(ctx, node)
        if isinstance(result, Ref):
            if result.value is None:
                result.value = v
        ctx.refs[node] = result
    if out_items is None or not out_items:
        raise ExportError("export: the module returns nothing")
    output_refs, names, outputs = [], [], []
    for name, o in out_items:
        if not isinstance(o, torch.fx.Node) or o not in ctx.refs or not isinstance(ctx.refs[o], Ref):
            raise ExportError(f"export: output {name!r} is not a tensor computed from the inputs "
                              f"(got {type(values.get(o, o)).__name__}); the tfjs model's outputs "
                              f"must be tensors that depend on its inputs")
        ref = b.to_canonical(ctx.refs[o])
        if any(r.key() == ref.key() for r in output_refs) or ref.layer in [r.layer for r in input_refs]:
            # tf.LayersModel wants each output once, and not an input: a copy (linear activation).
            (ref,) = b.layer("Activation", {"activation": "linear"}, [ref], f"{name}_copy",
                             outputs=[(ref.perm, ref.value)], record=False)
        output_refs.append(ref)
        names.append(name)
        outputs.append(values[o])
    # Note [the traced graph against the module]
    # The outputs stored for the check are the module's own (eager) ones, and the traced graph
    # must give the same: torch.fx records `a += b` as `a + b`, loses in-place aliasing, and bakes
    # in whatever branch the tracer took, so a graph can compute something else silently.
    eager_items = _flatten_outputs(eager)
    if len(eager_items) != len(outputs):
        raise ExportError(f"export: the traced graph returns {len(outputs)} output(s), the module "
                          f"{len(eager_items)}")
    for name, (_, e), g in zip(names, eager_items, outputs):
        if not isinstance(e, torch.Tensor) or e.shape != g.shape or not torch.allclose(
                e.to(g.dtype), g, rtol=1e-5, atol=1e-6, equal_nan=True):
            raise ExportError(
                f"export: output {name!r} of the traced graph differs from the module's own "
                f"output on the example inputs (torch.fx does not keep in-place updates of "
                f"aliased tensors such as `y = x; y += 1`, nor data-dependent branches); write "
                f"the forward out of place")
    outputs = [e for _, e in eager_items]
    b.prune(output_refs)
    return b, input_refs, output_refs, names, inputs, outputs


def export(module, example_inputs, out_dir, data_format="channelsLast", check=True,
           intermediates=False, custom=None):
    """Exports `module` (run as in eval mode) to a tf.LayersModel in `out_dir`.

    example_inputs: a tensor or a tuple of tensors in PyTorch's layout; they fix every size.
    Writes model.json and weights.bin, and with check=True check.safetensors (the inputs and
    PyTorch's outputs, in the tfjs model's layout; with intermediates=True every layer's output
    too) for `pt.checkExport` in JavaScript. custom: {module class: fn(ctx, module, *args)}.
    Returns a dict with the paths written and the model's input / output names.
    """
    b, input_refs, output_refs, names, inputs, outputs = convert(
        module, example_inputs, data_format, custom)
    model_name = type(module).__name__
    model = b.model_json(input_refs, output_refs, model_name)
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    path = os.path.join(out_dir, "model.json")
    with open(path, "w") as f:
        json.dump(model, f, separators=(",", ":"))
    written["model"] = path
    path = os.path.join(out_dir, "weights.bin")
    with open(path, "wb") as f:
        f.write(b.weights_bytes())
    written["weights"] = path
    if check:
        arrays = {}
        for i, (r, x) in enumerate(zip(input_refs, inputs)):
            arrays[f"input_{i}"] = to_tfjs(x, r.perm)
        for i, (r, y) in enumerate(zip(output_refs, outputs)):
            arrays[f"output_{i}"] = to_tfjs(y, r.perm)
        layers = []
        if intermediates:
            seen = set()
            for r in b.records:
                if r.key() in seen:
                    continue
                seen.add(r.key())
                arrays[f"layer:{r.key()}"] = to_tfjs(r.value, r.perm)
                layers.append([r.layer, r.node_index, r.tensor_index])
        metadata = {
            "format": "tfjs-torch-check",
            "torch_version": torch.__version__,
            "data_format": data_format,
            "inputs": json.dumps([r.layer for r in input_refs]),
            "outputs": json.dumps(names),
            "layers": json.dumps(layers),
        }
        path = os.path.join(out_dir, "check.safetensors")
        with open(path, "wb") as f:
            f.write(to_bytes(arrays, metadata))
        written["check"] = path
    written["inputs"] = [r.layer for r in input_refs]
    written["outputs"] = names
    return written
