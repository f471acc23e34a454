// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {Normalize} from '../../src/kernel_names.js';

export const normalizeConfig: KernelConfig = {
  kernelName: Normalize,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('Normalize: cpu kernel not implemented yet');
  },
};
