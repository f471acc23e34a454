// wasm kernel of TorchBatchMatMul: the cpu core (kernels/cpu/BatchMatMul.ts, the convTranspose
// product's WebAssembly SIMD module) on views into tfjs-backend-wasm's heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {BatchMatMul} from '../../src/kernel_names.js';
import type {BatchMatMulInputs} from '../../src/kernel_names.js';
import {batchMatMulImplCPU, batchMatMulShape} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const batchMatMul: KernelFunc = ({inputs, backend}) => {
  const {a, b} = inputs as BatchMatMulInputs;
  const [batch, m, n] = batchMatMulShape(a.shape, b.shape);
  return runOnHeap(backend as WasmBackend, [a, b], [{shape: [batch, m, n], dtype: 'float32'}],
                   ([av, bv], [yv]) => batchMatMulImplCPU(
                       av as Float32Array, bv as Float32Array, batch, m, a.shape[2], n,
                       yv as Float32Array))[0];
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul,
};
