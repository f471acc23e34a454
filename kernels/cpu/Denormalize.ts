// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {Denormalize} from '../../src/kernel_names.js';

export const denormalizeConfig: KernelConfig = {
  kernelName: Denormalize,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('Denormalize: cpu kernel not implemented yet');
  },
};
