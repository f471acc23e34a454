// convTranspose1d / 2d / 3d: PyTorch's transposed convolution (torch.nn.functional.conv_transpose*d
// plus the output_size argument of torch.nn.ConvTranspose*d's forward), weight in PyTorch's
// layout [inChannels, outChannels / groups, ...kernel].
import * as tf from '@tensorflow/tfjs-core';

import {convTransposeOutputSize, convTransposeOutputSizeRange, outputPaddingLimitError, outputSizeSpatial, resolveOutputPadding} from '../index_math/conv.js';
import {asAttrs, ConvTranspose} from '../kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs, DataFormat} from '../kernel_names.js';
import {check, checkDataFormat, checkInts, checkOptionKeys, checkSize, expandTuple, fail, show, toTensor} from '../util/args.js';

export interface ConvTransposeOptions {
  /** Int or one per spatial dim, >= 1. Default 1. */
  stride?: number|number[];
  /** Int or one per spatial dim, >= 0: removed from both ends of each output axis. Default 0. */
  padding?: number|number[];
  /**
   * Int or one per spatial dim, added at the end of each output axis; each must be smaller than
   * the stride or the dilation of its axis (PyTorch's rule). Default 0. Ignored when outputSize
   * is given, as in torch.nn.ConvTranspose*d's forward.
   */
  outputPadding?: number|number[];
  /** Splits input and output channels into this many independent groups. Default 1. */
  groups?: number;
  /** Int or one per spatial dim, >= 1. Default 1. */
  dilation?: number|number[];
  /**
   * The output's spatial size (one entry per spatial dim), or a full shape of x's rank laid out
   * in dataFormat (so `x.shape` of a tensor of the wanted size works in either layout), as
   * torch.nn.ConvTranspose*d's forward(input, output_size) takes it. Each size must be
   * reachable: between the size at outputPadding 0 and that plus stride - 1.
   */
  outputSize?: number|number[];
  dataFormat?: DataFormat;
}

type WeightLike = tf.Tensor|tf.TensorLike;

/** The keys ConvTransposeOptions takes (anything else is an error naming the key). */
export const CONV_TRANSPOSE_OPTION_KEYS: readonly string[] =
    ['stride', 'padding', 'outputPadding', 'groups', 'dilation', 'outputSize', 'dataFormat'];

/**
 * 1-D transposed convolution. x: [batch, length, inC] (channelsLast) or [batch, inC, length]
 * (channelsFirst), or without the batch dim as PyTorch accepts; weight [inC, outC / groups, k];
 * bias [outC] or null.
 */
export function convTranspose1d<T extends tf.Tensor2D|tf.Tensor3D>(
    x: T|tf.TensorLike, weight: tf.Tensor3D|tf.TensorLike, bias?: tf.Tensor1D|tf.TensorLike|null,
    options: ConvTransposeOptions = {}): T {
  return convTransposeNd('convTranspose1d', 1, x, weight, bias, options) as T;
}

/**
 * 2-D transposed convolution. x: [batch, H, W, inC] (channelsLast) or [batch, inC, H, W]
 * (channelsFirst), or without the batch dim; weight [inC, outC / groups, kH, kW]; bias [outC]
 * or null.
 */
export function convTranspose2d<T extends tf.Tensor3D|tf.Tensor4D>(
    x: T|tf.TensorLike, weight: tf.Tensor4D|tf.TensorLike, bias?: tf.Tensor1D|tf.TensorLike|null,
    options: ConvTransposeOptions = {}): T {
  return convTransposeNd('convTranspose2d', 2, x, weight, bias, options) as T;
}

/**
 * 3-D transposed convolution. x: [batch, D, H, W, inC] (channelsLast) or [batch, inC, D, H, W]
 * (channelsFirst), or without the batch dim; weight [inC, outC / groups, kD, kH, kW]; bias
 * [outC] or null.
 */
export function convTranspose3d<T extends tf.Tensor4D|tf.Tensor5D>(
    x: T|tf.TensorLike, weight: tf.Tensor5D|tf.TensorLike, bias?: tf.Tensor1D|tf.TensorLike|null,
    options: ConvTransposeOptions = {}): T {
  return convTransposeNd('convTranspose3d', 3, x, weight, bias, options) as T;
}

