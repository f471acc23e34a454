// wasm kernel of maxUnpool's gradient: dy gathered at the indices, the cpu compute core on views
// into tfjs-backend-wasm's heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxUnpoolGrad} from '../../src/kernel_names.js';
import type {MaxUnpoolGradAttrs, MaxUnpoolGradInputs} from '../../src/kernel_names.js';
import {maxUnpoolGradImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const maxUnpoolGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxUnpoolGradInputs;
  const {dataFormat} = attrs as unknown as MaxUnpoolGradAttrs;
  return runOnHeap(backend as WasmBackend, [dy, indices],
                   [{shape: indices.shape.slice(), dtype: 'float32'}],
                   ([dyv, iv], [dxv]) => maxUnpoolGradImplCPU(
                       dyv as Float32Array, iv as Int32Array, dy.shape, indices.shape, dataFormat,
                       dxv as Float32Array))[0];
};

export const maxUnpoolGradConfig: KernelConfig = {
  kernelName: MaxUnpoolGrad,
  backendName: 'wasm',
  kernelFunc: maxUnpoolGrad,
};
