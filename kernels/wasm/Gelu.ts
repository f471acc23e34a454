// wasm kernel of gelu (Note [gelu numerics] in src/ops/gelu.ts):
// - 'tanh': the cpu compute core on views into the wasm heap (one pass; 0.85x the composed
//   tfjs ops in `npm run bench -- decoderOps`);
// - 'none': tfjs-backend-wasm's own kernels (Mul, Erf, Add: SIMD), which beat the JavaScript
//   erf loop by about 2.5x on [1,64,64,256] although they make three passes.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {Gelu} from '../../src/kernel_names.js';
import type {GeluAttrs, GeluInputs} from '../../src/kernel_names.js';
import {geluImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const gelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as GeluInputs;
  const a = attrs as unknown as GeluAttrs;
  if (a.approximate === 'none') {
    const t = x instanceof tf.Tensor ? x : tf.engine().makeTensorFromTensorInfo(x);
    return tf.tidy(() => tf.mul(tf.mul(t, 0.5), tf.add(1, tf.erf(tf.mul(t, Math.SQRT1_2))))) as TensorInfo;
  }
  return runOnHeap(backend as WasmBackend, [x], [{shape: x.shape.slice(), dtype: 'float32'}],
                   ([xv], [yv]) => geluImplCPU(xv, a, yv))[0];
};

export const geluConfig: KernelConfig = {kernelName: Gelu, backendName: 'wasm', kernelFunc: gelu};
