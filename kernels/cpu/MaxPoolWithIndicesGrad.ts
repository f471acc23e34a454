// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndicesGrad} from '../../src/kernel_names.js';

export const maxPoolWithIndicesGradConfig: KernelConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('MaxPoolWithIndicesGrad: cpu kernel not implemented yet');
  },
};
