// pixelShuffle / pixelUnshuffle: PyTorch's torch.nn.functional.pixel_shuffle and
// pixel_unshuffle, with PyTorch's channel order (Note [pixel shuffle channel order]) and any
// number of leading batch dims (Note [pixel shuffle batch dims and dataFormat]), both in
// src/index_math/pixel_shuffle.ts.
import * as tf from '@tensorflow/tfjs-core';
import {pixelShuffleAxes, pixelShuffleOutputShape, pixelUnshuffleOutputShape} from '../index_math/pixel_shuffle.js';
import {asAttrs, PixelShuffle, PixelUnshuffle} from '../kernel_names.js';
import type {DataFormat, PixelShuffleAttrs, PixelUnshuffleAttrs} from '../kernel_names.js';
import {checkDataFormat, checkOptionKeys, fail, show, toTensor} from '../util/args.js';

export interface PixelShuffleOptions {
  /** 'channelsLast' (default): (*, H, W, C); 'channelsFirst': PyTorch's (*, C, H, W). */
  dataFormat?: DataFormat;
}

const AXIS_NAMES = ['channels', 'height', 'width'];

/** Checks x, the factor and the options; returns x as a tensor, its axes and dataFormat. */
function checkArgs(
    op: string, x: tf.Tensor|tf.TensorLike, factorName: string, factor: unknown,
    options: PixelShuffleOptions|undefined): {t: tf.Tensor, axes: number[], dataFormat: DataFormat} {
  const t = toTensor(x, 'x', op);
  checkOptionKeys(op, options, ['dataFormat']);
  const dataFormat = checkDataFormat(op, options?.dataFormat);
  if (typeof factor !== 'number' || !Number.isInteger(factor) || factor < 1) {
    fail(op, `argument '${factorName}' must be a positive integer, got ${show(factor)}`);
  }
  if (t.rank < 3) {
    const dims = dataFormat === 'channelsLast' ? '(..., H, W, C)' : '(..., C, H, W)';
    fail(op, `input x must have rank >= 3 ${dims} for dataFormat '${dataFormat}', got rank ${
        t.rank} with shape ${show(t.shape)}`);
  }
  return {t, axes: pixelShuffleAxes(t.rank, dataFormat), dataFormat};
}

/**
 * Refuses a factor that makes an output size a double cannot hold exactly (a product past 2^53
 * that rounds) or one past 2^63 - 1 (PyTorch's sizes are int64: it refuses such factors too):
 * `sizes` are the output dims that are products, `exact` their true values. Only an empty input
 * reaches such sizes (an output has as many values as its input); cpu and wasm would give a
 * rounded size there and TensorFlow (reshape sizes as int32) a wrapped one. Any other size,
 * however large, is kept: the output is empty and its shape is the rule's.
 */
const INT64_MAX = BigInt('9223372036854775807');

function checkExactSizes(
    op: string, factorName: string, factor: number, dims: number[], sizes: number[],
    exact: bigint[]): void {
  sizes.forEach((size, k) => {
    if (BigInt(size) !== exact[k] || exact[k] > INT64_MAX) {
      fail(op, `argument '${factorName}' (${factor}) makes output dim ${dims[k]} ${exact[k]}, ${
               exact[k] > INT64_MAX ? 'past int64 (PyTorch\'s sizes)' :
                                      'which a double cannot hold exactly'}`);
    }
  });
}

/**
 * Rearranges (*, C*r*r, H, W) into (*, C, H*r, W*r) (channelsFirst; channelsLast is
 * (*, H, W, C*r*r) -> (*, H*r, W*r, C)): input channel c*r*r + i*r + j goes to output channel c
 * at (h*r + i, w*r + j), as torch.nn.functional.pixel_shuffle. Not tf.depthToSpace's order.
 * float32 or int32; every dim before the last three is a batch dim.
 */
export function pixelShuffle<T extends tf.Tensor>(
    x: T|tf.TensorLike, upscaleFactor: number, options?: PixelShuffleOptions): T {
  const op = 'pixelShuffle';
  // tidy disposes the tensor made when x is an array, as tfjs's own ops do.
  return tf.tidy(op, () => {
    const {t, axes, dataFormat} = checkArgs(op, x, 'upscaleFactor', upscaleFactor, options);
    const rr = upscaleFactor * upscaleFactor;
    const channels = t.shape[axes[0]];
    if (channels % rr !== 0) {
      fail(op, `input x channels (size ${channels} on axis ${axes[0]} of shape ${
          show(t.shape)}) must be divisible by upscaleFactor^2 = ${rr}`);
    }
    const out = pixelShuffleOutputShape(t.shape, upscaleFactor, dataFormat);
    const r = BigInt(upscaleFactor);
    checkExactSizes(op, 'upscaleFactor', upscaleFactor, [axes[1], axes[2]],
                    [out[axes[1]], out[axes[2]]],
                    [BigInt(t.shape[axes[1]]) * r, BigInt(t.shape[axes[2]]) * r]);
    const attrs: PixelShuffleAttrs = {upscaleFactor, dataFormat};
    return tf.engine().runKernel(PixelShuffle, {x: t}, asAttrs(attrs)) as T;
  });
}

/**
 * The inverse of pixelShuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W) (channelsFirst; channelsLast
 * is (*, H*r, W*r, C) -> (*, H, W, C*r*r)), as torch.nn.functional.pixel_unshuffle.
 */
export function pixelUnshuffle<T extends tf.Tensor>(
    x: T|tf.TensorLike, downscaleFactor: number, options?: PixelShuffleOptions): T {
  const op = 'pixelUnshuffle';
  return tf.tidy(op, () => {
    const {t, axes, dataFormat} = checkArgs(op, x, 'downscaleFactor', downscaleFactor, options);
    for (const k of [1, 2]) {
      const size = t.shape[axes[k]];
      if (size % downscaleFactor !== 0) {
        fail(op, `input x ${AXIS_NAMES[k]} (size ${size} on axis ${axes[k]} of shape ${
            show(t.shape)}) must be divisible by downscaleFactor = ${downscaleFactor}`);
      }
    }
    const out = pixelUnshuffleOutputShape(t.shape, downscaleFactor, dataFormat);
    const r = BigInt(downscaleFactor);
    checkExactSizes(op, 'downscaleFactor', downscaleFactor, [axes[0]], [out[axes[0]]],
                    [BigInt(t.shape[axes[0]]) * r * r]);
    const attrs: PixelUnshuffleAttrs = {downscaleFactor, dataFormat};
    return tf.engine().runKernel(PixelUnshuffle, {x: t}, asAttrs(attrs)) as T;
  });
}
