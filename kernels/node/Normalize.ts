// tensorflow-backend kernels of normalize and denormalize: one function, the direction its
// argument. normalize is (x - mean[c]) / std[c] as two native ops, Sub then RealDiv, each
// rounded to float32 as torchvision's sub_ then div_ (no fused multiply by 1 / std);
// denormalize is x * std[c] + mean[c] as Mul then AddV2, each rounded (no fused multiply-add;
// Note [normalize arithmetic] in src/ops/normalize.ts).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Normalize} from '../../src/kernel_names.js';
import type {NormalizeAttrs, NormalizeDirection, NormalizeInputs} from '../../src/kernel_names.js';
import {normalizeOperands} from './normalize_common.js';

/** The kernel function of Normalize or Denormalize on the tensorflow backend. */
export function channelMapKernel(direction: NormalizeDirection): KernelFunc {
  return ({inputs, attrs}) => {
    const {x} = inputs as NormalizeInputs;
    return tf.tidy(() => {
      const {t, mean, std} = normalizeOperands(x, attrs as unknown as NormalizeAttrs);
      return direction === 'normalize' ? tf.div(tf.sub(t, mean), std) :
                                         tf.add(tf.mul(t, std), mean);
    });
  };
}

export const normalize = channelMapKernel('normalize');

export const normalizeConfig: KernelConfig = {
  kernelName: Normalize,
  backendName: 'tensorflow',
  kernelFunc: normalize,
};
