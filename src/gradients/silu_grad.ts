// Gradient of silu with respect to x, with tfjs ops, as PyTorch's silu_backward:
//   dy * s * (1 + x * (1 - s)),  s = sigmoid(x)
// (NaN at x = +-Infinity: Infinity * 0 in the inner product, as PyTorch gives.)
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, Tensor} from '@tensorflow/tfjs-core';
import {Silu} from '../kernel_names.js';

export const siluGradConfig: GradConfig = {
  kernelName: Silu,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor|Tensor[], saved: Tensor[]) => {
    const [x] = saved;
    return {
      x: () => {
        const s = tf.sigmoid(x);
        return tf.mul(dy as Tensor, tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s)))));
      },
    };
  },
};
