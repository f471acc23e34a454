// MaxUnpoolGrad on cpu: dx = dy gathered at indices from each output plane (every duplicate
// index reads the same dy, as PyTorch's backward). Indices were range-checked by the forward op;
// one outside the plane (a direct kernel call) reads 0.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {MaxUnpoolGrad} from '../../src/kernel_names.js';
import type {MaxUnpoolGradAttrs, MaxUnpoolGradInputs} from '../../src/kernel_names.js';
import {layoutOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

function maxUnpoolGrad(
    args: {inputs: MaxUnpoolGradInputs, backend: CpuBackend, attrs: MaxUnpoolGradAttrs}):
    TensorInfo {
  const {inputs: {dy, indices}, backend, attrs: {dataFormat}} = args;
  const outLayout = layoutOf(dy.shape, dataFormat);
  const inLayout = layoutOf(indices.shape, dataFormat);
  const {batch, channels} = inLayout;
  const inPlane = inLayout.planeSize;
  const outPlane = outLayout.planeSize;
  const dyv = valuesOf(backend, dy);
  const ind = valuesOf(backend, indices) as Int32Array;
  const dx = new Float32Array(batch * channels * inPlane);
  if (dataFormat === 'channelsFirst') {
    for (let plane = 0, i = 0; plane < batch * channels; plane++) {
      const base = plane * outPlane;
      for (let e = 0; e < inPlane; e++, i++) {
        const index = ind[i];
        if ((index >>> 0) < outPlane) dx[i] = dyv[base + index];
      }
    }
  } else {
    const C = channels;
    for (let n = 0, i = 0; n < batch; n++) {
      const base = n * outPlane;
      for (let e = 0; e < inPlane; e++) {
        for (let c = 0; c < C; c++, i++) {
          const index = ind[i];
          if ((index >>> 0) < outPlane) dx[i] = dyv[(base + index) * C + c];
        }
      }
    }
  }
  return output(backend, indices.shape.slice(), 'float32', dx);
}

export const maxUnpoolGradConfig: KernelConfig = {
  kernelName: MaxUnpoolGrad,
  backendName: 'cpu',
  kernelFunc: maxUnpoolGrad as unknown as KernelFunc,
};
