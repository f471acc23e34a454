// maxPool1dWithIndices / maxPool2dWithIndices / maxPool3dWithIndices: PyTorch's
// max_poolNd(..., return_indices=True). Output sizes, windows, tie and NaN rules and the index
// encoding are in src/index_math/pool.ts.
import * as tf from '@tensorflow/tfjs-core';
import {poolingOutputSize, poolPaddingLimitError} from '../index_math/pool.js';
import {asAttrs, MaxPoolWithIndices} from '../kernel_names.js';
import type {DataFormat, MaxPoolWithIndicesAttrs} from '../kernel_names.js';
import {check, checkDataFormat, checkInts, checkOptionKeys, checkSize, expandTuple, fail, show, spatialDims, toTensor} from '../util/args.js';
import {layoutOf, shapeOf} from '../util/layout.js';

export interface MaxPoolOptions {
  /** Window size: a number or one entry per spatial dim. */
  kernelSize: number|number[];
  /** Step between windows; default (undefined or null) kernelSize, as PyTorch. */
  stride?: number|number[]|null;
  /** Implicit -infinity padding on both sides; at most half the kernel size. Default 0. */
  padding?: number|number[];
  /** Spacing between window taps. Default 1. */
  dilation?: number|number[];
  /** Ceil instead of floor when computing the output size (Note [pooling output size]). */
  ceilMode?: boolean;
  dataFormat?: DataFormat;
}

/** The keys MaxPoolOptions takes (anything else is an error naming the key). */
export const MAX_POOL_OPTION_KEYS: readonly string[] =
    ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'dataFormat'];

/** The window options max pooling and max unpooling share. */
type PoolWindowOptions = Pick<MaxPoolOptions, 'kernelSize'|'stride'|'padding'>;

/**
 * kernelSize, stride and padding of a pooling window, as max_poolNd and max_unpoolNd read them:
 * a number or one per spatial dim; kernelSize >= 1 ("kernel size should be greater than zero"),
 * stride >= 1 defaulting (undefined or null) to kernelSize, padding >= 0 defaulting to 0.
 */
export function resolvePoolWindow(
    op: string, n: number, options: PoolWindowOptions):
    {kernelSize: number[], stride: number[], padding: number[]} {
  const kernelSize = expandTuple(op, 'kernelSize', options.kernelSize, n);
  checkInts(op, 'kernelSize', kernelSize, 1);
  const stride = expandTuple(op, 'stride', options.stride ?? undefined, n, kernelSize);
  checkInts(op, 'stride', stride, 1);
  const padding = expandTuple(op, 'padding', options.padding, n, 0);
  checkInts(op, 'padding', padding, 0);
  return {kernelSize, stride, padding};
}

/** Checks the arguments and returns the kernel's fully resolved attributes. */
export function resolveMaxPoolAttrs(
    op: string, n: number, x: tf.Tensor, options: MaxPoolOptions): MaxPoolWithIndicesAttrs {
  if (options == null || typeof options !== 'object') {
    fail(op, `argument 'options' with at least kernelSize is required, got ${show(options)}`);
  }
  checkOptionKeys(op, options, MAX_POOL_OPTION_KEYS);
  const dataFormat = checkDataFormat(op, options.dataFormat);
  spatialDims(op, x, [n]);
  const {kernelSize, stride, padding} = resolvePoolWindow(op, n, options);
  const dilation = expandTuple(op, 'dilation', options.dilation, n, 1);
  checkInts(op, 'dilation', dilation, 1);
  const ceilMode = options.ceilMode ?? false;
  check(typeof ceilMode === 'boolean', op,
        () => `argument 'ceilMode' must be a boolean, got ${show(ceilMode)}`);
  // Note [pooling padding limit].
  const paddingError = poolPaddingLimitError(padding, kernelSize);
  if (paddingError != null) fail(op, paddingError);
  const layout = layoutOf(x.shape, dataFormat);
  // PyTorch rejects empty channel and spatial dims; an empty batch gives an empty result.
  if (layout.channels === 0 || layout.spatial.some((s) => s === 0)) {
    fail(op, `input x must have non-zero channel and spatial dims, got shape ${
        show(x.shape)} (${dataFormat})`);
  }
  const outSize = layout.spatial.map(
      (s, i) => poolingOutputSize(s, kernelSize[i], padding[i], stride[i], dilation[i], ceilMode));
  if (outSize.some((s) => s < 1)) {
    fail(op, `output size is too small: input x spatial size ${show(layout.spatial)} gives ${
        show(outSize)} with kernelSize ${show(kernelSize)}, stride ${show(stride)}, padding ${
        show(padding)}, dilation ${show(dilation)}, ceilMode ${ceilMode}`);
  }
  // Note [size guard]: with padding and dilation the output can outgrow the input.
  checkSize(op, 'output', shapeOf(layout.batch, layout.channels, outSize, dataFormat));
  return {kernelSize, stride, padding, dilation, ceilMode, dataFormat};
}

