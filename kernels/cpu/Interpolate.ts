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
import {hasPaddingTaps, interpolateTables, isGatherTable, isIdentityTable, isPaddingTap} from '../../src/index_math/resize.js';
import type {AxisTable} from '../../src/index_math/resize.js';
import {Interpolate} from '../../src/kernel_names.js';
import type {DataFormat, InterpolateAttrs, InterpolateInputs} from '../../src/kernel_names.js';
import {CPU_PASS_LIMITS, planPasses} from '../../src/index_math/plan.js';
import {sizeOf, spatialAxes} from '../../src/util/layout.js';
import {output, valuesOf, zeros} from './util.js';
import type {CpuBackend} from './util.js';

type Values = Float32Array|Int32Array;

/**
 * Marks output rows whose sources equal the next row's: pair[o] = 1 means rows o and o + 1 read
 * the same input rows (with different weights), so one load of those rows serves both. Every
 * 2x upscale pairs its rows (o = 2k+1, 2k+2 sit between inputs k and k+1), which saves a third
 * of the loads of the largest pass.
 */
function pairRows(t: AxisTable): Uint8Array {
  const pair = new Uint8Array(t.outSize);
  const taps = t.taps;
  for (let o = 0; o + 1 < t.outSize; o++) {
    let same = true;
    for (let k = 0; k < taps && same; k++) {
      same = t.index[o * taps + k] === t.index[(o + 1) * taps + k];
    }
    if (same) pair[o++] = 1;
  }
  return pair;
}

/** What one pass needs: its table's offsets premultiplied by the row length, and the pairs. */
interface PassPlan {
  outer: number;
  inner: number;
  inL: number;
  outL: number;
  taps: number;
  /** [outL * taps] source row offsets inside one outer block (index * inner). */
  off: Int32Array;
  weight: Float32Array;
  pair: Uint8Array;
}

/** Rows this long are copied with TypedArray.set; shorter ones with a loop (no subarray). */
const SET_MIN = 256;

/** Gather (every weight 1): output row o is a copy of one input row. */
function passGather(src: Values, dst: Values, p: PassPlan): void {
  const {outer, inner, inL, outL, taps, off, pair} = p;
  for (let b = 0; b < outer; b++) {
    const s = b * inL * inner;
    let d = b * outL * inner;
    for (let o = 0; o < outL;) {
      const s0 = s + off[o * taps];
      const two = pair[o] === 1;
      if (inner >= SET_MIN) {
        const row = src.subarray(s0, s0 + inner);
        dst.set(row, d);
        if (two) dst.set(row, d + inner);
      } else if (two) {
        const e = d + inner;
        for (let c = 0; c < inner; c++) {
          const v = src[s0 + c];
          dst[d + c] = v;
          dst[e + c] = v;
        }
      } else {
        for (let c = 0; c < inner; c++) dst[d + c] = src[s0 + c];
      }
      const step = two ? 2 : 1;
      o += step;
      d += step * inner;
    }
  }
}

/** Two taps per output (linear): rows of `inner` contiguous values. */
function pass2(src: Float32Array, dst: Float32Array, p: PassPlan): void {
  const {outer, inner, inL, outL, off, weight: w, pair} = p;
  for (let b = 0; b < outer; b++) {
    const s = b * inL * inner;
    let d = b * outL * inner;
    for (let o = 0; o < outL;) {
      const r = 2 * o;
      const s0 = s + off[r];
      const s1 = s + off[r + 1];
      const w0 = w[r];
      const w1 = w[r + 1];
      if (pair[o] === 1) {
        const v0 = w[r + 2];
        const v1 = w[r + 3];
        const e = d + inner;
        for (let c = 0; c < inner; c++) {
          const a = src[s0 + c];
          const z = src[s1 + c];
          dst[d + c] = w0 * a + w1 * z;
          dst[e + c] = v0 * a + v1 * z;
        }
        o += 2;
        d += 2 * inner;
      } else {
        for (let c = 0; c < inner; c++) dst[d + c] = w0 * src[s0 + c] + w1 * src[s1 + c];
        o += 1;
        d += inner;
      }
    }
  }
}

