// tensorflow-backend kernel of pixelShuffle: (*, C*r*r, H, W) -> (*, C, H*r, W*r) in PyTorch's
// channel order (Note [pixel shuffle channel order] in src/index_math/pixel_shuffle.ts).
//
// Composed, not TensorFlow's DepthToSpace: DepthToSpace splits the depth as (i, j, c), the
// channel fastest, while PyTorch's order is (c, i, j); it also runs NHWC only on CPU. Splitting
// the packed channel axis into (C, r, r) with a free reshape turns the shuffle into one native
// 6-D Transpose, the same single copy DepthToSpace makes, for either dataFormat.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {geometryFromPacked, pixelShuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs} from '../../src/kernel_names.js';
import {asTensor, sizeOf} from './util.js';

export const pixelShuffle: KernelFunc = ({inputs, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {upscaleFactor: r, dataFormat} = attrs as unknown as PixelShuffleAttrs;
  const {batch, channels: C, height: H, width: W} = geometryFromPacked(x.shape, r, dataFormat);
  const outShape = pixelShuffleOutputShape(x.shape, r, dataFormat);
  // An empty input has an empty output, made here: TensorFlow takes the sizes of its reshapes
  // as int32, which a huge factor's sizes pass (the op refuses only sizes a double cannot hold).
  if (sizeOf(x.shape) === 0) return tf.zeros(outShape, x.dtype);
  return tf.tidy(() => {
    const t = asTensor(x);
    // Packed channel k = c*r*r + i*r + j read as the three axes (c, i, j); the output wants
    // (c, h, i, w, j) (channelsFirst) or (h, i, w, j, c) (channelsLast), h*r + i and w*r + j
    // then merging by reshape.
    const split = dataFormat === 'channelsFirst' ? [batch, C, r, r, H, W] : [batch, H, W, C, r, r];
    // The same permutation serves both layouts: axes 1..5 are (c, i, j, h, w) or
    // (h, w, c, i, j), and the wanted orders pick them alike.
    return tf.reshape(tf.transpose(tf.reshape(t, split), [0, 1, 4, 2, 5, 3]), outShape);
  });
};

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'tensorflow',
  kernelFunc: pixelShuffle,
};
