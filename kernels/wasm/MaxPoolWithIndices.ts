// wasm kernel of max pooling with PyTorch's indices (the first maximum wins a tie, a NaN wins over
// numbers: Note [max and ties] in src/index_math/pool.ts): the cpu compute core on views into
// tfjs-backend-wasm's heap. (tfjs's own wasm maxPoolWithArgmax starts each window from the
// smallest positive float, so an all-negative window gives 1.17e-38 at index 0.)
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {maxPoolOutputShape, maxPoolWithIndicesImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const maxPoolWithIndices: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as MaxPoolWithIndicesInputs;
  const a = attrs as unknown as MaxPoolWithIndicesAttrs;
  const yShape = maxPoolOutputShape(x.shape, a);
  return runOnHeap(backend as WasmBackend, [x],
                   [{shape: yShape, dtype: 'float32'}, {shape: yShape.slice(), dtype: 'int32'}],
                   ([xv], [values, indices]) => maxPoolWithIndicesImplCPU(
                       xv as Float32Array, x.shape, a, values as Float32Array,
                       indices as Int32Array));
};

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'wasm',
  kernelFunc: maxPoolWithIndices,
};
