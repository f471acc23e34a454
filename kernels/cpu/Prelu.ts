// cpu kernel of PReLU: y = x > 0 ? x : weight[c] * x, one loop (Note [PReLU at Infinity] in
// src/layers/prelu.ts): NaN fails x > 0 and gives weight * NaN = NaN, +Infinity is kept,
// -Infinity gives weight * -Infinity.
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {Prelu} from '../../src/kernel_names.js';
import type {PreluAttrs, PreluInputs} from '../../src/kernel_names.js';
import {channelAxis, sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * Compute core of Prelu (exported through shared.ts): out[i] = x[i] > 0 ? x[i] : w[c] * x[i] for
 * x of `shape`, c the channel of i (0 for a single weight). out has x's size.
 */
export function preluImplCPU(
    x: TypedArray, shape: readonly number[], weight: TypedArray, attrs: PreluAttrs,
    out: TypedArray): void {
  const n = x.length;
  const channels = weight.length;
  if (channels === 1) {
    const a = weight[0];
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = v > 0 ? v : a * v;
    }
    return;
  }
  const axis = channelAxis(shape.length, attrs.dataFormat);
  const inner = sizeOf(shape.slice(axis + 1));
  let i = 0;
  while (i < n) {
    for (let c = 0; c < channels; c++) {
      const a = weight[c];
      for (const end = i + inner; i < end; i++) {
        const v = x[i];
        out[i] = v > 0 ? v : a * v;
      }
    }
  }
}

export const prelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight} = inputs as PreluInputs;
  const cpu = backend as CpuBackend;
  const out = new Float32Array(sizeOf(x.shape));
  preluImplCPU(valuesOf(cpu, x), x.shape, valuesOf(cpu, weight), attrs as unknown as PreluAttrs, out);
  return output(cpu, x.shape.slice(), 'float32', out);
};

export const preluConfig: KernelConfig = {kernelName: Prelu, backendName: 'cpu', kernelFunc: prelu};
