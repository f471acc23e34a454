// tensorflow-backend kernel of pixelUnshuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W), the
// inverse of pixelShuffle (Note [pixel shuffle channel order] in
// src/index_math/pixel_shuffle.ts): one native Transpose between two free reshapes, the
// inverse permutation of PixelShuffle.ts's.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {geometryFromSpatial, pixelUnshuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import {PixelUnshuffle} from '../../src/kernel_names.js';
import type {PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {asTensor, sizeOf} from './util.js';

export const pixelUnshuffle: KernelFunc = ({inputs, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {downscaleFactor: r, dataFormat} = attrs as unknown as PixelUnshuffleAttrs;
  const {batch, channels: C, height: H, width: W} = geometryFromSpatial(x.shape, r, dataFormat);
  const outShape = pixelUnshuffleOutputShape(x.shape, r, dataFormat);
  // An empty input has an empty output, made here: TensorFlow takes the sizes of its reshapes
  // as int32, which a huge factor's sizes pass (the op refuses only sizes a double cannot hold).
  if (sizeOf(x.shape) === 0) return tf.zeros(outShape, x.dtype);
  return tf.tidy(() => {
    const t = asTensor(x);
    // Spatial rows h*r + i and columns w*r + j as axes (h, i) and (w, j); packed channel
    // c*r*r + i*r + j is then the merge of axes (c, i, j).
    const split = dataFormat === 'channelsFirst' ? [batch, C, H, r, W, r] : [batch, H, r, W, r, C];
    // One permutation for both layouts, as in PixelShuffle.ts.
    return tf.reshape(tf.transpose(tf.reshape(t, split), [0, 1, 3, 5, 2, 4]), outShape);
  });
};

export const pixelUnshuffleConfig: KernelConfig = {
  kernelName: PixelUnshuffle,
  backendName: 'tensorflow',
  kernelFunc: pixelUnshuffle,
};
