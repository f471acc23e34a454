// cpu kernel of the gradient of convTranspose with respect to the weight. By the tap relation
// (Note [transposed convolution tap relation] in src/index_math/conv.ts), for each tap t
//     dW[ic, oc, t] = sum over batch and the tap's valid positions i of x[i, ic] * dy[o(i, t), oc]
// a matrix product whose reduction runs over positions. Positions are gathered in chunks into
// channel-major panels (x as [ic][position], dy as [oc][position]) so that both operands of the
// product are contiguous along the reduction, and the product is gemmRows of ConvTranspose.ts.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {ConvTransposeBackpropFilter} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropFilterAttrs, ConvTransposeBackpropFilterInputs} from '../../src/kernel_names.js';

import {convGeometry, gemmRows, tapRows} from './ConvTranspose.js';
import {CpuBackend, output, valuesOf} from './util.js';

/** Positions gathered per panel: long enough to amortise the product's setup, small in cache. */
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
  const xPanel = new Float32Array(inChannels * CHUNK);
  const yPanel = new Float32Array(outChannels * CHUNK);
  const aRow = new Int32Array(cig);
  const cRow = new Int32Array(cig);
  for (let t = 0; t < taps; t++) {
    const r0 = rows.rowStart[t];
    const n = rows.rowStart[t + 1] - r0;
    if (n === 0) continue;
    for (let b = 0; b < batch; b++) {
      const xBase = b * inChannels * g.inPlane;
      const yBase = b * outChannels * g.outPlane;
      for (let q0 = 0; q0 < n; q0 += CHUNK) {
        const len = Math.min(CHUNK, n - q0);
        for (let q = 0; q < len; q++) {
          const xo = xBase + rows.inPos[r0 + q0 + q] * xPos;
          const yo = yBase + rows.outPos[r0 + q0 + q] * yPos;
          for (let c = 0; c < inChannels; c++) xPanel[c * CHUNK + q] = xv[xo + c * xCh];
          for (let c = 0; c < outChannels; c++) yPanel[c * CHUNK + q] = dyv[yo + c * yCh];
        }
        for (let grp = 0; grp < groups; grp++) {
          for (let r = 0; r < cig; r++) {
            aRow[r] = (grp * cig + r) * CHUNK;
            cRow[r] = (grp * cig + r) * cog * taps + t;
          }
          gemmRows(xPanel, aRow, cig, yPanel, grp * cog * CHUNK, CHUNK, cog, len, dw, cRow, taps);
        }
      }
    }
  }
  return output(backend, attrs.weightShape.slice(), 'float32', dw);
}

export const convTransposeBackpropFilterConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropFilter,
  backendName: 'cpu',
  kernelFunc: convTransposeBackpropFilterKernel as unknown as KernelFunc,
};
