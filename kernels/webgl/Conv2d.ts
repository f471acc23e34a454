// webgl kernel of TorchConv2d (Note [the conv route] in src/ops/conv2d.ts): tfjs's own webgl
// FusedConv2D kernel with the padding explicit. A PReLU or LeakyReLU goes after it as the
// TorchPrelu kernel (one more pass): tfjs's packed webgl activations blend both branches
// (mask * (alpha * x) + (1 - mask) * x), so +-Infinity comes out NaN where PyTorch keeps it
// (Note [PReLU at Infinity] in src/layers/prelu.ts).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {asAttrs, Prelu, TorchConv2d} from '../../src/kernel_names.js';
import type {PreluAttrs} from '../../src/kernel_names.js';
import {conv2dKernelArgs, fusedConv2dFallback} from '../../src/ops/conv2d.js';
import {kernelInput} from '../../src/ops/grouped_conv.js';

export const conv2d: KernelFunc = ({inputs, backend, attrs}) => {
  const args = conv2dKernelArgs(inputs, attrs);
  if (args.activation !== 'prelu' && args.activation !== 'leakyrelu') {
    return fusedConv2dFallback(backend, args);
  }
  return tf.tidy(() => {
    const y = kernelInput(fusedConv2dFallback(backend, {...args, activation: 'linear', preluWeights: null}));
    const cout = args.filter.shape[3];
    const weight = args.activation === 'prelu' ? kernelInput(args.preluWeights!) :
                                                 tf.fill([cout], args.leakyreluAlpha);
    return tf.engine().runKernel(Prelu, {x: y, weight},
                                 asAttrs<PreluAttrs>({dataFormat: 'channelsLast'})) as tf.Tensor;
  });
};

export const conv2dConfig: KernelConfig = {
  kernelName: TorchConv2d,
  backendName: 'webgl',
  kernelFunc: conv2d,
};
