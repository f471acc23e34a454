"""The model being built: layers, weights, and where each PyTorch tensor lives in it.

Note [layouts]
Every tensor of the tfjs model is a PyTorch tensor with its dims permuted: `Ref.perm` says which
PyTorch dim each tfjs dim holds (tfjs dim i is PyTorch dim perm[i]). Dim 0 never moves
(perm[0] == 0); it is the batch except inside a model (Note [dim 0 inside a model]). A layer
that is layout-aware (a convolution, a pool, a norm over channels) wants
its input in the export's canonical layout: channels last (perm [0, 2, ..., r-1, 1]) when
data_format is 'channelsLast' and the tensor has spatial dims (rank >= 3), PyTorch's own
otherwise. A layer that reads memory order (reshape, view, flatten) wants PyTorch's own layout
(identity perm), so that its values come out as PyTorch's. Elementwise layers keep whatever layout
they get; permute and transpose cost nothing (they only relabel perm); cat, mean, softmax and the
like translate their dim through perm. `Builder.to_perm` inserts a tfjs Permute layer where a
layer needs another layout than the one its input has, once per (tensor, layout).

Note [dim 0 inside a model]
tf.LayersModel's own layers keep dim 0 as the batch, but nothing in tfjs-layers' predict /
execute checks an inner tensor's dim 0: only the model's inputs are sliced into batches and its
outputs concatenated along dim 0. So inside the model dim 0 may hold anything, as in PyTorch:
the batch merged with the heads (einops `b (h c) x y -> (b h) (x y) c`, nn.MultiheadAttention's
`view(L, N * heads, d)`), windows folded into it (Swin's window partition), or another dim moved
there by a transpose. A view that changes dim 0 states its size as a shape expression over the
model inputs' dims (TorchReshape's `batch`); a permute that moves dim 0 is a real transpose
(TorchPermute's `perm`, the result in PyTorch's layout, so that perm[0] == 0 still holds for
every Ref); a slice / select / split may cut dim 0 where its size is not a batch of the inputs
(TorchSlice's `batch`). Each model output must have a batch of the inputs at dim 0 again (a
tfjs model's outputs are per sample); slicing, concatenating or reducing a batch stays refused.
"""
import re

import numpy as np
import torch


from ._errors import ExportError  # noqa: F401  (re-exported)


class Ref:
    """One tensor of the tfjs model: output `tensor_index` of node `node_index` of `layer`."""

    def __init__(self, layer, node_index, tensor_index, perm, value):
        self.layer = layer
        self.node_index = node_index
        self.tensor_index = tensor_index
        self.perm = list(perm)
        # PyTorch's tensor (PyTorch's layout) on the example inputs, or only its shape (a list)
        # for a tensor inside one node's mapping (a convolution's padding).
        self.value = value
        # The shape in PyTorch's order with SymDims where a size is known only at run time
        # (_shape.py), or None when every size is the example's.
        self.sym = None

    @property
    def rank(self):
        return len(self.perm)

    @property
    def torch_shape(self):
        return list(self.value) if isinstance(self.value, list) else list(self.value.shape)

    @property
    def shape(self):
        """The tfjs shape (batch included)."""
        s = self.torch_shape
        return [s[p] for p in self.perm]

    def key(self):
        return f"{self.layer}:{self.node_index}:{self.tensor_index}"

    def inbound(self):
        return [self.layer, self.node_index, self.tensor_index, {}]


def identity(rank):
    return list(range(rank))


def channels_last(rank):
    return [0] + list(range(2, rank)) + [1] if rank >= 3 else identity(rank)


