"""Sizes that are not known until run time, and the shape expressions the model carries for them.

Note [shape expressions]
With free image sizes (export's dynamic_shapes=None), torch.export gives every free input dim a
symbol (s0, s1, ...) and every size computed from them an expression over those symbols (sympy):
`h // 2`, `skip.shape[2] - x.shape[2]`, `Max(1, w)`. A layer whose configuration holds such a size
(view to [b, c, h * w], interpolate to skip's size, pad by a size difference, zeros(n, c, h, w),
a slice to h // 2) writes it as a shape expression: JSON data in a small closed grammar, which the
layer evaluates at run time from the shapes of its own inputs (src/layers/shape_expr.ts):

    expr := integer                      a safe integer
          | ["dim", k, axis]             size of the layer's input k along (tfjs) axis
          | [op, expr, expr, ...]        op: add, mul, min, max (2 to 8 operands)
          | [op, expr, expr]             op: sub, floordiv, ceildiv, mod (floor semantics, as Python)
          | ["neg", expr]
          | ["isqrt", expr]              integer square root (Note [the square root of a size])
    rule := expr                         in model.json's input checks: nonzero = holds
          | [cmp, expr, expr]            cmp: eq, ne, lt, le, gt, ge (1 or 0)
          | ["and", rule, ...] | ["or", rule, ...] | ["not", rule]

A symbol is a dim of a model input, so a layer that needs one takes that model input as an extra
input (after its own) and refers to it with ["dim", k, axis]. Nothing is evaluated as code: the
loader checks the structure (depth, size, integers only) and each result passes the size guard.
"""
import sympy
import torch

from ._errors import ExportError

MAX_DEPTH = 32
MAX_NODES = 4096   # src/layers/shape_expr.ts's bound: a longer expression would not load


class SymDim:
    """A size known only at run time: its sympy expression over the input symbols and its value
    on the example inputs."""

    def __init__(self, expr, value):
        self.expr = expr
        self.value = int(value)

    def __repr__(self):
        return f"SymDim({self.expr} = {self.value})"

    def __index__(self):
        raise TypeError("a SymDim has no fixed value; use ctx.size() or ctx.static_int()")


def sym_of(v, concrete=None):
    """An int for a static size, a SymDim for a symbolic one (torch.SymInt or sympy expr)."""
    if isinstance(v, SymDim):
        return v
    if isinstance(v, torch.SymInt):
        expr = v.node.expr
        if concrete is None:
            try:
                concrete = v.node.hint
            except Exception:  # noqa: BLE001 (a hint is optional)
                concrete = None
        v = expr
    if isinstance(v, sympy.Expr):
        if v.is_Integer:
            return int(v)
        return SymDim(v, concrete if concrete is not None else -1)
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    raise TypeError(f"not a size: {v!r}")


def int_of_float(e):
    """Note [a float that is an integer size]
    torch.std's decomposition divides by `float(n) - 1.0` (n the count of reduced elements), a
    SymFloat ToFloat(s0*s1) - 1.0. It is the integer n - 1 written as a float: ToFloat of an
    integer expression, plus, minus or times whole-number constants, is exactly that integer
    expression for every value below 2^53 (each step exact in float64), and shape expressions
    refuse values past 2^53. Returns the sympy integer expression, or None where `e` is anything
    else (a true division, a fractional constant), which stays an error."""
    import torch.utils._sympy.functions as F
    if e.is_Integer:
        return e
    if e.is_Float:
        f = float(e)   # (sympy's Float(1.0) == 1 is False)
        return sympy.Integer(int(f)) if f.is_integer() and abs(f) < 2 ** 53 else None
    if isinstance(e, F.ToFloat):
        (a,) = e.args
        return a if a.is_integer else None
    if isinstance(e, (sympy.Add, sympy.Mul)):
        args = [int_of_float(a) for a in e.args]
        if any(a is None for a in args):
            return None
        return e.func(*args)
    return None