/** Four taps per output (cubic). */
function pass4(src: Float32Array, dst: Float32Array, p: PassPlan): void {
  const {outer, inner, inL, outL, off, weight: w, pair} = p;
  for (let b = 0; b < outer; b++) {
    const s = b * inL * inner;
    let d = b * outL * inner;
    for (let o = 0; o < outL;) {
      const r = 4 * o;
      const s0 = s + off[r];
      const s1 = s + off[r + 1];
      const s2 = s + off[r + 2];
      const s3 = s + off[r + 3];
      const w0 = w[r];
      const w1 = w[r + 1];
      const w2 = w[r + 2];
      const w3 = w[r + 3];
      if (pair[o] === 1) {
        const v0 = w[r + 4];
        const v1 = w[r + 5];
        const v2 = w[r + 6];
        const v3 = w[r + 7];
        const e = d + inner;
        for (let c = 0; c < inner; c++) {
          const a0 = src[s0 + c];
          const a1 = src[s1 + c];
          const a2 = src[s2 + c];
          const a3 = src[s3 + c];
          dst[d + c] = w0 * a0 + w1 * a1 + w2 * a2 + w3 * a3;
          dst[e + c] = v0 * a0 + v1 * a1 + v2 * a2 + v3 * a3;
        }
        o += 2;
        d += 2 * inner;
      } else {
        for (let c = 0; c < inner; c++) {
          dst[d + c] =
              w0 * src[s0 + c] + w1 * src[s1 + c] + w2 * src[s2 + c] + w3 * src[s3 + c];
        }
        o += 1;
        d += inner;
      }
    }
  }
}

/** Any number of taps (area, antialias, transposed tables): accumulate tap by tap. */
function passN(src: Float32Array, dst: Float32Array, p: PassPlan): void {
  const {outer, inner, inL, outL, taps, off, weight: w} = p;
  for (let b = 0; b < outer; b++) {
    const s = b * inL * inner;
    let d = b * outL * inner;
    for (let o = 0; o < outL; o++, d += inner) {
      const r = o * taps;
      const s0 = s + off[r];
      const w0 = w[r];
      for (let c = 0; c < inner; c++) dst[d + c] = w0 * src[s0 + c];
      for (let k = 1; k < taps; k++) {
        const wk = w[r + k];
        const sk = s + off[r + k];
        for (let c = 0; c < inner; c++) dst[d + c] += wk * src[sk + c];
      }
    }
  }
}

/**
 * The real taps of a table with padding taps (weight -0: area, antialias and transposed tables
 * whose rows vary in length), row by row: row o's taps are start[o] .. start[o + 1] - 1 of off
 * and weight. Padding taps are left out, so they add nothing even where the value they name is
 * Inf or NaN, while a real zero weight still multiplies its value (Note [taps PyTorch
 * evaluates]); a row of padding only is 0.
 */
interface RealTaps {
  start: Int32Array;
  off: Int32Array;
  weight: Float32Array;
}

function realTaps(p: PassPlan): RealTaps {
  const {outL, taps, off, weight} = p;
  const skip = isPaddingTap;
  const start = new Int32Array(outL + 1);
  let n = 0;
  for (let o = 0; o < outL; o++) {
    start[o] = n;
    for (let k = 0; k < taps; k++) if (!skip(weight[o * taps + k])) n++;
  }
  start[outL] = n;
  const realOff = new Int32Array(n);
  const realWeight = new Float32Array(n);
  n = 0;
  for (let i = 0; i < outL * taps; i++) {
    if (skip(weight[i])) continue;
    realOff[n] = off[i];
    realWeight[n++] = weight[i];
  }
  return {start, off: realOff, weight: realWeight};
}

/** A table with padding taps, inner > 1: accumulate the real taps of each row. */
function passPadded(src: Float32Array, dst: Float32Array, p: PassPlan, t: RealTaps): void {
  const {outer, inner, inL, outL} = p;
  const {start, off, weight: w} = t;
  for (let b = 0; b < outer; b++) {
    const s = b * inL * inner;
    let d = b * outL * inner;
    for (let o = 0; o < outL; o++, d += inner) {
      const j0 = start[o];
      const j1 = start[o + 1];
      if (j0 === j1) {
        dst.fill(0, d, d + inner);
        continue;
      }
      const w0 = w[j0];
      const s0 = s + off[j0];
      for (let c = 0; c < inner; c++) dst[d + c] = w0 * src[s0 + c];
      for (let j = j0 + 1; j < j1; j++) {
        const wj = w[j];
        const sj = s + off[j];
        for (let c = 0; c < inner; c++) dst[d + c] += wj * src[sj + c];
      }
    }
  }
}

