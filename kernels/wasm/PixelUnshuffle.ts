// wasm kernel of pixelUnshuffle: the cpu compute core (the inverse of pixelShuffle's channel
// order) on views into the wasm heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {geometryFromSpatial, pixelUnshuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import {PixelUnshuffle} from '../../src/kernel_names.js';
import type {PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {pixelUnshuffleImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const pixelUnshuffle: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {downscaleFactor: r, dataFormat} = attrs as unknown as PixelUnshuffleAttrs;
  const yShape = pixelUnshuffleOutputShape(x.shape, r, dataFormat);
  const g = geometryFromSpatial(x.shape, r, dataFormat);
  return runOnHeap(backend as WasmBackend, [x], [{shape: yShape, dtype: x.dtype}], ([xv], [yv]) => {
    if (yv.length > 0) pixelUnshuffleImplCPU(xv, yv, g);
  })[0];
};

export const pixelUnshuffleConfig: KernelConfig = {
  kernelName: PixelUnshuffle,
  backendName: 'wasm',
  kernelFunc: pixelUnshuffle,
};
