// The program of the normalize and denormalize webgpu kernels: one elementwise pass, the
// per-channel mean and std read from a [2, C] float32 storage buffer (row 0 mean, row 1 std).
//
// The arithmetic is the cpu kernel's (Note [normalize arithmetic] in src/ops/normalize.ts):
// normalize (x - mean) / std, denormalize x * std + mean, in that order, never a precomputed
// 1 / std or a folded mean / std. An int32 x is read as its f32 value (Note [normalize ranks]).
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {NormalizeAttrs, NormalizeDirection} from '../../src/kernel_names.js';
import {channelAxis} from '../../src/util/layout.js';
import {checkFitsBuffer, Ints, run, TorchProgram, withTables} from './util.js';
import type {WebGPUBackend} from './util.js';

export function runNormalize(
    backend: WebGPUBackend, x: TensorInfo, attrs: NormalizeAttrs,
    direction: NormalizeDirection): TensorInfo {
  const {mean, std, dataFormat} = attrs;
  checkFitsBuffer(backend, direction, 'output', x.shape);
  const rank = x.shape.length;
  const axis = channelAxis(rank, dataFormat);
  const channels = x.shape[axis];
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  // The inner (spatial) size is a uniform, the channel count compiled in (Note [webgpu programs]).
  const ints = new Ints();
  const u = ints.of;
  const c = inner === 1 ? `index % ${channels}` : `(index / ${u(inner)}) % ${channels}`;
  const result = direction === 'normalize' ? '(v - m) / s' : 'v * s + m';
  const program = new TorchProgram(direction === 'normalize' ? 'Normalize' : 'Denormalize',
                                   x.shape, ['x', 'stats'], `
          let c = ${c};
          let m = stats[c];
          let s = stats[${channels} + c];
          let v = f32(x[index]);
          result[index] = ${result};`, '', {ints});
  const stats = new Float32Array(2 * channels);
  stats.set(mean, 0);
  stats.set(std, channels);
  return withTables(backend, [stats], ([t]) => run(backend, program, [x, t], 'float32'));
}
