// groupNorm / instanceNorm / layerNorm: F.group_norm, F.instance_norm (with the input's own
// statistics) and F.layer_norm as one kernel (TorchGroupNorm, Note in src/kernel_names.ts): one
// pass for the statistics and one for the output, the affine folded into the per-(batch,
// channel) scale and shift, no BatchMatMul and no intermediate tensor.
//
// Note [group norm numerics]
// As PyTorch's cpu kernel (aten/src/ATen/native/cpu/group_norm_kernel.cpp): per (batch, group)
// the mean and the biased variance over the group's C / G channels and every spatial position,
// rstd = 1 / sqrt(var + eps), then y = x * a + s with a = rstd * weight[c] and
// s = bias[c] - mean * a. The kernels accumulate in float64 (cpu, wasm) or float32 (GPUs,
// TensorFlow, and wasm's layer norm over rows of a multiple of 8 with weight and bias: 8 partial
// sums per row, kernels/wasm/simd_math.ts), within the project's 1e-4 of PyTorch's float32
// results; the float32 ones sum in
// levels, never one running sum over a whole group (Note [group norm float32 statistics] in
// src/gradients/group_norm_grad.ts; on TensorFlow with a channels-last batch of 1, float32 sums
// per block of positions and channel, then per group: Note [group norm on TensorFlow's
// FusedBatchNorm] in kernels/node/GroupNorm.ts).
import * as tf from '@tensorflow/tfjs-core';
import {asAttrs, GroupNorm} from '../kernel_names.js';
import type {DataFormat, GroupNormAttrs} from '../kernel_names.js';
import {normView} from '../index_math/norm.js';
import {checkDataFormat, checkOptionKeys, fail, show, toTensor} from '../util/args.js';

export interface GroupNormOptions {
  /** Per-channel scale [C]; with bias, PyTorch's affine. */
  weight?: tf.Tensor|tf.TensorLike|null;
  /** Per-channel shift [C]. */
  bias?: tf.Tensor|tf.TensorLike|null;
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Where the channel axis is (rank 2 is (N, C) in either); default 'channelsLast'. */
  dataFormat?: DataFormat;
}

export interface LayerNormOptions {
  /** Elementwise scale, shaped normalizedShape. */
  weight?: tf.Tensor|tf.TensorLike|null;
  /** Elementwise shift, shaped normalizedShape. */
  bias?: tf.Tensor|tf.TensorLike|null;
  /** Default 1e-5. */
  eps?: number;
}

function checkEps(op: string, eps: unknown): number {
  const e = eps ?? 1e-5;
  if (typeof e !== 'number' || !Number.isFinite(e) || e < 0) {
    fail(op, `argument 'eps' must be a finite number >= 0, got ${show(e)}`);
  }
  return e;
}

/** weight or bias as a float32 tensor of `shape`, or null. */
function affineTensor(
    op: string, name: string, v: tf.Tensor|tf.TensorLike|null|undefined,
    shape: readonly number[]): tf.Tensor|null {
  if (v == null) return null;
  const t = toTensor(v, name, op, 'float32');
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(op, `argument '${name}' must have shape ${show(shape.slice())}, got ${show(t.shape)}`);
  }
  return t;
}

function runGroupNorm(
    x: tf.Tensor, numGroups: number, weight: tf.Tensor|null, bias: tf.Tensor|null, eps: number,
    dataFormat: DataFormat, trailing = 0): tf.Tensor {
  const attrs: GroupNormAttrs = {numGroups, eps, dataFormat, trailing};
  // Both always given (ones / zeros without an affine: multiplying by 1 and adding 0 are exact),
  // so the kernel's gradient can save them.
  const shape = trailing > 0 ? x.shape.slice(x.rank - trailing) : [normView(x.shape, dataFormat).c];
  const inputs = {x, weight: weight ?? tf.ones(shape), bias: bias ?? tf.zeros(shape)};
  return tf.engine().runKernel(GroupNorm, inputs, asAttrs(attrs)) as tf.Tensor;
}

