// cpu kernel of the gradient of convTranspose with respect to the weight. By the tap relation
// (Note [transposed convolution tap relation] in src/index_math/conv.ts), for each tap t
//     dW[ic, oc, t] = sum over batch and the tap's valid positions i of x[i, ic] * dy[o(i, t), oc]
// a matrix product whose reduction runs over positions. Positions are gathered in chunks: x as
// rows [ic][position] (A, contiguous along the reduction) and dy as B panels [position][oc], and
// the product (conv_transpose_gemm.ts) accumulates into a [tap][ic][oc] scratch that is finally
// reordered into the weight's layout [ic][oc][tap].
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {ConvTransposeBackpropFilter} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropFilterAttrs, ConvTransposeBackpropFilterInputs} from '../../src/kernel_names.js';

import {convGeometry, tapRows} from './ConvTranspose.js';
import {gemmHeap, HeapLayout, PANEL} from './conv_transpose_gemm.js';
import {CpuBackend, output, valuesOf} from './util.js';

/** Positions gathered per chunk: long enough to amortise a product's setup, small in cache. */
const CHUNK = 256;

export function convTransposeBackpropFilterKernel(args: {
  inputs: ConvTransposeBackpropFilterInputs,
  backend: CpuBackend,
  attrs: ConvTransposeBackpropFilterAttrs
}): TensorInfo {
  const {inputs, backend, attrs} = args;
  const {x, dy} = inputs;
  const g = convGeometry(x.shape, attrs.weightShape, attrs);
  const channelsLast = g.dataFormat === 'channelsLast';
  const {batch, inChannels, outChannels, groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const xv = valuesOf(backend, x) as Float32Array;
  const dyv = valuesOf(backend, dy) as Float32Array;
  const dw = new Float32Array(inChannels * cog * taps);
  // Where channel c of position p sits inside one batch entry.
  const xCh = channelsLast ? 1 : g.inPlane;
  const xPos = channelsLast ? inChannels : 1;
  const yCh = channelsLast ? 1 : g.outPlane;
  const yPos = channelsLast ? outChannels : 1;

  const rows = tapRows(g);
  const panels = Math.ceil(cog / PANEL);
  const layout = new HeapLayout();
  const XT = layout.take(inChannels * CHUNK);
  const DYP = layout.take(groups * panels * CHUNK * PANEL);
  const DW = layout.take(taps * inChannels * cog);
  const aRow = layout.take(cig);
  const cRow = layout.take(cig);
  const {f32, i32, gemm} = gemmHeap(layout.bytes);
  const xt = XT >> 2;
  const dyp = DYP >> 2;
  f32.fill(0, DW >> 2, (DW >> 2) + taps * inChannels * cog);

  for (let t = 0; t < taps; t++) {
    const r0 = rows.rowStart[t];
    const n = rows.rowStart[t + 1] - r0;
    if (n === 0) continue;
    for (let b = 0; b < batch; b++) {
      const xBase = b * inChannels * g.inPlane;
      const yBase = b * outChannels * g.outPlane;
      for (let q0 = 0; q0 < n; q0 += CHUNK) {
        const len = Math.min(CHUNK, n - q0);
        // B panels of this chunk: group grp, panel p at (grp * panels + p) * len * PANEL.
        for (let q = 0; q < len; q++) {
          const xo = xBase + rows.inPos[r0 + q0 + q] * xPos;
          const yo = yBase + rows.outPos[r0 + q0 + q] * yPos;
          for (let c = 0; c < inChannels; c++) f32[xt + c * CHUNK + q] = xv[xo + c * xCh];
          for (let grp = 0; grp < groups; grp++) {
            for (let oc = 0; oc < cog; oc++) {
              f32[dyp + ((grp * panels + (oc >> 3)) * len + q) * PANEL + (oc & 7)] =
                  dyv[yo + (grp * cog + oc) * yCh];
            }
          }
        }
        for (let grp = 0; grp < groups; grp++) {
          for (let r = 0; r < cig; r++) {
            const ic = grp * cig + r;
            i32[(aRow >> 2) + r] = XT + 4 * ic * CHUNK;
            i32[(cRow >> 2) + r] = DW + 4 * (t * inChannels + ic) * cog;
          }
          gemm(aRow, cig, DYP + 4 * grp * panels * len * PANEL, len, cRow, cog);
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
  return output(backend, attrs.weightShape.slice(), 'float32', dw);
}

export const convTransposeBackpropFilterConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropFilter,
  backendName: 'cpu',
  kernelFunc: convTransposeBackpropFilterKernel as unknown as KernelFunc,
};