/** Resolved, checked arguments (exported for the layers, which share the checks). */
export interface ResolvedConvTransposeArgs extends ConvTransposeAttrs {
  /** Whether x came without a batch dim (PyTorch's unbatched input). */
  unbatched: boolean;
  inChannels: number;
  outChannels: number;
  kernelSize: number[];
  inSize: number[];
  outSize: number[];
}

/**
 * Checks and resolves every argument of convTranspose{n}d for tensors of these shapes, throwing
 * `<op>: <argument> ...` for anything PyTorch rejects.
 */
export function resolveConvTransposeArgs(
    op: string, n: number, xShape: readonly number[], weightShape: readonly number[],
    biasShape: readonly number[]|null, options: ConvTransposeOptions): ResolvedConvTransposeArgs {
  if (options == null || typeof options !== 'object') {
    fail(op, `argument 'options' must be an object, got ${show(options)}`);
  }
  checkOptionKeys(op, options, CONV_TRANSPOSE_OPTION_KEYS);
  const dataFormat = checkDataFormat(op, options.dataFormat);
  const rank = xShape.length;
  if (rank !== n + 2 && rank !== n + 1) {
    fail(op, `argument 'x' must have rank ${n + 2} (batch, channels and ${n} spatial dim${
        n > 1 ? 's' : ''}) or ${n + 1} (unbatched), got rank ${rank} with shape ${show(xShape)}`);
  }
  const unbatched = rank === n + 1;
  const full = unbatched ? [1, ...xShape] : xShape.slice();
  const channelsLast = dataFormat === 'channelsLast';
  const inChannels = channelsLast ? full[n + 1] : full[1];
  const inSize = channelsLast ? full.slice(1, n + 1) : full.slice(2);

  const kernelLayout = ['kD', 'kH', 'kW'].slice(3 - n).join(', ');
  if (weightShape.length !== n + 2) {
    fail(op, `argument 'weight' must have rank ${n + 2} ([inChannels, outChannels / groups, ${
        kernelLayout}]), got shape ${show(weightShape)}`);
  }
  const stride = expandTuple(op, 'stride', options.stride, n, 1);
  checkInts(op, 'stride', stride, 1);
  const padding = expandTuple(op, 'padding', options.padding, n, 0);
  checkInts(op, 'padding', padding, 0);
  const dilation = expandTuple(op, 'dilation', options.dilation, n, 1);
  checkInts(op, 'dilation', dilation, 1);
  let outputPadding = expandTuple(op, 'outputPadding', options.outputPadding, n, 0);
  checkInts(op, 'outputPadding', outputPadding, 0);
  const groups = options.groups === undefined ? 1 : options.groups;
  check(
      typeof groups === 'number' && Number.isInteger(groups) && groups >= 1, op,
      () => `argument 'groups' must be an integer >= 1, got ${show(groups)}`);

  check(
      weightShape.every((s) => s >= 1), op,
      () => `argument 'weight' must not be empty ([inChannels, outChannels / groups, ${
          kernelLayout}] all >= 1), got shape ${show(weightShape)}`);
  check(
      inChannels === weightShape[0], op,
      () => `argument 'weight' of shape ${show(weightShape)} expects ${weightShape[0]} input ${
          ''}channels (its dim 0), but x of shape ${show(xShape)} has ${inChannels} (${
          dataFormat})`);
  check(
      inChannels % groups === 0, op,
      () => `argument 'groups' (${groups}) must divide the ${inChannels} input channels ${
          ''}(weight dim 0)`);
  const outChannels = weightShape[1] * groups;
  if (biasShape != null) {
    check(
        biasShape.length === 1 && biasShape[0] === outChannels, op,
        () => `argument 'bias' must have shape [${outChannels}] (outChannels = weight dim 1 * ${
            ''}groups), got shape ${show(biasShape)}`);
  }
  check(
      inSize.every((s) => s >= 1), op,
      () => `argument 'x' must have spatial sizes >= 1 (only the batch may be empty), got shape ${
          show(xShape)}`);
  const kernelSize = weightShape.slice(2);

  if (options.outputSize !== undefined && options.outputSize !== null) {
    const requested = typeof options.outputSize === 'number' ?
        new Array<number>(n).fill(options.outputSize) :
        options.outputSize;
    check(
        Array.isArray(requested) &&
            requested.every((s) => typeof s === 'number' && Number.isInteger(s)),
        op, () => `argument 'outputSize' must be an array of integers, got ${show(requested)}`);
    const spatial = outputSizeSpatial(requested, n, rank, dataFormat);
    if (spatial == null) {
      fail(op, `argument 'outputSize' must have ${n} or ${rank} elements for an input of rank ${
          rank}, got ${show(requested)}`);
    }
    const resolved =
        resolveOutputPadding(spatial, inSize, kernelSize, stride, padding, dilation);
    if (resolved == null) {
      const ranges = inSize.map(
          (s, a) => convTransposeOutputSizeRange(s, kernelSize[a], stride[a], padding[a],
                                                 dilation[a]));
      fail(op, `argument 'outputSize' requested an output size of ${
          show(spatial)}, but valid sizes range from ${show(ranges.map((r) => r[0]))} to ${
          show(ranges.map((r) => r[1]))} (for an input of ${show(inSize)})`);
    }
    outputPadding = resolved;
  }
  const paddingError = outputPaddingLimitError(outputPadding, stride, dilation);
  if (paddingError != null) fail(op, paddingError);
  const outSize = inSize.map(
      (s, a) => convTransposeOutputSize(s, kernelSize[a], stride[a], padding[a], dilation[a],
                                        outputPadding[a]));
  check(
      outSize.every((s) => s >= 1), op,
      () => `argument 'padding' ${show(padding)} is too large: for an input of ${
          show(inSize)} and kernel ${show(kernelSize)} the output size would be ${show(outSize)}`);
  // Note [size guard]: a stride or dilation of 1e9 is a legal integer and an absurd output.
  checkSize(op, 'output', channelsLast ? [full[0], ...outSize, outChannels] :
                                         [full[0], outChannels, ...outSize]);
  return {
    stride, padding, outputPadding, dilation, groups, dataFormat, unbatched, inChannels,
    outChannels, kernelSize, inSize, outSize,
  };
}

