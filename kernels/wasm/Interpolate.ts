// wasm kernel of interpolate: the cpu compute core (separable per-axis tables from
// src/index_math/resize.ts) on views into tfjs-backend-wasm's heap.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Interpolate} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {interpolateImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const interpolate: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as InterpolateInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const {batch, channels} = layoutOf(x.shape, a.dataFormat);
  const yShape = shapeOf(batch, channels, a.outSize, a.dataFormat);
  return runOnHeap(backend as WasmBackend, [x], [{shape: yShape, dtype: x.dtype}], ([xv], [yv]) =>
      interpolateImplCPU(xv as Float32Array|Int32Array, x.shape, a, yv as Float32Array|Int32Array))[0];
};

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'wasm',
  kernelFunc: interpolate,
};
