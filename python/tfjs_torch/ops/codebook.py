"""Note [argmin indices that only look up a table]
A vector quantizer (diffusers' VQModel.decode, which LDMSuperResolutionPipeline calls with
force_not_quantize=False; taming-transformers' VectorQuantizer and VectorQuantizer2) computes
each latent pixel's distances to the rows of a stored codebook, takes the index of the nearest
with torch.argmin over the codebook dim, and reads that row back: `embedding(idx)`
(index_select(table, 0, idx), table[idx]), or a one-hot of idx (zeros(n, K).scatter_(1,
idx.unsqueeze(1), 1), or F.one_hot(idx, K).float()) times the table. Integer tensors are not
values a tfjs model passes between its layers, and the indices are used only to look rows up, so
the pair is written as one layer, TorchArgGather: table[argmin(x, -1)] (argmax likewise), with
PyTorch's rules: on a tie the first index of the extreme value wins, and a NaN counts as the
extreme (the first NaN's index), as torch.argmin / argmax do. The argmin node holds what it
reads (ArgIndices, nothing emitted); each reader that looks rows up emits the layer with its own
table; the one-hot's unsqueeze, scatter (or F.one_hot's comparison with arange(K), its range
checks, which only assertions read, and its casts) pass the marker on. Any other reader of the
indices (their values as an output, arithmetic on them, a lookup in a tensor computed from the
inputs) keeps the refusal, naming that reader, before anything is emitted.

One-hot times the table is the looked-up row exactly for finite tables (1 * t + 0 * others).
The distances themselves are the model's own layers (cdist's decomposition, or the sums and
matmul the module writes), in float32 as PyTorch computes them, but not in its order of
additions: two codebook rows at nearly the same distance can swap, and the looked-up row is
then another row (a difference of the size of the rows' difference, not a rounding)."""
import operator

import torch

from . import register
from .._builder import Ref, identity
from ._common import dim_index, np32
from ._stacked import _raw_args

aten = torch.ops.aten

_ARG_OPS = {aten.argmin.default: "argmin", aten.argmax.default: "argmax"}
_ZEROS = (aten.zeros.default, aten.zeros_like.default, aten.new_zeros.default)


class ArgIndices:
    """The indices of argmin / argmax of `x` over its dim `dim` (PyTorch's), not emitted: only
    readers that look rows up read them (Note [argmin indices that only look up a table]).
    unsqueezed: the indices carry a trailing dim of 1 (idx.unsqueeze(1) before a scatter);
    onehot: a one-hot of them over the table's rows (the scatter's result)."""

    def __init__(self, x, op, dim, unsqueezed=False, onehot=False):
        self.x, self.op, self.dim = x, op, dim
        self.unsqueezed, self.onehot = unsqueezed, onehot

    def but(self, **kw):
        a = ArgIndices(self.x, self.op, self.dim, self.unsqueezed, self.onehot)
        for k, v in kw.items():
            setattr(a, k, v)
        return a


def is_marker(v):
    return isinstance(v, ArgIndices)


def _stored(ctx, node, seen=None):
    """Whether a graph node is a parameter, buffer or constant, or computed from those alone (the
    export folds it into a constant): nothing upstream of it is a model input. Nodes after the
    argmin are not mapped yet, so this looks upstream rather than at ctx.refs alone."""
    if not isinstance(node, torch.fx.Node) or node in ctx.refs:
        return False
    if node in ctx.consts or node.op == "get_attr":
        return True
    if node.op != "call_function" or not isinstance(ctx.values.get(node), torch.Tensor):
        return False
    seen = set() if seen is None else seen
    if node in seen:
        return True
    seen.add(node)
    return all(_stored(ctx, n, seen) for n in node.all_input_nodes)


def _tensor_value(ctx, node):
    v = ctx.values.get(node)
    return v if isinstance(v, torch.Tensor) else None