/** x as a float32 tensor; PyTorch: "max_pool2d" not implemented for 'Int' (integers are rejected). */
export function floatPoolInput(op: string, x: tf.Tensor|tf.TensorLike): tf.Tensor {
  const t = toTensor(x, 'x', op);
  if (t.dtype !== 'float32') {
    fail(op, `argument 'x' must be float32 (PyTorch's max pooling rejects integer tensors), ` +
         `got dtype ${t.dtype}`);
  }
  return t;
}

function maxPoolNdWithIndices(
    op: string, n: number, x: tf.Tensor|tf.TensorLike, options: MaxPoolOptions): [tf.Tensor, tf.Tensor] {
  // tidy disposes the tensor made when x is an array, as tfjs's own ops do.
  return tf.tidy(op, () => {
    const t = floatPoolInput(op, x);
    const attrs = resolveMaxPoolAttrs(op, n, t, options);
    const [values, indices] =
        tf.engine().runKernel(MaxPoolWithIndices, {x: t}, asAttrs(attrs)) as tf.Tensor[];
    return [values, indices] as [tf.Tensor, tf.Tensor];
  });
}

/**
 * Max pooling over one spatial dim returning [values, indices], as PyTorch's
 * max_pool1d(..., return_indices=True). x: [batch, width, channels] (channelsLast) or
 * [batch, channels, width] (channelsFirst), float32. indices: int32, the position w of the max
 * inside its (batch, channel) row.
 */
export function maxPool1dWithIndices<T extends tf.Tensor = tf.Tensor3D>(
    x: T|tf.TensorLike, options: MaxPoolOptions): [T, T] {
  return maxPoolNdWithIndices('maxPool1dWithIndices', 1, x, options) as [T, T];
}

/**
 * Max pooling over two spatial dims returning [values, indices], as PyTorch's
 * max_pool2d(..., return_indices=True). indices: int32, h * W + w inside each (batch, channel)
 * plane whatever the dataFormat. Ties go to the first max in row-major window order; a NaN
 * always wins (the last NaN of the window gives the index).
 */
export function maxPool2dWithIndices<T extends tf.Tensor = tf.Tensor4D>(
    x: T|tf.TensorLike, options: MaxPoolOptions): [T, T] {
  return maxPoolNdWithIndices('maxPool2dWithIndices', 2, x, options) as [T, T];
}

/**
 * Max pooling over three spatial dims returning [values, indices], as PyTorch's
 * max_pool3d(..., return_indices=True). indices: int32, d * H * W + h * W + w.
 */
export function maxPool3dWithIndices<T extends tf.Tensor = tf.Tensor5D>(
    x: T|tf.TensorLike, options: MaxPoolOptions): [T, T] {
  return maxPoolNdWithIndices('maxPool3dWithIndices', 3, x, options) as [T, T];
}
