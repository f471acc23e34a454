// wasm kernel of convTranspose's gradient with respect to x (a strided convolution of dy with
// the weight): the cpu compute core on views into tfjs-backend-wasm's heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropInput} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropInputAttrs, ConvTransposeBackpropInputInputs} from '../../src/kernel_names.js';
import {convTransposeBackpropInputImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const convTransposeBackpropInput: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, weight} = inputs as ConvTransposeBackpropInputInputs;
  const a = attrs as unknown as ConvTransposeBackpropInputAttrs;
  return runOnHeap(backend as WasmBackend, [dy, weight], [{shape: a.xShape.slice(), dtype: 'float32'}],
                   ([dyv, wv], [dxv]) => convTransposeBackpropInputImplCPU(
                       dyv as Float32Array, wv as Float32Array, a.xShape, weight.shape, a,
                       dxv as Float32Array))[0];
};

export const convTransposeBackpropInputConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropInput,
  backendName: 'wasm',
  kernelFunc: convTransposeBackpropInput,
};
