// Argument conversion and checks shared by every op. Each check throws before any work is done,
// with a message that starts with the op's name and names the argument and the value it saw.
import * as tf from '@tensorflow/tfjs-core';
import type {DataFormat} from '../kernel_names.js';

/** Throws `Error("<op>: <message>")`. */
export function fail(op: string, message: string): never {
  throw new Error(`${op}: ${message}`);
}

export function check(cond: unknown, op: string, message: () => string): asserts cond {
  if (!cond) fail(op, message());
}

export function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v);
}

/** Converts a tensor-like argument as tfjs's own ops do, naming the op and argument on error. */
export function toTensor<R extends tf.Rank>(
    x: tf.Tensor<R>|tf.TensorLike, name: string, op: string,
    dtype: 'float32'|'int32'|'numeric' = 'numeric'): tf.Tensor<R> {
  if (x == null) fail(op, `argument '${name}' is required, got ${x}`);
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
