// webgl kernel of MaxPoolWithIndicesGrad: dy added into zero planes of size inSize at indices
// (windows that picked the same element add up, in dy's row-major order as on cpu). Written as a
// gather in two passes, the reach of the indices and the gather itself (max_pool_gpu.ts, "Scatters
// as gathers"): indices here are any flat plane offsets (this kernel is also the gradient of
// maxUnpool's gradient), an index outside the plane is dropped (Note [all-padding windows]).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndicesGrad} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesGradAttrs, MaxPoolWithIndicesGradInputs} from '../../src/kernel_names.js';
import {runScatterAsGather} from './max_pool_gpu.js';
import type {WebGLBackend} from './util.js';

export const maxPoolWithIndicesGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxPoolWithIndicesGradInputs;
  const {inSize, dataFormat} = attrs as unknown as MaxPoolWithIndicesGradAttrs;
  const op = `maxPool${dy.shape.length - 2}dWithIndices (gradient)`;
  return runScatterAsGather(
      backend as WebGLBackend, op, dy, 'input dy', indices, dataFormat, inSize, 'sum');
};

export const maxPoolWithIndicesGradConfig: KernelConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  backendName: 'webgl',
  kernelFunc: maxPoolWithIndicesGrad,
};
