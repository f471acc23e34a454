// webgl kernel of the gradient of convTranspose with respect to the weight: one pass, one
// weight value per invocation summing x * dy over the batch and the tap's valid positions
// (conv_transpose_gpu.ts).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropFilter} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropFilterAttrs, ConvTransposeBackpropFilterInputs} from '../../src/kernel_names.js';
import {ConvTransposeBackpropFilterProgram} from './conv_transpose_gpu.js';
import {convTransposeGeometry} from '../../src/index_math/conv_geometry.js';
import {checkFitsTexture, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

export const convTransposeBackpropFilter: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as ConvTransposeBackpropFilterInputs;
  const a = attrs as unknown as ConvTransposeBackpropFilterAttrs;
  const g = convTransposeGeometry(x.shape, a.weightShape, a);
  const op = `convTranspose${g.inSize.length}d (gradient for weight)`;
  checkFitsTexture(op, 'output', g.weightShape);
  checkFitsTexture(op, 'input x', x.shape);
  checkFitsTexture(op, 'input dy', dy.shape);
  const program = new ConvTransposeBackpropFilterProgram(g);
  return runProgram(backend as WebGLBackend, program, [x, dy], 'float32') as TensorInfo;
};

export const convTransposeBackpropFilterConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropFilter,
  backendName: 'webgl',
  kernelFunc: convTransposeBackpropFilter,
};
