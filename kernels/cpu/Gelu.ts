// cpu kernel of gelu: one elementwise pass (Note [gelu numerics] in src/ops/gelu.ts).
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {Gelu} from '../../src/kernel_names.js';
import type {GeluAttrs, GeluInputs} from '../../src/kernel_names.js';
import {erfApprox, GELU_TANH_K} from '../../src/ops/gelu.js';
import {sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/** Compute core of Gelu (exported through shared.ts): out[i] = gelu(x[i]). */
export function geluImplCPU(x: TypedArray, attrs: GeluAttrs, out: TypedArray): void {
  const n = x.length;
  if (attrs.approximate === 'tanh') {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = 0.5 * v * (1 + Math.tanh(GELU_TANH_K * (v + 0.044715 * v * v * v)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = 0.5 * v * (1 + erfApprox(v * Math.SQRT1_2));
    }
  }
}

export const gelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as GeluInputs;
  const cpu = backend as CpuBackend;
  const out = new Float32Array(sizeOf(x.shape));
  geluImplCPU(valuesOf(cpu, x), attrs as unknown as GeluAttrs, out);
  return output(cpu, x.shape.slice(), 'float32', out);
};

export const geluConfig: KernelConfig = {kernelName: Gelu, backendName: 'cpu', kernelFunc: gelu};