def sqrt_of(e):
    """Note [the square root of a size]
    transformers' DPT reassembles its tokens into a square grid of side `torch_int(n ** 0.5)` (n
    the token count, (h // 16) * (w // 16)): int() of a float square root, which torch.export
    writes TruncToInt(FloatPow(ToFloat(n), 0.5)) once int() keeps it a size (Note [int() of a
    size] in _capture.py). For an integer n >= 0 below 2^52 that is floor(sqrt(n)) exactly (a
    perfect square's root is exact in float64, and any other n is at least 1 / r^2 away from r^2,
    more than float64's rounding), the shape grammar's `isqrt`. Returns n's sympy expression
    where e has that form (FloorToInt too, and sympy's own sqrt of an integer expression), else
    None."""
    import torch.utils._sympy.functions as F
    rounding = tuple(getattr(F, k) for k in ("TruncToInt", "FloorToInt") if hasattr(F, k))
    base = None
    if rounding and isinstance(e, rounding):
        (a,) = e.args
        pow_ = getattr(F, "FloatPow", None)
        if pow_ is not None and isinstance(a, pow_) or isinstance(a, sympy.Pow):
            b, ex = a.args
            if ex.is_number and float(ex) == 0.5:
                base = b.args[0] if isinstance(b, getattr(F, "ToFloat", ())) else None
    elif isinstance(e, sympy.floor) and isinstance(e.args[0], sympy.Pow):
        b, ex = e.args[0].args
        if ex == sympy.Rational(1, 2) and b.is_integer:
            base = b
    if base is None or not getattr(base, "is_integer", False):
        return None
    return base


def is_static(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _free_symbols(e):
    return getattr(e, "free_symbols", set())


class ExprWriter:
    """Writes sympy expressions as shape expressions (Note [shape expressions]) for one layer.

    sources: {sympy Symbol: (Ref of a model input, tfjs axis)}. base: how many inputs the layer
    has before the extra ones. Collects the extra inputs the expressions need (self.extra).
    """

    def __init__(self, sources, base, fail):
        self.sources = sources
        self.base = base
        self.fail = fail
        self.extra = []   # model input Refs, in order
        self._slot = {}   # ref key -> index in extra

    def _dim(self, sym):
        if sym not in self.sources:
            self.fail(f"size {sym} is not a dim of any model input (an expression torch.export "
                      f"derived); give that dim a plain Dim in dynamic_shapes or fix it")
        ref, axis = self.sources[sym]
        k = self._slot.get(ref.key())
        if k is None:
            k = len(self.extra)
            self._slot[ref.key()] = k
            self.extra.append(ref)
        return ["dim", self.base + k, axis]

    def write(self, v):
        if isinstance(v, SymDim):
            v = v.expr
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, int):
            return v
        out = self._write(sympy.sympify(v), 0)
        return out

    def _write(self, e, depth):
        import torch.utils._sympy.functions as F
        if depth > MAX_DEPTH:
            self.fail(f"size expression {e} is nested deeper than {MAX_DEPTH}")
        w = lambda x: self._write(x, depth + 1)  # noqa: E731
        if e.is_Integer:
            return int(e)
        if e is sympy.true:
            return 1
        if e is sympy.false:
            return 0
        if e.is_Symbol:
            return self._dim(e)
        if isinstance(e, sympy.Add):
            return ["add", *[w(a) for a in e.args]]
        if isinstance(e, sympy.Mul):
            parts = []
            for a in e.args:
                if a.is_Rational and not a.is_Integer:
                    # c * (p/q): an exact division torch proved; write it as floordiv.
                    rest = sympy.Mul(*[b for b in e.args if b is not a])
                    return ["floordiv", ["mul", int(a.p), w(rest)], int(a.q)]
                parts.append(w(a))
            return ["mul", *parts]
        if isinstance(e, (F.FloorDiv, F.CleanDiv)):
            return ["floordiv", w(e.args[0]), w(e.args[1])]
        if isinstance(e, (F.Mod, F.PythonMod)):
            return ["mod", w(e.args[0]), w(e.args[1])]
        if isinstance(e, F.CeilDiv) if hasattr(F, "CeilDiv") else False:
            return ["ceildiv", w(e.args[0]), w(e.args[1])]
        if isinstance(e, F.CeilToInt) and isinstance(e.args[0], F.IntTrueDiv):
            a, b = e.args[0].args
            return ["ceildiv", w(a), w(b)]
        n = sqrt_of(e)
        if n is not None:
            return ["isqrt", w(n)]
        if isinstance(e, (sympy.Max, F.Max)):
            return ["max", *[w(a) for a in e.args]]
        if isinstance(e, (sympy.Min, F.Min)):
            return ["min", *[w(a) for a in e.args]]
        if isinstance(e, (sympy.Pow, getattr(F, "PowByNatural", sympy.Pow))):
            base, exp = e.args
            if exp.is_Integer and 0 <= int(exp) <= 8:
                return ["mul", 1, *[w(base)] * int(exp)] if int(exp) else 1
        rel = {sympy.Eq: "eq", sympy.Ne: "ne", sympy.Lt: "lt", sympy.Le: "le", sympy.Gt: "gt",
               sympy.Ge: "ge", sympy.StrictLessThan: "lt", sympy.LessThan: "le",
               sympy.StrictGreaterThan: "gt", sympy.GreaterThan: "ge"}
        for cls, name in rel.items():
            if isinstance(e, cls):
                return [name, w(e.args[0]), w(e.args[1])]
        if isinstance(e, sympy.And):
            return ["and", *[w(a) for a in e.args]]
        if isinstance(e, sympy.Or):
            return ["or", *[w(a) for a in e.args]]
        if isinstance(e, sympy.Not):
            return ["not", w(e.args[0])]
        self.fail(f"size expression {e} uses {type(e).__name__}, which shape expressions do not "
                  f"have (they have + - * // % ceil-div min max isqrt); fix that size with "
                  f"dynamic_shapes or compute it differently")


