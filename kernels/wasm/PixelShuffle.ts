// wasm kernels of pixelShuffle and pixelUnshuffle (one function, the direction its argument):
// the cpu compute cores (PyTorch's channel order, Note [pixel shuffle channel order] in
// src/index_math/pixel_shuffle.ts) on views into the wasm heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {pixelShuffleCall} from '../../src/index_math/pixel_shuffle.js';
import type {PixelShuffleDirection} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {pixelShuffleImplCPU, pixelUnshuffleImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

/** The kernel function of PixelShuffle or PixelUnshuffle on the wasm backend. */
export function shuffleKernel(direction: PixelShuffleDirection): KernelFunc {
  const impl = direction === 'shuffle' ? pixelShuffleImplCPU : pixelUnshuffleImplCPU;
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as PixelShuffleInputs;
    const {outShape, geometry} = pixelShuffleCall(
        direction, x.shape, attrs as unknown as PixelShuffleAttrs|PixelUnshuffleAttrs);
    return runOnHeap(backend as WasmBackend, [x], [{shape: outShape, dtype: x.dtype}],
                     ([xv], [yv]) => {
                       if (yv.length > 0) impl(xv, yv, geometry);
                     })[0];
  };
}

export const pixelShuffle = shuffleKernel('shuffle');

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'wasm',
  kernelFunc: pixelShuffle,
};
