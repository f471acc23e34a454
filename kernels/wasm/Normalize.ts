// wasm kernels of normalize, (x - mean[c]) / std[c], and denormalize, x * std[c] + mean[c]: one
// function, the direction its argument. Each in two rounded float32 steps (Note [normalize
// arithmetic] in src/ops/normalize.ts), the cpu compute core on views into the wasm heap. int32
// input gives float32 output (Note [normalize ranks]).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Normalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeDirection, NormalizeInputs} from '../../src/kernel_names.js';
import {denormalizeImplCPU, normalizeImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

/** The kernel function of Normalize or Denormalize on the wasm backend. */
export function channelMapKernel(direction: NormalizeDirection): KernelFunc {
  const impl = direction === 'normalize' ? normalizeImplCPU : denormalizeImplCPU;
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as NormalizeInputs;
    const a = attrs as unknown as NormalizeAttrs;
    return runOnHeap(backend as WasmBackend, [x], [{shape: x.shape.slice(), dtype: 'float32'}],
                     ([xv], [yv]) => impl(
                         xv as Float32Array|Int32Array, x.shape, a, yv as Float32Array))[0];
  };
}

export const normalize = channelMapKernel('normalize');

export const normalizeConfig: KernelConfig = {
  kernelName: Normalize,
  backendName: 'wasm',
  kernelFunc: normalize,
};
