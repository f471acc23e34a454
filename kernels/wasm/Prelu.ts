// wasm kernel of PReLU (Note [PReLU at Infinity] in src/layers/prelu.ts):
// - one weight, or one per channel on the last axis, up to rank 4: tfjs-backend-wasm's own
//   Prelu (XNNPACK: x < 0 ? alpha * x : x, PyTorch's values, Infinity and NaN included), its
//   alpha broadcast along the last axis;
// - otherwise (channels first, rank 5): the cpu compute core on views into the wasm heap.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {Prelu} from '../../src/kernel_names.js';
import type {PreluAttrs, PreluInputs} from '../../src/kernel_names.js';
import {channelAxis} from '../../src/util/layout.js';
import {preluImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const prelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight} = inputs as PreluInputs;
  const a = attrs as unknown as PreluAttrs;
  const rank = x.shape.length;
  const c = weight.shape[0];
  if (rank <= 4 && (c === 1 || channelAxis(rank, a.dataFormat) === rank - 1)) {
    const t = x instanceof tf.Tensor ? x : tf.engine().makeTensorFromTensorInfo(x);
    const w = weight instanceof tf.Tensor ? weight : tf.engine().makeTensorFromTensorInfo(weight);
    return tf.tidy(() => tf.prelu(t, c === 1 ? tf.reshape(w, []) : tf.reshape(w, [...new Array<number>(rank - 1).fill(1), c]))) as TensorInfo;
  }
  return runOnHeap(backend as WasmBackend, [x, weight], [{shape: x.shape.slice(), dtype: 'float32'}],
                   ([xv, wv], [yv]) => preluImplCPU(xv, x.shape, wv, a, yv))[0];
};

export const preluConfig: KernelConfig = {kernelName: Prelu, backendName: 'wasm', kernelFunc: prelu};
