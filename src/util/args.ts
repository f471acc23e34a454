// Argument conversion and checks shared by every op. Each check throws before any work is done,
// with a message that starts with the op's name and names the argument and the value it saw.
import * as tf from '@tensorflow/tfjs-core';
import {ABSOLUTE_MAX_ELEMENTS, DEFAULT_MAX_ELEMENTS, tooLargeMessage} from '../index_math/size.js';
import type {DataFormat} from '../kernel_names.js';

/** Throws `Error("<op>: <message>")`. */
export function fail(op: string, message: string): never {
  throw new Error(`${op}: ${message}`);
}

export function check(cond: unknown, op: string, message: () => string): asserts cond {
  if (!cond) fail(op, message());
}

/**
 * A value as an error message shows it. Never throws and never recurses without bound, whatever
 * the value (a JSON config may hold `{"toString": null}`, a getter that throws, or arrays nested
 * thousands deep): arrays are shown to a few levels and entries, long strings are cut, and an
 * object that cannot be shown otherwise is shown as its tag (`[object Object]`).
 */
export function show(v: unknown, depth = 0): string {
  try {
    if (Array.isArray(v)) {
      if (depth >= 3) return '[...]';
      const shown = v.slice(0, 8).map((e) => show(e, depth + 1));
      if (v.length > 8) shown.push(`... ${v.length - 8} more`);
      return `[${shown.join(', ')}]`;
    }
    if (typeof v === 'string') return v.length > 80 ? `${v.slice(0, 80)}...` : v;
    if (typeof v === 'symbol') return v.toString();
    if (v !== null && typeof v === 'object' || typeof v === 'function') {
      const text = String(v);
      return typeof text === 'string' && text.length <= 80 ? text :
                                                            Object.prototype.toString.call(v);
    }
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** Converts a tensor-like argument as tfjs's own ops do, naming the op and argument on error. */
export function toTensor<R extends tf.Rank>(
    x: tf.Tensor<R>|tf.TensorLike, name: string, op: string,
    dtype: 'float32'|'int32'|'numeric' = 'numeric'): tf.Tensor<R> {
  if (x == null) fail(op, `argument '${name}' is required, got ${x}`);
  if (!(x instanceof tf.Tensor)) checkRegular(op, name, x);
  const t = x instanceof tf.Tensor ? x : tf.tensor(x as tf.TensorLike);
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    fail(op, `argument '${name}' must be float32 or int32, got dtype ${t.dtype}`);
  }
  if (dtype !== 'numeric' && t.dtype !== dtype) {
    fail(op, `argument '${name}' must be ${dtype}, got dtype ${t.dtype}`);
  }
  return t as tf.Tensor<R>;
}

export function checkDataFormat(op: string, dataFormat: unknown): DataFormat {
  if (dataFormat === undefined) return 'channelsLast';
  if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
    fail(op, `dataFormat must be 'channelsLast' or 'channelsFirst', got ${show(dataFormat)}`);
  }
  return dataFormat;
}

/**
 * Number of spatial dims of x: rank 3, 4, 5 mean 1, 2, 3 spatial dims (batch and channel dims
 * are always present, as in PyTorch's modules). `allowed` restricts the spatial dims.
 */
export function spatialDims(op: string, x: tf.Tensor, allowed: number[] = [1, 2, 3]): number {
  const d = x.rank - 2;
  if (!allowed.includes(d)) {
    const ranks = allowed.map((a) => a + 2).join(', ');
    fail(op, `input must have rank ${ranks} (batch, channels and ${
        allowed.join(' or ')} spatial dims), got rank ${x.rank} with shape ${show(x.shape)}`);
  }
  return d;
}

/**
 * An int-or-tuple argument: a number (the same for every spatial dim) or an array with one
 * entry per spatial dim, as in PyTorch.
 */
export function expandTuple(
    op: string, name: string, value: number|number[]|undefined, n: number,
    fallback?: number|number[]): number[] {
  const v = value === undefined ? fallback : value;
  if (v === undefined) fail(op, `argument '${name}' is required`);
  const arr = typeof v === 'number' ? new Array<number>(n).fill(v) : v;
  if (!Array.isArray(arr) || arr.length !== n || arr.some((e) => typeof e !== 'number')) {
    fail(op, `argument '${name}' must be a number or an array of ${n} numbers, got ${show(v)}`);
  }
  return arr.slice();
}

/** Checks every entry is an integer >= min. */
export function checkInts(op: string, name: string, values: number[], min: number): void {
  for (const v of values) {
    if (!Number.isInteger(v) || v < min) {
      fail(op, `argument '${name}' must hold integers >= ${min}, got ${show(values)}`);
    }
  }
}

/**
 * Checks that a nested array argument is regular (every array at one depth has the same length,
 * numbers or booleans only at the innermost depth) before tf.tensor reads it: tf.tensor takes
 * the shape from the first entry of each level and would silently reinterpret a ragged array
 * whose total count happens to fit. Iterative, so no nesting depth overflows the stack.
 * Typed arrays and plain numbers pass as they are.
 */
