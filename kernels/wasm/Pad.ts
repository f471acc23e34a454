// wasm kernel of pad (F.pad, every mode): the cpu compute core's one pass of block copies on
// views into the wasm heap (Note [pad plan] in src/index_math/pad.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Pad} from '../../src/kernel_names.js';
import type {PadAttrs, PadInputs} from '../../src/kernel_names.js';
import {padImplCPU, padOutputShape} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const pad: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PadInputs;
  const a = attrs as unknown as PadAttrs;
  return runOnHeap(backend as WasmBackend, [x], [{shape: padOutputShape(x.shape, a), dtype: x.dtype}],
                   ([xv], [yv]) => padImplCPU(xv, x.shape, a, yv))[0];
};

export const padConfig: KernelConfig = {
  kernelName: Pad,
  backendName: 'wasm',
  kernelFunc: pad,
};
