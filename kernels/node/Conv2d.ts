// tensorflow kernel of TorchConv2d (Note [the conv route] in src/ops/conv2d.ts): the convolution
// and its bias as one TensorFlow op where oneDNN's is there and faster, else Conv2D + BiasAdd
// (Note [conv and bias in one TensorFlow op] in conv_bias.ts), then the activation as TensorFlow
// ops: Relu, LeakyRelu, and a PReLU as the PReLU layer's two ops (Maximum(x, alpha * x), Note
// [PReLU on tensorflow]), not tfjs-node's Prelu (six ops, NaN at +Infinity).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, Tensor} from '@tensorflow/tfjs-core';
import {TorchConv2d} from '../../src/kernel_names.js';
import {preluForwardByMaximum} from '../../src/layers/prelu.js';
import {conv2dKernelArgs} from '../../src/ops/conv2d.js';
import {conv2dWithBias} from './conv_bias.js';
import {asTensor} from './util.js';

export const conv2d: KernelFunc = ({inputs, backend, attrs}) => {
  const args = conv2dKernelArgs(inputs, attrs);
  const [top, bottom, left, right] = args.pad;
  const explicit = top !== 0 || bottom !== 0 || left !== 0 || right !== 0;
  return tf.tidy(() => {
    const y: Tensor = conv2dWithBias(backend, asTensor(args.x), args.filter, args.bias, {
      strides: args.strides, dilations: args.dilations, padding: explicit ? 'EXPLICIT' : 'VALID',
      explicit: args.pad,
    });
    switch (args.activation) {
      case 'relu': return tf.relu(y);
      case 'leakyrelu': return tf.leakyRelu(y, args.leakyreluAlpha);
      case 'prelu': return preluForwardByMaximum(y, asTensor(args.preluWeights!), 0);
      default: return y;
    }
  });
};

export const conv2dConfig: KernelConfig = {
  kernelName: TorchConv2d,
  backendName: 'tensorflow',
  kernelFunc: conv2d,
};
