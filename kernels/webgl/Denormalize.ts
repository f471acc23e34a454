// webgl kernel of denormalize: x * std[c] + mean[c] in one pass (normalize_gpu.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Denormalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeInputs} from '../../src/kernel_names.js';
import {runNormalize} from './normalize_common.js';
import type {WebGLBackend} from './util.js';

export const denormalize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as NormalizeInputs;
  return runNormalize(
      backend as WebGLBackend, x, attrs as unknown as NormalizeAttrs, 'denormalize');
};

export const denormalizeConfig: KernelConfig = {
  kernelName: Denormalize,
  backendName: 'webgl',
  kernelFunc: denormalize,
};
