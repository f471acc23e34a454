// tensorflow-backend kernel of gelu on TensorFlow's own ops (its Erf for the exact form, Tanh
// for the approximation; Note [gelu numerics] in src/ops/gelu.ts).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {Gelu} from '../../src/kernel_names.js';
import type {GeluAttrs, GeluInputs} from '../../src/kernel_names.js';
import {GELU_TANH_K} from '../../src/ops/gelu.js';
import {asTensor} from './util.js';

export const gelu: KernelFunc = ({inputs, attrs}) => {
  const {x} = inputs as GeluInputs;
  const t = asTensor(x);
  return tf.tidy(() => {
    const half = tf.mul(t, 0.5);
    if ((attrs as unknown as GeluAttrs).approximate === 'tanh') {
      const inner = tf.mul(GELU_TANH_K, tf.add(t, tf.mul(0.044715, tf.mul(tf.square(t), t))));
      return tf.mul(half, tf.add(1, tf.tanh(inner)));
    }
    return tf.mul(half, tf.add(1, tf.erf(tf.mul(t, Math.SQRT1_2))));
  }) as TensorInfo;
};

export const geluConfig: KernelConfig = {kernelName: Gelu, backendName: 'tensorflow', kernelFunc: gelu};
