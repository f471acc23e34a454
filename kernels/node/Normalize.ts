// tensorflow-backend kernel of normalize: (x - mean[c]) / std[c] as two native ops, Sub then
// RealDiv, each rounded to float32 as torchvision's sub_ then div_ (Note [normalize
// arithmetic] in src/ops/normalize.ts); no fused multiply by 1 / std.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Normalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeInputs} from '../../src/kernel_names.js';
import {normalizeOperands} from './normalize_common.js';

export const normalize: KernelFunc = ({inputs, attrs}) => {
  const {x} = inputs as NormalizeInputs;
  return tf.tidy(() => {
    const {t, mean, std} = normalizeOperands(x, attrs as unknown as NormalizeAttrs);
    return tf.div(tf.sub(t, mean), std);
  });
};

export const normalizeConfig: KernelConfig = {
  kernelName: Normalize,
  backendName: 'tensorflow',
  kernelFunc: normalize,
};
