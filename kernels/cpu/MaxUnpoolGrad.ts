// MaxUnpoolGrad on cpu: dx = dy gathered at indices from each output plane (every duplicate
// index reads the same dy, as PyTorch's backward). Indices were range-checked by the forward op;
// one outside the plane (a direct kernel call) reads 0.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {MaxUnpoolGrad} from '../../src/kernel_names.js';
import type {MaxUnpoolGradAttrs, MaxUnpoolGradInputs} from '../../src/kernel_names.js';
import {layoutOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/** The gather, in its own function (see MaxUnpool.ts); planes and lanes as there. */
function gather(
    dyv: Float32Array, ind: Int32Array, dx: Float32Array, planes: number, inPlane: number,
    outPlane: number, lanes: number): void {
  for (let plane = 0, i = 0; plane < planes; plane++) {
    const base = plane * outPlane * lanes;
    for (let e = 0; e < inPlane; e++) {
      for (let c = 0; c < lanes; c++, i++) {
        const index = ind[i];
        if ((index >>> 0) < outPlane) dx[i] = dyv[base + index * lanes + c];
      }
    }
  }
}

function maxUnpoolGrad(
    args: {inputs: MaxUnpoolGradInputs, backend: CpuBackend, attrs: MaxUnpoolGradAttrs}):
    TensorInfo {
  const {inputs: {dy, indices}, backend, attrs: {dataFormat}} = args;
  const inLayout = layoutOf(indices.shape, dataFormat);
  const {batch, channels} = inLayout;
  const channelsLast = dataFormat === 'channelsLast';
  const dx = new Float32Array(batch * channels * inLayout.planeSize);
  gather(
      valuesOf(backend, dy) as Float32Array, valuesOf(backend, indices) as Int32Array, dx,
      channelsLast ? batch : batch * channels, inLayout.planeSize,
      layoutOf(dy.shape, dataFormat).planeSize, channelsLast ? channels : 1);
  return output(backend, indices.shape.slice(), 'float32', dx);
}

export const maxUnpoolGradConfig: KernelConfig = {
  kernelName: MaxUnpoolGrad,
  backendName: 'cpu',
  kernelFunc: maxUnpoolGrad as unknown as KernelFunc,
};
