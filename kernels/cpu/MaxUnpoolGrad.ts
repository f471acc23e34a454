// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {MaxUnpoolGrad} from '../../src/kernel_names.js';

export const maxUnpoolGradConfig: KernelConfig = {
  kernelName: MaxUnpoolGrad,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('MaxUnpoolGrad: cpu kernel not implemented yet');
  },
};
