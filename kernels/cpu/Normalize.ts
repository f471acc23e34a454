// cpu kernel of normalize: (x - mean[c]) / std[c] in two rounded float32 steps, as torchvision's
// sub_ then div_ (Note [normalize arithmetic] in src/ops/normalize.ts).
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {Normalize} from '../../src/kernel_names.js';
import type {DataFormat, NormalizeAttrs, NormalizeDirection, NormalizeInputs} from '../../src/kernel_names.js';
import {channelAxis, sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * The sizes around the channel axis of a shape: `outer` runs before it, `inner` after it (1 for
 * channelsLast), so the loops go outer, channel, inner without per-element division.
 */
function channelLoop(shape: readonly number[], dataFormat: DataFormat):
    {outer: number, channels: number, inner: number} {
  const axis = channelAxis(shape.length, dataFormat);
  return {
    outer: sizeOf(shape.slice(0, axis)),
    channels: shape[axis],
    inner: sizeOf(shape.slice(axis + 1)),
  };
}

/** Which of the two per-channel maps: (x - m) / s or x * s + m, each step rounded to float32. */

function channelMap(
    x: Float32Array|Int32Array, shape: readonly number[], attrs: NormalizeAttrs,
    direction: NormalizeDirection, out: Float32Array): void {
  // int32 images are converted to float32 first (Note [normalize ranks]).
  const values = x instanceof Float32Array ? x : Float32Array.from(x);
  const {outer, channels, inner} = channelLoop(shape, attrs.dataFormat);
  const {mean, std} = attrs;
  const forward = direction === 'normalize';
  let o = 0;
  if (inner === 1) {
    for (let n = 0; n < outer; n++) {
      if (forward) {
        for (let c = 0; c < channels; c++, o++) out[o] = Math.fround(values[o] - mean[c]) / std[c];
      } else {
        for (let c = 0; c < channels; c++, o++) out[o] = Math.fround(values[o] * std[c]) + mean[c];
      }
    }
    return;
  }
  for (let n = 0; n < outer; n++) {
    for (let c = 0; c < channels; c++) {
      const m = mean[c];
      const s = std[c];
      const end = o + inner;
      if (forward) {
        for (; o < end; o++) out[o] = Math.fround(values[o] - m) / s;
      } else {
        for (; o < end; o++) out[o] = Math.fround(values[o] * s) + m;
      }
    }
  }
}

/**
 * Compute core of the Normalize kernel (exported through shared.ts): out = (x - mean[c]) /
 * std[c]. x: float32 or int32 values of shape `shape` (rank >= 2; channels on axis 1 for
 * channelsFirst, last for channelsLast, attrs.dataFormat); attrs.mean / attrs.std: one number
 * per channel; out: the caller's float32 view of as many values; every value is written.
 */
export function normalizeImplCPU(
    x: Float32Array|Int32Array, shape: readonly number[], attrs: NormalizeAttrs,
    out: Float32Array): void {
  channelMap(x, shape, attrs, 'normalize', out);
}

/** Compute core of the Denormalize kernel: out = x * std[c] + mean[c]; as normalizeImplCPU. */
export function denormalizeImplCPU(
    x: Float32Array|Int32Array, shape: readonly number[], attrs: NormalizeAttrs,
    out: Float32Array): void {
  channelMap(x, shape, attrs, 'denormalize', out);
}

/** The kernel function of Normalize or Denormalize on the cpu backend. */
export function channelMapKernel(direction: NormalizeDirection): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as NormalizeInputs;
    const cpu = backend as CpuBackend;
    const out = new Float32Array(sizeOf(x.shape));
    const values = valuesOf(cpu, x) as TypedArray as Float32Array|Int32Array;
    channelMap(values, x.shape, attrs as unknown as NormalizeAttrs, direction, out);
    return output(cpu, x.shape.slice(), 'float32', out);
  };
}

export const normalize = channelMapKernel('normalize');

export const normalizeConfig: KernelConfig = {
  kernelName: Normalize,
  backendName: 'cpu',
  kernelFunc: normalize,
};
