// webgl kernel of interpolate's gradient: the transposed resampling as a gather, with the
// transposed tables (interpolateTables(attrs, {transposed: true}): for every input position, the
// output positions that read it and their weights), read by the same shader as the forward
// kernel. attrs.scales
// already hold the scales of PyTorch's backward kernels (src/gradients/interpolate_grad.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {interpolateTables} from '../../src/index_math/resize.js';
import {InterpolateGrad} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateGradInputs} from '../../src/kernel_names.js';
import {resample} from './interpolate_common.js';
import type {WebGLBackend} from './util.js';

export const interpolateGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as InterpolateGradInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const tables = interpolateTables(a, {transposed: true});
  return resample(backend as WebGLBackend, dy, a.dataFormat, tables, 'interpolate', 'gradient', 'dy');
};

export const interpolateGradConfig: KernelConfig = {
  kernelName: InterpolateGrad,
  backendName: 'webgl',
  kernelFunc: interpolateGrad,
};
