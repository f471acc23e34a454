// tensorflow-backend kernel of group norm (instance norm, layer norm) on TensorFlow's own ops.
//
// Channels last with a batch of 1 (what an exported decoder runs: [1, H, W, C]) goes through
// TensorFlow's FusedBatchNorm, which treats the [1, P, 1, C] view's channels as a batch
// norm's: Note [group norm on TensorFlow's FusedBatchNorm]. Everything else (channels first,
// batches of more than one, layer norm) is the composed form: the [N, G, K, P] (or
// [N, P, G, K]) view, Mean and the mean of SquaredDifference for the statistics, then one
// multiply-add with the affine folded into per-(batch, channel) scale and shift (Note [group
// norm numerics] in src/ops/group_norm.ts).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, Tensor, TensorInfo} from '@tensorflow/tfjs-core';
import {GroupNorm} from '../../src/kernel_names.js';
import type {GroupNormAttrs, GroupNormInputs} from '../../src/kernel_names.js';
import {blockOf, groupNormComposed} from '../../src/gradients/group_norm_grad.js';
import {normView} from '../../src/index_math/norm.js';
import {asTensor, nodeOf} from './util.js';
import type {NodeBackend, OpAttr} from './util.js';

/**
 * Note [group norm on TensorFlow's FusedBatchNorm]
 * For one batch entry laid out channels last, x viewed as [1, P, 1, C] (NHWC) is what
 * TensorFlow's FusedBatchNorm normalises per channel over P. In training mode it returns each
 * channel's mean and biased variance (its fifth output; the third is the unbiased one) and the
 * input normalised by them; in inference mode it computes
 * (x - mean[c]) * rsqrt(variance[c] + eps) * scale[c] + offset[c] for given per-channel
 * statistics, one pass.
 * - Instance norm (one channel per group): the training-mode output with scale = weight,
 *   offset = bias and the norm's eps is F.instance_norm's output: one TensorFlow op.
 * - Group norm (K = C / G channels per group) and instance norm over 1024 positions or more:
 *   the positions split into b equal blocks of p1 (b the largest divisor of P up to sqrt(P), as
 *   Note [group norm float32 statistics]), the training mode on the [1, p1, 1, b * C] view gives
 *   the mean and biased variance of each (block position, channel) pair over p1 values; per
 *   group, from its b * K equal-sized pairs, mean_g = mean(m) and var_g = mean(v) +
 *   mean((m - mean_g)^2) (the law of total variance: both terms are sums of non-negative
 *   numbers, no cancellation), the means taken as deviations from the group's first pair's mean
 *   so that the float32 sums add small numbers, not the tensor's offset; broadcast back to each
 *   channel of the group and handed to the inference mode with scale = weight, offset = bias:
 *   two TensorFlow ops over the tensor plus a few on [b * C]. Nothing is read back.
 * Why blocks: the training mode sums one channel's values in one float32 running sum; straight
 * over 262144 positions per channel (512 x 512 maps) its output was 6e-5 off a float64 group
 * norm for inputs offset by 5, with blocks 2.9e-6 (the composed form 2.2e-6); on the SD VAE
 * decoder's sizes 0.9-2.1e-6 (composed 1.3-4.3e-6), and for an offset of 100 7.9e-6 (composed
 * 3.1e-5; float32's spacing at 100 is 7.6e-6). A non-finite value in a group makes its mean or
 * variance NaN or Infinity and the group's output NaN, as PyTorch's.
 */
function fusedBatchNorm(
    node: NodeBackend, x: TensorInfo, scale: TensorInfo, offset: TensorInfo,
    stats: [TensorInfo, TensorInfo]|null, eps: number): Tensor[] {
  const b = node.binding;
  const attrs: OpAttr[] = [
    {name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT},
    {name: 'epsilon', type: b.TF_ATTR_FLOAT, value: eps},
    {name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC'},
    {name: 'is_training', type: b.TF_ATTR_BOOL, value: stats == null},
  ];
  const made: Tensor[] = [];
  if (stats == null) {
    const empty = tf.tensor1d([], 'float32');
    made.push(empty);
    stats = [empty, empty];
  }
  try {
    return node.executeMultipleOutputs('FusedBatchNorm', attrs, [x, scale, offset, ...stats], 5);
  } finally {
    tf.dispose(made);
  }
}

/** The first of a FusedBatchNorm's outputs reshaped to `shape`; all of them disposed. */
function reshapeFirst(outs: Tensor[], shape: number[]): Tensor {
  try {
    return tf.reshape(outs[0], shape);
  } finally {
    tf.dispose(outs);
  }
}

function groupNormFused(
    node: NodeBackend, x: Tensor, weight: Tensor, bias: Tensor, attrs: GroupNormAttrs,
    p: number, c: number): Tensor {
  const g = attrs.numGroups;
  const k = c / g;
  // Blocks of the positions (Note [group norm on TensorFlow's FusedBatchNorm]): p = p1 * b.
  const b = p >= 1024 ? blockOf(p) : 1;
  if (k === 1 && b === 1) {
    const x4 = tf.reshape(x, [1, p, 1, c]);
    try {
      return reshapeFirst(fusedBatchNorm(node, x4, weight, bias, null, attrs.eps), x.shape);
    } finally {
      x4.dispose();
    }
  }
  // [1, p1, 1, b * C]: each "channel" is one (block position, channel) pair, its statistics
  // over the p1 blocks; then each group's from its b * K pairs, their means taken relative to
  // the group's first pair's mean (float32 sums of small deviations, not of the offset).
  const stats = tf.tidy(() => {
    const outs = fusedBatchNorm(node, tf.reshape(x, [1, p / b, 1, b * c]), tf.ones([b * c]),
                                tf.zeros([b * c]), null, attrs.eps);
    const mb = tf.reshape(outs[1], [b, g, k]);
    const ref = tf.slice(mb, [0, 0, 0], [1, g, 1]);
    const dev = tf.sub(mb, ref);
    const meanDev = tf.mean(dev, [0, 2], true);
    const mean = tf.add(ref, meanDev);
    const variance = tf.add(tf.mean(tf.reshape(outs[4], [b, g, k]), [0, 2], true),
                            tf.mean(tf.squaredDifference(dev, meanDev), [0, 2], true));
    const perChannel = (t: Tensor) => tf.reshape(tf.broadcastTo(t, [1, g, k]), [c]);
    return [perChannel(mean), perChannel(variance)] as [Tensor, Tensor];
  });
  const x4 = tf.reshape(x, [1, p, 1, c]);
  try {
    return reshapeFirst(fusedBatchNorm(node, x4, weight, bias, stats, attrs.eps), x.shape);
  } finally {
    tf.dispose([x4, ...stats]);
  }
}

export const groupNorm: KernelFunc = ({inputs, attrs, backend}) => {
  const {x, weight, bias} = inputs as GroupNormInputs;
  const a = attrs as unknown as GroupNormAttrs;
  const v = normView(x.shape, a.dataFormat, a.trailing);
  if (!a.trailing && v.channelsLast && v.n === 1 && v.p > 1 && weight != null && bias != null) {
    return groupNormFused(nodeOf(backend).node, asTensor(x), asTensor(weight), asTensor(bias), a, v.p, v.c);
  }
  return tf.tidy(() => groupNormComposed(
      asTensor(x), weight == null ? null : asTensor(weight), bias == null ? null : asTensor(bias),
      a)) as TensorInfo;
};

export const groupNormConfig: KernelConfig = {
  kernelName: GroupNorm,
  backendName: 'tensorflow',
  kernelFunc: groupNorm,
};
