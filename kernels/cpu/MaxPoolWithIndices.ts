// MaxPoolWithIndices on cpu: one pass over the windows, taps and the max rule from
// src/index_math/pool.ts (Note [pooling window], Note [max and ties]). 1-D and 2-D run as 3-D
// with unit outer dims. Both layouts share one loop through `step`, the flat distance between
// neighbouring positions of a plane (1 channelsFirst, C channelsLast); for channelsLast the
// channel loop is innermost, so consecutive iterations read consecutive memory.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {poolingOutputSize, poolWindowTable, realTapWindow} from '../../src/index_math/pool.js';
import type {PoolWindowTable} from '../../src/index_math/pool.js';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {layoutOf, padFront, planeView, shapeOf, sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';


/** Everything the loops need, resolved once per call. */
interface Geometry {
  /** Independent planes: batch * C for channelsFirst, batch for channelsLast. */
  planes: number;
  /** Values per plane position handled together: 1 channelsFirst, C channelsLast. */
  lanes: number;
  /** Flat distance between neighbouring positions of a plane (= lanes). */
  step: number;
  inPlane: number;
  inHW: number;
  inW: number;
  outD: number;
  outH: number;
  outW: number;
  tD: PoolWindowTable;
  tH: PoolWindowTable;
  tW: PoolWindowTable;
  /** Taps per axis of a window that lies wholly inside the input. */
  kD: number;
  kH: number;
  kW: number;
  /** Stride along W, the step between neighbouring whole windows of a row. */
  strideW: number;
  /** Output columns [wholeLo, wholeHi) have whole windows along W (a contiguous range). */
  wholeLo: number;
  wholeHi: number;
  /** Plane offsets of a whole window's taps from its first, in scan order. */
  fullTaps: Int32Array;
  /** Plane offset of one step along each axis inside a window (dilation included). */
  tapD: number;
  tapH: number;
  tapW: number;
  /** Scratch for the taps of an edge window cut by padding. */
  partial: Int32Array;
}

// Note [max and ties] without data-dependent branches: whether a tap replaces the max is random
// on real data, and a mispredicted branch per tap costs more than the work. The running offset
// is selected with integer masks (`win` is -1 when the tap wins: it is greater, or NaN), the
// running max is re-read from x at that offset, and the window's first tap starts both
// (PyTorch's -infinity start always gives way to it or keeps its index). The value written is x
// at the final index: PyTorch's value bit for bit (sign of zero, NaN payload).
//
// Whole 2x2 windows (k = 2 on the two innermost axes, 1 outside), by far the most common, run
// in tight loops over the interior of each output row with the taps unrolled; every other
// window goes through maxOverWindow. The loops are functions of their own: V8 then optimises each
// once and keeps it, instead of on-stack-replacing a loop inside a function whose setup code
// keeps deoptimising it.

/** Pools output position `o` (all lanes) of the window starting at plane offset `first`. */
function maxOverWindow(
    xv: Float32Array, values: Float32Array, indices: Int32Array, g: Geometry, xBase: number,
    o: number, first: number, cd: number, ch: number, cw: number): void {
  const {lanes, step, kD, kH, kW} = g;
  let taps = g.fullTaps;
  let count = taps.length;
  if (cd !== kD || ch !== kH || cw !== kW) {
    const {tapD, tapH, tapW} = g;
    taps = g.partial;
    count = 0;
    for (let td = 0; td < cd; td++) {
      for (let th = 0; th < ch; th++) {
        for (let tw = 0; tw < cw; tw++) taps[count++] = td * tapD + th * tapH + tw * tapW;
      }
    }
  }
  const firstAt = xBase + first * step;
  for (let c = 0; c < lanes; c++) {
    if (count === 0) {
      values[o + c] = -Infinity;
      indices[o + c] = first;
      continue;
    }
    const at = firstAt + c;
    let best = 0;
    let bestAt = at;
    for (let t = 1; t < count; t++) {
      const tap = taps[t];
      const tapAt = at + tap * step;
      const v = xv[tapAt];
      const win = -(+(v > xv[bestAt]) | +(v !== v));
      best ^= (best ^ tap) & win;
      bestAt ^= (bestAt ^ tapAt) & win;
    }
    values[o + c] = xv[bestAt];
    indices[o + c] = first + best;
  }
}

/**
 * Whole 2x2 windows of one output row, columns [lo, hi), channelsFirst: flat and plane offsets
 * agree, so one select per tap.
 */
function rowTwoByTwoFirst(
    xv: Float32Array, values: Float32Array, indices: Int32Array, g: Geometry, xBase: number,
    o: number, first: number): void {
  const taps = g.fullTaps;
  const t1 = taps[1], t2 = taps[2], t3 = taps[3];
  const strideW = g.strideW;
  const end = o + (g.wholeHi - g.wholeLo);
  for (let at = xBase + first; o < end; o++, at += strideW) {
    let bestAt = at;
    let v = xv[at + t1];
    let win = -(+(v > xv[at]) | +(v !== v));
    bestAt ^= (bestAt ^ (at + t1)) & win;
    v = xv[at + t2];
    win = -(+(v > xv[bestAt]) | +(v !== v));
    bestAt ^= (bestAt ^ (at + t2)) & win;
    v = xv[at + t3];
    win = -(+(v > xv[bestAt]) | +(v !== v));
    bestAt ^= (bestAt ^ (at + t3)) & win;
    values[o] = xv[bestAt];
    indices[o] = bestAt - xBase;
  }
}

/** The same for channelsLast: C lanes per position, the plane offset selected alongside. */
function rowTwoByTwoLast(
    xv: Float32Array, values: Float32Array, indices: Int32Array, g: Geometry, xBase: number,
    o: number, first: number): void {
  const C = g.lanes;
  const taps = g.fullTaps;
  const t1 = taps[1], t2 = taps[2], t3 = taps[3];
  const e1 = t1 * C, e2 = t2 * C, e3 = t3 * C;
  const strideW = g.strideW;
  const n = g.wholeHi - g.wholeLo;
  for (let i = 0; i < n; i++, o += C, first += strideW) {
    const firstAt = xBase + first * C;
    for (let c = 0; c < C; c++) {
      const at = firstAt + c;
      let best = 0;
      let bestAt = at;
      let v = xv[at + e1];
      let win = -(+(v > xv[at]) | +(v !== v));
      best ^= (best ^ t1) & win;
      bestAt ^= (bestAt ^ (at + e1)) & win;
      v = xv[at + e2];
      win = -(+(v > xv[bestAt]) | +(v !== v));
      best ^= (best ^ t2) & win;
      bestAt ^= (bestAt ^ (at + e2)) & win;
      v = xv[at + e3];
      win = -(+(v > xv[bestAt]) | +(v !== v));
      best ^= (best ^ t3) & win;
      bestAt ^= (bestAt ^ (at + e3)) & win;
      values[o + c] = xv[bestAt];
      indices[o + c] = first + best;
    }
  }
}

function poolLoop(xv: Float32Array, values: Float32Array, indices: Int32Array, g: Geometry): void {
  const {planes, lanes, inPlane, inHW, inW, outD, outH, outW, kD, kH, wholeLo, wholeHi} = g;
  const dStart = g.tD.start, dCount = g.tD.count;
  const hStart = g.tH.start, hCount = g.tH.count;
  const wStart = g.tW.start, wCount = g.tW.count;
  const twoByTwo = kD === 1 && kH === 2 && g.kW === 2;
  const rowFast = lanes === 1 ? rowTwoByTwoFirst : rowTwoByTwoLast;
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const xBase = plane * inPlane * lanes;
    for (let od = 0; od < outD; od++) {
      const cd = dCount[od];
      for (let oh = 0; oh < outH; oh++) {
        const ch = hCount[oh];
        // Note [all-padding windows]: the index of the starts even when no tap is real.
        const rowFirst = dStart[od] * inHW + hStart[oh] * inW;
        let ow = 0;
        if (twoByTwo && cd === kD && ch === kH && wholeLo < wholeHi) {
          for (; ow < wholeLo; ow++, o += lanes) {
            maxOverWindow(xv, values, indices, g, xBase, o, rowFirst + wStart[ow], cd, ch, wCount[ow]);
          }
          rowFast(xv, values, indices, g, xBase, o, rowFirst + wStart[wholeLo]);
          o += (wholeHi - wholeLo) * lanes;
          ow = wholeHi;
        }
        for (; ow < outW; ow++, o += lanes) {
          maxOverWindow(xv, values, indices, g, xBase, o, rowFirst + wStart[ow], cd, ch, wCount[ow]);
        }
      }
    }
  }
}

