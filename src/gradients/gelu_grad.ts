// Gradient of gelu with respect to x, with tfjs ops (PyTorch's GeluBackward):
//   'none': Phi(x) + x * phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
//   'tanh': 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2), t = tanh(k (x + 0.044715 x^3))
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';
import {Gelu} from '../kernel_names.js';
import type {GeluAttrs} from '../kernel_names.js';
import {GELU_TANH_K} from '../ops/gelu.js';

export const geluGradConfig: GradConfig = {
  kernelName: Gelu,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor|Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    const g = dy as Tensor;
    return {
      x: () => {
        if ((attrs as unknown as GeluAttrs).approximate === 'tanh') {
          const x2 = tf.square(x);
          const t = tf.tanh(tf.mul(GELU_TANH_K, tf.add(x, tf.mul(0.044715, tf.mul(x2, x)))));
          const left = tf.mul(0.5, tf.add(1, t));
          const right = tf.mul(tf.mul(tf.mul(0.5, x), tf.sub(1, tf.square(t))),
                               tf.mul(GELU_TANH_K, tf.add(1, tf.mul(3 * 0.044715, x2))));
          return tf.mul(g, tf.add(left, right));
        }
        const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
        const pdf = tf.mul(1 / Math.sqrt(2 * Math.PI), tf.exp(tf.mul(-0.5, tf.square(x))));
        return tf.mul(g, tf.add(cdf, tf.mul(x, pdf)));
      },
    };
  },
};
