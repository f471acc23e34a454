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
import {asTensor, nodeOf, probeOnce, runOp} from './util.js';
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

/**
 * Note [layer norm as oneDNN's op]
 * A layer norm (every leading index a row, the trailing block its C values) composed of
 * TensorFlow ops is nine eager ops and as many passes (Mean, SquaredDifference, Mean, Add,
 * Rsqrt, Sub, Mul, Mul, Add; SAM's mask decoder: 3.5 ms for each of its two [4096, 256] norms at
 * one intra-op thread). TensorFlow's Linux x86 builds carry oneDNN's layer norm as an op,
 * _MklLayerNorm (x [rows, C], scale [C], offset [C]; T and epsilon, no list attributes), which
 * grappler writes for the same pattern in graphs: one pass, 0.3 ms on [4096, 256]. Its kernel
 * has no label, and tfjs-node's eager ops carry _kernel = "MklNameChangeOp" for oneDNN's ops
 * (Note [conv and bias in one TensorFlow op]), so _kernel is set to "" here. It is an internal
 * op (a build without oneDNN or a later TensorFlow may not have it): probed once per backend
 * object, a [2, 3] norm must run and give a [2, 3] output (no values read back), else the
 * composed form for the life of the process.
 * Numbers: oneDNN takes each row's variance as E[x^2] - E[x]^2 in float32, which cancels when a
 * row's mean is large against its spread (rows of 1000 + 0.01 N(0, 1): 7e-3 off a float64 norm;
 * the composed form 4e-7). Each row is therefore shifted by its first value first (one Sub; the
 * norm of x - s is the norm of x for any per-row s, and x - x0 has a mean within the row's own
 * spread): then 1.5e-7 to 9e-7 off float64 on rows of N(0, 1) with offsets 0 to 1e4 and scales
 * 1e-3 to 3. (The composed form below folds the mean into one multiply-add, x * s + t, which
 * cancels on the same rows: 2.7e-5 off at 100 + U(-1, 1), 2.9e-2 at 1000 + 0.01 U(-1, 1); left
 * as it is for the norms that still take it.) Checked by the norm fixtures against PyTorch and
 * by test/node/layer_norm.test.ts against the formula in float64. A non-finite value makes its
 * row NaN, as PyTorch's. Flag TORCH_TF_ONEDNN_LAYER_NORM (default true) turns it off.
 */
export const TF_ONEDNN_LAYER_NORM_FLAG = 'TORCH_TF_ONEDNN_LAYER_NORM';
tf.env().registerFlag(TF_ONEDNN_LAYER_NORM_FLAG, () => true);
const LAYER_NORM_OP = '_MklLayerNorm';
const layerNormProbed = new WeakMap<object, boolean>();

function oneDnnLayerNorm(node: NodeBackend, x2: Tensor, scale: Tensor, offset: Tensor, eps: number): Tensor {
  const {attr} = nodeOf(node);
  const attrs: OpAttr[] = [
    attr.type('T', 'float32'),
    {name: 'epsilon', type: node.binding.TF_ATTR_FLOAT, value: eps},
    attr.string('_kernel', ''),
  ];
  return runOp(node, LAYER_NORM_OP, attrs, [x2, scale, offset]);
}

/** Whether oneDNN's layer norm op runs here (probed once per backend). */
export function hasOneDnnLayerNorm(backend: unknown): boolean {
  return probeOnce(layerNormProbed, backend, (node) =>
    oneDnnLayerNorm(node, tf.zeros([2, 3]), tf.ones([3]), tf.zeros([3]), 1e-5).shape.join() === '2,3');
}

/**
 * A layer norm over rows [n, c] of x on oneDNN's op, each row shifted by its first value. The op
 * takes a rank-2 or rank-3 x whose last dim is the row as it is (SAM's token norms, [1, 7, 256]:
 * no reshape in or out), and a weight / bias already [c] as they are: on tfjs-node each reshape is
 * an eager TensorFlow op of its own (four of the seven per norm).
 */
function layerNormShifted(node: NodeBackend, x: Tensor, weight: Tensor|null, bias: Tensor|null,
                          eps: number, n: number, c: number): Tensor {
  return tf.tidy(() => {
    const asIs = (x.rank === 2 || x.rank === 3) && x.shape[x.rank - 1] === c;
    const xr = asIs ? x : tf.reshape(x, [n, c]);
    const first = tf.slice(xr, xr.shape.map(() => 0), [...xr.shape.slice(0, -1), 1]);
    const shifted = tf.sub(xr, first);
    const asRow = (t: Tensor) => (t.rank === 1 && t.shape[0] === c ? t : tf.reshape(t, [c]));
    const scale = weight == null ? tf.ones([c]) : asRow(weight);
    const offset = bias == null ? tf.zeros([c]) : asRow(bias);
    const y = oneDnnLayerNorm(node, shifted, scale, offset, eps);
    return asIs ? y : tf.reshape(y, x.shape);
  });
}

export const groupNorm: KernelFunc = ({inputs, attrs, backend}) => {
  const {x, weight, bias} = inputs as GroupNormInputs;
  const a = attrs as unknown as GroupNormAttrs;
  const v = normView(x.shape, a.dataFormat, a.trailing);
  if (a.trailing && a.numGroups === 1 && v.n > 0 && v.c > 0 && x.dtype === 'float32' &&
      tf.env().getBool(TF_ONEDNN_LAYER_NORM_FLAG) && hasOneDnnLayerNorm(backend)) {
    return layerNormShifted(nodeOf(backend).node, asTensor(x), weight == null ? null : asTensor(weight),
                            bias == null ? null : asTensor(bias), a.eps, v.n, v.c);
  }
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
