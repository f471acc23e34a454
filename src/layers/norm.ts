// batchNorm / instanceNorm / groupNorm: torch.nn.BatchNorm{1,2,3}d, InstanceNorm{1,2,3}d and
// GroupNorm as tfjs layers, one class each for every rank (the rank comes from the input).
// Weights carry PyTorch's state_dict names (weight, bias, running_mean, running_var), so
// loadTorchWeights copies a state dict's tensors as they are.
//
// Note [norm layers as composed ops]
// Each layer is a few tfjs ops (sums, elementwise ops, matMuls by ones; Note [per-channel ops
// without slow broadcasting] in channel_math.ts). tf.batchNorm serves only where its statistics
// run along the last axis (eval with running statistics, channels last): tfjs 4.22's cpu (and
// wasm) batchNorm kernel walks mean / variance / scale / offset as if they broadcast along the
// last axis, so statistics of shape [1, C, 1, 1] are cycled along W instead of C (tfjs issue
// #1106) and a channelsFirst BatchNormalization gives wrong numbers with no error; and instance
// or group statistics never broadcast along the last axis alone. The composed ops are right on
// every backend, their gradients come from tfjs's autodiff (the training-mode gradient through
// the batch statistics included), and they cost a few elementwise passes, small next to the
// convolutions around a norm. So these layers need no kernel of their own.
//
// Note [norm statistics]
// As PyTorch (aten/src/ATen/native/Normalization.cpp, torch/nn/functional.py):
//   - in training (tfjs-layers passes kwargs.training = true inside model.fit), or whenever
//     trackRunningStats is false, the statistics are the input's: the mean and the biased
//     variance over the batch and spatial dims (batchNorm), the spatial dims (instanceNorm), or
//     the channels of a group and the spatial dims (groupNorm);
//   - in training with trackRunningStats, running_mean and running_var move towards the batch's
//     by `momentum`: r = (1 - momentum) * r + momentum * s, with the unbiased variance (n / (n - 1)
//     times the biased one, n the values per statistic); instanceNorm averages the per-instance
//     statistics over the batch first (PyTorch runs batch_norm on a (1, N * C, ...) view and
//     averages the N running copies);
//   - otherwise (eval with trackRunningStats) running_mean and running_var are used;
//   - y = (x - mean) / sqrt(var + eps) * weight + bias, weight and bias when affine.
// PyTorch's momentum=None (a cumulative average counted by num_batches_tracked) is not offered:
// momentum must be a number.
import * as tf from '@tensorflow/tfjs-core';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import type {DataFormat} from '../kernel_names.js';
import {fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {channelAffine, channelView, planeSums} from './channel_math.js';
import {groupNorm as groupNormOp, layerNorm as layerNormOp} from '../ops/group_norm.js';
import {baseArgs, bool, layerDataFormat, resolveInitializer, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';

export interface BatchNormArgs extends TorchLayerArgs {
  /** C, the number of channels (PyTorch's num_features). */
  numFeatures: number;
  /** Default 1e-5, as PyTorch (tfjs's batchNormalization defaults to 1e-3). */
  eps?: number;
  /** Weight of the new statistics in the running update; default 0.1, as PyTorch. */
  momentum?: number;
  /** Learnable per-channel weight and bias; default true. */
  affine?: boolean;
  /** Keep running_mean / running_var and use them in eval; default true. */
  trackRunningStats?: boolean;
}

/** Same options as BatchNormArgs; PyTorch's defaults differ: affine and trackRunningStats false. */
export type InstanceNormArgs = BatchNormArgs;

export interface GroupNormArgs extends TorchLayerArgs {
  /** Number of groups the channels are divided into; must divide numChannels. */
  numGroups: number;
  numChannels: number;
  /** Default 1e-5. */
  eps?: number;
  /** Learnable per-channel weight and bias; default true. */
  affine?: boolean;
}

function positiveInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    fail(op, `argument '${name}' must be a positive integer, got ${show(v)}`);
  }
  return v;
}

function finiteNumber(op: string, name: string, v: unknown, fallback: number, min: number,
                      max = Infinity): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    fail(op, `argument '${name}' must be a number in [${min}, ${max}], got ${show(v)}`);
  }
  return v;
}

/** The channel axis: 1 for rank 2 (N, C) in either format, else per dataFormat. */
export function normChannelAxis(rank: number, dataFormat: DataFormat): number {
  return rank === 2 || dataFormat === 'channelsFirst' ? 1 : rank - 1;
}

const ONES = {className: 'Ones', config: {}};
const ZEROS = {className: 'Zeros', config: {}};

