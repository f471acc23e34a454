// cpu kernel of silu: one elementwise pass of PyTorch's x / (1 + exp(-x)) (Note [silu numerics]
// in src/ops/silu.ts).
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {Silu} from '../../src/kernel_names.js';
import type {SiluInputs} from '../../src/kernel_names.js';
import {sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/** Compute core of Silu (exported through shared.ts): out[i] = x[i] / (1 + exp(-x[i])). */
export function siluImplCPU(x: TypedArray, out: TypedArray): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = v / (1 + Math.exp(-v));
  }
}

export const silu: KernelFunc = ({inputs, backend}) => {
  const {x} = inputs as SiluInputs;
  const cpu = backend as CpuBackend;
  const out = new Float32Array(sizeOf(x.shape));
  siluImplCPU(valuesOf(cpu, x), out);
  return output(cpu, x.shape.slice(), 'float32', out);
};

export const siluConfig: KernelConfig = {kernelName: Silu, backendName: 'cpu', kernelFunc: silu};
