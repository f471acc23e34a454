// cpu kernel of convTranspose1d/2d/3d (PyTorch's conv_transpose*d), plus the geometry and the
// per-tap row lists its two gradient kernels share.
//
// Why per-tap matrix products (Note [transposed convolution tap relation] in
// src/index_math/conv.ts): for a fixed kernel tap t, input position i adds into output position
// i*s - p + t*d, which is one-to-one. So for each tap and group the whole transposed convolution
// is one matrix product
//     out[o(i, t), oc] += sum_ic x[i, ic] * W[ic, oc, t]        (i over the tap's valid range)
// whose result rows land on shifted output rows: a GEMM whose col2im scatter is fused into the
// store of each result tile (conv_transpose_gemm.ts). Only positions the tap keeps inside the
// output are computed (convTransposeTapRange), so there is no per-element bounds test and no
// product wasted on the padding. The same product, with the row shift moved to the input side,
// is the gradient with respect to x (ConvTransposeBackpropInput.ts), and with the reduction over
// positions instead of channels it is the gradient with respect to the weight
// (ConvTransposeBackpropFilter.ts).
//
// Layouts: the product reads and writes rows contiguous in channels. Per batch entry, x is copied
// into the product's heap as [position, channel] (a plain copy for channelsLast, a transposing
// one for channelsFirst), and the result is copied out the same way: O(size) moves against
// O(size * taps * channels) arithmetic.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {convTransposeShapes} from '../../src/index_math/conv.js';
import type {ConvTransposeShapes} from '../../src/index_math/conv.js';
import {convTransposeTapRows} from '../../src/index_math/conv_tables.js';
import type {TapRows} from '../../src/index_math/conv_tables.js';
import {ConvTranspose} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs, DataFormat} from '../../src/kernel_names.js';
import {padFront, sizeOf} from '../../src/util/layout.js';

import {gemmHeap, HeapLayout, MAX_HEAP_BYTES, PANEL} from './conv_transpose_gemm.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/** Everything the three kernels need, with 1-D and 2-D padded to 3-D (leading axes of size 1). */
export interface ConvGeometry extends ConvTransposeShapes {
  /** The spatial sizes, kernel and attributes padded to 3 axes [D, H, W]. */
  in3: number[];
  out3: number[];
  k3: number[];
  stride3: number[];
  padding3: number[];
  dilation3: number[];
  inPlane: number;
  outPlane: number;
  /** Number of kernel taps (product of the kernel sizes). */
  taps: number;
  dataFormat: DataFormat;
}

/**
 * The geometry of a transposed convolution from x's shape (batched, in dataFormat), the weight's
 * shape (PyTorch layout) and the resolved attributes.
 */
export function convGeometry(
    xShape: readonly number[], weightShape: readonly number[],
    attrs: ConvTransposeAttrs): ConvGeometry {
  const shapes = convTransposeShapes(xShape, weightShape, attrs);
  const {inSize, outSize, kernelSize} = shapes;
  const prod = (v: number[]) => v.reduce((a, b) => a * b, 1);
  return {
    ...shapes,
    in3: padFront(inSize, 3, 1),
    out3: padFront(outSize, 3, 1),
    k3: padFront(kernelSize, 3, 1),
    stride3: padFront(attrs.stride, 3, 1),
    padding3: padFront(attrs.padding, 3, 0),
    dilation3: padFront(attrs.dilation, 3, 1),
    inPlane: prod(inSize),
    outPlane: prod(outSize),
    taps: prod(kernelSize),
    dataFormat: attrs.dataFormat,
  };
}

export type {TapRows} from '../../src/index_math/conv_tables.js';

/** The tap rows of the geometry (src/index_math/conv_tables.ts, memoised there). */
export function tapRows(g: ConvGeometry): TapRows {
  return convTransposeTapRows(g.in3.map((inSize, a) => ({
    inSize, outSize: g.out3[a], kernelSize: g.k3[a], stride: g.stride3[a], padding: g.padding3[a],
    dilation: g.dilation3[a]})));
}

/** Which of the three products a heap layout is for. */
export type ConvTransposeProduct = 'forward'|'backpropInput'|'backpropFilter';

/**
 * Byte offsets of one call's operands in the product's heap, per batch entry: x's rows
 * [inPlane, inC], the output side's rows [outPlane, outC] (y, or dy for the gradients), the
 * packed weight panels (forward, gradient for x; none for depthwise-like groups) or the weight
 * gradient's accumulator, and two row-address lists of inPlane entries.
 */
