// PLACEHOLDER: replaced by the real cpu kernel.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {PixelShuffle} from '../../src/kernel_names.js';

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'cpu',
  kernelFunc: () => {
    throw new Error('PixelShuffle: cpu kernel not implemented yet');
  },
};
