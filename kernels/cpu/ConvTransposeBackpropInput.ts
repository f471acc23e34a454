// cpu kernel of the gradient of convTranspose with respect to x: the plain (strided, dilated,
// grouped) convolution of dy with the same weight. By the tap relation (Note [transposed
// convolution tap relation] in src/index_math/conv.ts), dx at input position i gathers, for each
// tap t, dy at i*s - p + t*d: per (tap, group) one matrix product
//     dx[i, ic] += sum_oc dy[o(i, t), oc] * W[ic, oc, t]
// over the tap's valid positions, with the im2col gather fused into the row offsets of dy (see
// gemmRows in ConvTranspose.ts). Nothing is computed for taps that fall on the padding.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {ConvTransposeBackpropInput} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropInputAttrs, ConvTransposeBackpropInputInputs} from '../../src/kernel_names.js';

import {convGeometry, gemmRows, packChannelsLast, packWeight, tapRows} from './ConvTranspose.js';
import {CpuBackend, output, valuesOf} from './util.js';

export function convTransposeBackpropInputKernel(args: {
  inputs: ConvTransposeBackpropInputInputs,
  backend: CpuBackend,
  attrs: ConvTransposeBackpropInputAttrs
}): TensorInfo {
  const {inputs, backend, attrs} = args;
  const {dy, weight} = inputs;
  const g = convGeometry(attrs.xShape, weight.shape, attrs);
  const channelsLast = g.dataFormat === 'channelsLast';
  const {batch, inChannels, outChannels, groups, inPerGroup: cig, outPerGroup: cog, taps} = g;
  const dyv = valuesOf(backend, dy) as Float32Array;
  const wv = valuesOf(backend, weight) as Float32Array;
  const dx = new Float32Array(batch * inChannels * g.inPlane);
  const dxChStride = channelsLast ? 1 : g.inPlane;
  const dxRowStride = channelsLast ? inChannels : 1;

  const rows = tapRows(g);
  const wp = packWeight(wv, g, false);
  const scratch = channelsLast ? null : new Float32Array(g.outPlane * outChannels);
  const aRow = new Int32Array(g.inPlane);
  const cRow = new Int32Array(g.inPlane);
  for (let b = 0; b < batch; b++) {
    let A = dyv;
    let aBase = b * outChannels * g.outPlane;
    if (scratch != null) {
      packChannelsLast(dyv, aBase, outChannels, g.outPlane, scratch);
      A = scratch;
      aBase = 0;
    }
    const cBase = b * inChannels * g.inPlane;
    for (let t = 0; t < taps; t++) {
      const r0 = rows.rowStart[t];
      const n = rows.rowStart[t + 1] - r0;
      for (let grp = 0; grp < groups; grp++) {
        const aGroup = aBase + grp * cog;
        const cGroup = cBase + grp * cig * dxChStride;
        for (let r = 0; r < n; r++) {
          aRow[r] = aGroup + rows.outPos[r0 + r] * outChannels;
          cRow[r] = cGroup + rows.inPos[r0 + r] * dxRowStride;
        }
        gemmRows(A, aRow, n, wp, (grp * taps + t) * cig * cog, cog, cig, cog, dx, cRow,
                 dxChStride);
      }
    }
  }
  return output(backend, attrs.xShape.slice(), 'float32', dx);
}

export const convTransposeBackpropInputConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropInput,
  backendName: 'cpu',
  kernelFunc: convTransposeBackpropInputKernel as unknown as KernelFunc,
};
