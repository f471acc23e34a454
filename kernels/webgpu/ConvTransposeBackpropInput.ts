// webgpu kernel of the gradient of convTranspose with respect to x: the plain (strided, dilated,
// grouped) convolution of dy with the weight, one gather pass (conv_transpose_common.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropInput} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropInputAttrs, ConvTransposeBackpropInputInputs} from '../../src/kernel_names.js';
import {convTransposeGeometry} from '../../src/index_math/conv_geometry.js';
import {runConvTransposeBackpropInput} from './conv_transpose_common.js';
import type {WebGPUBackend} from './util.js';

export const convTransposeBackpropInput: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, weight} = inputs as ConvTransposeBackpropInputInputs;
  const a = attrs as unknown as ConvTransposeBackpropInputAttrs;
  const g = convTransposeGeometry(a.xShape, weight.shape, a);
  return runConvTransposeBackpropInput(backend as WebGPUBackend, dy, weight, g,
                                       `convTranspose${g.inSize.length}d (gradient for x)`);
};

export const convTransposeBackpropInputConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropInput,
  backendName: 'webgpu',
  kernelFunc: convTransposeBackpropInput,
};
