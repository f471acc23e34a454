// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {MaxUnpool} from '../../src/kernel_names.js';

export const maxUnpoolConfig: KernelConfig = {
  kernelName: MaxUnpool,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('MaxUnpool: cpu kernel not implemented yet');
  },
};
