"""What an op handler sees (ctx): the node, its arguments, the model being built, and how to fail.

See ops/__init__.py for how a handler is written and registered.
"""
import torch

from ._builder import Ref
from ._errors import ExportError, user_frame_of_trace
from ._shape import ExprWriter, SymDim, is_static


class Args(dict):
    """An op's arguments by schema name (attribute access: a.input, a.output_size)."""

    def __getattr__(self, k):
        try:
            return self[k]
        except KeyError:
            raise AttributeError(k) from None


def _module_of(node):
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return None, None
    path, cls = list(stack.values())[-1]
    path = path.replace("L['self'].", "").replace("L__self__.", "")
    if path.startswith("L['self']") or path.startswith("L__self__"):
        path = ""
    name = cls if isinstance(cls, str) else getattr(cls, "__name__", str(cls))
    return path, name.rsplit(".", 1)[-1]


def where(node, model_name="the model"):
    """'module 'dec.1' (Conv2d), op aten.conv2d.default, at file.py:12 (in forward): code'."""
    path, cls = _module_of(node)
    parts = []
    if path:
        parts.append(f"module '{path}' ({cls})")
    elif cls:
        parts.append(f"module {cls} (the top level)")
    else:
        parts.append(model_name)
    parts.append(f"op {node.target}" if not isinstance(node.target, str) else f"node {node.name}")
    frame = user_frame_of_trace(node.meta.get("stack_trace"))
    if frame:
        parts.append(f"at {frame}")
    return ", ".join(parts)


class Constant:
    """What a handler returns for a node whose value does not depend on the inputs' values
    (x.type_as(y) of a constant x): the node becomes a constant of the model."""


CONSTANT = Constant()


