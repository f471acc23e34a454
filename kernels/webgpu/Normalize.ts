// webgpu kernel of normalize: (x - mean[c]) / std[c] in one pass (normalize_common.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Normalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeInputs} from '../../src/kernel_names.js';
import {runNormalize} from './normalize_common.js';
import type {WebGPUBackend} from './util.js';

export const normalize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as NormalizeInputs;
  return runNormalize(
      backend as WebGPUBackend, x, attrs as unknown as NormalizeAttrs, 'normalize');
};

export const normalizeConfig: KernelConfig = {
  kernelName: Normalize,
  backendName: 'webgpu',
  kernelFunc: normalize,
};
