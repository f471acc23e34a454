// cpu kernel of the gradient of convTranspose with respect to x: the plain (strided, dilated,
// grouped) convolution of dy with the same weight. By the tap relation (Note [transposed
// convolution tap relation] in src/index_math/conv.ts), dx at input position i gathers, for each
// tap t, dy at i*s - p + t*d: per (tap, group) one matrix product
//     dx[i, ic] += sum_oc dy[o(i, t), oc] * W[ic, oc, t]
// over the tap's valid positions, with the im2col gather fused into the row addresses of dy (see
// conv_transpose_gemm.ts). Nothing is computed for taps that fall on the padding.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {ConvTransposeBackpropInput} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeBackpropInputAttrs, ConvTransposeBackpropInputInputs} from '../../src/kernel_names.js';
import {sizeOf} from '../../src/util/layout.js';

import {convGeometry, copyIn, copyOut, depthwiseBackpropInput, heapRegions, packWeightPanels, tapRows, weightByTap} from './ConvTranspose.js';
import {gemmHeap} from './conv_transpose_gemm.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * Compute core of the ConvTransposeBackpropInput kernel (exported through shared.ts): dx, the
 * gradient of convTranspose with respect to x.
 * - dy: float32 values of convTranspose's output shape for x of shape `xShape` and the weight
 *   (convTransposeShapes(xShape, weightShape, attrs).yShape), in attrs.dataFormat.
 * - weight: float32, PyTorch's layout [C_in, C_out / groups, ...kernel] (`weightShape`).
 * - dx: the caller's float32 view of `xShape` values; every value is written.
 * Any views (byteOffset allowed); the operands are copied into the product's own heap.
 */
export function convTransposeBackpropInputImplCPU(
    dy: Float32Array, weight: Float32Array, xShape: readonly number[],
    weightShape: readonly number[], attrs: ConvTransposeAttrs, dx: Float32Array): void {
  const g = convGeometry(xShape, weightShape, attrs);
  const channelsLast = g.dataFormat === 'channelsLast';
  const {batch, inChannels, outChannels, groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const dyv = dy;
  const wv = weight;
  if (dx.length === 0) return;

  const {x: DX, y: DY, w: W, aRow, cRow, bytes} = heapRegions(g, 'backpropInput');
  const rows = tapRows(g);
  // Depthwise-like groups: channel-wise loops instead of one-deep products (see ConvTranspose.ts).
  const depthwise = cig === 1;
  const {f32, i32, gemm} = gemmHeap(bytes);
  const wBlock = depthwise ? 0 : packWeightPanels(wv, g, false, f32, W);
  const wt = depthwise ? weightByTap(wv, outChannels, taps) : null;

  for (let b = 0; b < batch; b++) {
    copyIn(dyv, b * outChannels * g.outPlane, outChannels, g.outPlane, channelsLast, f32, DY);
    f32.fill(0, DX >> 2, (DX >> 2) + g.inPlane * inChannels);
    for (let t = 0; t < taps; t++) {
      if (wt != null) {
        depthwiseBackpropInput(f32, DY, DX, rows, t, groups, cog, wt);
        continue;
      }
      const r0 = rows.rowStart[t];
      const n = rows.rowStart[t + 1] - r0;
      if (n === 0) continue;
      for (let grp = 0; grp < groups; grp++) {
        const aGroup = DY + 4 * grp * cog;
        const cGroup = DX + 4 * grp * cig;
        for (let r = 0; r < n; r++) {
          i32[(aRow >> 2) + r] = aGroup + 4 * outChannels * rows.outPos[r0 + r];
          i32[(cRow >> 2) + r] = cGroup + 4 * inChannels * rows.inPos[r0 + r];
        }
        gemm(aRow, n, W + 4 * (grp * taps + t) * wBlock, cog, cRow, cig);
      }
    }
    copyOut(f32, DX, inChannels, g.inPlane, channelsLast, dx, b * inChannels * g.inPlane);
  }
}

export function convTransposeBackpropInput(args: {
  inputs: ConvTransposeBackpropInputInputs,
  backend: CpuBackend,
  attrs: ConvTransposeBackpropInputAttrs
}): TensorInfo {
  const {inputs: {dy, weight}, backend, attrs} = args;
  // The size check comes before the output is allocated.
  heapRegions(convGeometry(attrs.xShape, weight.shape, attrs), 'backpropInput');
  const dx = new Float32Array(sizeOf(attrs.xShape));
  convTransposeBackpropInputImplCPU(
      valuesOf(backend, dy) as Float32Array, valuesOf(backend, weight) as Float32Array,
      attrs.xShape, weight.shape, attrs, dx);
  return output(backend, attrs.xShape.slice(), 'float32', dx);
}

export const convTransposeBackpropInputConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropInput,
  backendName: 'cpu',
  kernelFunc: convTransposeBackpropInput as unknown as KernelFunc,
};
