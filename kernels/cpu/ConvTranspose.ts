// cpu kernel of convTranspose1d/2d/3d (PyTorch's conv_transpose*d), plus the pieces its two
// gradient kernels share: the per-tap row lists and the matrix product.
//
// Why per-tap matrix products (Note [transposed convolution tap relation] in
// src/index_math/conv.ts): for a fixed kernel tap t, input position i adds into output position
// i*s - p + t*d, which is one-to-one. So for each tap and group the whole transposed convolution
// is one matrix product
//     out[o(i, t), oc] += sum_ic x[i, ic] * W[ic, oc, t]        (i over the tap's valid range)
// whose result rows land on shifted output rows: a GEMM whose col2im scatter is fused into the
// store of each result block. Only positions the tap keeps inside the output are computed
// (convTransposeTapRange), so there is no per-element bounds test and no wasted product on the
// padding. The same product, with the row shift moved to the input side, is the gradient with
// respect to x (ConvTransposeBackpropInput.ts), and with the reduction over positions instead of
// channels it is the gradient with respect to the weight (ConvTransposeBackpropFilter.ts).
//
// Layouts: the product reads rows contiguous in channels. channelsLast tensors are that already;
// a channelsFirst input is packed once per batch entry into a [position, channel] scratch (O(size),
// against O(size * taps * channels) of arithmetic). Results are stored through a channel stride,
// so a channelsFirst output is written in place without a transpose.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {convTransposeOutputSize, convTransposeTapRange} from '../../src/index_math/conv.js';
import {ConvTranspose} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs, DataFormat} from '../../src/kernel_names.js';
import {shapeOf} from '../../src/util/layout.js';

import {CpuBackend, output, valuesOf} from './util.js';

/** Everything the three kernels need, with 1-D and 2-D padded to 3-D (leading axes of size 1). */
export interface ConvGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  /** Channels per group on each side. */
  inPerGroup: number;
  outPerGroup: number;
  /** Spatial sizes as the tensors have them (1, 2 or 3 entries). */
  inSize: number[];
  outSize: number[];
  kernelSize: number[];
  /** The same, padded to 3 axes [D, H, W]. */
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

function pad3(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v];
}

/**
 * The geometry of a transposed convolution from x's shape (batched, in dataFormat), the weight's
 * shape (PyTorch layout) and the resolved attributes.
 */
export function convGeometry(
    xShape: readonly number[], weightShape: readonly number[],
    attrs: ConvTransposeAttrs): ConvGeometry {
  const {stride, padding, dilation, outputPadding, groups, dataFormat} = attrs;
  const channelsLast = dataFormat === 'channelsLast';
  const n = xShape.length - 2;
  const inChannels = channelsLast ? xShape[n + 1] : xShape[1];
  const inSize = channelsLast ? xShape.slice(1, n + 1) : xShape.slice(2);
  const kernelSize = weightShape.slice(2);
  const outSize = inSize.map(
      (s, a) => convTransposeOutputSize(s, kernelSize[a], stride[a], padding[a], dilation[a],
                                        outputPadding[a]));
  const prod = (v: number[]) => v.reduce((a, b) => a * b, 1);
  return {
    batch: xShape[0],
    inChannels,
    outChannels: weightShape[1] * groups,
    groups,
    inPerGroup: inChannels / groups,
    outPerGroup: weightShape[1],
    inSize,
    outSize,
    kernelSize,
    in3: pad3(inSize, 1),
    out3: pad3(outSize, 1),
    k3: pad3(kernelSize, 1),
    stride3: pad3(stride, 1),
    padding3: pad3(padding, 0),
    dilation3: pad3(dilation, 1),
    inPlane: prod(inSize),
    outPlane: prod(outSize),
    taps: prod(kernelSize),
    dataFormat,
  };
}

/**
 * For every kernel tap (flat index over [kD, kH, kW], the weight's own order), the input
 * positions the tap keeps inside the output and the output position each one reaches, both as
 * flat indices in their planes. rowStart[t]..rowStart[t+1] delimits tap t's rows.
 */
export interface TapRows {
  rowStart: Int32Array;
  inPos: Int32Array;
  outPos: Int32Array;
}

