// cpu kernel of denormalize: x * std[c] + mean[c] in two rounded float32 steps, as PyTorch's
// `x * std + mean` (Note [normalize arithmetic] in src/ops/normalize.ts).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Denormalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeInputs} from '../../src/kernel_names.js';
import {channelLoopOf} from './Normalize.js';
import {output} from './util.js';
import type {CpuBackend} from './util.js';

export const denormalize: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as NormalizeInputs;
  const a = attrs as unknown as NormalizeAttrs;
  const cpu = backend as CpuBackend;
  const {values, outer, channels, inner} = channelLoopOf(cpu, x, a);
  const {mean, std} = a;
  const out = new Float32Array(values.length);
  let o = 0;
  if (inner === 1) {
    for (let n = 0; n < outer; n++) {
      for (let c = 0; c < channels; c++, o++) out[o] = Math.fround(values[o] * std[c]) + mean[c];
    }
  } else {
    for (let n = 0; n < outer; n++) {
      for (let c = 0; c < channels; c++) {
        const m = mean[c];
        const s = std[c];
        const end = o + inner;
        for (; o < end; o++) out[o] = Math.fround(values[o] * s) + m;
      }
    }
  }
  return output(cpu, x.shape.slice(), 'float32', out);
};

export const denormalizeConfig: KernelConfig = {
  kernelName: Denormalize,
  backendName: 'cpu',
  kernelFunc: denormalize,
};