class Context:
    def __init__(self, builder, gm, values, consts, param_names, sources, model_name):
        self.b = builder
        self.gm = gm
        self.values = values            # node -> PyTorch's value on the example inputs
        self.consts = consts            # placeholder node -> parameter / buffer / constant tensor
        self.param_names = param_names  # placeholder node -> its name in the module ('enc.0.weight')
        self.sources = sources          # sympy symbol -> (input Ref, tfjs axis)
        self.refs = {}                  # node -> Ref | list of Ref
        self.model_name = model_name
        self.node = None
        self.input_refs = []            # the model inputs' Refs (InputLayers)
        self.custom = {}                # the user's own mappings (export's custom=)

    # ---- where, and failing ---------------------------------------------------------------------
    @property
    def data_format(self):
        return self.b.data_format

    def where(self, node=None):
        return where(node or self.node, self.model_name)

    def fail(self, message):
        raise ExportError(f"export: {self.where()}: {message}")

    # ---- the node -------------------------------------------------------------------------------
    @property
    def value(self):
        """PyTorch's result of this node on the example inputs."""
        return self.values[self.node]

    def out_sym(self, i=None):
        """The symbolic shape (ints and SymDims) of this node's output (output i of several)."""
        val = self.node.meta.get("val")
        conc = self.value
        if i is not None:
            val, conc = val[i], conc[i]
        return sym_shape_of(val, conc)

    def name(self):
        """The layer name: the module path of the node's weights ('enc1.0.weight' -> 'enc1_0'),
        else the graph node's name."""
        path = self._param_path()
        if path is None:
            # A torch.nn module without parameters (nn.Upsample, nn.ReLU): its path too.
            stack = self.node.meta.get("nn_module_stack") or {}
            if stack:
                p, cls = list(stack.values())[-1]
                cname = cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}"
                p = _module_of(self.node)[0]
                if p and cname.startswith("torch.nn."):
                    path = p
        if path is not None:
            return path.replace(".", "_").lstrip("_") or "layer"
        return self.node.name.lstrip("_") or "layer"

    def _param_path(self):
        for a in self.node.all_input_nodes:
            n = self.param_names.get(a)
            if n is not None:
                return n.rsplit(".", 1)[0] if "." in n else n
        return None

    def share_key(self):
        """A key for weight sharing: the same op on the same parameters (a module called twice)
        gives one layer applied twice; None when the node reads no parameter."""
        params = [self.param_names[a] for a in self.node.all_input_nodes if a in self.param_names]
        if not params:
            return None
        return f"{self.node.target}|{'|'.join(params)}"

    # ---- arguments -----------------------------------------------------------------------------
    def arg(self, a):
        def one(x):
            if isinstance(x, torch.fx.Node):
                if x in self.refs:
                    return self.refs[x]
                if x in self.consts:
                    return self.consts[x]
                v = self.values.get(x)
                val = x.meta.get("val")
                if isinstance(val, torch.SymInt):
                    from ._shape import sym_of
                    return sym_of(val.node.expr, v)
                if isinstance(val, torch.SymFloat) and self.node.target in _size_arith():
                    # Note [a float that is an integer size]
                    from ._shape import int_of_float, sym_of
                    e = int_of_float(val.node.expr)
                    if e is not None:
                        return sym_of(e, int(v) if isinstance(v, (int, float)) and
                                      float(v).is_integer() else None)
                    self.fail(f"uses a SymFloat ({val}) computed from sizes that is not an "
                              f"integer size written as a float (float(n), plus, minus or times "
                              f"whole numbers); only integer sizes are supported")
                if isinstance(val, (torch.SymFloat, torch.SymBool)):
                    self.fail(f"uses a {type(val).__name__} ({val}) computed from sizes; only "
                              f"integer sizes are supported")
                return v
            return x
        return torch.fx.node.map_aggregate(a, one)

    def bind(self):
        """This node's arguments by schema name (Args), defaults filled in."""
        node = self.node
        op = node.target
        schema = getattr(op, "_schema", None)
        if schema is None:  # operator.getitem and friends
            return Args({"args": [self.arg(a) for a in node.args],
                         **{k: self.arg(v) for k, v in node.kwargs.items()}})
        out = Args()
        params = schema.arguments
        for p, v in zip(params, node.args):
            out[p.name] = self.arg(v)
        for k, v in node.kwargs.items():
            out[k] = self.arg(v)
        for p in params:
            if p.name not in out:
                out[p.name] = p.default_value if p.has_default_value() else None
        return out

    def constant(self):
        """The result of a node that is a constant of the model after all (see Constant)."""
        return CONSTANT

    def ref(self, v, what="input"):
        if not isinstance(v, Ref):
            self.fail(f"{what} must be a tensor computed from the model's inputs, got "
                      f"{type(v).__name__}")
        return v

    def tensor(self, v, what="input", perm=None, like=None):
        """A tensor operand as a Ref: a tensor computed from the inputs as it is, a stored constant
        (a parameter, a buffer, or what the export folded from them) made a tensor of the model
        (materialize) where an op whose output size is known only at run time reads it."""
        if isinstance(v, torch.Tensor) and not isinstance(v, Ref):
            return self.materialize(v, what, perm, like)
        return self.ref(v, what)

    def materialize(self, value, what="input", perm=None, like=None):
        """Note [a constant made a tensor of the model]
        An op whose operands are all constants but whose output size is a size known only at run
        time (ViT / DPT / DINOv2's position embedding, a [1, N, C] parameter viewed as a grid and
        resized to the input's patch grid: F.interpolate(pos, size=(h // 16, w // 16))) cannot be
        folded into a constant at export time: its values depend on the input's size. The
        constant becomes a tensor of the model instead, and the op its usual layer on it, sizes
        from the inputs at run time. No layer outputs a stored tensor on its own, so it is two
        layers: a TorchFill of ones of the constant's (fixed) shape, hung from the first input
        (whose values it does not read), times the constant (a TorchElementwise mul with the
        constant as its weight). 1 * c is c exactly in IEEE arithmetic (-0, infinities and NaN
        included), so the tensor holds the stored values bit for bit. Dim 0 is the constant's
        own (1 for a position embedding), not a batch (Note [dim 0 inside a model] in
        _builder.py): a later op that broadcasts it against the batch (embeddings + pos) does so
        as PyTorch does. `perm`: the layout to hold it in (default PyTorch's own); rank 1 or
        more, floating point. `like`: a Ref the constant goes next to (a cat's other operand)
        whose dim 0 is a fixed size equal to the constant's: the constant's dim 0 is then read
        from that Ref at run time, as tfjs-layers' Concatenate wants (a model input's dim 0 is
        `null` in model.json even where the export fixed it)."""
        import numpy as np
        from ._builder import identity, to_tfjs
        if not isinstance(value, torch.Tensor):
            self.fail(f"{what} must be a tensor, got {type(value).__name__}")
        if value.dim() < 1 or not value.dtype.is_floating_point:
            self.fail(f"{what} is a stored constant of shape {list(value.shape)} and dtype "
                      f"{value.dtype} read by an op whose size is known only at run time; only a "
                      f"floating-point constant of rank 1 or more can be made a tensor of the "
                      f"model (export with dynamic_shapes=False to fold it)")
        perm = list(perm) if perm is not None else identity(value.dim())
        arr = np.ascontiguousarray(to_tfjs(value, perm), dtype=np.float32)
        shape = [int(s) for s in value.shape]
        anchor = self.input_refs[:1]
        fill_shape = [shape[p] for p in perm]
        if like is not None and isinstance(self.sym_shape(like)[0], int) and \
                self.sym_shape(like)[0] == shape[0]:
            anchor, fill_shape[0] = [like], ["dim", 0, 0]
        if not anchor:
            self.fail(f"{what}: the model has no input to hang a constant from")
        base = f"{self.name()}_constant"
        ones = value.new_ones(value.shape).detach().to(torch.float32)
        (filled,) = self.b.layer("TorchFill", {"shape": fill_shape, "value": 1.0},
                                 anchor, f"{base}_ones", outputs=[(perm, ones)], record=False)
        (ref,) = self.b.layer("TorchElementwise", {"op": "mul", "reversed": False,
                                                   "constantShape": list(arr.shape)},
                              [filled], base, weights=[("constant", arr)],
                              outputs=[(perm, value.detach().to(torch.float32))], record=False)
        return ref

    def const(self, v, what):
        if isinstance(v, Ref):
            self.fail(f"argument {what!r} computed from the inputs is not supported (parameters, "
                      f"buffers and constants are)")
        return v

    def static_int(self, v, what):
        if isinstance(v, SymDim):
            self.fail(f"{what} is {v.expr}, a size known only at run time; this argument must be "
                      f"fixed (export with dynamic_shapes=False or a spec that fixes it)")
        if isinstance(v, torch.Tensor) and v.dim() == 0:
            v = v.item()
        if not is_static(v) and not isinstance(v, float):
            self.fail(f"{what} must be an integer, got {v!r}")
        return int(v)

    def ints(self, v, n, what):
        """An int-or-list argument as n static ints."""
        if isinstance(v, (tuple, list)):
            if len(v) == 1 and n > 1:
                v = list(v) * n
            return [self.static_int(x, what) for x in v]
        return [self.static_int(v, what)] * n

    def sym_value(self, v):
        """A size's value on the example inputs."""
        return v.value if isinstance(v, SymDim) else int(v)

    def sym_shape(self, ref):
        """A Ref's PyTorch-order shape: ints and SymDims."""
        if ref.sym is not None:
            return list(ref.sym)
        return list(ref.torch_shape)

    def writer(self, base):
        """An ExprWriter for a layer that has `base` inputs of its own (Note [shape
        expressions])."""
        return ExprWriter(self.sources, base, self.fail)

    def emit(self, class_name, config, inputs, perm=None, weights=(), name=None, outputs=None,
             share=None, record=True):
        """Adds a layer on `inputs` whose (single) output is this node's value in layout `perm`."""
        if outputs is None:
            outputs = [(perm if perm is not None else inputs[0].perm, self.value)]
        refs = self.b.layer(class_name, config, inputs, name or self.name(), weights=weights,
                            outputs=outputs, share=share, record=record)
        return refs[0] if len(refs) == 1 else refs


def _size_arith():
    """The ops that take a size as an operand (Note [a size as an operand] in
    src/layers/tensor_ops.ts), so a float that is an integer size too."""
    aten = torch.ops.aten
    return {aten.add.Tensor, aten.add.Scalar, aten.sub.Tensor, aten.sub.Scalar, aten.rsub.Scalar,
            aten.rsub.Tensor, aten.mul.Tensor, aten.mul.Scalar, aten.div.Tensor, aten.div.Scalar,
            aten.pow.Tensor_Scalar, aten.pow.Scalar}


def sym_shape_of(val, concrete=None):
    """Shape (ints, SymDims) of a FakeTensor `val`, with concrete sizes from `concrete`."""
    from ._shape import sym_of
    if val is None:
        return list(concrete.shape) if isinstance(concrete, torch.Tensor) else None
    shape = []
    for i, s in enumerate(val.shape):
        c = int(concrete.shape[i]) if isinstance(concrete, torch.Tensor) else None
        shape.append(sym_of(s, c) if isinstance(s, torch.SymInt) else int(s))
    return shape
