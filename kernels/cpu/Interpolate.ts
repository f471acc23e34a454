// cpu kernel of interpolate: separable passes, one per resized spatial axis, each reading the
// axis's table from src/index_math/resize.ts (no coordinate math here).
//
// A pass along memory axis a views the tensor as [outer, inL, inner] (inner: the product of the
// dims after a, contiguous) and writes [outer, outL, inner]: output row o is the weighted sum of
// the input rows the table names. Every row operation is a loop over `inner` contiguous values
// with the row's indices and weights hoisted, so channelsLast (channels innermost) and the
// outer axes of channelsFirst stream through memory; the innermost channelsFirst axis (W,
// inner = 1) is a plain gather. The passes run in the order that moves the fewest values
// (downscaling axes first), through intermediate buffers.
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {axisTable} from '../../src/index_math/resize.js';
import type {AxisTable} from '../../src/index_math/resize.js';
import {Interpolate} from '../../src/kernel_names.js';
import type {DataFormat, InterpolateAttrs, InterpolateInputs} from '../../src/kernel_names.js';
import {shapeOf, spatialAxes} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

type Values = Float32Array|Int32Array;

/** True when the table is the identity map (the pass can be skipped). */
function isIdentity(t: AxisTable): boolean {
  if (t.inSize !== t.outSize) return false;
  for (let o = 0; o < t.outSize; o++) {
    let self = 0;
    for (let k = 0; k < t.taps; k++) {
      const w = t.weight[o * t.taps + k];
      if (t.index[o * t.taps + k] === o) {
        self += w;
      } else if (w !== 0) {
        return false;
      }
    }
    if (self !== 1) return false;
  }
  return true;
}

/** True when every output row copies one input row (weights 1 in tap 0, 0 elsewhere). */
function isGather(t: AxisTable): boolean {
  for (let o = 0; o < t.outSize; o++) {
    if (t.weight[o * t.taps] !== 1) return false;
    for (let k = 1; k < t.taps; k++) if (t.weight[o * t.taps + k] !== 0) return false;
  }
  return true;
}

/** One pass along an axis: src [outer, inL, inner] -> dst [outer, outL, inner]. */
function resampleAxis(
    src: Values, dst: Values, outer: number, inner: number, t: AxisTable): void {
  const inL = t.inSize;
  const outL = t.outSize;
  const taps = t.taps;
  const w = t.weight;
  // Source offsets of each tap inside one outer block, premultiplied by the row length.
  const off = new Int32Array(t.index.length);
  for (let i = 0; i < off.length; i++) off[i] = t.index[i] * inner;
  const inBlock = inL * inner;
  const outBlock = outL * inner;
  if (isGather(t)) {
    for (let b = 0; b < outer; b++) {
      const s = b * inBlock;
      let d = b * outBlock;
      if (inner === 1) {
        for (let o = 0; o < outL; o++) dst[d + o] = src[s + off[o * taps]];
      } else {
        for (let o = 0; o < outL; o++, d += inner) {
          const s0 = s + off[o * taps];
          dst.set(src.subarray(s0, s0 + inner), d);
        }
      }
    }
    return;
  }
  if (inner === 1) {
    gatherRows(src, dst, outer, inL, outL, taps, off, w);
    return;
  }
  for (let b = 0; b < outer; b++) {
    const s = b * inBlock;
    let d = b * outBlock;
    for (let o = 0; o < outL; o++, d += inner) {
      const r = o * taps;
      if (taps === 2) {
        const s0 = s + off[r];
        const s1 = s + off[r + 1];
        const w0 = w[r];
        const w1 = w[r + 1];
        for (let c = 0; c < inner; c++) dst[d + c] = w0 * src[s0 + c] + w1 * src[s1 + c];
      } else if (taps === 4) {
        const s0 = s + off[r];
        const s1 = s + off[r + 1];
        const s2 = s + off[r + 2];
        const s3 = s + off[r + 3];
        const w0 = w[r];
        const w1 = w[r + 1];
        const w2 = w[r + 2];
        const w3 = w[r + 3];
        for (let c = 0; c < inner; c++) {
          dst[d + c] = w0 * src[s0 + c] + w1 * src[s1 + c] + w2 * src[s2 + c] + w3 * src[s3 + c];
        }
      } else {
        // Variable-width rows (area, antialias, transposed tables): accumulate tap by tap,
        // skipping the zero-weight padding taps.
        const s0 = s + off[r];
        const w0 = w[r];
        for (let c = 0; c < inner; c++) dst[d + c] = w0 * src[s0 + c];
        for (let k = 1; k < taps; k++) {
          const wk = w[r + k];
          if (wk === 0) continue;
          const sk = s + off[r + k];
          for (let c = 0; c < inner; c++) dst[d + c] += wk * src[sk + c];
        }
      }
    }
  }
}