/** A table with padding taps, inner === 1: passScalar's tiled walk over the real taps. */
function passPaddedScalar(src: Float32Array, dst: Float32Array, p: PassPlan, t: RealTaps): void {
  const {outer, inL, outL} = p;
  const {start, off, weight: w} = t;
  const tile = tileRows(inL, outL);
  for (let b0 = 0; b0 < outer; b0 += tile) {
    const rows = Math.min(tile, outer - b0);
    const sBase = b0 * inL;
    const dBase = b0 * outL;
    for (let o = 0; o < outL; o++) {
      const j0 = start[o];
      const j1 = start[o + 1];
      let s = sBase;
      let d = dBase + o;
      for (let k = 0; k < rows; k++, s += inL, d += outL) {
        let acc = 0;
        for (let j = j0; j < j1; j++) acc += w[j] * src[s + off[j]];
        dst[d] = acc;
      }
    }
  }
}

/**
 * Rows per tile of the inner === 1 passes: each output column is computed for a tile of rows
 * with its offsets and weights held in registers, the tile (input and output rows) small
 * enough to stay in cache.
 */
function tileRows(inL: number, outL: number): number {
  return Math.max(8, Math.min(64, Math.floor(16384 / (inL + outL))));
}

/**
 * inner === 1 (the innermost channelsFirst axis): every output value is a gather of `taps`
 * scalars. Walking column by column over a tile of rows hoists each column's offsets and
 * weights out of the loop (rows share the table); pairs load their sources once.
 */
function passScalar(src: Values, dst: Values, p: PassPlan, gather: boolean): void {
  const {outer, inL, outL, taps, off, weight: w, pair} = p;
  const tile = tileRows(inL, outL);
  for (let b0 = 0; b0 < outer; b0 += tile) {
    const rows = Math.min(tile, outer - b0);
    const sBase = b0 * inL;
    const dBase = b0 * outL;
    for (let o = 0; o < outL;) {
      const r = o * taps;
      const two = pair[o] === 1;
      let s = sBase;
      let d = dBase + o;
      if (gather) {
        const a0 = off[r];
        if (two) {
          for (let k = 0; k < rows; k++, s += inL, d += outL) {
            const v = src[s + a0];
            dst[d] = v;
            dst[d + 1] = v;
          }
        } else {
          for (let k = 0; k < rows; k++, s += inL, d += outL) dst[d] = src[s + a0];
        }
      } else if (taps === 2) {
        const a0 = off[r];
        const a1 = off[r + 1];
        const w0 = w[r];
        const w1 = w[r + 1];
        if (two) {
          const v0 = w[r + 2];
          const v1 = w[r + 3];
          for (let k = 0; k < rows; k++, s += inL, d += outL) {
            const x0 = src[s + a0];
            const x1 = src[s + a1];
            dst[d] = w0 * x0 + w1 * x1;
            dst[d + 1] = v0 * x0 + v1 * x1;
          }
        } else {
          for (let k = 0; k < rows; k++, s += inL, d += outL) {
            dst[d] = w0 * src[s + a0] + w1 * src[s + a1];
          }
        }
      } else if (taps === 4) {
        const a0 = off[r];
        const a1 = off[r + 1];
        const a2 = off[r + 2];
        const a3 = off[r + 3];
        const w0 = w[r];
        const w1 = w[r + 1];
        const w2 = w[r + 2];
        const w3 = w[r + 3];
        if (two) {
          const v0 = w[r + 4];
          const v1 = w[r + 5];
          const v2 = w[r + 6];
          const v3 = w[r + 7];
          for (let k = 0; k < rows; k++, s += inL, d += outL) {
            const x0 = src[s + a0];
            const x1 = src[s + a1];
            const x2 = src[s + a2];
            const x3 = src[s + a3];
            dst[d] = w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3;
            dst[d + 1] = v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3;
          }
        } else {
          for (let k = 0; k < rows; k++, s += inL, d += outL) {
            dst[d] = w0 * src[s + a0] + w1 * src[s + a1] + w2 * src[s + a2] + w3 * src[s + a3];
          }
        }
      } else {
        for (let k = 0; k < rows; k++, s += inL, d += outL) {
          let acc = 0;
          for (let j = 0; j < taps; j++) acc += w[r + j] * src[s + off[r + j]];
          dst[d] = acc;
        }
        o += 1;
        continue;
      }
      o += two ? 2 : 1;
    }
  }
}

