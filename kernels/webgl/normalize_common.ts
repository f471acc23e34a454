// The part of the normalize and denormalize webgl kernels they share: run NormalizeProgram with
// the channel statistics as uniforms or, for many channels, as a table texture.
import * as tf from '@tensorflow/tfjs-core';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {NormalizeAttrs} from '../../src/kernel_names.js';
import {NormalizePackedProgram, NormalizeProgram, statsTable, statsUniforms, UNIFORM_CHANNELS} from './normalize_gpu.js';
import type {NormalizeDirection} from '../../src/kernel_names.js';
import {checkFitsTexture, floatTable, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

export function runNormalize(
    backend: WebGLBackend, x: TensorInfo, attrs: NormalizeAttrs,
    direction: NormalizeDirection): TensorInfo {
  const {mean, std, dataFormat} = attrs;
  const uniforms = mean.length <= UNIFORM_CHANNELS;
  // Packed as tfjs's own elementwise kernels are under WEBGL_PACK.
  const packed = uniforms && tf.env().getBool('WEBGL_PACK');
  // The output has the input's shape: one check covers both.
  checkFitsTexture(direction, 'output', x.shape, packed);
  if (uniforms) {
    const program = packed ? new NormalizePackedProgram(x.shape, dataFormat, direction) :
                             new NormalizeProgram(x.shape, dataFormat, direction);
    return runProgram(backend, program, [x], 'float32', statsUniforms(mean, std));
  }
  const program = new NormalizeProgram(x.shape, dataFormat, direction);
  const stats = floatTable(backend, [4, mean.length], statsTable(mean, std));
  try {
    return runProgram(backend, program, [x, stats], 'float32');
  } finally {
    backend.disposeIntermediateTensorInfo(stats);
  }
}
