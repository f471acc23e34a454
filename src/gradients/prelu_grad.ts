// Gradient of PReLU (the TorchPrelu kernel, and the layer's composed paths in
// src/layers/prelu.ts): PyTorch's backward formula,
//   dx = x > 0 ? dy : w * dy,   dw = the sum of (x > 0 ? 0 : x * dy) over every axis but w's.
// At x = 0: w for x, 0 for w. NaN x: w * dy for x, NaN for w. Infinite x: no NaN from
// 0 * Infinity (a select, not a product with a 0/1 mask).
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';
import {Prelu} from '../kernel_names.js';
import type {PreluAttrs} from '../kernel_names.js';
import {channelAxis} from '../util/layout.js';

/**
 * x, dy and w seen at rank <= 3 ([n, c, rest] channels first, [rest, c] channels last, [all]
 * for one weight; tfjs 4.22's Where fails above rank 4 on webgl and webgpu), with the axes to
 * sum for dw. trailing: the axes after the weight's channel axis (channels first), 0 for a
 * last-axis or single weight.
 */
function preluView(x: Tensor, w: Tensor, trailing: number):
    {view: number[], wv: Tensor, axes: number[]} {
  const c = w.size;
  if (c === 1) return {view: [x.size], wv: tf.reshape(w, []), axes: [0]};
  if (trailing === 0) return {view: [-1, c], wv: w, axes: [0]};
  return {view: [x.shape[0], c, -1], wv: tf.reshape(w, [c, 1]), axes: [0, 2]};
}

/** dx of PReLU (see the file comment). */
export function preluBackwardX(dy: Tensor, x: Tensor, w: Tensor, trailing: number): Tensor {
  return tf.tidy(() => {
    const {view, wv} = preluView(x, w, trailing);
    const dyv = tf.reshape(dy, view);
    const dx = tf.where(tf.greater(tf.reshape(x, view), 0), dyv, tf.mul(dyv, wv));
    return tf.reshape(dx, x.shape);
  });
}

/** dw of PReLU (see the file comment). */
export function preluBackwardWeight(dy: Tensor, x: Tensor, w: Tensor, trailing: number): Tensor {
  return tf.tidy(() => {
    const {view, axes} = preluView(x, w, trailing);
    const xv = tf.reshape(x, view);
    const terms = tf.where(tf.greater(xv, 0), tf.zerosLike(xv), tf.mul(xv, tf.reshape(dy, view)));
    return tf.reshape(tf.sum(terms, axes), w.shape);
  });
}

/** The trailing count of preluView for TorchPrelu's attributes. */
export function preluTrailing(rank: number, channels: number, attrs: PreluAttrs): number {
  const axis = channelAxis(rank, attrs.dataFormat);
  return channels === 1 || axis === rank - 1 ? 0 : rank - 1 - axis;
}

export const preluGradConfig: GradConfig = {
  kernelName: Prelu,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy: Tensor|Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x, w] = saved;
    const g = dy as Tensor;
    const trailing = preluTrailing(x.rank, w.size, attrs as unknown as PreluAttrs);
    return {
      x: () => preluBackwardX(g, x, w, trailing),
      weight: () => preluBackwardWeight(g, x, w, trailing),
    };
  },
};
