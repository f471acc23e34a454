// webgl kernels of normalize, (x - mean[c]) / std[c], and denormalize, x * std[c] + mean[c]: one
// function, the direction its argument; one pass (normalize_gpu.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Normalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeDirection, NormalizeInputs} from '../../src/kernel_names.js';
import {runNormalize} from './normalize_common.js';
import type {WebGLBackend} from './util.js';

/** The kernel function of Normalize or Denormalize on the webgl backend. */
export function channelMapKernel(direction: NormalizeDirection): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as NormalizeInputs;
    return runNormalize(backend as WebGLBackend, x, attrs as unknown as NormalizeAttrs, direction);
  };
}

export const normalize = channelMapKernel('normalize');

export const normalizeConfig: KernelConfig = {
  kernelName: Normalize,
  backendName: 'webgl',
  kernelFunc: normalize,
};