def invert(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return inv


def to_tfjs(value, perm):
    """PyTorch's tensor as the tfjs model holds it (numpy, float32 or int32)."""
    t = value.detach().cpu().permute(*perm).contiguous()
    if t.dtype.is_floating_point:
        return t.to(torch.float32).numpy()
    return t.to(torch.int32).numpy()


class Builder:
    def __init__(self, data_format):
        if data_format not in ("channelsLast", "channelsFirst"):
            raise ExportError(f"export: data_format must be 'channelsLast' or 'channelsFirst', "
                              f"got {data_format!r}")
        self.data_format = data_format
        self.layers = []        # layer dicts in model.json's order (a topological order)
        self.by_name = {}       # name -> layer dict
        self.weights = []       # (full name, numpy float32 array) in weights.bin's order
        self.names = set()
        self._suffix = {}       # base name -> the next suffix unique() tries
        self.records = []       # refs whose PyTorch value the check file records
        self._permuted = {}     # (ref key, perm) -> ref
        self._shared = {}       # module path -> layer name (a module called more than once)

    # ---- names ---------------------------------------------------------------------------------
    def unique(self, base):
        base = re.sub(r"[^A-Za-z0-9_]", "_", base) or "layer"
        # The next suffix to try for each base (counting from 1 each time made n layers of one
        # name cost n^2: 10,000 in-place ReLUs).
        name, i = base, self._suffix.get(base, 1)
        if name in self.names:
            name = f"{base}_{i}"
            while name in self.names:
                i += 1
                name = f"{base}_{i}"
            self._suffix[base] = i + 1
        self.names.add(name)
        return name

    # ---- layers --------------------------------------------------------------------------------
    def canonical(self, rank):
        return channels_last(rank) if self.data_format == "channelsLast" else identity(rank)

    def add_input(self, name, value, sym=None):
        if not value.dtype.is_floating_point:
            raise ExportError(f"export: input {name!r} has dtype {value.dtype}; the exported model "
                              f"takes float32 inputs")
        if value.dim() < 1:
            raise ExportError(f"export: input {name!r} is a scalar; inputs need a batch dim")
        name = self.unique(name)
        perm = self.canonical(value.dim())
        full = sym if sym is not None else list(value.shape)
        shape = [full[p] if isinstance(full[p], int) else None for p in perm]
        layer = {"class_name": "InputLayer", "name": name, "inbound_nodes": [],
                 "config": {"batch_input_shape": [None] + shape[1:], "dtype": "float32",
                            "sparse": False, "name": name}}
        self._append(layer)
        ref = Ref(name, 0, 0, perm, value)
        ref.sym = sym
        return ref

    def _append(self, layer):
        self.layers.append(layer)
        self.by_name[layer["name"]] = layer

    def layer(self, class_name, config, inputs, name, weights=(), outputs=None, record=True,
              share=None):
        """Adds a layer applied to `inputs` (refs, already in the layouts it needs).

        outputs: list of (perm, PyTorch value) for each output tensor. weights: (name, numpy
        array already in the layer's layout) in the order the layer creates them. share: a
        module path; a second call with the same path reuses the layer (shared weights).
        Returns the output refs (a list).
        """
        # Note [one tensor twice in a layer's inputs]: tfjs-layers' executor counts a tensor's
        # consumers as a set of layers but decrements the count once per input slot, so a layer
        # that takes one tensor twice (a view whose size expression reads the dims of the very
        # input it reshapes) frees that tensor while a later layer still needs it (on wasm:
        # "Cannot read properties of undefined (reading 'backend')"). The second slot gets a
        # copy (TorchShapeCheck without rules: tf.clone, which shares the data).
        seen, fixed = set(), []
        for r in inputs:
            if r.key() in seen:
                (r,) = self.layer("TorchShapeCheck", {"rules": [], "inputNames": [r.layer]}, [r],
                                  f"{r.layer}_copy", outputs=[(r.perm, r.value)], record=False)
            seen.add(r.key())
            fixed.append(r)
        inputs = fixed
        if share is not None and share in self._shared:
            layer = self.by_name[self._shared[share]]
            node_index = len(layer["inbound_nodes"])
            name = layer["name"]
        else:
            name = self.unique(name)
            cfg = dict(config)
            cfg.update({"name": name, "trainable": True, "dtype": "float32"})
            layer = {"class_name": class_name, "name": name, "inbound_nodes": [], "config": cfg}
            self._append(layer)
            node_index = 0
            for wname, array in weights:
                self.weights.append((f"{name}/{wname}", np.ascontiguousarray(array, dtype=np.float32)))
            if share is not None:
                self._shared[share] = name
        layer["inbound_nodes"].append([r.inbound() for r in inputs])
        refs = [Ref(name, node_index, i, perm, value) for i, (perm, value) in enumerate(outputs)]
        if record:
            self.records.extend(r for r in refs if isinstance(r.value, torch.Tensor))
        return refs

    def to_perm(self, ref, perm):
        """`ref` in layout `perm` (a Permute layer when it is in another)."""
        perm = list(perm)
        if ref.perm == perm:
            return ref
        cache = (ref.key(), tuple(perm))
        if cache in self._permuted:
            return self._permuted[cache]
        inv = invert(ref.perm)
        dims = [inv[perm[j]] for j in range(1, len(perm))]
        label = "channels_last" if perm == channels_last(len(perm)) and perm != identity(len(perm)) \
            else "torch_order" if perm == identity(len(perm)) else "permuted"
        integer = isinstance(ref.value, torch.Tensor) and not ref.value.dtype.is_floating_point
        # tfjs-layers' Permute would make int32 indices float32 (tfjs-torch's keeps the dtype).
        (out,) = self.layer("TorchPermute" if integer else "Permute", {"dims": dims}, [ref],
                            f"{ref.layer}_to_{label}", outputs=[(perm, ref.value)])
        self._permuted[cache] = out
        return out

    def to_canonical(self, ref):
        return self.to_perm(ref, self.canonical(ref.rank))

    def to_torch_order(self, ref):
        return self.to_perm(ref, identity(ref.rank))

    def prune(self, output_refs):
        """Drops the layers no output depends on (an unused chunk, say): tf.LayersModel would."""
        keep = set()
        stack = [r.layer for r in output_refs]
        while stack:
            name = stack.pop()
            if name in keep:
                continue
            keep.add(name)
            for node in self.by_name[name]["inbound_nodes"]:
                stack.extend(inbound[0] for inbound in node)
        self.layers = [l for l in self.layers if l["name"] in keep or l["class_name"] == "InputLayer"]
        self.by_name = {l["name"]: l for l in self.layers}
        self.weights = [(n, a) for n, a in self.weights if n.split("/")[0] in keep]
        self.records = [r for r in self.records if r.layer in keep]

    def fold_attention_scales(self, output_refs):
        """Note [an attention scale folded into the query projection]
        Attention divides its scores by sqrt(head dim): SAM's `attn = q @ k.permute(0, 1, 3, 2);
        attn = attn / math.sqrt(c_per_head)`, one more pass over each [heads, queries, keys] score
        tensor (on tensorflow a Multiply of 0.4 ms per cross-attention of SAM's mask decoder at
        64x64, 4% of its kernel time in all). Where the divisor (or a mul's factor) is a power of
        two, the factor f = 2^k is exact in float32, and so is each product by it: x @ (W f) + b f
        gives f (x @ W + b) bit for bit (each product and partial sum is scaled by 2^k, which
        changes no rounding), and (q f) @ k^T gives f (q @ k^T) the same way. So such a scale is
        folded into the query's Linear: its kernel and bias are multiplied by f and the div / mul
        layer goes (its readers read the product). It is exact only for powers of two, so sqrt(32)
        (SAM's self-attention, 256 channels in 8 heads) keeps its div: PyTorch's numbers stay the
        oracle. The pattern: a TorchElementwise div (not reversed) or mul by a scalar power of two
        whose input is a TorchMatMul of two model tensors, one operand of which (the left one
        tried first) comes from a TorchLinear through only Permute / reshape layers; every layer
        on that path and the product is read by exactly one layer slot (not a model output),
        called once (no shared module), and the scaled weights divide back to the old ones
        exactly (no underflow or overflow of a weight). The folded layers' outputs are no longer
        PyTorch's q (they are f q), so their records leave the check file (intermediates); the
        outputs are checked as before. Returns the number of scales folded."""
        import math
        readers = {}
        for layer in self.layers:
            for node in layer["inbound_nodes"]:
                for inbound in node:
                    readers[inbound[0]] = readers.get(inbound[0], 0) + 1
        outputs = {r.layer for r in output_refs}

        def single(name):
            layer = self.by_name[name]
            return (readers.get(name, 0) == 1 and name not in outputs and
                    len(layer["inbound_nodes"]) == 1)

        def linear_behind(name):
            """The TorchLinear that `name` reads through Permute / reshape layers only, and the
            layers on the way; None where the path is anything else."""
            path = []
            while True:
                layer = self.by_name.get(name)
                if layer is None or not single(name):
                    return None
                path.append(name)
                if layer["class_name"] == "TorchLinear":
                    return path
                if layer["class_name"] not in ("Permute", "TorchReshape", "Reshape"):
                    return None
                name = layer["inbound_nodes"][0][0][0]

        weights = {n: i for i, (n, _) in enumerate(self.weights)}
        folded = 0
        for div in list(self.layers):
            cfg = div["config"]
            if div["class_name"] != "TorchElementwise" or cfg.get("op") not in ("div", "mul") or \
                    "scalar" not in cfg or cfg.get("constantShape") is not None or \
                    (cfg["op"] == "div" and cfg.get("reversed")) or len(div["inbound_nodes"]) != 1 or \
                    div["name"] in outputs:
                continue
            s = float(cfg["scalar"])
            if not math.isfinite(s) or s == 0 or math.frexp(abs(s))[0] != 0.5 or s < 0:
                continue
            f = 1.0 / s if cfg["op"] == "div" else s
            (inbound,) = div["inbound_nodes"][0]
            mm = self.by_name.get(inbound[0])
            if mm is None or mm["class_name"] != "TorchMatMul" or \
                    mm["config"].get("constantShape") is not None or not single(mm["name"]):
                continue
            for operand in mm["inbound_nodes"][0]:
                path = linear_behind(operand[0])
                if path is None:
                    continue
                lin = path[-1]
                names = [f"{lin}/kernel"] + ([f"{lin}/bias"] if f"{lin}/bias" in weights else [])
                if any(n not in weights for n in names[:1]):
                    continue
                scaled = [self.weights[weights[n]][1] * np.float32(f) for n in names]
                if not all(np.array_equal(a / np.float32(f), self.weights[weights[n]][1])
                           for a, n in zip(scaled, names)):
                    continue
                for a, n in zip(scaled, names):
                    self.weights[weights[n]] = (n, a.astype(np.float32))
                for layer in self.layers:
                    for node in layer["inbound_nodes"]:
                        for slot in node:
                            if slot[0] == div["name"]:
                                slot[0], slot[1], slot[2] = mm["name"], 0, 0
                gone = set(path) | {mm["name"], div["name"]}
                self.records = [r for r in self.records if r.layer not in gone]
                div["inbound_nodes"] = [[inbound]]
                readers[div["name"]] = 0
                folded += 1
                break
        return folded

    def fold_layer_norms_2d(self, output_refs):
        """Note [LayerNorm2d written out as one layer norm]
        SAM's (and ConvNeXt's, detectron2's) LayerNorm2d normalizes each position's channels with
        PyTorch ops written out: u = x.mean(1, keepdim=True); s = (x - u).pow(2).mean(1,
        keepdim=True); x = (x - u) / torch.sqrt(s + eps); weight[:, None, None] * x +
        bias[:, None, None]. Exported as written, that is ten layers and as many passes over the
        feature map (SAM's mask decoder: [1, 128, 128, 64] on tensorflow, Sub, Square, Mean,
        RealDiv, Multiply, Add, ...). Channels last, the channel dim is the tfjs tensor's last,
        so the same arithmetic is a layer norm over the last dim: one TorchLayerNorm layer
        (normalizedShape [C], eps, weight and bias the two constants; on tensorflow one oneDNN
        op, Note [layer norm as oneDNN's op]). The pattern, on the built layers: a
        TorchElementwise add of a [1, ..., 1, C] constant on a mul (either order) of a
        [1, ..., 1, C] constant on a div (not reversed) of a sub (x - u) by a sqrt of an add of a
        scalar eps (>= 0) on a mean over the last axis (keepDims) of a pow 2 of a sub (x - u),
        with u a mean over the last axis (keepDims) of the same x. The add layer becomes the
        norm (same name, so its record in the check file is the same PyTorch value); the other
        layers go where nothing else reads them. Channels first (the mean over axis 1) keeps the
        written-out form. Numbers: the same formula; a layer norm's own statistics (PyTorch's
        F.layer_norm, and ours) round differently from the written-out ops, within float32
        rounding. Returns the number folded."""
        def one(layer):
            return len(layer["inbound_nodes"]) == 1

        def src(layer, i=0):
            node = layer["inbound_nodes"][0]
            return self.by_name.get(node[i][0]) if i < len(node) else None

        def slot(layer, i):
            return layer["inbound_nodes"][0][i][:3]

        def ew(layer, op, n_inputs):
            return (layer is not None and layer["class_name"] == "TorchElementwise" and one(layer) and
                    layer["config"].get("op") == op and len(layer["inbound_nodes"][0]) == n_inputs
                    and "scalarExpr" not in layer["config"])

        def last_axis_mean(layer, rank):
            c = layer["config"] if layer is not None else {}
            return (layer is not None and layer["class_name"] == "TorchReduce" and one(layer) and
                    c.get("op") == "mean" and c.get("axis") == [rank - 1] and c.get("keepDims") is True)

        def centered(sub, rank):
            """(x slot, mean layer) when sub is x - mean_last(x), else None."""
            if not ew(sub, "sub", 2) or sub["config"].get("reversed"):
                return None
            u = src(sub, 1)
            if not last_axis_mean(u, rank) or slot(u, 0) != slot(sub, 0):
                return None
            return slot(sub, 0), u

        index = {n: i for i, (n, _) in enumerate(self.weights)}
        folded = 0
        for add in list(self.layers):
            cs = add["config"].get("constantShape")
            if not ew(add, "add", 1) or not cs or any(d != 1 for d in cs[:-1]) or len(cs) < 3:
                continue
            rank, c = len(cs), cs[-1]
            mul = src(add)
            if not ew(mul, "mul", 1) or mul["config"].get("constantShape") != cs:
                continue
            div = src(mul)
            if not ew(div, "div", 2) or div["config"].get("reversed"):
                continue
            num = centered(src(div, 0), rank)
            sqrt = src(div, 1)
            if num is None or sqrt is None or sqrt["class_name"] != "TorchActivation" or \
                    sqrt["config"].get("fn") != "sqrt" or not one(sqrt):
                continue
            eps_add = src(sqrt)
            if not ew(eps_add, "add", 1) or "scalar" not in eps_add["config"] or \
                    not float(eps_add["config"]["scalar"]) >= 0:
                continue
            var = src(eps_add)
            if not last_axis_mean(var, rank):
                continue
            sq = src(var)
            if not ew(sq, "pow", 1) or sq["config"].get("scalar") != 2.0 or sq["config"].get("reversed"):
                continue
            sq_in = centered(src(sq), rank)
            if sq_in is None or sq_in[0] != num[0]:
                continue
            wname, bname = f"{mul['name']}/constant", f"{add['name']}/constant"
            if wname not in index or bname not in index:
                continue
            weight = self.weights[index[wname]][1].reshape(c)
            bias = self.weights[index[bname]][1].reshape(c)
            name = add["name"]
            add["class_name"] = "TorchLayerNorm"
            add["config"] = {"normalizedShape": [c], "eps": float(eps_add["config"]["scalar"]),
                             "elementwiseAffine": True, "name": name, "trainable": True,
                             "dtype": "float32"}
            add["inbound_nodes"] = [[list(num[0]) + [{}]]]
            i = index[bname]
            self.weights[i:i + 1] = [(f"{name}/weight", np.ascontiguousarray(weight, np.float32)),
                                     (f"{name}/bias", np.ascontiguousarray(bias, np.float32))]
            index = {n: i for i, (n, _) in enumerate(self.weights)}
            folded += 1
        return folded

    # ---- files ---------------------------------------------------------------------------------
    def model_json(self, input_refs, output_refs, model_name):
        topology = {
            "class_name": "Model",
            "config": {
                "name": model_name,
                "layers": self.layers,
                "input_layers": [[r.layer, r.node_index, r.tensor_index] for r in input_refs],
                "output_layers": [[r.layer, r.node_index, r.tensor_index] for r in output_refs],
            },
            "keras_version": "tfjs-layers 4.22.0",
            "backend": "tensor_flow.js",
        }
        manifest = [{"paths": ["weights.bin"],
                     "weights": [{"name": n, "shape": list(a.shape), "dtype": "float32"}
                                 for n, a in self.weights]}]
        return {"format": "layers-model", "generatedBy": "tfjs_torch.export",
                "convertedBy": None, "modelTopology": topology, "weightsManifest": manifest}

    def weights_bytes(self):
        return b"".join(a.astype("<f4").tobytes() for _, a in self.weights)
