// Shape expressions: sizes a layer computes at run time from the shapes of its inputs, written by
// the Python exporter as JSON data (Note [shape expressions] in python/tfjs_torch/_shape.py).
//
// Note [shape expressions are data]
// An exported model's sizes may depend on the input's (an image of any size: `h // 2`, a pad by
// `skip.shape[2] - x.shape[2]`, a view to `[b, c, h * w]`). model.json carries them in a small
// closed grammar, never as code:
//
//   expr := integer                     a safe integer
//         | ["dim", k, axis]            size of the layer's input k along tfjs axis `axis`
//         | ["add" | "mul" | "min" | "max", expr, expr, ...]   (2 to 8 operands)
//         | ["sub" | "floordiv" | "ceildiv" | "mod", expr, expr]  (floor semantics, as Python)
//         | ["neg", expr]
//         | ["isqrt", expr]             the integer square root of a size >= 0 (floor)
//   rule := expr (nonzero holds) | ["eq"|"ne"|"lt"|"le"|"gt"|"ge", expr, expr]
//         | ["and" | "or", rule, ...] | ["not", rule]
//
// A config from an untrusted model.json is checked when the layer is built (parseExpr): only
// these ops, integers only, at most MAX_DEPTH deep and MAX_NODES nodes, ["dim", k, axis] with
// small integers. Evaluation is exact integer arithmetic on doubles: every intermediate must be
// a safe integer, a division or modulo by zero is an error, and a size a layer allocates from
// passes the size guard (Note [size guard]) where the layer computes its output shape.
import {fail, show} from '../util/args.js';
import type {Shape} from './common.js';

/** A shape expression (Note [shape expressions are data]). */
export type ShapeExpr = number|ShapeExprNode;
/** [op, ...operands] (an interface, so the type may refer to itself). */
export interface ShapeExprNode extends Array<string|ShapeExpr> {
  0: string;
}

export const MAX_DEPTH = 32;
// 4096: Swin's size rules (transformers' UperNet over Swin: the padding of each stage to its
// window after the patch merges) reach 1131 nodes; python/tfjs_torch/_shape.py has the same bound
// and refuses to write a longer one.
export const MAX_NODES = 4096;
const MAX_OPERANDS = 8;
const MAX_INPUTS = 64;

const NARY = ['add', 'mul', 'min', 'max', 'and', 'or'];
const BINARY = ['sub', 'floordiv', 'ceildiv', 'mod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
const UNARY = ['neg', 'not', 'isqrt'];

/** Whether v is written as a shape expression (an array) rather than a plain number. */
export function isExpr(v: unknown): boolean {
  return Array.isArray(v);
}

/**
 * Checks that `v` is a shape expression of the grammar (Note [shape expressions are data]) and
 * returns it; `layer` and `what` name it in the error.
 */
export function parseExpr(layer: string, what: string, v: unknown): ShapeExpr {
  let nodes = 0;
  const walk = (e: unknown, depth: number): void => {
    if (++nodes > MAX_NODES) fail(layer, `${what}: a shape expression has more than ${MAX_NODES} nodes`);
    if (depth > MAX_DEPTH) fail(layer, `${what}: a shape expression is nested deeper than ${MAX_DEPTH}`);
    if (typeof e === 'number') {
      if (!Number.isSafeInteger(e)) {
        fail(layer, `${what}: ${show(e)} in a shape expression is not a safe integer`);
      }
      return;
    }
    if (!Array.isArray(e) || e.length === 0 || typeof e[0] !== 'string') {
      fail(layer, `${what}: ${show(e)} is not a shape expression (an integer or [op, ...args])`);
    }
    const [op, ...args] = e as [string, ...unknown[]];
    if (op === 'dim') {
      if (args.length !== 2 || !args.every((a) => Number.isInteger(a) && (a as number) >= 0 &&
                                                   (a as number) < MAX_INPUTS)) {
        fail(layer, `${what}: ["dim", input, axis] needs two small integers >= 0, got ${show(e)}`);
      }
      return;
    }
    const n = NARY.includes(op) ? [2, MAX_OPERANDS] : BINARY.includes(op) ? [2, 2] :
        UNARY.includes(op) ? [1, 1] : null;
    if (n == null) fail(layer, `${what}: unknown shape expression op ${show(op)}`);
    if (args.length < n[0] || args.length > n[1]) {
      fail(layer, `${what}: '${op}' takes ${n[0] === n[1] ? n[0] : `${n[0]} to ${n[1]}`} ${
          ''}operands, got ${args.length}`);
    }
    for (const a of args) walk(a, depth + 1);
  };
  walk(v, 0);
  return v as ShapeExpr;
}

/** A size entry: a plain integer >= min, or a shape expression (checked). */
export function parseSize(layer: string, what: string, v: unknown, min: number): number|ShapeExpr {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < min) fail(layer, `${what} must be an integer >= ${min}, got ${show(v)}`);
    return v;
  }
  return parseExpr(layer, what, v);
}

