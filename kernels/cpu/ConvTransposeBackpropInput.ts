// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropInput} from '../../src/kernel_names.js';

export const convTransposeBackpropInputConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropInput,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('ConvTransposeBackpropInput: cpu kernel not implemented yet');
  },
};