export function tapRows(g: ConvGeometry): TapRows {
  const [iD, iH, iW] = g.in3;
  const [oD, oH, oW] = g.out3;
  const [kD, kH, kW] = g.k3;
  const [sD, sH, sW] = g.stride3;
  const [pD, pH, pW] = g.padding3;
  const [dD, dH, dW] = g.dilation3;
  const rowStart = new Int32Array(g.taps + 1);
  // Count first so the lists are allocated once.
  const ranges: Array<[number, number]> = [];
  let total = 0;
  for (let td = 0; td < kD; td++) {
    const rd = convTransposeTapRange(td, iD, oD, sD, pD, dD);
    for (let th = 0; th < kH; th++) {
      const rh = convTransposeTapRange(th, iH, oH, sH, pH, dH);
      for (let tw = 0; tw < kW; tw++) {
        const rw = convTransposeTapRange(tw, iW, oW, sW, pW, dW);
        ranges.push(rd, rh, rw);
        total += (rd[1] - rd[0]) * (rh[1] - rh[0]) * (rw[1] - rw[0]);
      }
    }
  }
  const inPos = new Int32Array(total);
  const outPos = new Int32Array(total);
  let r = 0;
  let t = 0;
  for (let td = 0; td < kD; td++) {
    for (let th = 0; th < kH; th++) {
      for (let tw = 0; tw < kW; tw++, t++) {
        rowStart[t] = r;
        const [d0, d1] = ranges[3 * t];
        const [h0, h1] = ranges[3 * t + 1];
        const [w0, w1] = ranges[3 * t + 2];
        for (let id = d0; id < d1; id++) {
          const od = id * sD - pD + td * dD;
          for (let ih = h0; ih < h1; ih++) {
            const oh = ih * sH - pH + th * dH;
            const inRow = (id * iH + ih) * iW;
            const outRow = (od * oH + oh) * oW - pW + tw * dW;
            for (let iw = w0; iw < w1; iw++, r++) {
              inPos[r] = inRow + iw;
              outPos[r] = outRow + iw * sW;
            }
          }
        }
      }
    }
  }
  rowStart[t] = r;
  return {rowStart, inPos, outPos};
}

/**
 * Copies one batch entry of a channelsFirst tensor [C, plane] into `dst` as [plane, C], so that
 * the products read rows contiguous in channels.
 */
export function packChannelsLast(
    src: Float32Array, srcOffset: number, channels: number, plane: number,
    dst: Float32Array): void {
  for (let c = 0; c < channels; c++) {
    const s = srcOffset + c * plane;
    for (let p = 0, d = c; p < plane; p++, d += channels) dst[d] = src[s + p];
  }
}

/**
 * The one matrix product every convTranspose kernel runs:
 *     C[cRow[r] + j*cColStride] += sum_k A[aRow[r] + k] * B[bOffset + j*bStride + k]
 * for r < rows, j < cols, k < depth. A's rows and B's rows are contiguous in k (both operands
 * walk memory forwards), the rows of A and C are arbitrary offsets (the fused im2col / col2im).
 * Results are accumulated in registers (2 rows x 4 columns of doubles, 6 loads per 8
 * multiply-adds) and added to C once per block; columns are blocked so that the B panel a row
 * pair sweeps stays in the L1 cache.
 */
export function gemmRows(
    A: Float32Array, aRow: Int32Array, rows: number, B: Float32Array, bOffset: number,
    bStride: number, cols: number, depth: number, C: Float32Array, cRow: Int32Array,
    cColStride: number): void {
  if (rows <= 0 || cols <= 0) return;
  // About 16 KiB of B per column block.
  const colBlock = Math.max(4, (Math.floor(4096 / Math.max(depth, 1)) >> 2) << 2);
  const cols4 = cols & ~3;
  const rows2 = rows & ~1;
  for (let j0 = 0; j0 < cols; j0 += colBlock) {
    const j1 = Math.min(cols, j0 + colBlock);
    const j4 = Math.min(j1, cols4);
    let r = 0;
    for (; r < rows2; r += 2) {
      const a0 = aRow[r];
      const a1 = aRow[r + 1];
      const c0 = cRow[r];
      const c1 = cRow[r + 1];
      let j = j0;
      for (; j < j4; j += 4) {
        const b0 = bOffset + j * bStride;
        const b1 = b0 + bStride;
        const b2 = b1 + bStride;
        const b3 = b2 + bStride;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
        let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        for (let k = 0; k < depth; k++) {
          const x0 = A[a0 + k];
          const x1 = A[a1 + k];
          const w0 = B[b0 + k];
          const w1 = B[b1 + k];
          const w2 = B[b2 + k];
          const w3 = B[b3 + k];
          s00 += x0 * w0;
          s01 += x0 * w1;
          s02 += x0 * w2;
          s03 += x0 * w3;
          s10 += x1 * w0;
          s11 += x1 * w1;
          s12 += x1 * w2;
          s13 += x1 * w3;
        }
        const o = j * cColStride;
        C[c0 + o] += s00;
        C[c0 + o + cColStride] += s01;
        C[c0 + o + 2 * cColStride] += s02;
        C[c0 + o + 3 * cColStride] += s03;
        C[c1 + o] += s10;
        C[c1 + o + cColStride] += s11;
        C[c1 + o + 2 * cColStride] += s12;
        C[c1 + o + 3 * cColStride] += s13;
      }
      for (; j < j1; j++) {
        const b0 = bOffset + j * bStride;
        let s0 = 0, s1 = 0;
        for (let k = 0; k < depth; k++) {
          const w = B[b0 + k];
          s0 += A[a0 + k] * w;
          s1 += A[a1 + k] * w;
        }
        C[c0 + j * cColStride] += s0;
        C[c1 + j * cColStride] += s1;
      }
    }
    if (r < rows) {
      const a0 = aRow[r];
      const c0 = cRow[r];
      for (let j = j0; j < j1; j++) {
        const b0 = bOffset + j * bStride;
        let s0 = 0;
        for (let k = 0; k < depth; k++) s0 += A[a0 + k] * B[b0 + k];
        C[c0 + j * cColStride] += s0;
      }
    }
  }
}