/** Whether any entry of a list is an expression. */
export function hasExpr(list: ReadonlyArray<unknown>|null|undefined): boolean {
  return list != null && list.some(isExpr);
}

/** The largest input index an expression (or list of them) reads, or -1. */
export function maxInput(e: unknown): number {
  if (!Array.isArray(e)) return -1;
  if (e[0] === 'dim') return e[1] as number;
  let m = -1;
  for (const a of e.slice(typeof e[0] === 'string' ? 1 : 0)) m = Math.max(m, maxInput(a));
  return m;
}

function safe(layer: string, v: number): number {
  if (!Number.isSafeInteger(v)) fail(layer, `a shape expression's value ${v} is not a safe integer`);
  return v;
}

/**
 * The value of `e` for inputs of these shapes, or null when it reads a dim that is not known
 * (null: the batch or a free size while the model is being built). Throws on a division by zero,
 * a value past 2^53, or a dim of an input or axis the layer does not have.
 */
export function evalExpr(layer: string, e: ShapeExpr, shapes: ReadonlyArray<Shape>): number|null {
  if (typeof e === 'number') return e;
  const op = e[0];
  const args = e.slice(1);
  if (op === 'dim') {
    const [k, axis] = args as number[];
    const s = shapes[k];
    if (s == null || axis >= s.length) {
      fail(layer, `a shape expression reads dim ${axis} of input ${k}, which the layer's ${
          ''}inputs (shapes ${show(shapes)}) do not have`);
    }
    return s[axis];
  }
  const v: number[] = [];
  for (const a of args) {
    const x = evalExpr(layer, a as ShapeExpr, shapes);
    if (x == null) return null;
    v.push(x);
  }
  switch (op) {
    case 'add': return safe(layer, v.reduce((p, q) => p + q, 0));
    case 'mul': return safe(layer, v.reduce((p, q) => p * q, 1));
    case 'min': return Math.min(...v);
    case 'max': return Math.max(...v);
    case 'sub': return safe(layer, v[0] - v[1]);
    case 'neg': return safe(layer, -v[0]);
    case 'isqrt': {
      // Note [the square root of a size] (python/tfjs_torch/_shape.py): the largest r with
      // r * r <= v, exact for every safe integer (Math.sqrt's rounding corrected).
      if (v[0] < 0) fail(layer, `a shape expression takes the square root of ${v[0]} (${show(e)} with input shapes ${show(shapes)})`);
      let r = Math.floor(Math.sqrt(v[0]));
      while (r * r > v[0]) r--;
      while ((r + 1) * (r + 1) <= v[0]) r++;
      return r;
    }
    case 'floordiv':
    case 'ceildiv':
    case 'mod': {
      if (v[1] === 0) fail(layer, `a shape expression divides by zero (${show(e)} with input shapes ${show(shapes)})`);
      const q = Math.floor(v[0] / v[1]);
      if (op === 'floordiv') return safe(layer, q);
      if (op === 'ceildiv') return safe(layer, -Math.floor(-v[0] / v[1]));
      return safe(layer, v[0] - v[1] * q);
    }
    case 'eq': return v[0] === v[1] ? 1 : 0;
    case 'ne': return v[0] !== v[1] ? 1 : 0;
    case 'lt': return v[0] < v[1] ? 1 : 0;
    case 'le': return v[0] <= v[1] ? 1 : 0;
    case 'gt': return v[0] > v[1] ? 1 : 0;
    case 'ge': return v[0] >= v[1] ? 1 : 0;
    case 'and': return v.every((x) => x !== 0) ? 1 : 0;
    case 'or': return v.some((x) => x !== 0) ? 1 : 0;
    case 'not': return v[0] === 0 ? 1 : 0;
    default: return fail(layer, `unknown shape expression op ${show(op)}`);
  }
}

/** A list of sizes (plain numbers or expressions) evaluated; null entries where unknown. */
export function evalSizes(layer: string, list: ReadonlyArray<number|ShapeExpr>,
                          shapes: ReadonlyArray<Shape>): Array<number|null> {
  return list.map((e) => evalExpr(layer, e as ShapeExpr, shapes));
}

/** Like evalSizes, for run time (every dim known): numbers, each an integer >= min. */
export function evalSizesNow(layer: string, what: string, list: ReadonlyArray<number|ShapeExpr>,
                             shapes: ReadonlyArray<Shape>, min: number): number[] {
  return list.map((e, i) => {
    const v = evalExpr(layer, e as ShapeExpr, shapes);
    if (v == null || v < min) {
      fail(layer, `${what}[${i}] = ${show(e)} evaluates to ${v} for input shapes ${show(shapes)} ${
          ''}(must be >= ${min})`);
    }
    return v;
  });
}

/** Shapes of a layer's inputs as tfjs-layers passes them (one shape or a list). */
export function shapesOf(inputShape: Shape|Shape[]): Shape[] {
  return Array.isArray(inputShape[0]) ? inputShape as Shape[] : [inputShape as Shape];
}