/** The output shape of max pooling x of shape `xShape` with these attributes. */
export function maxPoolOutputShape(
    xShape: readonly number[], attrs: MaxPoolWithIndicesAttrs): number[] {
  const {kernelSize, stride, padding, dilation, ceilMode, dataFormat} = attrs;
  const layout = layoutOf(xShape, dataFormat);
  const outSpatial = layout.spatial.map(
      (s, i) => poolingOutputSize(s, kernelSize[i], padding[i], stride[i], dilation[i], ceilMode));
  return shapeOf(layout.batch, layout.channels, outSpatial, dataFormat);
}

/**
 * Compute core of the MaxPoolWithIndices kernel (exported through shared.ts).
 * - x: float32 values of shape `xShape`, [batch, C, ...spatial] or [batch, ...spatial, C] per
 *   attrs.dataFormat, 1 to 3 spatial dims.
 * - values, indices: the caller's float32 and int32 views of maxPoolOutputShape(xShape, attrs)
 *   values each; every value is written (indices: PyTorch's flat offsets inside one
 *   (batch, channel) plane, Note [index encoding]). Any views, not overlapping.
 */
export function maxPoolWithIndicesImplCPU(
    x: Float32Array, xShape: readonly number[], attrs: MaxPoolWithIndicesAttrs,
    values: Float32Array, indices: Int32Array): void {
  const {kernelSize, stride, padding, dilation, ceilMode, dataFormat} = attrs;
  const layout = layoutOf(xShape, dataFormat);
  const outSpatial = layout.spatial.map(
      (s, i) => poolingOutputSize(s, kernelSize[i], padding[i], stride[i], dilation[i], ceilMode));
  const [inD, inH, inW] = padFront(layout.spatial, 3, 1);
  const [outD, outH, outW] = padFront(outSpatial, 3, 1);
  // Note [taps that can be real]: the tap tables are sized by what they index.
  const real = layout.spatial.map((s, i) => realTapWindow(
      s, outSpatial[i], kernelSize[i], padding[i], stride[i], dilation[i]));
  const [kD, kH, kW] = padFront(real.map((r) => r.kernelSize), 3, 1);
  const s = padFront(stride, 3, 1);
  const p = padFront(real.map((r) => r.padding), 3, 0);
  const [dD, dH, dW] = padFront(dilation, 3, 1);
  const inHW = inH * inW;
  const tapD = dD * inHW;
  const tapH = dH * inW;
  const tapW = dW;
  const fullTaps = new Int32Array(kD * kH * kW);
  for (let td = 0, t = 0; td < kD; td++) {
    for (let th = 0; th < kH; th++) {
      for (let tw = 0; tw < kW; tw++) fullTaps[t++] = td * tapD + th * tapH + tw * tapW;
    }
  }
  const tW = poolWindowTable(outW, inW, kW, p[2], s[2], dW);
  let wholeLo = 0;
  while (wholeLo < outW && tW.count[wholeLo] !== kW) wholeLo++;
  let wholeHi = wholeLo;
  while (wholeHi < outW && tW.count[wholeHi] === kW) wholeHi++;
  // Note [plane view] in src/util/layout.ts: rows of planes, `cols` lanes per position.
  const {rows, cols: lanes} = planeView(xShape, dataFormat);
  const geometry: Geometry = {
    planes: rows,
    lanes,
    step: lanes,
    inPlane: layout.planeSize,
    inHW,
    inW,
    outD,
    outH,
    outW,
    tD: poolWindowTable(outD, inD, kD, p[0], s[0], dD),
    tH: poolWindowTable(outH, inH, kH, p[1], s[1], dH),
    tW,
    kD,
    kH,
    kW,
    strideW: s[2],
    wholeLo,
    wholeHi,
    fullTaps,
    tapD,
    tapH,
    tapW,
    partial: new Int32Array(fullTaps.length),
  };
  if (values.length === 0) return;
  poolLoop(x, values, indices, geometry);
}

export function maxPoolWithIndices(
    args: {inputs: MaxPoolWithIndicesInputs, backend: CpuBackend, attrs: MaxPoolWithIndicesAttrs}):
    TensorInfo[] {
  const {inputs: {x}, backend, attrs} = args;
  const outShape = maxPoolOutputShape(x.shape, attrs);
  const size = sizeOf(outShape);
  const values = new Float32Array(size);
  const indices = new Int32Array(size);
  maxPoolWithIndicesImplCPU(valuesOf(backend, x) as Float32Array, x.shape, attrs, values, indices);
  return [
    output(backend, outShape, 'float32', values),
    output(backend, outShape, 'int32', indices),
  ];
}

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'cpu',
  kernelFunc: maxPoolWithIndices as unknown as KernelFunc,
};
