// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('MaxPoolWithIndices: cpu kernel not implemented yet');
  },
};
