// What normalize and denormalize share on the tensorflow backend: x as float32 and the
// per-channel constants shaped to broadcast along the dataFormat's channel axis.
import * as tf from '@tensorflow/tfjs-core';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {NormalizeAttrs} from '../../src/kernel_names.js';
import {asTensor} from './util.js';

/**
 * x converted to float32 (Note [normalize ranks] in src/ops/normalize.ts) and mean, std as
 * float32 tensors of shape [C] (channelsLast) or [C, 1, ...] (channelsFirst). Call inside tidy.
 */
export function normalizeOperands(x: TensorInfo, attrs: NormalizeAttrs):
    {t: tf.Tensor, mean: tf.Tensor, std: tf.Tensor} {
  const raw = asTensor(x);
  const t = raw.dtype === 'float32' ? raw : tf.cast(raw, 'float32');
  const rank = x.shape.length;
  const shape = attrs.dataFormat === 'channelsLast' ?
      [attrs.mean.length] :
      [attrs.mean.length, ...new Array<number>(rank - 2).fill(1)];
  return {t, mean: tf.tensor(attrs.mean, shape, 'float32'), std: tf.tensor(attrs.std, shape, 'float32')};
}
