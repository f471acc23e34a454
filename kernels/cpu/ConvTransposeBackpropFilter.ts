// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropFilter} from '../../src/kernel_names.js';

export const convTransposeBackpropFilterConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropFilter,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('ConvTransposeBackpropFilter: cpu kernel not implemented yet');
  },
};