def _bad_reader(ctx, node, idx_rank, k, depth=0):
    """Why a reader of the indices node `node` (of rank idx_rank, over k table rows) is not a row
    lookup, or None when every reader is one."""
    from .._context import where
    for user in node.users:
        t = user.target
        at = where(user, ctx.model_name)
        if user.op == "output":
            return f"the model's output ({at})"
        if not isinstance(t, torch._ops.OpOverload):
            return f"{t} ({at})"
        if t is aten._assert_tensor_metadata.default:   # a check torch.export adds; no value
            continue
        a = _raw_args(user)
        if depth == 0 and t is aten.embedding.default and a["indices"] is node and \
                a["weight"] is not node and _stored(ctx, a["weight"]):
            continue
        if depth == 0 and t is aten.index_select.default and a["index"] is node and \
                a["self"] is not node and _stored(ctx, a["self"]) and idx_rank == 1 and \
                isinstance(a["dim"], int) and a["dim"] in (0, -_rank(ctx, a["self"])):
            continue
        if depth == 0 and t is aten.index.Tensor and list(a["indices"]) == [node] and \
                a["self"] is not node and _stored(ctx, a["self"]):
            continue
        if depth == 0 and t is aten.unsqueeze.default and a["self"] is node and \
                isinstance(a["dim"], int) and a["dim"] in (idx_rank, -1):
            why = _bad_reader(ctx, user, idx_rank + 1, k, depth=1)
            if why is None:
                continue
            return why
        if depth == 1 and t is aten.scatter.value and a["index"] is node and \
                a["self"] is not node and _zeros_of(ctx, a["self"], idx_rank, k) and \
                isinstance(a["dim"], int) and a["dim"] in (idx_rank - 1, -1) and \
                a["value"] == 1:
            why = _bad_reader(ctx, user, idx_rank, k, depth=2)
            if why is None:
                continue
            return why
        if depth == 0 and t in (aten.ge.Scalar, aten.lt.Scalar) and a["self"] is node and \
                a["other"] == (0 if t is aten.ge.Scalar else k) and _asserts_only(user):
            continue   # F.one_hot's range checks (always true for argmin's indices)
        if depth == 1 and t is aten.eq.Tensor and node in (a["self"], a["other"]) and \
                _is_arange(ctx, a["other"] if a["self"] is node else a["self"], k):
            # F.one_hot: idx[..., None] == arange(K)
            why = _bad_reader(ctx, user, idx_rank, k, depth=2)
            if why is None:
                continue
            return why
        if depth == 2 and t is aten._to_copy.default and a["self"] is node:
            why = _bad_reader(ctx, user, idx_rank, k, depth=2)   # the one-hot cast (.float())
            if why is None:
                continue
            return why
        if depth == 2 and t in (aten.matmul.default, aten.mm.default) and \
                user.args[0] is node and user.args[1] is not node and _stored(ctx, user.args[1]) \
                and _rank(ctx, user.args[1]) == 2:
            continue
        what = {0: "the indices", 1: "the indices unsqueezed", 2: "their one-hot"}[depth]
        return f"{t} reads {what} ({at})"
    return None


_ASSERT_CHAIN = (aten.logical_not.default, aten.any.dims, aten.any.default, aten.any.dim,
                 aten.all.default, aten.all.dim)


def _asserts_only(node):
    """Whether everything downstream of node is a logical_not / any / all feeding an assertion
    (no value: F.one_hot's `(idx >= 0).all()` checks as torch.export writes them)."""
    for u in node.users:
        if u.target in (aten._assert_async.msg, aten._assert_async.default,
                        aten._assert_tensor_metadata.default):
            continue
        if u.target in _ASSERT_CHAIN and _asserts_only(u):
            continue
        return False
    return True


def _is_arange(ctx, node, k):
    """Whether node is a stored [0, 1, ..., k - 1] (F.one_hot's classes)."""
    v = _tensor_value(ctx, node) if isinstance(node, torch.fx.Node) else None
    return v is not None and _stored(ctx, node) and v.dim() == 1 and v.shape[0] == k and \
        bool((v.cpu() == torch.arange(k, dtype=v.dtype)).all())


def _rank(ctx, node):
    v = _tensor_value(ctx, node)
    return -1 if v is None else v.dim()


def _zeros_of(ctx, node, rank, k):
    """Whether `node` is a tensor of zeros of rank `rank` whose last dim has k entries (a one-hot's
    blank, zeros(n, K)), made by zeros / zeros_like / new_zeros or a fill of 0."""
    if not isinstance(node, torch.fx.Node):
        return False
    v = _tensor_value(ctx, node)
    if v is None or v.dim() != rank or v.shape[-1] != k:
        return False
    if node.target in _ZEROS:
        return True
    return node.target in (aten.full.default,) and node.args[1] == 0