function convTransposeNd(
    op: string, n: number, xIn: tf.Tensor|tf.TensorLike, weightIn: WeightLike,
    biasIn: tf.Tensor|tf.TensorLike|null|undefined, options: ConvTransposeOptions): tf.Tensor {
  // Inside tidy so that tensors made from array arguments are released with the scope.
  return tf.tidy(() => {
    const x = floatArg(xIn, 'x', op);
    const weight = floatArg(weightIn, 'weight', op);
    const bias = biasIn == null ? null : floatArg(biasIn, 'bias', op);
    const g = resolveConvTransposeArgs(
        op, n, x.shape, weight.shape, bias == null ? null : bias.shape, options ?? {});
    const attrs: ConvTransposeAttrs = {
      stride: g.stride,
      padding: g.padding,
      outputPadding: g.outputPadding,
      dilation: g.dilation,
      groups: g.groups,
      dataFormat: g.dataFormat,
    };
    const xb = g.unbatched ? tf.expandDims(x, 0) : x;
    const inputs: ConvTransposeInputs = {x: xb, weight};
    if (bias != null) inputs.bias = bias;
    const y = tf.engine().runKernel(
                  ConvTranspose, inputs as unknown as tf.NamedTensorMap, asAttrs(attrs)) as
        tf.Tensor;
    return g.unbatched ? tf.squeeze(y, [0]) : y;
  });
}

/** PyTorch has no integer transposed convolution on the cpu ("not implemented for 'Int'"). */
function floatArg(v: tf.Tensor|tf.TensorLike, name: string, op: string): tf.Tensor {
  const t = toTensor(v, name, op);
  check(
      t.dtype === 'float32', op,
      () => `argument '${name}' must be float32 (transposed convolution is float only, as in ${
          ''}PyTorch), got dtype ${t.dtype}`);
  return t;
}
