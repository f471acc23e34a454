// webgpu kernel of MaxPoolWithIndicesGrad: dy added into zero planes of size inSize at indices
// (windows that picked the same element add up, in dy's row-major order as on cpu), as a gather
// over the sources of each position (pool_common.ts, "Scatters"). Indices here are any flat
// plane offsets (this kernel is also the gradient of maxUnpool's gradient); an index outside
// the plane is dropped (Note [all-padding windows]).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndicesGrad} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesGradAttrs, MaxPoolWithIndicesGradInputs} from '../../src/kernel_names.js';
import {runScatter} from './pool_common.js';
import type {WebGPUBackend} from './util.js';

export const maxPoolWithIndicesGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxPoolWithIndicesGradInputs;
  const {inSize, dataFormat} = attrs as unknown as MaxPoolWithIndicesGradAttrs;
  return runScatter(backend as WebGPUBackend, dy, indices, inSize, dataFormat, 'sum',
                    `maxPool${dy.shape.length - 2}dWithIndices (gradient)`, 'output');
};

export const maxPoolWithIndicesGradConfig: KernelConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  backendName: 'webgpu',
  kernelFunc: maxPoolWithIndicesGrad,
};
