// Gradients of interpolate and of its gradient kernel, written with kernels run through the
// engine, so they work on any backend that has Interpolate and InterpolateGrad.
//
// interpolate is linear in x: along each axis y = T x with T the table of axisTable(). Its
// gradient is T^T dy (the InterpolateGrad kernel), and the gradient of that is T applied again
// (Interpolate with the same attributes), which gives second-order gradients for free.
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap} from '@tensorflow/tfjs-core';
import {backwardScales} from '../index_math/resize.js';
import {asAttrs, Interpolate, InterpolateGrad} from '../kernel_names.js';
import type {InterpolateAttrs} from '../kernel_names.js';

/**
 * The gradient of interpolate with attributes `attrs` (as the forward kernel got them) for the
 * upstream gradient dy: the transposed resampling, with the scales PyTorch's backward kernels
 * use (Note [backward scales]).
 */
export function interpolateBackward(dy: tf.Tensor, attrs: InterpolateAttrs): tf.Tensor {
  const gradAttrs: InterpolateAttrs = {
    ...attrs,
    scales: backwardScales(attrs.mode, attrs.antialias, attrs.inSize, attrs.outSize, attrs.scales),
  };
  return tf.engine().runKernel(InterpolateGrad, {dy}, asAttrs(gradAttrs)) as tf.Tensor;
}

export const interpolateGradConfig: GradConfig = {
  kernelName: Interpolate,
  gradFunc: (dy: tf.Tensor|tf.Tensor[], _saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const d = Array.isArray(dy) ? dy[0] : dy;
    return {x: () => interpolateBackward(d, attrs as unknown as InterpolateAttrs)};
  },
};

export const interpolateGradGradConfig: GradConfig = {
  kernelName: InterpolateGrad,
  gradFunc: (ddx: tf.Tensor|tf.Tensor[], _saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const d = Array.isArray(ddx) ? ddx[0] : ddx;
    // The attributes already hold the backward scales: the forward resampling with them is the
    // exact adjoint of this kernel.
    // ddx was never checked for Inf / NaN (InterpolateAttrs.finite).
    return {dy: () => tf.engine().runKernel(Interpolate, {x: d}, {...attrs, finite: false}) as tf.Tensor};
  },
};
