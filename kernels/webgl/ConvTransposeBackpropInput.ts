// webgl kernel of the gradient of convTranspose with respect to x: the plain (strided, dilated,
// grouped) convolution of dy with the weight, one gather pass (conv_transpose_gpu.ts).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropInput} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropInputAttrs, ConvTransposeBackpropInputInputs} from '../../src/kernel_names.js';
import {ConvTransposeBackpropInputProgram} from './conv_transpose_gpu.js';
import {convTransposeGeometry} from '../../src/index_math/conv_geometry.js';
import {checkFitsTexture, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

export const convTransposeBackpropInput: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, weight} = inputs as ConvTransposeBackpropInputInputs;
  const a = attrs as unknown as ConvTransposeBackpropInputAttrs;
  const g = convTransposeGeometry(a.xShape, weight.shape, a);
  const op = `convTranspose${g.inSize.length}d (gradient for x)`;
  checkFitsTexture(op, 'output', g.xShape);
  checkFitsTexture(op, 'input dy', dy.shape);
  checkFitsTexture(op, 'weight', weight.shape);
  const program = new ConvTransposeBackpropInputProgram(g);
  return runProgram(backend as WebGLBackend, program, [dy, weight], 'float32') as
      TensorInfo;
};

export const convTransposeBackpropInputConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropInput,
  backendName: 'webgl',
  kernelFunc: convTransposeBackpropInput,
};
