// webgl kernel of convTranspose1d/2d/3d: one gather pass (conv_transpose_gpu.ts), bias added in
// the same pass. Under WEBGL_PACK, channelsLast runs on packed textures, as tfjs's own
// convolutions do, after a small pass that lays the weight out in channel-pair texels. The op has
// already checked every argument and hands over a batched x.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {ConvTranspose} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs} from '../../src/kernel_names.js';
import {convTransposeGeometry, ConvTransposePackedProgram, ConvTransposeProgram, ConvTransposeWeightPackProgram, packedForwardApplies} from './conv_transpose_gpu.js';
import {checkFitsTexture} from './util.js';
import type {WebGLBackend} from './util.js';

export const convTranspose: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as ConvTransposeInputs;
  const a = attrs as unknown as ConvTransposeAttrs;
  const g = convTransposeGeometry(x.shape, weight.shape, a);
  const webgl = backend as WebGLBackend;
  const op = `convTranspose${g.inSize.length}d`;
  const packed = tf.env().getBool('WEBGL_PACK') && packedForwardApplies(g);
  checkFitsTexture(op, 'output', g.yShape, packed);
  if (!packed) {
    const program = new ConvTransposeProgram(g, bias != null);
    const programInputs = bias != null ? [x, weight, bias] : [x, weight];
    return webgl.runWebGLProgram(program, programInputs, 'float32') as TensorInfo;
  }
  const packProgram = new ConvTransposeWeightPackProgram(g);
  checkFitsTexture(op, 'weight laid out by tap', packProgram.outputShape, true);
  const w = webgl.runWebGLProgram(packProgram, [weight], 'float32');
  try {
    const program = new ConvTransposePackedProgram(g, bias != null);
    return webgl.runWebGLProgram(program, bias != null ? [x, w, bias] : [x, w], 'float32') as
        TensorInfo;
  } finally {
    webgl.disposeIntermediateTensorInfo(w);
  }
};

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'webgl',
  kernelFunc: convTranspose,
};