/**
 * The weight [inC, outC/g, taps] regrouped per (group, tap) as a [rows, depth] panel with depth
 * contiguous: `outerIsOut` gives [g][t][oc][icg] (the forward product, reduction over input
 * channels), otherwise [g][t][icg][oc] (the gradient with respect to x, reduction over output
 * channels).
 */
export function packWeight(w: Float32Array, g: ConvGeometry, outerIsOut: boolean): Float32Array {
  const {groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const packed = new Float32Array(w.length);
  for (let grp = 0; grp < groups; grp++) {
    for (let icg = 0; icg < cig; icg++) {
      for (let oc = 0; oc < cog; oc++) {
        const src = ((grp * cig + icg) * cog + oc) * taps;
        for (let t = 0; t < taps; t++) {
          const panel = (grp * taps + t) * cig * cog;
          packed[panel + (outerIsOut ? oc * cig + icg : icg * cog + oc)] = w[src + t];
        }
      }
    }
  }
  return packed;
}

export function convTransposeKernel(
    args: {inputs: ConvTransposeInputs, backend: CpuBackend, attrs: ConvTransposeAttrs}):
    TensorInfo {
  const {inputs, backend, attrs} = args;
  const {x, weight, bias} = inputs;
  const g = convGeometry(x.shape, weight.shape, attrs);
  const channelsLast = g.dataFormat === 'channelsLast';
  const {batch, inChannels, outChannels, groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const xv = valuesOf(backend, x) as Float32Array;
  const wv = valuesOf(backend, weight) as Float32Array;
  const out = new Float32Array(batch * outChannels * g.outPlane);
  const outChStride = channelsLast ? 1 : g.outPlane;
  const outRowStride = channelsLast ? outChannels : 1;

  // Bias first, so that the products accumulate on top of it.
  if (bias != null) {
    const bv = valuesOf(backend, bias) as Float32Array;
    if (channelsLast) {
      for (let p = 0; p < batch * g.outPlane; p++) out.set(bv, p * outChannels);
    } else {
      for (let b = 0; b < batch; b++) {
        for (let c = 0; c < outChannels; c++) {
          const o = (b * outChannels + c) * g.outPlane;
          out.fill(bv[c], o, o + g.outPlane);
        }
      }
    }
  }

  const rows = tapRows(g);
  const wp = packWeight(wv, g, true);
  const scratch = channelsLast ? null : new Float32Array(g.inPlane * inChannels);
  const aRow = new Int32Array(g.inPlane);
  const cRow = new Int32Array(g.inPlane);
  for (let b = 0; b < batch; b++) {
    let A = xv;
    let aBase = b * inChannels * g.inPlane;
    if (scratch != null) {
      packChannelsLast(xv, aBase, inChannels, g.inPlane, scratch);
      A = scratch;
      aBase = 0;
    }
    const cBase = b * outChannels * g.outPlane;
    for (let t = 0; t < taps; t++) {
      const r0 = rows.rowStart[t];
      const n = rows.rowStart[t + 1] - r0;
      for (let grp = 0; grp < groups; grp++) {
        const aGroup = aBase + grp * cig;
        const cGroup = cBase + grp * cog * outChStride;
        for (let r = 0; r < n; r++) {
          aRow[r] = aGroup + rows.inPos[r0 + r] * inChannels;
          cRow[r] = cGroup + rows.outPos[r0 + r] * outRowStride;
        }
        gemmRows(A, aRow, n, wp, (grp * taps + t) * cig * cog, cig, cog, cig, out, cRow,
                 outChStride);
      }
    }
  }
  return output(
      backend, shapeOf(batch, outChannels, g.outSize, g.dataFormat), 'float32', out);
}

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'cpu',
  kernelFunc: convTransposeKernel as unknown as KernelFunc,
};
