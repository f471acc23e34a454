// The part of the normalize and denormalize webgl kernels they share: run NormalizeProgram with
// the channel statistics as uniforms or, for many channels, as a table texture.
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {NormalizeAttrs} from '../../src/kernel_names.js';
import {NormalizeProgram, statsTable, statsUniforms, UNIFORM_CHANNELS} from './normalize_gpu.js';
import type {NormalizeDirection} from './normalize_gpu.js';
import {checkFitsTexture, floatTable} from './util.js';
import type {WebGLBackend} from './util.js';

export function runNormalize(
    backend: WebGLBackend, x: TensorInfo, attrs: NormalizeAttrs,
    direction: NormalizeDirection): TensorInfo {
  const {mean, std, dataFormat} = attrs;
  checkFitsTexture(direction, 'output', x.shape);
  const program = new NormalizeProgram(x.shape, dataFormat, direction);
  if (mean.length <= UNIFORM_CHANNELS) {
    return backend.runWebGLProgram(program, [x], 'float32', statsUniforms(mean, std));
  }
  const stats = floatTable(backend, [4, mean.length], statsTable(mean, std));
  try {
    return backend.runWebGLProgram(program, [x, stats], 'float32');
  } finally {
    backend.disposeIntermediateTensorInfo(stats);
  }
}
