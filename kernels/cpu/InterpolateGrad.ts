// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {InterpolateGrad} from '../../src/kernel_names.js';

export const interpolateGradConfig: KernelConfig = {
  kernelName: InterpolateGrad,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('InterpolateGrad: cpu kernel not implemented yet');
  },
};