/** The inner === 1 case: every output value is a gather of `taps` scalars. */
function gatherRows(
    src: Values, dst: Values, outer: number, inL: number, outL: number, taps: number,
    off: Int32Array, w: Float32Array): void {
  for (let b = 0; b < outer; b++) {
    const s = b * inL;
    const d = b * outL;
    if (taps === 2) {
      for (let o = 0, r = 0; o < outL; o++, r += 2) {
        dst[d + o] = w[r] * src[s + off[r]] + w[r + 1] * src[s + off[r + 1]];
      }
    } else if (taps === 4) {
      for (let o = 0, r = 0; o < outL; o++, r += 4) {
        dst[d + o] = w[r] * src[s + off[r]] + w[r + 1] * src[s + off[r + 1]] +
            w[r + 2] * src[s + off[r + 2]] + w[r + 3] * src[s + off[r + 3]];
      }
    } else {
      for (let o = 0, r = 0; o < outL; o++, r += taps) {
        let acc = 0;
        for (let k = 0; k < taps; k++) acc += w[r + k] * src[s + off[r + k]];
        dst[d + o] = acc;
      }
    }
  }
}

/** Taps actually read per output row (the zero-weight padding taps are skipped). */
function meanTaps(t: AxisTable): number {
  let n = 0;
  for (let i = 0; i < t.weight.length; i++) if (t.weight[i] !== 0) n++;
  return Math.max(1, n / Math.max(1, t.outSize));
}

/** Orders the passes to move the fewest values (tries every order: at most 3! = 6). */
function passOrder(shape: number[], axes: number[], tables: AxisTable[]): number[] {
  const todo = tables.map((_, i) => i).filter((i) => !isIdentity(tables[i]));
  let best: number[] = todo;
  let bestCost = Infinity;
  const permute = (done: number[], rest: number[]) => {
    if (rest.length === 0) {
      const s = shape.slice();
      let cost = 0;
      for (const i of done) {
        s[axes[i]] = tables[i].outSize;
        const volume = s.reduce((a, b) => a * b, 1);
        const inner = s.slice(axes[i] + 1).reduce((a, b) => a * b, 1);
        // A gather pass (inner = 1) costs more per value than a streaming one.
        cost += volume * meanTaps(tables[i]) * (inner === 1 ? 1.5 : 1);
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = done;
      }
      return;
    }
    for (const r of rest) permute([...done, r], rest.filter((x) => x !== r));
  };
  permute([], todo);
  return best;
}

/**
 * Applies one table per spatial axis (tables[i] along spatial dim i, mapping its inSize to its
 * outSize) to a tensor of shape `shape` in dataFormat: the shared core of Interpolate and
 * InterpolateGrad. Returns the new values and shape.
 */
export function resampleSeparable(
    values: Values, shape: number[], dataFormat: DataFormat,
    tables: AxisTable[]): {values: Values, shape: number[]} {
  const axes = spatialAxes(shape.length, dataFormat);
  const int = values instanceof Int32Array;
  const order = passOrder(shape, axes, tables);
  let cur: Values = values;
  const s = shape.slice();
  for (const i of order) {
    const a = axes[i];
    const outer = s.slice(0, a).reduce((x, y) => x * y, 1);
    const inner = s.slice(a + 1).reduce((x, y) => x * y, 1);
    const size = outer * tables[i].outSize * inner;
    const next = int ? new Int32Array(size) : new Float32Array(size);
    resampleAxis(cur, next, outer, inner, tables[i]);
    s[a] = tables[i].outSize;
    cur = next;
  }
  // Every axis was an identity: the output still needs storage of its own.
  if (cur === values) cur = values.slice();
  return {values: cur, shape: s};
}

export const interpolateKernelFunc: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as InterpolateInputs;
  const cpu = backend as CpuBackend;
  const a = attrs as unknown as InterpolateAttrs;
  const tables = a.inSize.map(
      (inSize, i) => axisTable(a.mode, inSize, a.outSize[i], a.alignCorners, a.scales[i], a.antialias));
  const values = valuesOf(cpu, x) as TypedArray as Values;
  const {values: out} = resampleSeparable(values, x.shape, a.dataFormat, tables);
  const channels = a.dataFormat === 'channelsLast' ? x.shape[x.shape.length - 1] : x.shape[1];
  return output(cpu, shapeOf(x.shape[0], channels, a.outSize, a.dataFormat), x.dtype, out);
};

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'cpu',
  kernelFunc: interpolateKernelFunc,
};
