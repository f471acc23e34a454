// Test helpers shared by every op's suite: PyTorch fixtures, the backends to run on, layout
// conversion between PyTorch's channelsFirst fixtures and channelsLast, and comparisons.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import type {DataFormat} from '../src/kernel_names.js';

// ---- backends ----------------------------------------------------------------------------------
let testBackends: string[] = ['cpu'];

export function setTestBackends(names: string[]): void {
  testBackends = names;
}

/**
 * Runs `body` once per test backend, inside a describe block named after the backend, with that
 * backend active. Every suite is written once and runs alike on every backend: cpu, tensorflow
 * and wasm in Node, webgl, webgpu and wasm in the browser runs.
 */
export function describeBackends(title: string, body: (backend: string) => void): void {
  for (const backend of testBackends) {
    describe(`${title} [${backend}]`, () => {
      let previous: string;
      before(async () => {
        // No backend is active until something initialises tfjs; restore a real one after.
        await tf.ready();
        previous = tf.getBackend();
        const ok = await tf.setBackend(backend);
        if (!ok) throw new Error(`backend ${backend} could not be initialised`);
      });
      after(async () => {
        await tf.setBackend(previous);
      });
      body(backend);
    });
  }
}

export const DATA_FORMATS: DataFormat[] = ['channelsFirst', 'channelsLast'];

// ---- fixtures ----------------------------------------------------------------------------------
/** A tensor as scripts/fixtures/common.py writes it: PyTorch layout, little-endian base64. */
export interface FixtureTensor {
  shape: number[];
  dtype: 'float32'|'int32';
  data: string;
}

export interface FixtureCase {
  name: string;
  /** Op arguments, as the generator wrote them (names follow tfjs-torch's API). */
  args: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  /** Forward outputs, in order. */
  outputs: FixtureTensor[];
  /** Upstream gradient for the (first) output, and the gradients PyTorch's autograd gave. */
  grad?: {dy: FixtureTensor; grads: Record<string, FixtureTensor>};
  /** A case PyTorch rejects: the error text PyTorch raised (our op must throw too). */
  error?: string;
}

export interface FixtureFile {
  torch_version: string;
  cases: FixtureCase[];
}

declare const __FIXTURES__: Record<string, FixtureFile>|undefined;