/**
 * F.group_norm(x, numGroups, weight, bias, eps): the channels split into numGroups groups of
 * consecutive channels, each (batch, group) normalised by its own mean and biased variance,
 * then weight[c] * . + bias[c] (Note [group norm numerics]). x: float32, rank >= 2 (N, C,
 * ...spatial, channels placed by dataFormat).
 */
export function groupNorm<T extends tf.Tensor>(
    x: T|tf.TensorLike, numGroups: number, options?: GroupNormOptions): T {
  const op = 'groupNorm';
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op, 'float32');
    checkOptionKeys(op, options, ['weight', 'bias', 'eps', 'dataFormat']);
    const dataFormat = checkDataFormat(op, options?.dataFormat);
    if (t.rank < 2) fail(op, `input x must have rank 2 or more (N, C, ...), got shape ${show(t.shape)}`);
    const v = normView(t.shape, dataFormat);
    if (typeof numGroups !== 'number' || !Number.isInteger(numGroups) || numGroups < 1 ||
        v.c % numGroups !== 0) {
      fail(op, `argument 'numGroups' must be a positive integer dividing the ${v.c} channels, got ${
          show(numGroups)}`);
    }
    const weight = affineTensor(op, 'weight', options?.weight, [v.c]);
    const bias = affineTensor(op, 'bias', options?.bias, [v.c]);
    const eps = checkEps(op, options?.eps);
    return runGroupNorm(t, numGroups, weight, bias, eps, dataFormat) as T;
  });
}

/**
 * F.instance_norm with the input's own statistics (use_input_stats, no running statistics):
 * groupNorm with one group per channel. x: float32, rank >= 3.
 */
export function instanceNorm<T extends tf.Tensor>(x: T|tf.TensorLike, options?: GroupNormOptions): T {
  const op = 'instanceNorm';
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op, 'float32');
    checkOptionKeys(op, options, ['weight', 'bias', 'eps', 'dataFormat']);
    const dataFormat = checkDataFormat(op, options?.dataFormat);
    if (t.rank < 3) {
      fail(op, `input x must have rank 3 or more (N, C and spatial dims), got shape ${show(t.shape)}`);
    }
    const v = normView(t.shape, dataFormat);
    const weight = affineTensor(op, 'weight', options?.weight, [v.c]);
    const bias = affineTensor(op, 'bias', options?.bias, [v.c]);
    return runGroupNorm(t, v.c, weight, bias, checkEps(op, options?.eps), dataFormat) as T;
  });
}

/**
 * F.layer_norm(x, normalizedShape, weight, bias, eps): every leading index normalised over the
 * last normalizedShape.length axes of x as given (whatever the layout), then weight * . + bias
 * elementwise (both shaped normalizedShape). The GroupNorm kernel with one group over the
 * trailing block (attrs.trailing).
 */
export function layerNorm<T extends tf.Tensor>(
    x: T|tf.TensorLike, normalizedShape: number|number[], options?: LayerNormOptions): T {
  const op = 'layerNorm';
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op, 'float32');
    checkOptionKeys(op, options, ['weight', 'bias', 'eps']);
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || shape.length < 1 ||
        shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
      fail(op, `argument 'normalizedShape' must be a positive integer or a non-empty array of them, ${
          ''}got ${show(normalizedShape)}`);
    }
    const k = shape.length;
    const tail = t.shape.slice(t.rank - k);
    if (t.rank < k || tail.some((d, i) => d !== shape[i])) {
      fail(op, `input x of shape ${show(t.shape)} does not end in normalizedShape ${show(shape)}`);
    }
    const weight = affineTensor(op, 'weight', options?.weight, shape);
    const bias = affineTensor(op, 'bias', options?.bias, shape);
    const eps = checkEps(op, options?.eps);
    return runGroupNorm(t, 1, weight, bias, eps, 'channelsLast', k) as T;
  });
}
