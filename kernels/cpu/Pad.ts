// cpu kernel of pad (F.pad, every mode) in one pass over the output: per row of the last padded
// axis, runs of consecutive source positions are copied as blocks and runs of the fill value
// filled (Note [pad plan], Note [pad source index] in src/index_math/pad.ts).
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {padPlan, padRuns, padSourceTable} from '../../src/index_math/pad.js';
import {Pad} from '../../src/kernel_names.js';
import type {PadAttrs, PadInputs} from '../../src/kernel_names.js';
import {sizeOf} from '../../src/util/layout.js';
import {output, valuesOf, zeros} from './util.js';
import type {CpuBackend} from './util.js';

/** Output shape of Pad on an input of `shape`. */
export function padOutputShape(shape: readonly number[], attrs: PadAttrs): number[] {
  return shape.map((n, a) => n + attrs.pairs[a][0] + attrs.pairs[a][1]);
}

/** Blocks shorter than this are copied by a loop (a subarray costs more). */
const SHORT = 8;

/**
 * Compute core of the Pad kernel (exported through shared.ts): x of `shape` (any dtype's typed
 * array), out: the caller's array of padOutputShape(shape, attrs) values, every one written.
 */
export function padImplCPU(
    x: TypedArray, shape: readonly number[], attrs: PadAttrs, out: TypedArray): void {
  const plan = padPlan(shape, attrs.pairs);
  const rank = plan.inShape.length;
  const outSize = sizeOf(plan.outShape);
  if (outSize === 0) return;
  const {value} = attrs;
  // The last padded axis L; everything after it is one contiguous block of `inner` values.
  let last = -1;
  plan.pairs.forEach(([b, e], a) => {
    if (b !== 0 || e !== 0) last = a;
  });
  if (last < 0) {
    out.set(x.subarray(0, outSize));
    return;
  }
  const inner = sizeOf(plan.inShape.slice(last + 1));
  const tables = plan.inShape.slice(0, last + 1).map(
      (n, a) => padSourceTable(attrs.mode, n, plan.pairs[a][0], plan.pairs[a][1]));
  // Runs as flat triples (output start, source start or -1, length), in values.
  const runList = padRuns(tables[last]);
  const runs = new Int32Array(3 * runList.length);
  runList.forEach((r, k) => {
    runs[3 * k] = r.out * inner;
    runs[3 * k + 1] = r.src < 0 ? -1 : r.src * inner;
    runs[3 * k + 2] = r.length * inner;
  });
  const inStrides = new Array<number>(rank).fill(1);
  const outStrides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) {
    inStrides[a] = inStrides[a + 1] * plan.inShape[a + 1];
    outStrides[a] = outStrides[a + 1] * plan.outShape[a + 1];
  }
  const rowLength = plan.outShape[last] * inner;
  // An odometer over the output positions of the axes before `last`: one row per step.
  const idx = new Array<number>(last).fill(0);
  const rows = sizeOf(plan.outShape.slice(0, last));
  for (let r = 0; r < rows; r++) {
    let src = 0;
    let dst = 0;
    for (let a = 0; a < last; a++) {
      const t = tables[a][idx[a]];
      src = src < 0 || t < 0 ? -1 : src + t * inStrides[a];
      dst += idx[a] * outStrides[a];
    }
    if (src < 0) {
      out.fill(value, dst, dst + rowLength);
    } else {
      padRow(x, src, out, dst, runs, value);
    }
    for (let a = last - 1; a >= 0 && ++idx[a] === plan.outShape[a]; a--) idx[a] = 0;
  }
}

/** One row of the last padded axis: each run copied from x at src + its start, or filled. */
function padRow(
    x: TypedArray, src: number, out: TypedArray, dst: number, runs: Int32Array, value: number): void {
  for (let k = 0; k < runs.length; k += 3) {
    const o = dst + runs[k];
    const s = runs[k + 1];
    const length = runs[k + 2];
    if (s < 0) {
      out.fill(value, o, o + length);
    } else if (length < SHORT) {
      const from = src + s;
      for (let j = 0; j < length; j++) out[o + j] = x[from + j];
    } else {
      out.set(x.subarray(src + s, src + s + length), o);
    }
  }
}

export const pad: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PadInputs;
  const cpu = backend as CpuBackend;
  const a = attrs as unknown as PadAttrs;
  const shape = padOutputShape(x.shape, a);
  const out = zeros(x.dtype, sizeOf(shape));
  padImplCPU(valuesOf(cpu, x), x.shape, a, out);
  return output(cpu, shape, x.dtype, out);
};

export const padConfig: KernelConfig = {
  kernelName: Pad,
  backendName: 'cpu',
  kernelFunc: pad,
};
