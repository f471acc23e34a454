// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {Interpolate} from '../../src/kernel_names.js';

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('Interpolate: cpu kernel not implemented yet');
  },
};
