// webgpu kernel of denormalize: x * std[c] + mean[c] in one pass (normalize_common.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Denormalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeInputs} from '../../src/kernel_names.js';
import {runNormalize} from './normalize_common.js';
import type {WebGPUBackend} from './util.js';

export const denormalize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as NormalizeInputs;
  return runNormalize(
      backend as WebGPUBackend, x, attrs as unknown as NormalizeAttrs, 'denormalize');
};

export const denormalizeConfig: KernelConfig = {
  kernelName: Denormalize,
  backendName: 'webgpu',
  kernelFunc: denormalize,
};
