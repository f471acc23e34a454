// cpu kernel of normalize: (x - mean[c]) / std[c] in two rounded float32 steps, as torchvision's
// sub_ then div_ (Note [normalize arithmetic] in src/ops/normalize.ts).
import type {KernelConfig, KernelFunc, TensorInfo, TypedArray} from '@tensorflow/tfjs-core';
import {Normalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeInputs} from '../../src/kernel_names.js';
import {channelAxis} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * x as float32 values with the sizes around its channel axis: `outer` runs before the channel
 * axis, `inner` after it (1 for channelsLast), so kernels loop outer, channel, inner without
 * per-element division.
 */
export function channelLoopOf(
    cpu: CpuBackend, x: TensorInfo, attrs: NormalizeAttrs):
    {values: TypedArray, outer: number, channels: number, inner: number} {
  const raw = valuesOf(cpu, x);
  // int32 images are converted to float32 first (Note [normalize ranks]).
  const values = x.dtype === 'float32' ? raw : Float32Array.from(raw as ArrayLike<number>);
  const axis = channelAxis(x.shape.length, attrs.dataFormat);
  const channels = x.shape[axis];
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return {values, outer, channels, inner};
}

export const normalize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as NormalizeInputs;
  const a = attrs as unknown as NormalizeAttrs;
  const cpu = backend as CpuBackend;
  const {values, outer, channels, inner} = channelLoopOf(cpu, x, a);
  const {mean, std} = a;
  const out = new Float32Array(values.length);
  let o = 0;
  if (inner === 1) {
    for (let n = 0; n < outer; n++) {
      for (let c = 0; c < channels; c++, o++) out[o] = Math.fround(values[o] - mean[c]) / std[c];
    }
  } else {
    for (let n = 0; n < outer; n++) {
      for (let c = 0; c < channels; c++) {
        const m = mean[c];
        const s = std[c];
        const end = o + inner;
        for (; o < end; o++) out[o] = Math.fround(values[o] - m) / s;
      }
    }
  }
  return output(cpu, x.shape.slice(), 'float32', out);
};

export const normalizeConfig: KernelConfig = {
  kernelName: Normalize,
  backendName: 'cpu',
  kernelFunc: normalize,
};
