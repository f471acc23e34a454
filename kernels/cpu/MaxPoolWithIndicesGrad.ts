// MaxPoolWithIndicesGrad on cpu: dy added into a zero input-shaped tensor at indices (windows
// that overlap add up). An index outside the input plane comes only from an all-padding window
// and is dropped (Note [all-padding windows] in src/index_math/pool.ts).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndicesGrad} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesGradAttrs, MaxPoolWithIndicesGradInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

function maxPoolWithIndicesGrad(args: {
  inputs: MaxPoolWithIndicesGradInputs,
  backend: CpuBackend,
  attrs: MaxPoolWithIndicesGradAttrs,
}): TensorInfo {
  const {inputs: {dy, indices}, backend, attrs: {inSize, dataFormat}} = args;
  const layout = layoutOf(dy.shape, dataFormat);
  const {batch, channels} = layout;
  const outPlane = layout.planeSize;
  const inPlane = inSize.reduce((a, b) => a * b, 1);
  const dyv = valuesOf(backend, dy);
  const ind = valuesOf(backend, indices) as Int32Array;
  const dx = new Float32Array(batch * channels * inPlane);
  if (dataFormat === 'channelsFirst') {
    for (let plane = 0, o = 0; plane < batch * channels; plane++) {
      const base = plane * inPlane;
      for (let i = 0; i < outPlane; i++, o++) {
        const index = ind[o];
        if (index >= 0 && index < inPlane) dx[base + index] += dyv[o];
      }
    }
  } else {
    const C = channels;
    for (let n = 0, o = 0; n < batch; n++) {
      const base = n * inPlane;
      for (let i = 0; i < outPlane; i++) {
        for (let c = 0; c < C; c++, o++) {
          const index = ind[o];
          if (index >= 0 && index < inPlane) dx[(base + index) * C + c] += dyv[o];
        }
      }
    }
  }
  return output(backend, shapeOf(batch, channels, inSize, dataFormat), 'float32', dx);
}

export const maxPoolWithIndicesGradConfig: KernelConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  backendName: 'cpu',
  kernelFunc: maxPoolWithIndicesGrad as unknown as KernelFunc,
};
