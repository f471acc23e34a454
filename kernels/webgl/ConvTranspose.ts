// webgl kernel of convTranspose1d/2d/3d: one gather pass (conv_transpose_gpu.ts), bias added in
// the same pass. Under WEBGL_PACK it runs on packed textures, as tfjs's own convolutions do,
// after a small pass that lays the weight out in channel-pair texels. The packed program works in
// channelsLast, where a texel pairs two channels: channelsFirst x and y go through tfjs's own
// Transpose kernel on the way, two copies that read one texel per texel written, against the
// hundred-odd reads per texel of the product itself (about 1.5x faster than the unpacked
// program on the bench's [1, 64, 32, 32] -> 64 channels, k4 s2). The op has already checked every
// argument and hands over a batched x.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {ConvTranspose} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs} from '../../src/kernel_names.js';
import {ConvTransposePackedProgram, ConvTransposeProgram, ConvTransposeWeightPackProgram, packedForwardApplies} from './conv_transpose_gpu.js';
import {convTransposeGeometry} from '../../src/index_math/conv_geometry.js';
import {checkFitsTexture, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

/** tfjs's webgl Transpose kernel (packed under WEBGL_PACK). */
function transpose(backend: WebGLBackend, x: TensorInfo, perm: number[]): TensorInfo {
  const kernel = tf.getKernel('Transpose', 'webgl');
  if (kernel == null) throw new Error('convTranspose: tfjs\'s webgl Transpose kernel is not registered');
  return kernel.kernelFunc({inputs: {x}, backend, attrs: {perm}}) as TensorInfo;
}

export const convTranspose: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as ConvTransposeInputs;
  const a = attrs as unknown as ConvTransposeAttrs;
  const g = convTransposeGeometry(x.shape, weight.shape, a);
  const webgl = backend as WebGLBackend;
  const op = `convTranspose${g.inSize.length}d`;
  const packed = tf.env().getBool('WEBGL_PACK') && packedForwardApplies(g);
  checkFitsTexture(op, 'output', g.yShape, packed);
  checkFitsTexture(op, 'input x', x.shape, packed);
  checkFitsTexture(op, 'weight', weight.shape);
  if (!packed) {
    const program = new ConvTransposeProgram(g, bias != null);
    const programInputs = bias != null ? [x, weight, bias] : [x, weight];
    return runProgram(webgl, program, programInputs, 'float32') as TensorInfo;
  }
  const n = g.inSize.length;
  const toLast = [0, ...Array.from({length: n}, (_, i) => i + 2), 1];
  const toFirst = [0, n + 1, ...Array.from({length: n}, (_, i) => i + 1)];
  const channelsFirst = g.dataFormat === 'channelsFirst';
  const last = channelsFirst ? convTransposeGeometry(toLast.map((d) => x.shape[d]), weight.shape,
                                                     {...a, dataFormat: 'channelsLast'}) :
                               g;
  const packProgram = new ConvTransposeWeightPackProgram(last);
  checkFitsTexture(op, 'weight laid out by tap', packProgram.outputShape, true);
  const temps: TensorInfo[] = [];
  try {
    const w = runProgram(webgl, packProgram, [weight], 'float32');
    temps.push(w);
    let xl = x;
    if (channelsFirst) {
      xl = transpose(webgl, x, toLast);
      temps.push(xl);
    }
    const program = new ConvTransposePackedProgram(last, bias != null);
    const y = runProgram(webgl, program, bias != null ? [xl, w, bias] : [xl, w], 'float32');
    if (!channelsFirst) return y as TensorInfo;
    temps.push(y);
    return transpose(webgl, y, toFirst);
  } finally {
    for (const t of temps) webgl.disposeIntermediateTensorInfo(t);
  }
};

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'webgl',
  kernelFunc: convTranspose,
};