/**
 * A layer whose output has its input's shape (the norms, prelu): one shape check serves build,
 * computeOutputShape and call.
 */
export abstract class SameShapeLayer extends TorchLayer {
  /** Throws, naming the layer, for an input shape the layer cannot take (null: unknown dim). */
  protected abstract checkShape(shape: Shape): void;

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = singleShape(inputShape);
    this.checkShape(shape);
    return shape.slice();
  }

  /** A float32 weight of shape [n] with PyTorch's name, from a serialized initializer. */
  protected addTorchWeight(op: string, name: string, n: number, init: object,
                           trainable: boolean): LayerVariable {
    return this.addWeight(name, [n], 'float32',
                          resolveInitializer(op, 'initializer', init as never), undefined, trainable);
  }
}

/** What batchNorm and instanceNorm share: options, PyTorch-named weights, the running update. */
abstract class RunningStatsNorm extends SameShapeLayer {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly dataFormat: DataFormat;
  weight: LayerVariable|null = null;
  bias: LayerVariable|null = null;
  runningMean: LayerVariable|null = null;
  runningVar: LayerVariable|null = null;
  protected readonly op: string;

  constructor(op: string, args: BatchNormArgs, defaults: {affine: boolean, track: boolean}) {
    super(baseArgs(args ?? {}));
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    this.op = op;
    this.numFeatures = positiveInt(op, 'numFeatures', args.numFeatures);
    this.eps = finiteNumber(op, 'eps', args.eps, 1e-5, 0);
    if (args.momentum === null) {
      fail(op, `argument 'momentum' must be a number: PyTorch's momentum=None (a cumulative ${
          ''}average) is not supported`);
    }
    this.momentum = finiteNumber(op, 'momentum', args.momentum, 0.1, 0, 1);
    this.affine = bool(op, 'affine', args.affine, defaults.affine);
    this.trackRunningStats = bool(op, 'trackRunningStats', args.trackRunningStats, defaults.track);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  /** Allowed input ranks and what they mean, for the error message. */
  protected abstract readonly ranks: number[];
  protected abstract readonly rankText: string;
  /** Statistics per (instance, channel) (instanceNorm) rather than per channel (batchNorm). */
  protected abstract readonly perInstance: boolean;

  protected checkShape(shape: Shape): void {
    if (!this.ranks.includes(shape.length)) {
      fail(this.op, `input must have rank ${this.ranks.join(', ')} (${this.rankText}), got shape ${
          show(shape)}`);
    }
    const c = shape[normChannelAxis(shape.length, this.dataFormat)];
    if ((this.affine || this.trackRunningStats) && c != null && c !== this.numFeatures) {
      fail(this.op, `input has ${c} channels (shape ${show(shape)}, ${this.dataFormat}), but the ${
          ''}layer was made for numFeatures ${this.numFeatures}`);
    }
  }

  override build(inputShape: Shape|Shape[]): void {
    this.checkShape(singleShape(inputShape));
    const c = this.numFeatures;
    if (this.affine) {
      this.weight = this.addTorchWeight(this.op, 'weight', c, ONES, true);
      this.bias = this.addTorchWeight(this.op, 'bias', c, ZEROS, true);
    }
    if (this.trackRunningStats) {
      this.runningMean = this.addTorchWeight(this.op, 'running_mean', c, ZEROS, false);
      this.runningVar = this.addTorchWeight(this.op, 'running_var', c, ONES, false);
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor|tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    const x = single(inputs);
    this.checkShape(x.shape);
    const training = kwargs?.training === true;
    const useInputStats = training || !this.trackRunningStats;
    const v = channelView(x.shape, this.dataFormat);
    // Values behind each statistic: per channel (batchNorm) or per instance and channel.
    const count = this.perInstance ? v.p : v.n * v.p;
    if (useInputStats && count <= 1) {
      fail(this.op, `expected more than 1 value per statistic when computing the input's ${
          ''}statistics, got input shape ${show(x.shape)}`);
    }
    return tf.tidy(() => {
      const weight = this.affine ? this.weight!.read() : null;
      const bias = this.affine ? this.bias!.read() : null;
      if (!useInputStats) {
        if (v.channelsLast) {
          // Statistics along the last axis: tfjs's fused batchNorm is right there on every
          // backend, and the fastest. (Its gradient needs scale and offset tensors.)
          const mean = this.runningMean!.read();
          return tf.reshape(tf.batchNorm(
              tf.reshape(x, [v.n * v.p, v.c]), mean, this.runningVar!.read(),
              bias ?? tf.zerosLike(mean), weight ?? tf.onesLike(mean), this.eps), x.shape);
        }
        // x * a + (bias - running_mean * a), a = weight / sqrt(running_var + eps): PyTorch's
        // own eval arithmetic.
        const inv = tf.rsqrt(tf.add(this.runningVar!.read(), this.eps));
        const a = weight == null ? inv : tf.mul(inv, weight);
        const shifted = tf.mul(this.runningMean!.read(), a);
        return channelAffine(x, v, a, bias == null ? tf.neg(shifted) : tf.sub(bias, shifted));
      }
      if (this.perInstance && !(training && this.trackRunningStats)) {
        // The input's own statistics and nothing to update: one GroupNorm kernel with a group
        // per channel, the affine folded in (src/ops/group_norm.ts).
        return groupNormOp(x, v.c, {weight, bias, eps: this.eps, dataFormat: this.dataFormat});
      }
      // [N, C] plane sums -> the statistics ([C] or [N, C]).
      const stat = (sums: tf.Tensor) => tf.div(this.perInstance ? sums : tf.sum(sums, 0), count);
      const mean = stat(planeSums(x, v));
      const centered = channelAffine(x, v, null, tf.neg(mean));
      const variance = stat(planeSums(tf.square(centered), v));
      if (training && this.trackRunningStats) this.updateRunningStats(mean, variance, count);
      const inv = tf.rsqrt(tf.add(variance, this.eps));
      const scale = weight == null ? inv : tf.mul(inv, weight);
      const shift = bias == null ? null : this.perInstance ? tf.broadcastTo(bias, [v.n, v.c]) : bias;
      return channelAffine(centered, v, scale, shift);
    });
  }

  /**
   * Note [norm statistics]: the running update from the statistics ([C], or [N, C] per instance)
   * over `count` values each.
   */
  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    tf.tidy(() => {
      const perChannel = (t: tf.Tensor) => this.perInstance ? tf.mean(t, 0) : t;
      const m = this.momentum;
      const blend = (running: LayerVariable, s: tf.Tensor) =>
          running.write(tf.add(tf.mul(running.read(), 1 - m), tf.mul(s, m)));
      blend(this.runningMean!, perChannel(mean));
      blend(this.runningVar!, perChannel(tf.mul(variance, count / (count - 1))));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum,
      affine: this.affine,
      trackRunningStats: this.trackRunningStats,
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}

/**
 * torch.nn.BatchNorm1d / 2d / 3d: input (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W) in
 * PyTorch's layout, or channels last; statistics per channel (Note [norm statistics]).
 */
export class TorchBatchNorm extends RunningStatsNorm {
  static className = 'TorchBatchNorm';
  protected readonly ranks = [2, 3, 4, 5];
  protected readonly rankText = 'batch and channels, then 0 to 3 spatial dims';
  protected readonly perInstance = false;
  constructor(args: BatchNormArgs) {
    super('layers.batchNorm', args, {affine: true, track: true});
  }
}

/**
 * torch.nn.InstanceNorm1d / 2d / 3d: statistics per (instance, channel) over the spatial dims
 * (Note [norm statistics]); affine and trackRunningStats default to false, as PyTorch.
 */
export class TorchInstanceNorm extends RunningStatsNorm {
  static className = 'TorchInstanceNorm';
  protected readonly ranks = [3, 4, 5];
  protected readonly rankText = 'batch, channels and 1 to 3 spatial dims';
  protected readonly perInstance = true;
  constructor(args: InstanceNormArgs) {
    super('layers.instanceNorm', args, {affine: false, track: false});
  }
}

/**
 * torch.nn.GroupNorm: the channels split into numGroups groups of consecutive channels, each
 * normalised with the mean and biased variance over its channels and the spatial dims, then a
 * per-channel weight and bias (affine). Training and eval compute the same.
 */
export class TorchGroupNorm extends SameShapeLayer {
  static className = 'TorchGroupNorm';
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  readonly dataFormat: DataFormat;
  weight: LayerVariable|null = null;
  bias: LayerVariable|null = null;
  private readonly op = 'layers.groupNorm';

  constructor(args: GroupNormArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.groupNorm';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    this.numGroups = positiveInt(op, 'numGroups', args.numGroups);
    this.numChannels = positiveInt(op, 'numChannels', args.numChannels);
    if (this.numChannels % this.numGroups !== 0) {
      fail(op, `numChannels (${this.numChannels}) must be divisible by numGroups (${
          this.numGroups})`);
    }
    this.eps = finiteNumber(op, 'eps', args.eps, 1e-5, 0);
    this.affine = bool(op, 'affine', args.affine, true);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  protected checkShape(shape: Shape): void {
    if (shape.length < 2 || shape.length > 5) {
      fail(this.op, `input must have rank 2 to 5 (batch, channels, then 0 to 3 spatial dims), ${
          ''}got shape ${show(shape)}`);
    }
    const c = shape[normChannelAxis(shape.length, this.dataFormat)];
    if (c != null && c !== this.numChannels) {
      fail(this.op, `input has ${c} channels (shape ${show(shape)}, ${this.dataFormat}), but the ${
          ''}layer was made for numChannels ${this.numChannels}`);
    }
  }

  override build(inputShape: Shape|Shape[]): void {
    this.checkShape(singleShape(inputShape));
    if (this.affine) {
      this.weight = this.addTorchWeight(this.op, 'weight', this.numChannels, ONES, true);
      this.bias = this.addTorchWeight(this.op, 'bias', this.numChannels, ZEROS, true);
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    this.checkShape(x.shape);
    // One GroupNorm kernel: statistics and the folded affine in one op (src/ops/group_norm.ts).
    return tf.tidy(() => groupNormOp(x, this.numGroups, {
      weight: this.affine ? this.weight!.read() : null,
      bias: this.affine ? this.bias!.read() : null,
      eps: this.eps,
      dataFormat: this.dataFormat,
    }));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      numGroups: this.numGroups,
      numChannels: this.numChannels,
      eps: this.eps,
      affine: this.affine,
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}

export interface LayerNormArgs extends TorchLayerArgs {
  /** The trailing dims normalised over (PyTorch's normalized_shape): a size or a list. */
  normalizedShape: number|number[];
  /** Default 1e-5. */
  eps?: number;
  /** Learnable elementwise weight and bias shaped normalizedShape; default true. */
  elementwiseAffine?: boolean;
}

/**
 * torch.nn.LayerNorm(normalizedShape, eps, elementwiseAffine): each leading index normalised by
 * the mean and biased variance over the last normalizedShape.length axes of the tensor as given
 * (whatever the dataFormat: the exporter places them), then weight * . + bias elementwise. One
 * GroupNorm kernel (src/ops/group_norm.ts layerNorm). Training and eval compute the same.
 */
export class TorchLayerNorm extends SameShapeLayer {
  static className = 'TorchLayerNorm';
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: LayerVariable|null = null;
  bias: LayerVariable|null = null;
  private readonly op = 'layers.layerNorm';

  constructor(args: LayerNormArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.layerNorm';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    const ns = typeof args.normalizedShape === 'number' ? [args.normalizedShape] : args.normalizedShape;
    if (!Array.isArray(ns) || ns.length < 1 ||
        ns.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
      fail(op, `argument 'normalizedShape' must be a positive integer or a non-empty array of them, ${
          ''}got ${show(args.normalizedShape)}`);
    }
    this.normalizedShape = ns.slice();
    this.eps = finiteNumber(op, 'eps', args.eps, 1e-5, 0);
    this.elementwiseAffine = bool(op, 'elementwiseAffine', args.elementwiseAffine, true);
  }

  protected checkShape(shape: Shape): void {
    const k = this.normalizedShape.length;
    const tail = shape.slice(shape.length - k);
    if (shape.length < k || tail.some((d, i) => d != null && d !== this.normalizedShape[i])) {
      fail(this.op, `input of shape ${show(shape)} does not end in normalizedShape ${
          show(this.normalizedShape)}`);
    }
  }

  override build(inputShape: Shape|Shape[]): void {
    this.checkShape(singleShape(inputShape));
    if (this.elementwiseAffine) {
      const shape = this.normalizedShape;
      this.weight = this.addWeight('weight', shape, 'float32',
                                   resolveInitializer(this.op, 'initializer', ONES as never), undefined, true);
      this.bias = this.addWeight('bias', shape, 'float32',
                                 resolveInitializer(this.op, 'initializer', ZEROS as never), undefined, true);
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    this.checkShape(x.shape);
    return tf.tidy(() => layerNormOp(x, this.normalizedShape, {
      weight: this.elementwiseAffine ? this.weight!.read() : null,
      bias: this.elementwiseAffine ? this.bias!.read() : null,
      eps: this.eps,
    }));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      normalizedShape: this.normalizedShape,
      eps: this.eps,
      elementwiseAffine: this.elementwiseAffine,
      ...super.getConfig(),
    };
  }
}
