// gelu: F.gelu(x, approximate) as one elementwise kernel (TorchGelu) on every backend.
//
// Note [gelu numerics]
// approximate 'none': x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))). No backend has an erf
// builtin in its shader language, so every kernel uses the same rational approximation
// (Abramowitz and Stegun 7.1.26, |error| <= 1.5e-7 on erf; ERF_COEFFS below), written once here
// for JavaScript and spelled the same in GLSL and WGSL; tensorflow uses TensorFlow's own Erf, and
// wasm a rational approximation in one SIMD pass (Note [gelu on wasm] in kernels/wasm/simd_math.ts).
// approximate 'tanh': 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))), PyTorch's; the
// tanh argument is clamped to [-15, 15] in the shaders (tanh is +-1 in float32 there, and some
// GPU tanh builtins overflow beyond). Results are within the project's 1e-4 of PyTorch's.
import * as tf from '@tensorflow/tfjs-core';
import {asAttrs, Gelu} from '../kernel_names.js';
import type {GeluAttrs} from '../kernel_names.js';
import {checkOptionKeys, fail, show, toTensor} from '../util/args.js';

/** Abramowitz and Stegun 7.1.26: p, then a1..a5. */
export const ERF_COEFFS = [0.3275911, 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];

/** erf(v) by ERF_COEFFS (Note [gelu numerics]). */
export function erfApprox(v: number): number {
  const [p, a1, a2, a3, a4, a5] = ERF_COEFFS;
  const z = Math.abs(v);
  const t = 1 / (1 + p * z);
  const y = 1 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * Math.exp(-z * z);
  return v < 0 ? -y : y;
}

export const GELU_TANH_K = Math.sqrt(2 / Math.PI);

export interface GeluOptions {
  /** 'none' (default, exact erf form) or 'tanh', as F.gelu's approximate. */
  approximate?: 'none'|'tanh';
}

/** F.gelu(x, approximate): x * Phi(x) (Note [gelu numerics]). float32 in and out. */
export function gelu<T extends tf.Tensor>(x: T|tf.TensorLike, options?: GeluOptions): T {
  const op = 'gelu';
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op, 'float32');
    checkOptionKeys(op, options, ['approximate']);
    const approximate = options?.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh') {
      fail(op, `argument 'approximate' must be 'none' or 'tanh', got ${show(approximate)}`);
    }
    const attrs: GeluAttrs = {approximate};
    return tf.engine().runKernel(Gelu, {x: t}, asAttrs(attrs)) as T;
  });
}
