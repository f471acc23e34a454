// wasm kernel of gelu (Note [gelu numerics] in src/ops/gelu.ts):
// - 'tanh': the cpu compute core on views into the wasm heap (one pass; 0.85x the composed
//   tfjs ops in `npm run bench -- decoderOps`);
// - 'none': one WebAssembly SIMD pass over the heap (geluErf, kernels/wasm/simd_math.ts; Note
//   [gelu on wasm] there); where the loops cannot run, tfjs-backend-wasm's own kernels (Mul, Erf,
//   Add: SIMD, three passes), which beat the JavaScript erf loop by about 2.5x on [1,64,64,256].
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {Gelu} from '../../src/kernel_names.js';
import type {GeluAttrs, GeluInputs} from '../../src/kernel_names.js';
import {geluImplCPU} from '../cpu/shared.js';
import {simdMath} from './simd_math.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const gelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as GeluInputs;
  const a = attrs as unknown as GeluAttrs;
  if (a.approximate === 'none') {
    const loops = simdMath(backend as WasmBackend);
    if (loops != null) {
      return runOnHeap(backend as WasmBackend, [x], [{shape: x.shape.slice(), dtype: 'float32'}],
                       ([xv], [yv]) => loops.geluErf(xv.byteOffset, yv.byteOffset, xv.length))[0];
    }
    const t = x instanceof tf.Tensor ? x : tf.engine().makeTensorFromTensorInfo(x);
    return tf.tidy(() => tf.mul(tf.mul(t, 0.5), tf.add(1, tf.erf(tf.mul(t, Math.SQRT1_2))))) as TensorInfo;
  }
  return runOnHeap(backend as WasmBackend, [x], [{shape: x.shape.slice(), dtype: 'float32'}],
                   ([xv], [yv]) => geluImplCPU(xv, a, yv))[0];
};

export const geluConfig: KernelConfig = {kernelName: Gelu, backendName: 'wasm', kernelFunc: gelu};