def count_nodes(expr):
    if isinstance(expr, list):
        return 1 + sum(count_nodes(a) for a in expr[1:])
    return 1


def evaluate(expr, shapes):
    """The Python twin of src/layers/shape_expr.ts's evaluator (for the exporter's own checks)."""
    if isinstance(expr, int):
        return expr
    op, args = expr[0], expr[1:]
    if op == "dim":
        return shapes[args[0]][args[1]]
    v = [evaluate(a, shapes) for a in args]
    if op == "add":
        return sum(v)
    if op == "mul":
        r = 1
        for x in v:
            r *= x
        return r
    if op == "sub":
        return v[0] - v[1]
    if op == "neg":
        return -v[0]
    if op == "isqrt":
        if v[0] < 0:
            raise ValueError(f"isqrt of {v[0]}")
        import math
        return math.isqrt(v[0])
    if op == "floordiv":
        return v[0] // v[1]
    if op == "ceildiv":
        return -((-v[0]) // v[1])
    if op == "mod":
        return v[0] % v[1]
    if op == "min":
        return min(v)
    if op == "max":
        return max(v)
    cmp = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
           "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}
    if op in cmp:
        return int(cmp[op](v[0], v[1]))
    if op == "and":
        return int(all(v))
    if op == "or":
        return int(any(v))
    if op == "not":
        return int(not v[0])
    raise ExportError(f"unknown shape expression op {op!r}")


class _AnyDim:
    """ExprWriter's sources for `writable`: every symbol is a dim of some input."""

    class _Ref:
        def key(self):
            return "any"

    def __contains__(self, sym):
        return True

    def __getitem__(self, sym):
        return (self._Ref(), 0)


def writable(expr):
    """Whether a size expression (sympy) is in the shape grammar (Note [shape expressions]), with
    its symbols read as input dims."""
    class _No(Exception):
        pass

    def fail(msg):
        raise _No(msg)
    try:
        ExprWriter(_AnyDim(), 0, fail).write(expr)
    except (_No, TypeError, ValueError, RecursionError):
        return False
    return True
