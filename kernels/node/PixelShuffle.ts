// tensorflow-backend kernels of pixelShuffle, (*, C*r*r, H, W) -> (*, C, H*r, W*r), and its
// inverse pixelUnshuffle, in PyTorch's channel order (Note [pixel shuffle channel order] in
// src/index_math/pixel_shuffle.ts): one function, the direction its argument.
//
// Composed, not TensorFlow's DepthToSpace / SpaceToDepth: those split the depth as (i, j, c),
// the channel fastest, while PyTorch's order is (c, i, j); they also run NHWC only on CPU.
// Splitting the packed channel axis into (C, r, r) (or the spatial axes into (H, r), (W, r))
// with a free reshape turns either direction into one native 6-D Transpose, the same single
// copy DepthToSpace makes, for either dataFormat.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {pixelShuffleCall} from '../../src/index_math/pixel_shuffle.js';
import type {PixelShuffleDirection} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {sizeOf} from '../../src/util/layout.js';
import {asTensor} from './util.js';

/** The kernel function of PixelShuffle or PixelUnshuffle on the tensorflow backend. */
export function shuffleKernel(direction: PixelShuffleDirection): KernelFunc {
  return ({inputs, attrs}) => {
    const {x} = inputs as PixelShuffleInputs;
    const {factor: r, dataFormat, outShape, geometry} = pixelShuffleCall(
        direction, x.shape, attrs as unknown as PixelShuffleAttrs|PixelUnshuffleAttrs);
    // An empty input has an empty output, made here: TensorFlow takes the sizes of its reshapes
    // as int32, which a huge factor's sizes pass (the op refuses only sizes a double cannot hold).
    if (sizeOf(x.shape) === 0) return tf.zeros(outShape, x.dtype);
    const {batch, channels: C, height: H, width: W} = geometry;
    const first = dataFormat === 'channelsFirst';
    let split: number[];
    let perm: number[];
    if (direction === 'shuffle') {
      // Packed channel k = c*r*r + i*r + j read as the three axes (c, i, j); the output wants
      // (c, h, i, w, j) (channelsFirst) or (h, i, w, j, c) (channelsLast), h*r + i and w*r + j
      // then merging by reshape. The same permutation serves both layouts: axes 1..5 are
      // (c, i, j, h, w) or (h, w, c, i, j), and the wanted orders pick them alike.
      split = first ? [batch, C, r, r, H, W] : [batch, H, W, C, r, r];
      perm = [0, 1, 4, 2, 5, 3];
    } else {
      // Spatial rows h*r + i and columns w*r + j as axes (h, i) and (w, j); packed channel
      // c*r*r + i*r + j is then the merge of axes (c, i, j): the inverse permutation.
      split = first ? [batch, C, H, r, W, r] : [batch, H, r, W, r, C];
      perm = [0, 1, 3, 5, 2, 4];
    }
    return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(asTensor(x), split), perm), outShape));
  };
}

export const pixelShuffle = shuffleKernel('shuffle');

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'tensorflow',
  kernelFunc: pixelShuffle,
};
