// Gradients of max pooling with indices, and of its gradient kernel. Written with kernels run
// through the engine, so they work on any backend that has MaxPoolWithIndicesGrad and
// MaxUnpoolGrad.
//
// The two gradient kernels are each other's gradient: scattering dy into the input plane at
// indices (adding where windows overlap) is linear in dy, and its adjoint gathers at the same
// indices. That gives second-order gradients of maxPool and maxUnpool for free.
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap} from '@tensorflow/tfjs-core';
import {asAttrs, FiniteMaxPool, MaxPoolWithIndices, MaxPoolWithIndicesGrad, MaxUnpoolGrad} from '../kernel_names.js';
import type {DataFormat, FiniteMaxPoolAttrs, MaxPoolWithIndicesAttrs, MaxPoolWithIndicesGradAttrs, MaxUnpoolGradAttrs} from '../kernel_names.js';
import {layoutOf} from '../util/layout.js';

/**
 * dy (shape of the indices) added into a zero tensor whose planes have spatial size inSize, at
 * indices (flat plane offsets); an index outside the plane is dropped.
 */
export function scatterAddAtIndices(
    dy: tf.Tensor, indices: tf.Tensor, inSize: number[], dataFormat: DataFormat): tf.Tensor {
  const attrs: MaxPoolWithIndicesGradAttrs = {inSize, dataFormat};
  return tf.engine().runKernel(MaxPoolWithIndicesGrad, {dy, indices}, asAttrs(attrs)) as tf.Tensor;
}

/** y (planes of any spatial size) read at indices: a tensor of the indices' shape. */
export function gatherAtIndices(y: tf.Tensor, indices: tf.Tensor, dataFormat: DataFormat): tf.Tensor {
  const attrs: MaxUnpoolGradAttrs = {dataFormat};
  return tf.engine().runKernel(MaxUnpoolGrad, {dy: y, indices}, asAttrs(attrs)) as tf.Tensor;
}

/** The indices output and integer inputs get no gradient; tfjs wants a float32 zero tensor. */
export function noGradient(t: tf.Tensor): tf.Tensor {
  return tf.zeros(t.shape, 'float32');
}

export const maxPoolWithIndicesGradConfig: GradConfig = {
  kernelName: MaxPoolWithIndices,
  // x is kept for its shape only; the indices output says where each max came from.
  inputsToSave: ['x'],
  outputsToSave: [false, true],
  gradFunc: (dy: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x, indices] = saved;
    const {dataFormat} = attrs as unknown as MaxPoolWithIndicesAttrs;
    // dy[1], for the int32 indices output, carries nothing.
    const dValues = Array.isArray(dy) ? dy[0] : dy;
    const inSize = layoutOf(x.shape, dataFormat).spatial;
    return {x: () => scatterAddAtIndices(dValues, indices, inSize, dataFormat)};
  },
};

/**
 * FiniteMaxPool's gradient is PyTorch's, not the backend pool's (whose tie rule is its own): dy
 * goes to the element the with-indices kernel picks (ties to the first max, Note [max and ties]),
 * computed from the saved x only when the gradient is asked for.
 */
export const finiteMaxPoolGradConfig: GradConfig = {
  kernelName: FiniteMaxPool,
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    const {kernelSize, stride, padding, dilation, ceilMode, dataFormat} =
        attrs as unknown as FiniteMaxPoolAttrs;
    const poolAttrs: MaxPoolWithIndicesAttrs = {kernelSize, stride, padding, dilation, ceilMode, dataFormat};
    const d = Array.isArray(dy) ? dy[0] : dy;
    return {
      x: () => {
        const [values, indices] =
            tf.engine().runKernel(MaxPoolWithIndices, {x}, asAttrs(poolAttrs)) as tf.Tensor[];
        values.dispose();
        const dx = scatterAddAtIndices(d, indices, layoutOf(x.shape, dataFormat).spatial, dataFormat);
        indices.dispose();
        return dx;
      },
    };
  },
};

export const maxPoolWithIndicesGradGradConfig: GradConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  inputsToSave: ['indices'],
  gradFunc: (ddx: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [indices] = saved;
    const {dataFormat} = attrs as unknown as MaxPoolWithIndicesGradAttrs;
    const d = Array.isArray(ddx) ? ddx[0] : ddx;
    return {
      dy: () => gatherAtIndices(d, indices, dataFormat),
      indices: () => noGradient(indices),
    };
  },
};
