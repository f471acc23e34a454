// wasm kernel of pixelUnshuffle: PixelShuffle.ts's kernel in the other direction.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {PixelUnshuffle} from '../../src/kernel_names.js';
import {shuffleKernel} from './PixelShuffle.js';

export const pixelUnshuffle = shuffleKernel('unshuffle');

export const pixelUnshuffleConfig: KernelConfig = {
  kernelName: PixelUnshuffle,
  backendName: 'wasm',
  kernelFunc: pixelUnshuffle,
};
