// tensorflow kernel of TorchConv2d (Note [the conv route] in src/ops/conv2d.ts): tfjs-node's own
// FusedConv2D kernel with the padding explicit (Conv2D, then bias and activation as TensorFlow
// ops). A PReLU goes after it as the PReLU layer's two TensorFlow ops (Maximum(x, alpha * x),
// Note [PReLU on tensorflow]), not tfjs-node's Prelu (six ops, NaN at +Infinity).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {TorchConv2d} from '../../src/kernel_names.js';
import {preluForwardByMaximum} from '../../src/layers/prelu.js';
import {conv2dKernelArgs, fusedConv2dFallback} from '../../src/ops/conv2d.js';
import {asTensor} from './util.js';

export const conv2d: KernelFunc = ({inputs, backend, attrs}) => {
  const args = conv2dKernelArgs(inputs, attrs);
  if (args.activation !== 'prelu') return fusedConv2dFallback(backend, args);
  return tf.tidy(() => {
    const y = asTensor(fusedConv2dFallback(backend, {...args, activation: 'linear', preluWeights: null}));
    return preluForwardByMaximum(y, asTensor(args.preluWeights!), 0);
  });
};

export const conv2dConfig: KernelConfig = {
  kernelName: TorchConv2d,
  backendName: 'tensorflow',
  kernelFunc: conv2d,
};
