// webgpu kernel of the gradient of convTranspose with respect to the weight: one pass, one
// weight value per invocation summing x * dy over the batch and the tap's valid positions
// (conv_transpose_common.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropFilter} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropFilterAttrs, ConvTransposeBackpropFilterInputs} from '../../src/kernel_names.js';
import {convTransposeGeometry} from '../../src/index_math/conv_geometry.js';
import {runConvTransposeBackpropFilter} from './conv_transpose_common.js';
import type {WebGPUBackend} from './util.js';

export const convTransposeBackpropFilter: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as ConvTransposeBackpropFilterInputs;
  const a = attrs as unknown as ConvTransposeBackpropFilterAttrs;
  const g = convTransposeGeometry(x.shape, a.weightShape, a);
  return runConvTransposeBackpropFilter(backend as WebGPUBackend, x, dy, g,
                                        `convTranspose${g.inSize.length}d (gradient for weight)`);
};

export const convTransposeBackpropFilterConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropFilter,
  backendName: 'webgpu',
  kernelFunc: convTransposeBackpropFilter,
};
