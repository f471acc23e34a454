// cpu kernel of the gradient of convTranspose with respect to the weight. By the tap relation
// (Note [transposed convolution tap relation] in src/index_math/conv.ts), for each tap t
//     dW[ic, oc, t] = sum over batch and the tap's valid positions i of x[i, ic] * dy[o(i, t), oc]
// a matrix product whose reduction runs over positions: gemmGather (conv_transpose_gemm.ts)
// walks the tap's list of (x row, dy row) pairs in place, in chunks that stay in cache, and
// accumulates into a [tap][ic][oc] scratch that is finally reordered into the weight's layout
// [ic][oc][tap].
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {ConvTransposeBackpropFilter} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeBackpropFilterAttrs, ConvTransposeBackpropFilterInputs} from '../../src/kernel_names.js';
import {sizeOf} from '../../src/util/layout.js';

import {convGeometry, copyIn, depthwiseBackpropFilter, heapRegions, tapRows} from './ConvTranspose.js';
import {gemmHeap} from './conv_transpose_gemm.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/** Row pairs per product call: their x and dy rows stay in cache while every tile sweeps them. */
const CHUNK = 64;

/**
 * Compute core of the ConvTransposeBackpropFilter kernel (exported through shared.ts): dw, the
 * gradient of convTranspose with respect to the weight.
 * - x: float32 values of shape `xShape` (convTranspose's input, in attrs.dataFormat).
 * - dy: float32 values of convTranspose's output shape
 *   (convTransposeShapes(xShape, weightShape, attrs).yShape).
 * - dw: the caller's float32 view of `weightShape` values, PyTorch's layout
 *   [C_in, C_out / groups, ...kernel]; every value is written.
 * Any views (byteOffset allowed); the operands are copied into the product's own heap.
 */
export function convTransposeBackpropFilterImplCPU(
    x: Float32Array, dy: Float32Array, xShape: readonly number[],
    weightShape: readonly number[], attrs: ConvTransposeAttrs, dw: Float32Array): void {
  const g = convGeometry(xShape, weightShape, attrs);
  const channelsLast = g.dataFormat === 'channelsLast';
  const {batch, inChannels, outChannels, groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const xv = x;
  const dyv = dy;
  if (dw.length === 0) return;

  // DY has 8 floats of slack: the product's vector loads may read past the last dy row.
  const {x: X, y: DY, w: DW, aRow, cRow: bRow, bytes} = heapRegions(g, 'backpropFilter');
  const rows = tapRows(g);
  const {f32, i32, gemmGather} = gemmHeap(bytes);
  f32.fill(0, DW >> 2, (DW >> 2) + taps * inChannels * cog);
  f32.fill(0, (DY >> 2) + g.outPlane * outChannels, (DY >> 2) + g.outPlane * outChannels + 8);

  for (let b = 0; b < batch; b++) {
    copyIn(xv, b * inChannels * g.inPlane, inChannels, g.inPlane, channelsLast, f32, X);
    copyIn(dyv, b * outChannels * g.outPlane, outChannels, g.outPlane, channelsLast, f32, DY);
    for (let t = 0; t < taps; t++) {
      if (cig === 1) {
        // Depthwise-like groups: channel-wise loops instead of one-deep products.
        depthwiseBackpropFilter(f32, X, DY, DW, rows, t, groups, cog);
        continue;
      }
      const r0 = rows.rowStart[t];
      const n = rows.rowStart[t + 1] - r0;
      if (n === 0) continue;
      for (let grp = 0; grp < groups; grp++) {
        const aGroup = X + 4 * grp * cig;
        const bGroup = DY + 4 * grp * cog;
        for (let q = 0; q < n; q++) {
          i32[(aRow >> 2) + q] = aGroup + 4 * inChannels * rows.inPos[r0 + q];
          i32[(bRow >> 2) + q] = bGroup + 4 * outChannels * rows.outPos[r0 + q];
        }
        const c = DW + 4 * (t * inChannels + grp * cig) * cog;
        for (let q0 = 0; q0 < n; q0 += CHUNK) {
          gemmGather(aRow + 4 * q0, bRow + 4 * q0, Math.min(CHUNK, n - q0), cig, cog, c, 4 * cog);
        }
      }
    }
  }
  const s = DW >> 2;
  for (let ic = 0; ic < inChannels; ic++) {
    for (let oc = 0; oc < cog; oc++) {
      const d = (ic * cog + oc) * taps;
      for (let t = 0; t < taps; t++) dw[d + t] = f32[s + (t * inChannels + ic) * cog + oc];
    }
  }
}

export function convTransposeBackpropFilter(args: {
  inputs: ConvTransposeBackpropFilterInputs,
  backend: CpuBackend,
  attrs: ConvTransposeBackpropFilterAttrs
}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  // The size check comes before the output is allocated.
  heapRegions(convGeometry(x.shape, attrs.weightShape, attrs), 'backpropFilter');
  const dw = new Float32Array(sizeOf(attrs.weightShape));
  convTransposeBackpropFilterImplCPU(
      valuesOf(backend, x) as Float32Array, valuesOf(backend, dy) as Float32Array, x.shape,
      attrs.weightShape, attrs, dw);
  return output(backend, attrs.weightShape.slice(), 'float32', dw);
}

export const convTransposeBackpropFilterConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropFilter,
  backendName: 'cpu',
  kernelFunc: convTransposeBackpropFilter as unknown as KernelFunc,
};
