// wasm kernel of interpolate's gradient: the cpu compute core (the transposed per-axis tables)
// on views into tfjs-backend-wasm's heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {InterpolateGrad} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateGradInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {interpolateGradImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const interpolateGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as InterpolateGradInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const {batch, channels} = layoutOf(dy.shape, a.dataFormat);
  const dxShape = shapeOf(batch, channels, a.inSize, a.dataFormat);
  return runOnHeap(backend as WasmBackend, [dy], [{shape: dxShape, dtype: 'float32'}],
                   ([dyv], [dxv]) => interpolateGradImplCPU(
                       dyv as Float32Array, dy.shape, a, dxv as Float32Array))[0];
};

export const interpolateGradConfig: KernelConfig = {
  kernelName: InterpolateGrad,
  backendName: 'wasm',
  kernelFunc: interpolateGrad,
};
