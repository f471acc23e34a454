// webgpu kernel of pixelShuffle: one gather pass (pixel_shuffle_common.ts); int32 copied exactly.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {pixelShuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs} from '../../src/kernel_names.js';
import {runShuffle} from './pixel_shuffle_common.js';
import type {WebGPUBackend} from './util.js';

export const pixelShuffle: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {upscaleFactor: r, dataFormat} = attrs as unknown as PixelShuffleAttrs;
  return runShuffle(
      backend as WebGPUBackend, x, pixelShuffleOutputShape(x.shape, r, dataFormat), dataFormat,
      r, true);
};

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'webgpu',
  kernelFunc: pixelShuffle,
};
