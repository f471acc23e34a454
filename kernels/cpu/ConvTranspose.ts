// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {ConvTranspose} from '../../src/kernel_names.js';

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('ConvTranspose: cpu kernel not implemented yet');
  },
};
