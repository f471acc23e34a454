// webgl kernel of interpolate: per-axis tables from src/index_math/resize.ts (interpolateTables), read
// by the resampling shader (interpolate_gpu.ts, interpolate_common.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {interpolateTables} from '../../src/index_math/resize.js';
import {Interpolate} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateInputs} from '../../src/kernel_names.js';
import {resample} from './interpolate_common.js';
import type {WebGLBackend} from './util.js';

export const interpolate: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as InterpolateInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const tables = interpolateTables(a, {transposed: false});
  return resample(backend as WebGLBackend, x, a.dataFormat, tables, 'interpolate', 'output', 'input x');
};

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'webgl',
  kernelFunc: interpolate,
};