def emit_arg(ctx, a, op, x, dim, keepdim, indices_node, name=None):
    """The ArgIndices of argmin / argmax (or min / max's indices) over `dim` of Ref x, after
    checking that every reader of `indices_node` looks rows of a stored table up."""
    name = name or op   # what the messages call it ('min(dim)' for torch.min's indices)
    if dim is None:
        ctx.fail(f"{name} over every dim (no dim) flattens the batch too; give the codebook dim")
    d = dim_index(ctx, dim, x.rank)
    if d == 0:
        ctx.fail(f"{name} over the batch dim (dim 0) is not supported")
    if keepdim:
        ctx.fail(f"{name} with keepdim=True: only indices without the reduced dim are supported "
                 f"(Note [argmin indices that only look up a table])")
    k = x.torch_shape[d]
    why = _bad_reader(ctx, indices_node, x.rank - 1, k)
    if why is not None:
        ctx.fail(f"the indices of {name} are read by {why}; only looking up rows of a stored table "
                 f"with them is supported (embedding, index_select(table, 0, idx), table[idx], or "
                 f"a one-hot (zeros(n, K).scatter_(1, idx.unsqueeze(1), 1) or F.one_hot(idx, K)) "
                 f"times the table; Note [argmin indices that only look up a table])")
    return ArgIndices(x, op, d)


@register(aten.argmin.default, aten.argmax.default)
def argmin_argmax(ctx, a):
    """argmin / argmax: over a dim but the batch, with indices that only look up rows of a stored
    table (embedding, index_select(table, 0, idx), table[idx], a one-hot times the table), written
    with that lookup as one TorchArgGather, PyTorch's tie and NaN rules (Note [argmin indices
    that only look up a table]); any other use of the indices is refused, naming the reader."""
    return emit_arg(ctx, a, _ARG_OPS[ctx.node.target], ctx.ref(a.self), a.dim, a.keepdim, ctx.node)


def reads_marker(ctx, node):
    """Whether a node reads an ArgIndices (the codebook family then writes it)."""
    return any(is_marker(ctx.refs.get(n)) for n in node.all_input_nodes)


def read_marker(ctx, a):
    """A reader of an ArgIndices that _bad_reader allowed: the unsqueeze and the one-hot scatter
    pass the marker on; the lookups emit TorchArgGather."""
    node = ctx.node
    t = node.target
    mk = next(ctx.refs[n] for n in node.all_input_nodes if is_marker(ctx.refs.get(n)))
    if t is aten.unsqueeze.default:
        return mk.but(unsqueezed=True)
    if t in (aten.scatter.value, aten.eq.Tensor):
        return mk.but(onehot=True, unsqueezed=False)
    if t in (aten.ge.Scalar, aten.lt.Scalar, aten._to_copy.default) + _ASSERT_CHAIN:
        return mk   # F.one_hot's range checks (read by assertions only) and the one-hot's cast
    if t is aten.embedding.default:
        m, table = a.indices, a.weight
    elif t is aten.index_select.default:
        m, table = a.index, a.self
    elif t is aten.index.Tensor:
        m, table = a.indices[0], a.self
    elif t in (aten.matmul.default, aten.mm.default):
        m, table = a.self, a.get("other", a.get("mat2"))
    else:   # _bad_reader let no other reader through
        ctx.fail(f"reads the indices of {ctx.refs[node.all_input_nodes[0]].op}; only row "
                 f"lookups of a stored table are supported")
    if isinstance(table, Ref) or not isinstance(table, torch.Tensor):
        ctx.fail("the table the indices look up is computed from the inputs; only a stored table "
                 "(a parameter, buffer or constant) is supported")
    if table.dim() < 1 or table.shape[0] != m.x.torch_shape[m.dim]:
        ctx.fail(f"a table of shape {list(table.shape)} looked up with the indices of "
                 f"{m.op} over a dim of size {m.x.torch_shape[m.dim]}")
    b = ctx.b
    perm = [i for i in range(m.x.rank) if i != m.dim] + [m.dim]
    x = b.to_perm(m.x, perm)
    cfg = {"op": m.op, "tableShape": [int(s) for s in table.shape]}
    y = ctx.emit("TorchArgGather", cfg, [x], weights=[("table", np32(table))],
                 perm=identity(ctx.value.dim()))
    y.sym = ctx.out_sym()
    return y
