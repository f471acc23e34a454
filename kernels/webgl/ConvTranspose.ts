// webgl kernel of convTranspose1d/2d/3d: one gather pass (conv_transpose_gpu.ts), bias added in
// the same pass. The op has already checked every argument and hands over a batched x.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {ConvTranspose} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs} from '../../src/kernel_names.js';
import {convTransposeGeometry, ConvTransposeProgram} from './conv_transpose_gpu.js';
import {checkFitsTexture} from './util.js';
import type {WebGLBackend} from './util.js';

export const convTranspose: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as ConvTransposeInputs;
  const a = attrs as unknown as ConvTransposeAttrs;
  const g = convTransposeGeometry(x.shape, weight.shape, a);
  checkFitsTexture(`convTranspose${g.inSize.length}d`, 'output', g.yShape);
  const program = new ConvTransposeProgram(g, bias != null);
  const programInputs = bias != null ? [x, weight, bias] : [x, weight];
  return (backend as WebGLBackend).runWebGLProgram(program, programInputs, 'float32') as
      TensorInfo;
};

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'webgl',
  kernelFunc: convTranspose,
};
