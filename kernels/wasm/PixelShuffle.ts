// wasm kernel of pixelShuffle: the cpu compute core (PyTorch's channel order, Note [pixel
// shuffle channel order] in src/index_math/pixel_shuffle.ts) on views into the wasm heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {geometryFromPacked, pixelShuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs} from '../../src/kernel_names.js';
import {pixelShuffleImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const pixelShuffle: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {upscaleFactor: r, dataFormat} = attrs as unknown as PixelShuffleAttrs;
  const yShape = pixelShuffleOutputShape(x.shape, r, dataFormat);
  const g = geometryFromPacked(x.shape, r, dataFormat);
  return runOnHeap(backend as WasmBackend, [x], [{shape: yShape, dtype: x.dtype}], ([xv], [yv]) => {
    if (yv.length > 0) pixelShuffleImplCPU(xv, yv, g);
  })[0];
};

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'wasm',
  kernelFunc: pixelShuffle,
};
