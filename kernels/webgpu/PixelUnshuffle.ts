// webgpu kernel of pixelUnshuffle: one gather pass (pixel_shuffle_common.ts); int32 copied
// exactly.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {pixelUnshuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import {PixelUnshuffle} from '../../src/kernel_names.js';
import type {PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {runShuffle} from './pixel_shuffle_common.js';
import type {WebGPUBackend} from './util.js';

export const pixelUnshuffle: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {downscaleFactor: r, dataFormat} = attrs as unknown as PixelUnshuffleAttrs;
  return runShuffle(
      backend as WebGPUBackend, x, pixelUnshuffleOutputShape(x.shape, r, dataFormat), dataFormat,
      r, false);
};

export const pixelUnshuffleConfig: KernelConfig = {
  kernelName: PixelUnshuffle,
  backendName: 'webgpu',
  kernelFunc: pixelUnshuffle,
};
