// tensorflow-backend kernel of denormalize: x * std[c] + mean[c] as two native ops, Mul then
// AddV2, each rounded to float32 (no fused multiply-add; Note [normalize arithmetic] in
// src/ops/normalize.ts).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Denormalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeInputs} from '../../src/kernel_names.js';
import {normalizeOperands} from './normalize_common.js';

export const denormalize: KernelFunc = ({inputs, attrs}) => {
  const {x} = inputs as NormalizeInputs;
  return tf.tidy(() => {
    const {t, mean, std} = normalizeOperands(x, attrs as unknown as NormalizeAttrs);
    return tf.add(tf.mul(t, std), mean);
  });
};

export const denormalizeConfig: KernelConfig = {
  kernelName: Denormalize,
  backendName: 'tensorflow',
  kernelFunc: denormalize,
};
