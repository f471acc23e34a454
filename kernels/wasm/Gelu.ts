// wasm kernel of gelu: the cpu compute core on views into the wasm heap (Note [gelu numerics]
// in src/ops/gelu.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Gelu} from '../../src/kernel_names.js';
import type {GeluAttrs, GeluInputs} from '../../src/kernel_names.js';
import {geluImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const gelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as GeluInputs;
  return runOnHeap(backend as WasmBackend, [x], [{shape: x.shape.slice(), dtype: 'float32'}],
                   ([xv], [yv]) => geluImplCPU(xv, attrs as unknown as GeluAttrs, yv))[0];
};

export const geluConfig: KernelConfig = {kernelName: Gelu, backendName: 'wasm', kernelFunc: gelu};