/** One pass along an axis: src [outer, inL, inner] -> dst [outer, outL, inner]. */
function resampleAxis(
    src: Values, dst: Values, outer: number, inner: number, t: AxisTable): void {
  const off = new Int32Array(t.index.length);
  for (let i = 0; i < off.length; i++) off[i] = t.index[i] * inner;
  const plan: PassPlan = {
    outer, inner, inL: t.inSize, outL: t.outSize, taps: t.taps, off, weight: t.weight,
    pair: pairRows(t),
  };
  const gather = isGatherTable(t);
  if (!gather && hasPaddingTaps(t)) {
    const real = realTaps(plan);
    if (inner === 1) {
      passPaddedScalar(src as Float32Array, dst as Float32Array, plan, real);
    } else {
      passPadded(src as Float32Array, dst as Float32Array, plan, real);
    }
  } else if (inner === 1) {
    passScalar(src, dst, plan, gather);
  } else if (gather) {
    passGather(src, dst, plan);
  } else if (t.taps === 2) {
    pass2(src as Float32Array, dst as Float32Array, plan);
  } else if (t.taps === 4) {
    pass4(src as Float32Array, dst as Float32Array, plan);
  } else {
    passN(src as Float32Array, dst as Float32Array, plan);
  }
}

/** Scratch buffers kept between calls: two per dtype (ping-pong between passes). */
const SCRATCH: {float32: Float32Array[], int32: Int32Array[]} = {
  float32: [new Float32Array(0), new Float32Array(0)],
  int32: [new Int32Array(0), new Int32Array(0)],
};

/** Buffers above this many values are not kept (a one-off huge resize should not pin memory). */
const SCRATCH_MAX = 1 << 24;

/**
 * A scratch view of `size` values. Reusing the intermediate buffers saves the page faults and
 * garbage collection of a fresh multi-megabyte array per pass; their contents are never read
 * before a pass overwrites them (every pass writes every value of its output).
 */
function scratch(int: boolean, slot: number, size: number): Values {
  const pool = int ? SCRATCH.int32 : SCRATCH.float32;
  if (pool[slot].length >= size) return pool[slot].subarray(0, size);
  const buf = int ? new Int32Array(size) : new Float32Array(size);
  if (size <= SCRATCH_MAX) pool[slot] = buf;
  return buf;
}

/**
 * Every axis a gather (the nearest modes): the whole resize is one gather, done in a single
 * walk without intermediate buffers. Walking the spatial axes outermost first, an output slab
 * whose source equals the previous slab's is a copy of the slab just written (copyWithin, a
 * memcpy: a 2x upscale computes half of every axis this way); the others recurse into the next
 * axis, down to rows of `inner` contiguous values (channels for channelsLast, one value for
 * channelsFirst).
 */
function gatherAll(
    src: Values, dst: Values, inShape: number[], outShape: number[], axes: number[],
    tables: readonly AxisTable[]): void {
  const n = axes.length;
  const first = axes[0];
  const prod = (a: number[], from: number, to: number) =>
      a.slice(from, to).reduce((x, y) => x * y, 1);
  const outer = prod(inShape, 0, first);
  const inner = prod(inShape, axes[n - 1] + 1, inShape.length);
  const srcStride = axes.map((a) => prod(inShape, a + 1, inShape.length));
  const dstStride = axes.map((a) => prod(outShape, a + 1, outShape.length));
  const index = tables.map((t) => {
    const ix = new Int32Array(t.outSize);
    for (let o = 0; o < t.outSize; o++) ix[o] = t.index[o * t.taps];
    return ix;
  });
  // Axes that are an exact 2x upscale (output o reads input o >> 1), the commonest nearest use.
  const doubles = index.map((ix) => ix.length % 2 === 0 && ix.every((i, o) => i === o >> 1));
  const walk = (k: number, s: number, d: number): void => {
    const ix = index[k];
    const len = tables[k].outSize;
    const ss = srcStride[k];
    const ds = dstStride[k];
    if (k < n - 1) {
      for (let o = 0; o < len; o++, d += ds) {
        if (o > 0 && ix[o] === ix[o - 1]) {
          dst.copyWithin(d, d - ds, d);
        } else {
          walk(k + 1, s + ix[o] * ss, d);
        }
      }
    } else if (inner === 1) {
      if (doubles[k]) {
        // Output 2i and 2i + 1 both read input i: one read, two writes, no index lookups.
        for (let o = 0; o < len; o += 2) {
          const v = src[s + (o >> 1)];
          dst[d + o] = v;
          dst[d + o + 1] = v;
        }
      } else {
        for (let o = 0; o < len; o++) dst[d + o] = src[s + ix[o]];
      }
    } else if (inner >= SET_MIN) {
      for (let o = 0; o < len; o++, d += inner) {
        const s0 = s + ix[o] * inner;
        dst.set(src.subarray(s0, s0 + inner), d);
      }
    } else {
      for (let o = 0; o < len;) {
        const s0 = s + ix[o] * inner;
        if (o + 1 < len && ix[o + 1] === ix[o]) {
          const e = d + inner;
          for (let c = 0; c < inner; c++) {
            const v = src[s0 + c];
            dst[d + c] = v;
            dst[e + c] = v;
          }
          o += 2;
          d += 2 * inner;
        } else {
          for (let c = 0; c < inner; c++) dst[d + c] = src[s0 + c];
          o += 1;
          d += inner;
        }
      }
    }
  };
  const inBlock = prod(inShape, first, inShape.length);
  const outBlock = prod(outShape, first, outShape.length);
  for (let b = 0; b < outer; b++) walk(0, b * inBlock, b * outBlock);
}

