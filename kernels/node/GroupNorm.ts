// tensorflow-backend kernel of group norm (instance norm, layer norm) on TensorFlow's own ops:
// the [N, G, K, P] (or [N, P, G, K]) view, Mean and the mean of SquaredDifference for the
// statistics, then one multiply-add with the affine folded into per-(batch, channel) scale and
// shift (Note [group norm numerics] in src/ops/group_norm.ts).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {GroupNorm} from '../../src/kernel_names.js';
import type {GroupNormAttrs, GroupNormInputs} from '../../src/kernel_names.js';
import {groupNormComposed} from '../../src/gradients/group_norm_grad.js';
import {asTensor} from './util.js';

export const groupNorm: KernelFunc = ({inputs, attrs}) => {
  const {x, weight, bias} = inputs as GroupNormInputs;
  return tf.tidy(() => groupNormComposed(
      asTensor(x), weight == null ? null : asTensor(weight), bias == null ? null : asTensor(bias),
      attrs as unknown as GroupNormAttrs)) as TensorInfo;
};

export const groupNormConfig: KernelConfig = {
  kernelName: GroupNorm,
  backendName: 'tensorflow',
  kernelFunc: groupNorm,
};