export function checkRegular(op: string, name: string, x: unknown): void {
  if (!Array.isArray(x)) return;
  const shape: number[] = [];
  const isLevel = (v: unknown): v is ArrayLike<unknown> =>
      Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  for (let level: unknown = x; isLevel(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0 || shape.length > 8) break;
  }
  if (shape.length > 8) {
    fail(op, `argument '${name}' is an array nested more than 8 deep (a tensor has at most rank 8)`);
  }
  const stack: Array<[unknown, number]> = [[x, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth < shape.length) {
      if (!isLevel(v) || (!Array.isArray(v) && depth < shape.length - 1)) {
        fail(op, `argument '${name}' is a ragged nested array: expected an array of ${
            shape[depth]} at depth ${depth}, got ${show(v)} (shape from the first entries: ${
            show(shape)})`);
      }
      const arr = v as ArrayLike<unknown>;
      if (arr.length !== shape[depth]) {
        fail(op, `argument '${name}' is a ragged nested array: an array at depth ${depth} has ${
            arr.length} entries, the first one has ${shape[depth]} (shape from the first ${
            ''}entries: ${show(shape)})`);
      }
      if (Array.isArray(arr)) {
        for (let i = arr.length - 1; i >= 0; i--) stack.push([arr[i], depth + 1]);
      }
    } else if (typeof v !== 'number' && typeof v !== 'boolean') {
      fail(op, `argument '${name}' must hold numbers, got ${show(v)} at depth ${depth}${
          Array.isArray(v) ? ' (a ragged nested array)' : ''}`);
    }
  }
}

/** The camelCase form of a snake_case name (PyTorch's spelling to tfjs-torch's). */
function camelCase(key: string): string {
  return key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Throws for a key of `options` that the op does not take: `<op>: unknown option 'align_corners'
 * (did you mean 'alignCorners'?); it takes ...`. An option spelled as in PyTorch would otherwise
 * be ignored without a word. A key whose value is undefined counts as absent. `kind` says what
 * the keys are called in the message.
 */
export function checkOptionKeys(
    op: string, options: unknown, allowed: readonly string[], kind = 'option'): void {
  if (options == null || typeof options !== 'object') return;
  for (const key of Object.keys(options)) {
    // A key set to undefined says nothing (as if absent: spreading optional fields makes them).
    if (allowed.includes(key) || (options as Record<string, unknown>)[key] === undefined) continue;
    const camel = camelCase(key);
    const lower = key.toLowerCase().replace(/_/g, '');
    const near = allowed.includes(camel) ?
        camel :
        allowed.find((a) => a.toLowerCase() === lower);
    fail(op, `unknown ${kind} '${show(key)}'${near != null ? ` (did you mean '${near}'?)` : ''}; ${
        ''}the ${kind}s are ${allowed.join(', ')}`);
  }
}

/**
 * fn(x) computed untaped, for checks an op reads back before it runs its kernel. Inside tf.grad
 * every op is taped and keeps the tensors its gradient needs until backprop disposes them; a
 * check's ops are never differentiated, and when the check throws there is no backprop at all,
 * so what they kept would leak. The forward function of a customGrad runs untaped and here saves
 * nothing, so the check leaves nothing behind on either path. Where no tape is recording
 * (inference: no tf.grad around the call, or inside a kernel) fn runs in a tidy: the customGrad
 * would guard nothing and costs a kernel call of its own (tens of microseconds, a check before
 * each of U^2-Net's 71 resizes and pools).
 */
export function untaped(x: tf.Tensor, fn: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (!tapeIsRecording()) return tf.tidy(() => fn(x));
  const run = tf.customGrad(((t: tf.Tensor) => ({
    value: fn(t),
    gradFunc: () => tf.zerosLike(t),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(x);
}

/** Whether the engine records ops on a gradient tape now (tfjs's Engine.isTapeOn). */
function tapeIsRecording(): boolean {
  const state = (tf.engine() as unknown as {state: {gradientDepth: number, kernelDepth: number}}).state;
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

// ---- the size guard (Note [size guard] in src/index_math/size.ts) -----------------------------
const MAX_ELEMENTS_FLAG = 'TFJS_TORCH_MAX_ELEMENTS';
// Registered once even when two builds of the package (ESM and CommonJS) share one tfjs.
if ((tf.env() as unknown as {flagRegistry: Record<string, unknown>})
        .flagRegistry[MAX_ELEMENTS_FLAG] == null) {
  tf.env().registerFlag(MAX_ELEMENTS_FLAG, () => DEFAULT_MAX_ELEMENTS);
}

/** The largest element count of one tensor an op allocates (the flag, within its ceiling). */
export function maxElements(): number {
  const v = tf.env().getNumber(MAX_ELEMENTS_FLAG);
  return Number.isFinite(v) && v >= 1 ? Math.min(Math.floor(v), ABSOLUTE_MAX_ELEMENTS) :
                                        DEFAULT_MAX_ELEMENTS;
}

/**
 * Throws `<op>: <what> of shape [...] (N elements) is larger than ...` when `shape` holds more
 * elements than maxElements() (Note [size guard]). Call before allocating.
 */
export function checkSize(
    op: string, what: string, shape: ReadonlyArray<number|null>, suffix = ''): void {
  const message = tooLargeMessage(what, shape, maxElements());
  if (message != null) fail(op, message + suffix);
}
