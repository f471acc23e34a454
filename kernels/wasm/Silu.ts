// wasm kernel of silu: tfjs-backend-wasm's Sigmoid and Mul (XNNPACK's SIMD kernels, two passes),
// x * sigmoid(x), which agrees with PyTorch's x / (1 + exp(-x)) at +-Infinity and NaN too (Note
// [silu numerics] in src/ops/silu.ts). The same ops the silu layer ran before it had a kernel, so
// wasm's time is unchanged; a one-pass SIMD loop is left for when it shows in a profile.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {Silu} from '../../src/kernel_names.js';
import type {SiluInputs} from '../../src/kernel_names.js';

export const silu: KernelFunc = ({inputs}) => {
  const {x} = inputs as SiluInputs;
  const t = x instanceof tf.Tensor ? x : tf.engine().makeTensorFromTensorInfo(x);
  return tf.tidy(() => tf.mul(t, tf.sigmoid(t))) as TensorInfo;
};

export const siluConfig: KernelConfig = {kernelName: Silu, backendName: 'wasm', kernelFunc: silu};
