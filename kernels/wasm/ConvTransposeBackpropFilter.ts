// wasm kernel of convTranspose's gradient with respect to the weight: the cpu compute core on
// views into tfjs-backend-wasm's heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropFilter} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropFilterAttrs, ConvTransposeBackpropFilterInputs} from '../../src/kernel_names.js';
import {convTransposeBackpropFilterImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const convTransposeBackpropFilter: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as ConvTransposeBackpropFilterInputs;
  const a = attrs as unknown as ConvTransposeBackpropFilterAttrs;
  return runOnHeap(backend as WasmBackend, [x, dy],
                   [{shape: a.weightShape.slice(), dtype: 'float32'}],
                   ([xv, dyv], [dwv]) => convTransposeBackpropFilterImplCPU(
                       xv as Float32Array, dyv as Float32Array, x.shape, a.weightShape, a,
                       dwv as Float32Array))[0];
};

export const convTransposeBackpropFilterConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: convTransposeBackpropFilter,
};
