// webgpu kernel of convTranspose1d/2d/3d: one gather pass (conv_transpose_common.ts), bias added
// in the same pass. The op has already checked every argument and hands over a batched x.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {ConvTranspose} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs} from '../../src/kernel_names.js';
import {convTransposeGeometry} from '../../src/index_math/conv_geometry.js';
import {runConvTranspose} from './conv_transpose_common.js';
import type {WebGPUBackend} from './util.js';

export const convTranspose: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as ConvTransposeInputs;
  const g = convTransposeGeometry(x.shape, weight.shape, attrs as unknown as ConvTransposeAttrs);
  return runConvTranspose(backend as WebGPUBackend, x, weight, bias, g,
                          `convTranspose${g.inSize.length}d`);
};

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'webgpu',
  kernelFunc: convTranspose,
};
