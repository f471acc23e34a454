// Gradient of group norm (instance norm, layer norm) with respect to x, weight and bias, written
// with tfjs ops on the [N, G, K, P] view ([N, P, G, K] channels last), with xhat = (x - mean) *
// rstd over each (batch, group):
//   dbias[c] = sum dy,  dweight[c] = sum dy * xhat          (over batch and positions)
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * weight[c]  (means per group)
// which is what PyTorch's autograd of group_norm gives. The statistics are recomputed from x.
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';
import {normView} from '../index_math/norm.js';
import {GroupNorm} from '../kernel_names.js';
import type {GroupNormAttrs} from '../kernel_names.js';

interface Grouped {
  /** x viewed [N, G, K, P] or [N, P, G, K]. */
  view: number[];
  /** Axes of the statistics' reduction (K and P), kept. */
  axes: number[];
  /** Shape of a per-channel vector broadcast over the view. */
  channelShape: number[];
  /** Axes summed for the weight / bias gradient (N and P). */
  paramAxes: number[];
}

function grouped(shape: readonly number[], attrs: GroupNormAttrs): Grouped {
  const v = normView(shape, attrs.dataFormat, attrs.trailing);
  const g = attrs.numGroups;
  const k = v.c / g;
  return v.channelsLast ?
      {view: [v.n, v.p, g, k], axes: [1, 3], channelShape: [1, 1, g, k], paramAxes: [0, 1]} :
      {view: [v.n, g, k, v.p], axes: [2, 3], channelShape: [1, g, k, 1], paramAxes: [0, 3]};
}

/** mean, rstd (kept dims) and xhat of x on the grouped view. */
function statistics(x: Tensor, gv: Grouped, eps: number): {xhat: Tensor, rstd: Tensor} {
  const xv = tf.reshape(x, gv.view);
  const mean = tf.mean(xv, gv.axes, true);
  const variance = tf.mean(tf.squaredDifference(xv, mean), gv.axes, true);
  const rstd = tf.rsqrt(tf.add(variance, eps));
  return {xhat: tf.mul(tf.sub(xv, mean), rstd), rstd};
}

/**
 * Group norm of x with tfjs ops (the tensorflow kernel's body: there each op is one native
 * TensorFlow op). Call inside tidy.
 */
export function groupNormComposed(
    x: Tensor, weight: Tensor|null, bias: Tensor|null, attrs: GroupNormAttrs): Tensor {
  const gv = grouped(x.shape, attrs);
  const xv = tf.reshape(x, gv.view);
  const mean = tf.mean(xv, gv.axes, true);
  const variance = tf.mean(tf.squaredDifference(xv, mean), gv.axes, true);
  const rstd = tf.rsqrt(tf.add(variance, attrs.eps));
  // Folded affine: y = x * a + s, a = rstd * w, s = b - mean * a (per batch and channel).
  const a = weight == null ? rstd : tf.mul(rstd, tf.reshape(weight, gv.channelShape));
  const shift = tf.neg(tf.mul(mean, a));
  const s = bias == null ? shift : tf.add(shift, tf.reshape(bias, gv.channelShape));
  return tf.reshape(tf.add(tf.mul(xv, a), s), x.shape);
}

export const groupNormGradConfig: GradConfig = {
  kernelName: GroupNorm,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy: Tensor|Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const a = attrs as unknown as GroupNormAttrs;
    const [x, weight] = saved;
    const gv = grouped(x.shape, a);
    const dyv = () => tf.reshape(dy as Tensor, gv.view);
    // Parameter gradients come back in the parameters' own shapes ([C], or normalizedShape).
    const paramShape = weight.shape;
    return {
      x: () => {
        const {xhat, rstd} = statistics(x, gv, a.eps);
        const g = tf.mul(dyv(), tf.reshape(weight, gv.channelShape));
        const meanG = tf.mean(g, gv.axes, true);
        const meanGX = tf.mean(tf.mul(g, xhat), gv.axes, true);
        const dx = tf.mul(rstd, tf.sub(tf.sub(g, meanG), tf.mul(xhat, meanGX)));
        return tf.reshape(dx, x.shape);
      },
      weight: () => {
        const {xhat} = statistics(x, gv, a.eps);
        return tf.reshape(tf.sum(tf.mul(dyv(), xhat), gv.paramAxes), paramShape);
      },
      bias: () => tf.reshape(tf.sum(dyv(), gv.paramAxes), paramShape),
    };
  },
};
