"""The input constraints PyTorch infers (Note [input constraints]).

torch.export records, for free sizes, the ranges of each size symbol (range_constraints) and the
guards its graph is valid under (`L['x'].size()[2] % 8 == 0`, written as Python source). They are
parsed here with `ast` (never evaluated) into shape-expression rules (Note [shape expressions])
that the model checks at predict time (tfjs-torch's TorchShapeCheck layer after each input), with
a message naming the input, the dim and the rule.
"""
import ast

from ._shape import count_nodes, evaluate

MAX_RULES = 512


class _Unsupported(Exception):
    pass


def parse_guard(text, names):
    """A guard's source as (rule, [(input index, torch dim)]), or None if it is not a pure size
    rule over the named inputs."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    used = []

    def dim_of(node):
        # L['x'].size()[2]  or  L['args'][0].size()[2]
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call)):
            raise _Unsupported
        call = node.value
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "size"):
            raise _Unsupported
        d = _const_int(node.slice)
        src = call.func.value
        idx = None
        if isinstance(src, ast.Subscript) and isinstance(src.value, ast.Name) and src.value.id == "L":
            key = _const(src.slice)
            if key in names:
                idx = names.index(key)
        elif isinstance(src, ast.Subscript) and isinstance(src.value, ast.Subscript):
            inner = src.value
            if isinstance(inner.value, ast.Name) and inner.value.id == "L" and \
                    _const(inner.slice) == "args":
                idx = _const_int(src.slice)
        if idx is None or d is None:
            raise _Unsupported
        if (idx, d) not in used:
            used.append((idx, d))
        return ["tdim", idx, d]

    def conv(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return int(node.value)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return ["neg", conv(node.operand)]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ["not", conv(node.operand)]
        if isinstance(node, ast.BinOp):
            ops = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.FloorDiv: "floordiv",
                   ast.Mod: "mod"}
            op = ops.get(type(node.op))
            if op is None:
                raise _Unsupported
            return [op, conv(node.left), conv(node.right)]
        if isinstance(node, ast.BoolOp):
            return ["and" if isinstance(node.op, ast.And) else "or", *[conv(v) for v in node.values]]
        if isinstance(node, ast.Compare):
            cmps = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt",
                    ast.GtE: "ge"}
            parts = []
            left = node.left
            for op, right in zip(node.ops, node.comparators):
                name = cmps.get(type(op))
                if name is None:
                    raise _Unsupported
                parts.append([name, conv(left), conv(right)])
                left = right
            return parts[0] if len(parts) == 1 else ["and", *parts]
        if isinstance(node, ast.Call):
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if fname in ("sym_max", "max") and node.args:
                return ["max", *[conv(a) for a in node.args]]
            if fname in ("sym_min", "min") and node.args:
                return ["min", *[conv(a) for a in node.args]]
            if fname in ("ceil", "floor") and len(node.args) == 1 and isinstance(
                    node.args[0], ast.BinOp) and isinstance(node.args[0].op, ast.Div):
                # math.ceil(a / b) of sizes (MobileViT's int(math.ceil(h / 2) * 2), kept as a
                # size: Note [int() of a size]): ceil-division, exact for integers below 2^53
                a = node.args[0]
                return ["ceildiv" if fname == "ceil" else "floordiv", conv(a.left), conv(a.right)]
            if fname in ("trunc", "floor") and len(node.args) == 1:
                # math.trunc(torch.sym_float(n) ** 0.5): Note [the square root of a size]
                a = node.args[0]
                if isinstance(a, ast.BinOp) and isinstance(a.op, ast.Pow) and \
                        _const(a.right) == 0.5 and isinstance(a.left, ast.Call) and \
                        getattr(a.left.func, "attr", getattr(a.left.func, "id", None)) in (
                            "sym_float", "float") and len(a.left.args) == 1:
                    return ["isqrt", conv(a.left.args[0])]
            raise _Unsupported
        if isinstance(node, ast.Subscript):
            return dim_of(node)
        raise _Unsupported

    try:
        rule = conv(tree.body)
    except (_Unsupported, RecursionError):
        return None
    if not used:
        return None
    return rule, used


def _const(node):
    return node.value if isinstance(node, ast.Constant) else None


def _const_int(node):
    v = _const(node)
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _const(node.operand)
        return -v if isinstance(v, int) else None
    return None


def pretty(text, names):
    """`L['x'].size()[2]` -> `x.shape[2]`."""
    out = text
    for n in names:
        out = out.replace(f"L['{n}'].size()", f"{n}.shape")
    for i, n in enumerate(names):
        out = out.replace(f"L['args'][{i}].size()", f"{n}.shape")
    return out


def bind_rule(rule, slots):
    """Replaces ["tdim", input, torch dim] by ["dim", k, tfjs axis] (slots: (input, d) -> (k,
    axis))."""
    if isinstance(rule, list):
        if rule[0] == "tdim":
            k, axis = slots[(rule[1], rule[2])]
            return ["dim", k, axis]
        return [rule[0], *[bind_rule(r, slots) for r in rule[1:]]]
    return rule


def holds(rule, torch_shapes):
    """Evaluates a parsed rule (["tdim", ...] form) on PyTorch-layout shapes."""
    def sub(r):
        if isinstance(r, list):
            if r[0] == "tdim":
                return torch_shapes[r[1]][r[2]]
            return [r[0], *[sub(x) for x in r[1:]]]
        return r
    try:
        return bool(evaluate(sub(rule), []))
    except (ZeroDivisionError, IndexError, ValueError):
        return False


def complexity(rule):
    return count_nodes(rule)
