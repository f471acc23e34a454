// wasm kernel of max pooling's gradient: dy summed into a zeroed input plane at the indices, the
// cpu compute core on views into tfjs-backend-wasm's heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndicesGrad} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesGradAttrs, MaxPoolWithIndicesGradInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {maxPoolWithIndicesGradImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const maxPoolWithIndicesGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxPoolWithIndicesGradInputs;
  const {inSize, dataFormat} = attrs as unknown as MaxPoolWithIndicesGradAttrs;
  const {batch, channels} = layoutOf(dy.shape, dataFormat);
  const dxShape = shapeOf(batch, channels, inSize, dataFormat);
  return runOnHeap(backend as WasmBackend, [dy, indices], [{shape: dxShape, dtype: 'float32'}],
                   ([dyv, iv], [dxv]) => maxPoolWithIndicesGradImplCPU(
                       dyv as Float32Array, iv as Int32Array, dy.shape, inSize, dataFormat,
                       dxv as Float32Array))[0];
};

export const maxPoolWithIndicesGradConfig: KernelConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolWithIndicesGrad,
};