/** The shape `tables` resample `shape` to: spatial dim i gets tables[i].outSize. */
export function resampledShape(
    shape: readonly number[], dataFormat: DataFormat, tables: readonly AxisTable[]): number[] {
  const out = shape.slice();
  spatialAxes(shape.length, dataFormat).forEach((a, i) => out[a] = tables[i].outSize);
  return out;
}

/**
 * Compute core of Interpolate and InterpolateGrad (exported through shared.ts): applies
 * tables[i] along spatial dim i (each mapping its inSize to its outSize) to `x`.
 * - x: the values of a tensor of shape `shape` (rank 3-5, in dataFormat), row-major; any view
 *   (byteOffset allowed), float32, or int32 for gather tables (the nearest modes).
 * - tables: one per spatial dim, outermost first (interpolateTables in src/index_math/resize.ts).
 * - out: the caller's view of resampledShape(shape, dataFormat, tables) values, same dtype as x,
 *   not overlapping x; every value is written. Intermediate passes use scratch of their own.
 */
export function resampleImplCPU(
    x: Values, shape: readonly number[], dataFormat: DataFormat, tables: readonly AxisTable[],
    out: Values): void {
  const axes = spatialAxes(shape.length, dataFormat);
  const int = x instanceof Int32Array;
  if (out.length === 0) return;
  // Note [pass planning] (src/index_math/plan.ts): every axis a gather gives one pass over all
  // of them (gatherAll), else one pass per non-identity axis in the cheapest order.
  const passes = planPasses(
      shape, tables.map((table, i) => ({dim: axes[i], table, i}))
                 .filter(({table}) => !isIdentityTable(table)), CPU_PASS_LIMITS);
  if (passes.length === 0) {
    // Every axis is an identity.
    out.set(x);
    return;
  }
  if (passes.length === 1 && passes[0].every(({table}) => isGatherTable(table))) {
    gatherAll(x, out, shape.slice(), resampledShape(shape, dataFormat, tables), axes, tables);
    return;
  }
  const order = passes.flat().map(({i}) => i);
  let cur: Values = x;
  const s = shape.slice();
  order.forEach((i, k) => {
    const a = axes[i];
    const outer = s.slice(0, a).reduce((p, q) => p * q, 1);
    const inner = s.slice(a + 1).reduce((p, q) => p * q, 1);
    const size = outer * tables[i].outSize * inner;
    // Intermediate results go to reused scratch buffers (alternating, so a pass never writes
    // what it reads); the last pass writes the caller's output.
    const next = k === order.length - 1 ? out : scratch(int, k % 2, size);
    resampleAxis(cur, next, outer, inner, tables[i]);
    s[a] = tables[i].outSize;
    cur = next;
  });
}

/**
 * Compute core of the Interpolate kernel: `resampleImplCPU` with interpolateTables(attrs,
 * {transposed: false}). x: [batch, ...attrs.inSize, C] or [batch, C, ...attrs.inSize] per
 * attrs.dataFormat; out: the same with attrs.outSize.
 */
export function interpolateImplCPU(
    x: Values, shape: readonly number[], attrs: InterpolateAttrs, out: Values): void {
  resampleImplCPU(x, shape, attrs.dataFormat, interpolateTables(attrs, {transposed: false}), out);
}

export const interpolate: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as InterpolateInputs;
  const cpu = backend as CpuBackend;
  const a = attrs as unknown as InterpolateAttrs;
  const tables = interpolateTables(a, {transposed: false});
  const outShape = resampledShape(x.shape, a.dataFormat, tables);
  const out = zeros(x.dtype, sizeOf(outShape));
  resampleImplCPU(valuesOf(cpu, x) as TypedArray as Values, x.shape, a.dataFormat, tables, out);
  return output(cpu, outShape, x.dtype, out);
};

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'cpu',
  kernelFunc: interpolate,
};
