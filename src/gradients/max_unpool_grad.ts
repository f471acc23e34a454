// Gradients of max unpooling and of its gradient kernel (see max_pool_grad.ts for why the two
// gradient kernels are each other's gradient).
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap} from '@tensorflow/tfjs-core';
import {MaxUnpool, MaxUnpoolGrad} from '../kernel_names.js';
import type {MaxUnpoolAttrs, MaxUnpoolGradAttrs} from '../kernel_names.js';
import {layoutOf} from '../util/layout.js';
import {gatherAtIndices, noGradient, scatterAddAtIndices} from './max_pool_grad.js';

export const maxUnpoolGradConfig: GradConfig = {
  kernelName: MaxUnpool,
  inputsToSave: ['indices'],
  gradFunc: (dy: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [indices] = saved;
    const {dataFormat} = attrs as unknown as MaxUnpoolAttrs;
    const d = Array.isArray(dy) ? dy[0] : dy;
    // PyTorch: each input element gets dy at its index, duplicates included.
    return {x: () => gatherAtIndices(d, indices, dataFormat), indices: () => noGradient(indices)};
  },
};

export const maxUnpoolGradGradConfig: GradConfig = {
  kernelName: MaxUnpoolGrad,
  inputsToSave: ['dy', 'indices'],
  gradFunc: (ddx: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [dy, indices] = saved;
    const {dataFormat} = attrs as unknown as MaxUnpoolGradAttrs;
    const d = Array.isArray(ddx) ? ddx[0] : ddx;
    const outSize = layoutOf(dy.shape, dataFormat).spatial;
    return {
      dy: () => scatterAddAtIndices(d, indices, outSize, dataFormat),
      indices: () => noGradient(indices),
    };
  },
};
