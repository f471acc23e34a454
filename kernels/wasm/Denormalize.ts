// wasm kernel of denormalize: x * std[c] + mean[c] in two rounded float32 steps (Note
// [normalize arithmetic] in src/ops/normalize.ts), the cpu compute core on views into the wasm
// heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Denormalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeInputs} from '../../src/kernel_names.js';
import {denormalizeImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const denormalize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as NormalizeInputs;
  const a = attrs as unknown as NormalizeAttrs;
  return runOnHeap(backend as WasmBackend, [x], [{shape: x.shape.slice(), dtype: 'float32'}],
                   ([xv], [yv]) => denormalizeImplCPU(
                       xv as Float32Array|Int32Array, x.shape, a, yv as Float32Array))[0];
};

export const denormalizeConfig: KernelConfig = {
  kernelName: Denormalize,
  backendName: 'wasm',
  kernelFunc: denormalize,
};
