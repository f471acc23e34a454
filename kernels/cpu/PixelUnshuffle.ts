// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {PixelUnshuffle} from '../../src/kernel_names.js';

export const pixelUnshuffleConfig: KernelConfig = {
  kernelName: PixelUnshuffle,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('PixelUnshuffle: cpu kernel not implemented yet');
  },
};