export interface HeapRegions {
  x: number;
  y: number;
  w: number;
  aRow: number;
  cRow: number;
  /** Total bytes, at most MAX_HEAP_BYTES. */
  bytes: number;
}

/** The op a kernel's errors name: convTranspose{1,2,3}d, and which gradient. */
function opName(g: ConvGeometry, product: ConvTransposeProduct): string {
  const op = `convTranspose${g.inSize.length}d`;
  if (product === 'backpropInput') return `${op} (gradient for x)`;
  if (product === 'backpropFilter') return `${op} (gradient for the weight)`;
  return op;
}

/**
 * The heap layout of one product call; throws, naming the op and the size, when it would pass
 * MAX_HEAP_BYTES (Note [heap address limit] in conv_transpose_gemm.ts). Allocates nothing.
 */
export function heapRegions(g: ConvGeometry, product: ConvTransposeProduct): HeapRegions {
  const {inChannels, outChannels, groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const layout = new HeapLayout();
  const x = layout.take(g.inPlane * inChannels);
  // Gradient for the weight: 8 floats of slack, the product's vector loads may read past the
  // last dy row's channels.
  const y = layout.take(g.outPlane * outChannels + (product === 'backpropFilter' ? 8 : 0));
  let w = 0;
  if (product === 'backpropFilter') {
    w = layout.take(taps * inChannels * cog);
  } else if (cig !== 1) {
    // Panels of PANEL columns: output channels for the forward product, input channels for
    // the gradient for x (packWeightPanels).
    const [depth, cols] = product === 'forward' ? [cig, cog] : [cog, cig];
    w = layout.take(groups * taps * Math.ceil(cols / PANEL) * depth * PANEL);
  }
  const aRow = layout.take(g.inPlane);
  const cRow = layout.take(g.inPlane);
  if (layout.bytes > MAX_HEAP_BYTES) {
    const gib = (b: number) => (b / 2 ** 30).toFixed(1);
    throw new Error(
        `${opName(g, product)}: one batch entry needs ${gib(layout.bytes)} GiB (${
            layout.bytes} bytes) of working memory on the cpu backend (input spatial size [${
            g.inSize.join(', ')}] x ${inChannels} channels, output [${g.outSize.join(', ')}] x ${
            outChannels}), more than the ${gib(MAX_HEAP_BYTES)} GiB (${
            MAX_HEAP_BYTES} bytes) its product can address; split the input spatially or use ` +
        `fewer channels per call`);
  }
  return {x, y, w, aRow, cRow, bytes: layout.bytes};
}

/** Positions per tile of the transposing copies: a tile of all channels stays in L1. */
const TILE = 32;

/**
 * Copies one batch entry (at `srcOffset`) of a tensor into the heap as [position, channel]: a
 * plain copy from channelsLast, a transposing one (in tiles of positions) from channelsFirst.
 */
export function copyIn(
    src: Float32Array, srcOffset: number, channels: number, plane: number, channelsLast: boolean,
    heap: Float32Array, at: number): void {
  const d0 = at >> 2;
  if (channelsLast) {
    heap.set(src.subarray(srcOffset, srcOffset + channels * plane), d0);
    return;
  }
  for (let p0 = 0; p0 < plane; p0 += TILE) {
    const p1 = Math.min(plane, p0 + TILE);
    for (let c = 0; c < channels; c++) {
      const s = srcOffset + c * plane;
      for (let p = p0, d = d0 + p0 * channels + c; p < p1; p++, d += channels) heap[d] = src[s + p];
    }
  }
}

/** The inverse of copyIn: heap [position, channel] into one batch entry of `dst`. */
export function copyOut(
    heap: Float32Array, at: number, channels: number, plane: number, channelsLast: boolean,
    dst: Float32Array, dstOffset: number): void {
  const s0 = at >> 2;
  if (channelsLast) {
    dst.set(heap.subarray(s0, s0 + channels * plane), dstOffset);
    return;
  }
  for (let p0 = 0; p0 < plane; p0 += TILE) {
    const p1 = Math.min(plane, p0 + TILE);
    for (let c = 0; c < channels; c++) {
      const d = dstOffset + c * plane;
      for (let p = p0, s = s0 + p0 * channels + c; p < p1; p++, s += channels) dst[d + p] = heap[s];
    }
  }
}

/**
 * Packs the weight [inC, outC/g, taps] into B panels for every (group, tap): panel block
 * (g * taps + t) holds the [depth, cols] matrix in panels of PANEL columns (see
 * conv_transpose_gemm.ts), with depth over input channels and columns over output channels
 * (`columnsAreOut`, the forward product), or the other way round (the gradient for x).
 * Returns the size of one (group, tap) block in floats.
 */
export function packWeightPanels(
    w: Float32Array, g: ConvGeometry, columnsAreOut: boolean, heap: Float32Array,
    at: number): number {
  const {groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const depth = columnsAreOut ? cig : cog;
  const cols = columnsAreOut ? cog : cig;
  // A local copy: transpilers to CommonJS turn imported bindings into getters.
  const lanes = PANEL;
  const block = Math.ceil(cols / lanes) * depth * lanes;
  const base = at >> 2;
  for (let grp = 0; grp < groups; grp++) {
    for (let icg = 0; icg < cig; icg++) {
      for (let oc = 0; oc < cog; oc++) {
        const src = ((grp * cig + icg) * cog + oc) * taps;
        const k = columnsAreOut ? icg : oc;
        const j = columnsAreOut ? oc : icg;
        const inBlock = (Math.floor(j / lanes) * depth + k) * lanes + j % lanes;
        for (let t = 0; t < taps; t++) heap[base + (grp * taps + t) * block + inBlock] = w[src + t];
      }
    }
  }
  return block;
}

/**
 * Depthwise-like groups (one input channel per group, groups = inChannels) leave each per-tap
 * product one input channel deep: a matrix product would spend its tile on a single column. They
 * are done channel-wise instead, on the same heap rows: per tap and position, a multiply-add
 * across the channels of one row. `wt` is the weight as [tap][outC] (outC = groups * outPerGroup).
 */
export function weightByTap(w: Float32Array, outChannels: number, taps: number): Float32Array {
  const wt = new Float32Array(w.length);
  for (let j = 0; j < outChannels; j++) {
    for (let t = 0; t < taps; t++) wt[t * outChannels + j] = w[j * taps + t];
  }
  return wt;
}

/** Forward, depthwise-like: Y[o(i,t), g*m + k] += X[i, g] * W[g, k, t] (m outputs per group). */
export function depthwiseForward(
    f32: Float32Array, X: number, Y: number, rows: TapRows, t: number, groups: number, m: number,
    wt: Float32Array): void {
  const outC = groups * m;
  const w0 = t * outC;
  for (let r = rows.rowStart[t]; r < rows.rowStart[t + 1]; r++) {
    const xr = (X >> 2) + rows.inPos[r] * groups;
    const yr = (Y >> 2) + rows.outPos[r] * outC;
    if (m === 1) {
      for (let c = 0; c < groups; c++) f32[yr + c] += f32[xr + c] * wt[w0 + c];
    } else {
      for (let c = 0, j = 0; c < groups; c++) {
        const v = f32[xr + c];
        for (let k = 0; k < m; k++, j++) f32[yr + j] += v * wt[w0 + j];
      }
    }
  }
}

/** Gradient for x, depthwise-like: DX[i, g] += sum_k DY[o(i,t), g*m + k] * W[g, k, t]. */
export function depthwiseBackpropInput(
    f32: Float32Array, DY: number, DX: number, rows: TapRows, t: number, groups: number,
    m: number, wt: Float32Array): void {
  const outC = groups * m;
  const w0 = t * outC;
  for (let r = rows.rowStart[t]; r < rows.rowStart[t + 1]; r++) {
    const yr = (DY >> 2) + rows.outPos[r] * outC;
    const xr = (DX >> 2) + rows.inPos[r] * groups;
    if (m === 1) {
      for (let c = 0; c < groups; c++) f32[xr + c] += f32[yr + c] * wt[w0 + c];
    } else {
      for (let c = 0, j = 0; c < groups; c++) {
        let sum = 0;
        for (let k = 0; k < m; k++, j++) sum += f32[yr + j] * wt[w0 + j];
        f32[xr + c] += sum;
      }
    }
  }
}

/** Gradient for the weight, depthwise-like: DW[t][g*m + k] += X[i, g] * DY[o(i,t), g*m + k]. */
export function depthwiseBackpropFilter(
    f32: Float32Array, X: number, DY: number, DW: number, rows: TapRows, t: number,
    groups: number, m: number): void {
  const outC = groups * m;
  const d = (DW >> 2) + t * outC;
  for (let r = rows.rowStart[t]; r < rows.rowStart[t + 1]; r++) {
    const xr = (X >> 2) + rows.inPos[r] * groups;
    const yr = (DY >> 2) + rows.outPos[r] * outC;
    if (m === 1) {
      for (let c = 0; c < groups; c++) f32[d + c] += f32[xr + c] * f32[yr + c];
    } else {
      for (let c = 0, j = 0; c < groups; c++) {
        const v = f32[xr + c];
        for (let k = 0; k < m; k++, j++) f32[d + j] += v * f32[yr + j];
      }
    }
  }
}

/**
 * Compute core of the ConvTranspose kernel (exported through shared.ts).
 * - x: float32 values of shape `xShape`, [batch, C_in, ...spatial] (channelsFirst) or
 *   [batch, ...spatial, C_in] (channelsLast) per attrs.dataFormat, 1 to 3 spatial dims.
 * - weight: float32, PyTorch's layout [C_in, C_out / groups, ...kernel] (`weightShape`).
 * - bias: float32 [C_out], or null.
 * - out: the caller's float32 view of convTransposeShapes(xShape, weightShape, attrs).yShape;
 *   every value is written.
 * Any views (byteOffset allowed); the operands are copied into the product's own heap
 * (conv_transpose_gemm.ts), so out may live in another WebAssembly memory.
 */
export function convTransposeImplCPU(
    x: Float32Array, weight: Float32Array, bias: Float32Array|null, xShape: readonly number[],
    weightShape: readonly number[], attrs: ConvTransposeAttrs, out: Float32Array): void {
  const g = convGeometry(xShape, weightShape, attrs);
  const channelsLast = g.dataFormat === 'channelsLast';
  const {batch, inChannels, outChannels, groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const xv = x;
  const wv = weight;
  const bv = bias;
  if (out.length === 0) return;

  const {x: X, y: Y, w: W, aRow, cRow, bytes} = heapRegions(g, 'forward');
  const rows = tapRows(g);
  const depthwise = cig === 1;
  const heap = gemmHeap(bytes);
  const {f32, i32, gemm} = heap;
  const wBlock = depthwise ? 0 : packWeightPanels(wv, g, true, f32, W);
  const wt = depthwise ? weightByTap(wv, outChannels, taps) : null;

  for (let b = 0; b < batch; b++) {
    copyIn(xv, b * inChannels * g.inPlane, inChannels, g.inPlane, channelsLast, f32, X);
    // Bias first, so that the products accumulate on top of it.
    const y0 = Y >> 2;
    const y1 = y0 + g.outPlane * outChannels;
    if (bv == null) {
      f32.fill(0, y0, y1);
    } else {
      // One row of bias, then doubling copies.
      f32.set(bv, y0);
      for (let filled = outChannels; filled < y1 - y0; filled *= 2) {
        f32.copyWithin(y0 + filled, y0, y0 + Math.min(filled, y1 - y0 - filled));
      }
    }
    for (let t = 0; t < taps; t++) {
      if (wt != null) {
        depthwiseForward(f32, X, Y, rows, t, groups, cog, wt);
        continue;
      }
      const r0 = rows.rowStart[t];
      const n = rows.rowStart[t + 1] - r0;
      if (n === 0) continue;
      for (let grp = 0; grp < groups; grp++) {
        const aGroup = X + 4 * grp * cig;
        const cGroup = Y + 4 * grp * cog;
        for (let r = 0; r < n; r++) {
          i32[(aRow >> 2) + r] = aGroup + 4 * inChannels * rows.inPos[r0 + r];
          i32[(cRow >> 2) + r] = cGroup + 4 * outChannels * rows.outPos[r0 + r];
        }
        gemm(aRow, n, W + 4 * (grp * taps + t) * wBlock, cig, cRow, cog);
      }
    }
    copyOut(f32, Y, outChannels, g.outPlane, channelsLast, out, b * outChannels * g.outPlane);
  }
}

export function convTranspose(
    args: {inputs: ConvTransposeInputs, backend: CpuBackend, attrs: ConvTransposeAttrs}):
    TensorInfo {
  const {inputs, backend, attrs} = args;
  const {x, weight, bias} = inputs;
  const {yShape} = convTransposeShapes(x.shape, weight.shape, attrs);
  // The size check comes before the output is allocated.
  heapRegions(convGeometry(x.shape, weight.shape, attrs), 'forward');
  const out = new Float32Array(sizeOf(yShape));
  convTransposeImplCPU(
      valuesOf(backend, x) as Float32Array, valuesOf(backend, weight) as Float32Array,
      bias == null ? null : valuesOf(backend, bias) as Float32Array, x.shape, weight.shape, attrs,
      out);
  return output(backend, yShape, 'float32', out);
}

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'cpu',
  kernelFunc: convTranspose as unknown as KernelFunc,
};
