// normalize / denormalize: torchvision's transforms.functional.normalize, per channel, and its
// exact inverse.
//
// Note [normalize arithmetic]
// torchvision converts mean and std to the tensor's dtype (float32) first, rejects a std that is
// zero after that conversion, then computes in place `x.sub_(mean).div_(std)`: two float32
// operations, each rounded. The kernels do the same two rounded steps (not one fused
// (x - mean) * (1 / std)), so the results equal PyTorch's bit for bit on cpu. denormalize is
// `x * std + mean`, again two rounded float32 steps (no fused multiply-add). A negative std is
// allowed, as in torchvision; tfjs-torch also rejects non-finite mean or std, which torchvision
// lets through as NaN/Inf outputs.
//
// Note [normalize ranks]
// The channel axis follows dataFormat like every op here: axis 1 for 'channelsFirst'
// (N, C, ...spatial), the last axis for 'channelsLast' (N, ...spatial, C). Ranks 2 to 5 are
// accepted: rank 2 is (N, C) features, ranks 3/4/5 have 1/2/3 spatial dims. torchvision instead
// takes (..., C, H, W) with channels third from last, so an unbatched (C, H, W) image must get a
// batch dim before normalize(..., {dataFormat: 'channelsFirst'}) (channelsLast (H, W, C) needs
// nothing: channels are last either way). int32 input is accepted (images from
// tf.browser.fromPixels) and converted to float32 first; the output is always float32.
import * as tf from '@tensorflow/tfjs-core';
import {asAttrs, Denormalize, Normalize} from '../kernel_names.js';
import type {DataFormat, NormalizeAttrs} from '../kernel_names.js';
import {channelAxis} from '../util/layout.js';
import {checkDataFormat, checkOptionKeys, fail, show, toTensor} from '../util/args.js';

export interface NormalizeOptions {
  /** 'channelsLast' (default): channels on the last axis; 'channelsFirst': on axis 1. */
  dataFormat?: DataFormat;
}

/** A per-channel statistic: one number for every channel, or one number per channel. */
export type ChannelValues = number|ArrayLike<number>;

/** mean or std as float32 values, one per channel (Note [normalize arithmetic]). */
function perChannel(op: string, name: string, value: unknown, channels: number): number[] {
  let values: number[];
  if (typeof value === 'number') {
    values = [value];
  } else if (value != null && typeof value === 'object' && 'length' in value &&
             !(value instanceof tf.Tensor)) {
    // The length first: an array-like {length: 1e9} must not be copied to find out.
    const length = (value as ArrayLike<unknown>).length;
    if (length !== 1 && length !== channels) {
      fail(op, `argument '${name}' must have 1 or ${channels} (the channel count) entries, got ${
          typeof length === 'number' ? length : show(length)}`);
    }
    values = Array.from(value as ArrayLike<unknown>) as number[];
  } else {
    fail(op, `argument '${name}' must be a number or an array of numbers, got ${
        value instanceof tf.Tensor ? 'a tensor' : show(value)}`);
  }
  if (values.some((v) => typeof v !== 'number')) {
    fail(op, `argument '${name}' must hold numbers, got ${show(values)}`);
  }
  if (values.length !== 1 && values.length !== channels) {
    fail(op, `argument '${name}' must have 1 or ${channels} (the channel count) entries, got ${
        values.length}: ${show(values)}`);
  }
  if (values.some((v) => !Number.isFinite(v))) {
    fail(op, `argument '${name}' must be finite, got ${show(values)}`);
  }
  const f32 = values.map(Math.fround);
  return values.length === channels ? f32 : new Array<number>(channels).fill(f32[0]);
}

function run(
    op: string, kernel: string, x: tf.Tensor|tf.TensorLike, mean: ChannelValues,
    std: ChannelValues, options: NormalizeOptions|undefined): tf.Tensor {
  // tidy disposes the tensor made when x is an array, as tfjs's own ops do.
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op);
    checkOptionKeys(op, options, ['dataFormat']);
    const dataFormat = checkDataFormat(op, options?.dataFormat);
    if (t.rank < 2 || t.rank > 5) {
      fail(op, `input x must have rank 2 to 5 (batch, channels and 0 to 3 spatial dims), got rank ${
          t.rank} with shape ${show(t.shape)}`);
    }
    const channels = t.shape[channelAxis(t.rank, dataFormat)];
    const attrs: NormalizeAttrs = {
      mean: perChannel(op, 'mean', mean, channels),
      std: perChannel(op, 'std', std, channels),
      dataFormat,
    };
    if (attrs.std.some((s) => s === 0)) {
      // denormalize could multiply by 0, but no normalize it inverts can exist.
      const why = kernel === Normalize ? 'division by zero' : 'normalize cannot divide by it';
      fail(op, `argument 'std' is zero after conversion to float32 (${why}), got ${
          show(typeof std === 'number' ? std : Array.from(std))}`);
    }
    return tf.engine().runKernel(kernel, {x: t}, asAttrs(attrs)) as tf.Tensor;
  });
}

/**
 * (x - mean[c]) / std[c] for every channel c, as torchvision's transforms.functional.normalize
 * (Note [normalize arithmetic]). mean and std: a number or one number per channel; std must not
 * be zero. The channel axis follows dataFormat (Note [normalize ranks]). Output float32.
 */
export function normalize<T extends tf.Tensor>(
    x: T|tf.TensorLike, mean: ChannelValues, std: ChannelValues, options?: NormalizeOptions): T {
  return run('normalize', Normalize, x, mean, std, options) as T;
}

/** x * std[c] + mean[c] for every channel c: the exact inverse of normalize. Output float32. */
export function denormalize<T extends tf.Tensor>(
    x: T|tf.TensorLike, mean: ChannelValues, std: ChannelValues, options?: NormalizeOptions): T {
  return run('denormalize', Denormalize, x, mean, std, options) as T;
}
