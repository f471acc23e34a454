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
  /** The axis of P. */
  pAxis: number;
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
      {view: [v.n, v.p, g, k], axes: [1, 3], pAxis: 1, channelShape: [1, 1, g, k], paramAxes: [0, 1]} :
      {view: [v.n, g, k, v.p], axes: [2, 3], pAxis: 3, channelShape: [1, g, k, 1], paramAxes: [0, 3]};
}

/** The largest divisor of p that is at most sqrt(p). */
export function blockOf(p: number): number {
  for (let b = Math.floor(Math.sqrt(p)); b > 1; b--) {
    if (p % b === 0) return b;
  }
  return 1;
}

/**
 * The mean over the grouped view's statistics axes (kept dims), as a mean of block means.
 *
 * Note [group norm float32 statistics]
 * TensorFlow's Mean (and tfjs's on the GPUs) adds a float32 running sum along the reduced axis:
 * over a group of the SD VAE decoder's last stage (4 channels x 256 x 256) that is 262144 terms,
 * and the rounding error of the mean and variance reached 2e-4 relative, 1e-3 on the output
 * (PyTorch's own kernel adds in cascades and is exact to float32). Splitting the positions P
 * into P1 blocks of P2 (P2 the largest divisor of P up to sqrt(P)) and averaging the blocks'
 * means keeps every running sum at about sqrt(P) terms (equal blocks: the mean of the block means
 * is the mean). A P with no such divisor (a prime) is reduced in one go.
 */
function groupMean(xv: Tensor, gv: Grouped): Tensor {
  const pAxis = gv.pAxis;
  const p = gv.view[pAxis];
  const b = p >= 1024 ? blockOf(p) : 1;
  if (b === 1) return tf.mean(xv, gv.axes, true);
  const split = [...gv.view.slice(0, pAxis), p / b, b, ...gv.view.slice(pAxis + 1)];
  // The statistics axes after the split: the block axis (pAxis + 1) and K, shifted past it.
  const inner = gv.axes.map((a) => (a === pAxis ? pAxis + 1 : a > pAxis ? a + 1 : a));
  const blocks = tf.mean(tf.reshape(xv, split), inner, true);
  const kept = gv.view.map((d, i) => (gv.axes.includes(i) ? 1 : d));
  return tf.reshape(tf.mean(blocks, pAxis, true), kept);
}

/** mean and biased variance (kept dims) of the grouped view (Note [group norm float32 statistics]). */
function moments(xv: Tensor, gv: Grouped): {mean: Tensor, variance: Tensor} {
  const mean = groupMean(xv, gv);
  return {mean, variance: groupMean(tf.squaredDifference(xv, mean), gv)};
}

/** mean, rstd (kept dims) and xhat of x on the grouped view. */
function statistics(x: Tensor, gv: Grouped, eps: number): {xhat: Tensor, rstd: Tensor} {
  const xv = tf.reshape(x, gv.view);
  const {mean, variance} = moments(xv, gv);
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
  const {mean, variance} = moments(xv, gv);
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
