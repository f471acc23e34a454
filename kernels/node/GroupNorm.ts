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
 * - Group norm (K = C / G channels per group): the training-mode statistics per channel, then
 *   per group mean_g = mean_k mean_c and var_g = mean_k var_c + mean_k (mean_c - mean_g)^2
 *   (the law of total variance over the group's equal-sized channels: both terms are sums of
 *   non-negative numbers, no cancellation), broadcast back to each channel of the group and
 *   handed to the inference mode with scale = weight, offset = bias: two TensorFlow ops over the
 *   tensor plus a few on [C].
 * The statistics are TensorFlow's two passes (the sum, then the sum of squared deviations from
 * the mean), each over one channel's P positions, not over the group's K * P values: for the SD
 * VAE decoder's 256 x 256 maps that is 65536 terms per sum, and the float32 means and
 * variances were within 1e-6 relative of float64 ones in the measurements of issue 19 (a plain
 * Mean over the whole group, 262144 terms, was 2e-4 off: Note [group norm float32 statistics]).
 * A non-finite value in a group makes its mean or variance NaN or Infinity and the group's
 * output NaN, as PyTorch's.
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
  // over the p1 blocks; then each group's, from its b * K pairs, in float64 here.
  const stats = tf.tidy(() => {
    const outs = fusedBatchNorm(node, tf.reshape(x, [1, p / b, 1, b * c]), tf.ones([b * c]),
                                tf.zeros([b * c]), null, attrs.eps);
    const blockMean = outs[1].dataSync() as Float32Array;
    const blockVar = outs[4].dataSync() as Float32Array;
    const mean = new Float32Array(c);
    const variance = new Float32Array(c);
    const count = b * k;
    for (let gi = 0; gi < g; gi++) {
      let m = 0;
      for (let j = 0; j < b; j++) {
        for (let ch = gi * k; ch < (gi + 1) * k; ch++) m += blockMean[j * c + ch];
      }
      m /= count;
      let v = 0;
      for (let j = 0; j < b; j++) {
        for (let ch = gi * k; ch < (gi + 1) * k; ch++) {
          const d = blockMean[j * c + ch] - m;
          v += blockVar[j * c + ch] + d * d;
        }
      }
      v /= count;
      mean.fill(m, gi * k, (gi + 1) * k);
      variance.fill(v, gi * k, (gi + 1) * k);
    }
    return [tf.tensor1d(mean), tf.tensor1d(variance)] as [Tensor, Tensor];
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