/** Reads test/fixtures/<name>.json (from disk in Node; bundled into the karma run). */
export function loadFixture(name: string): FixtureFile {
  if (typeof __FIXTURES__ !== 'undefined') {
    const f = __FIXTURES__[name];
    if (f == null) throw new Error(`fixture ${name} is not bundled`);
    return f;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs') as typeof import('fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('path') as typeof import('path');
  const file = path.join(__dirname, 'fixtures', `${name}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as FixtureFile;
}

/** Bytes from base64 (a fixture's embedded safetensors file, say). */
export function decodeBase64(b64: string): Uint8Array {
  if (typeof atob === 'function') {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return new Uint8Array((globalThis as any).Buffer.from(b64, 'base64'));
}

/** The values of a fixture tensor as a typed array (PyTorch's layout). */
export function fixtureValues(t: FixtureTensor): Float32Array|Int32Array {
  const bytes = decodeBase64(t.data);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return t.dtype === 'int32' ? new Int32Array(buf) : new Float32Array(buf);
}

// ---- layouts -----------------------------------------------------------------------------------
/** Permutation from channelsFirst (N, C, ...spatial) to channelsLast (N, ...spatial, C). */
export function toChannelsLastPerm(rank: number): number[] {
  return [0, ...Array.from({length: rank - 2}, (_, i) => i + 2), 1];
}

/**
 * A fixture tensor (PyTorch's N C ...spatial layout) as a tf.Tensor in the given dataFormat.
 * Tensors that are not activations (weights, 1-D vectors) pass `layout: false`.
 */
export function fromFixture(t: FixtureTensor, dataFormat: DataFormat, layout = true): tf.Tensor {
  const values = fixtureValues(t);
  if (!layout || dataFormat === 'channelsFirst' || t.shape.length < 3) {
    return tf.tensor(values, t.shape, t.dtype);
  }
  // Permuted here rather than with tf.transpose: a backend op would store the values on the
  // device first, and webgl keeps int32 in float textures (inexact beyond 2^24).
  const perm = toChannelsLastPerm(t.shape.length);
  return tf.tensor(permuteValues(values, t.shape, perm), perm.map((a) => t.shape[a]), t.dtype);
}

/** Row-major values of shape `shape` transposed by `perm` (as tf.transpose), in plain JS. */
export function permuteValues<T extends Float32Array|Int32Array>(
    values: T, shape: number[], perm: number[]): T {
  const rank = shape.length;
  const inStrides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1] * shape[d + 1];
  const outShape = perm.map((a) => shape[a]);
  const out = values.slice() as T;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < values.length; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
    out[i] = values[src];
    for (let d = rank - 1; d >= 0 && ++idx[d] === outShape[d]; d--) idx[d] = 0;
  }
  return out;
}

/**
 * tf.transpose done on the host: the values are read back, permuted in plain JS and returned as
 * a new tensor (same dtype). The suites rearrange results this way because tfjs's own Transpose
 * kernels are not exact everywhere: webgl keeps int32 in float textures (inexact beyond 2^24),
 * and tfjs-backend-webgpu 4.22's Transpose program does not compile for an int32 tensor in a
 * GPU buffer (its WGSL passes an i32 where setOutputAtIndex takes an f32), which invalidates the
 * whole command buffer it is in; tfjs-backend-wasm 4.22's Transpose divides by zero on an empty
 * tensor.
 */
export async function transposeOnHost(t: tf.Tensor, perm: number[]): Promise<tf.Tensor> {
  const values = await t.data() as Float32Array|Int32Array;
  return tf.tensor(permuteValues(values, t.shape, perm), perm.map((a) => t.shape[a]), t.dtype);
}

/** Shape of a PyTorch-layout fixture tensor in the given dataFormat. */
export function shapeIn(shape: number[], dataFormat: DataFormat): number[] {
  if (dataFormat === 'channelsFirst' || shape.length < 3) return shape.slice();
  return toChannelsLastPerm(shape.length).map((a) => shape[a]);
}

// ---- comparisons -------------------------------------------------------------------------------
/** The project's tolerance against PyTorch: |a - e| <= ATOL + RTOL * |e| (float32). */
export const ATOL = 1e-4;
export const RTOL = 1e-4;

/**
 * Expects `actual` to equal the fixture tensor `expected` (converted to dataFormat): same shape,
 * same dtype, values within ATOL + RTOL*|e| (exact for int32). NaN must match NaN, and an infinity
 * the same infinity.
 */
export async function expectMatches(
    actual: tf.Tensor, expected: FixtureTensor, dataFormat: DataFormat, what: string,
    layout = true, tol: {atol: number, rtol: number} = {atol: ATOL, rtol: RTOL}): Promise<void> {
  const exp = fromFixture(expected, dataFormat, layout);
  try {
    expect(actual.shape, `${what}: shape`).to.deep.equal(exp.shape);
    expect(actual.dtype, `${what}: dtype`).to.equal(exp.dtype);
    const [a, e] = await Promise.all([actual.data(), exp.data()]);
    let worst = -1;
    let worstExcess = 0;
    for (let i = 0; i < e.length; i++) {
      const av = a[i] as number;
      const ev = e[i] as number;
      if (Number.isNaN(ev) || Number.isNaN(av)) {
        if (Number.isNaN(ev) !== Number.isNaN(av)) {
          worst = i;
          worstExcess = Infinity;
          break;
        }
        continue;
      }
      // An infinity must be matched exactly: Inf - Inf is NaN and Inf <= Inf, so the tolerance
      // below would let any value stand for it.
      if (!Number.isFinite(ev) || !Number.isFinite(av)) {
        if (av !== ev) {
          worst = i;
          worstExcess = Infinity;
          break;
        }
        continue;
      }
      const limit = exp.dtype === 'int32' ? 0 : tol.atol + tol.rtol * Math.abs(ev);
      const excess = Math.abs(av - ev) - limit;
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = i;
      }
    }
    if (worst >= 0) {
      expect.fail(`${what}: value at flat index ${worst} is ${a[worst]}, PyTorch gives ${
          e[worst]} (tolerance ${tol.atol} + ${tol.rtol}*|e|)`);
    }
  } finally {
    exp.dispose();
  }
}

/**
 * Runs fn and checks that it leaves no tensor behind beyond the ones it returns, and that it
 * does not change its inputs.
 */
export async function expectNoLeak<T extends tf.Tensor|tf.Tensor[]>(
    inputs: tf.Tensor[], fn: () => T): Promise<T> {
  const before = tf.memory().numTensors;
  const snapshot = await Promise.all(inputs.map((t) => t.data()));
  const result = fn();
  const returned = Array.isArray(result) ? result.length : 1;
  expect(tf.memory().numTensors, 'tensors left after the call').to.equal(before + returned);
  const after = await Promise.all(inputs.map((t) => t.data()));
  for (let i = 0; i < inputs.length; i++) {
    expect(Array.from(after[i] as ArrayLike<number>), `input ${i} changed`)
        .to.deep.equal(Array.from(snapshot[i] as ArrayLike<number>));
  }
  return result;
}
