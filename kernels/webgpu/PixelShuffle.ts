// webgpu kernels of pixelShuffle and pixelUnshuffle (one function, the direction its argument):
// one gather pass (pixel_shuffle_common.ts); int32 copied exactly.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {pixelShuffleCall} from '../../src/index_math/pixel_shuffle.js';
import type {PixelShuffleDirection} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {runShuffle} from './pixel_shuffle_common.js';
import type {WebGPUBackend} from './util.js';

/** The kernel function of PixelShuffle or PixelUnshuffle on the webgpu backend. */
export function shuffleKernel(direction: PixelShuffleDirection): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as PixelShuffleInputs;
    const {factor, dataFormat, outShape} = pixelShuffleCall(
        direction, x.shape, attrs as unknown as PixelShuffleAttrs|PixelUnshuffleAttrs);
    return runShuffle(
        backend as WebGPUBackend, x, outShape, dataFormat, factor, direction === 'shuffle');
  };
}

export const pixelShuffle = shuffleKernel('shuffle');

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'webgpu',
  kernelFunc: pixelShuffle,
};
