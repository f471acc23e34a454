// webgpu kernel of MaxUnpoolGrad: dy gathered at indices, one pass (pool_common.ts); every
// duplicate index reads the same dy, as PyTorch's backward.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxUnpoolGrad} from '../../src/kernel_names.js';
import type {MaxUnpoolGradAttrs, MaxUnpoolGradInputs} from '../../src/kernel_names.js';
import {layoutOf} from '../../src/util/layout.js';
import {runGatherAtIndices} from './pool_common.js';
import type {WebGPUBackend} from './util.js';

export const maxUnpoolGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxUnpoolGradInputs;
  const {dataFormat} = attrs as unknown as MaxUnpoolGradAttrs;
  return runGatherAtIndices(backend as WebGPUBackend, dy, indices,
                            layoutOf(dy.shape, dataFormat).spatial, dataFormat,
                            `maxUnpool${dy.shape.length - 2}d (gradient)`);
};

export const maxUnpoolGradConfig: KernelConfig = {
  kernelName: MaxUnpoolGrad,
  backendName: 'webgpu',
  kernelFunc: maxUnpoolGrad,
};
