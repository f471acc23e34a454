// maxUnpool1d / maxUnpool2d / maxUnpool3d: PyTorch's max_unpoolNd, the partial inverse of
// max pooling with indices. Output size rule and write order: src/index_math/pool.ts
// (Note [unpool output size], Note [unpool writes]).
import * as tf from '@tensorflow/tfjs-core';
import {invalidUnpoolIndexMessage, unpoolDefaultOutputSize, unpoolOutputSizeBounds} from '../index_math/pool.js';
import {asAttrs, MaxUnpool} from '../kernel_names.js';
import type {DataFormat, MaxUnpoolAttrs} from '../kernel_names.js';
import {capabilitiesOf} from '../util/capabilities.js';
import {checkDataFormat, checkOptionKeys, checkRegular, checkSize, fail, show, spatialDims, toTensor, untaped} from '../util/args.js';
import {layoutOf, shapeOf} from '../util/layout.js';
import {resolvePoolWindow} from './max_pool.js';

export interface MaxUnpoolOptions {
  /** The kernel size of the max pooling being inverted. */
  kernelSize: number|number[];
  /** Its stride; default (undefined or null) kernelSize, as PyTorch. */
  stride?: number|number[]|null;
  /** Its padding. Default 0. */
  padding?: number|number[];
  /**
   * The output's spatial size (one entry per spatial dim), or a full shape of rank
   * spatial dims + 2 read in the dataFormat's order (so the pooled input's shape can be passed
   * as is; its batch and channel entries are ignored, as PyTorch ignores them). Each size must
   * lie strictly between default - stride and default + stride.
   */
  outputSize?: number[]|null;
  dataFormat?: DataFormat;
}

/** The keys MaxUnpoolOptions takes (anything else is an error naming the key). */
export const MAX_UNPOOL_OPTION_KEYS: readonly string[] =
    ['kernelSize', 'stride', 'padding', 'outputSize', 'dataFormat'];

/**
 * Index arrays are int32 by nature, but tf.tensor(..., 'int32') would truncate a fraction
 * without a word: an array (or typed array) of indices must hold integers.
 */
function indicesTensor(op: string, indices: tf.Tensor|tf.TensorLike): tf.Tensor {
  if (indices instanceof tf.Tensor || indices == null) {
    return toTensor(indices as tf.Tensor, 'indices', op);
  }
  checkRegular(op, 'indices', indices);
  const flat = ArrayBuffer.isView(indices) ? indices as unknown as ArrayLike<number> :
      Array.isArray(indices) ? tf.util.flatten(indices as unknown as number[]) as number[] :
                               [indices as unknown as number];
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2147483647) {
      fail(op, `argument 'indices' must hold integers (int32 flat offsets), got ${show(v)} at ${
          ''}flat position ${i}`);
    }
  }
  return tf.tensor(indices as tf.TensorLike, undefined, 'int32');
}

function resolveOutSize(
    op: string, n: number, inSpatial: number[], kernelSize: number[], stride: number[],
    padding: number[], outputSize: unknown, dataFormat: DataFormat): number[] {
  const defaults = inSpatial.map(
      (s, i) => unpoolDefaultOutputSize(s, kernelSize[i], stride[i], padding[i]));
  if (outputSize == null) return defaults;
  if (!Array.isArray(outputSize) || outputSize.some((v) => !Number.isInteger(v))) {
    fail(op, `argument 'outputSize' must be an array of integers, got ${show(outputSize)}`);
  }
  let spatial: number[];
  if (outputSize.length === n) {
    spatial = outputSize.slice();
  } else if (outputSize.length === n + 2) {
    spatial = dataFormat === 'channelsLast' ? outputSize.slice(1, -1) : outputSize.slice(2);
  } else {
    fail(op, `argument 'outputSize' must have ${n} or ${n + 2} entries, got ${show(outputSize)}`);
  }
  for (let i = 0; i < n; i++) {
    const [lo, hi] = unpoolOutputSizeBounds(inSpatial[i], kernelSize[i], stride[i], padding[i]);
    if (!(lo < spatial[i] && spatial[i] < hi)) {
      fail(op, `argument 'outputSize' ${show(outputSize)}: spatial dim ${i} must be between ${
          lo} and ${hi} (both excluded), got ${spatial[i]}`);
    }
  }
  return spatial;
}

/**
 * The op's own check that every index lies in [0, plane), for a backend whose capabilities say
 * unpoolIndices 'op' (src/util/capabilities.ts, Note [unpool index check]): a min and a max
 * reduction and a read of those two numbers. Never run on a GPU backend (they declare 'dropped').
 * Exported for the tests.
 */
export function checkUnpoolIndicesRange(
    op: string, indices: tf.Tensor, outSize: readonly number[]): void {
  const plane = outSize.reduce((a, b) => a * b, 1);
  // An empty output plane: nothing is written, so no index is checked (as PyTorch).
  if (indices.size === 0 || plane === 0) return;
  // Untaped: the check must leave nothing behind when it throws inside tf.grad.
  const range = untaped(indices, (t) => tf.stack([tf.min(t), tf.max(t)]));
  const [lo, hi] = range.dataSync();
  range.dispose();
  if (lo < 0) fail(op, invalidUnpoolIndexMessage(lo, outSize));
  if (hi >= plane) fail(op, invalidUnpoolIndexMessage(hi, outSize));
}

function maxUnpoolNd(
    op: string, n: number, x: tf.Tensor|tf.TensorLike, indices: tf.Tensor|tf.TensorLike,
    options: MaxUnpoolOptions): tf.Tensor {
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op);
    // Index arrays are int32 by nature; tf.tensor would make a float32 tensor of them.
    const ind = indicesTensor(op, indices);
    // PyTorch: "max_unpool2d" not implemented for 'Int'.
    if (t.dtype !== 'float32') {
      fail(op, `argument 'x' must be float32 (PyTorch's max unpooling rejects integer tensors), ` +
           `got dtype ${t.dtype}`);
    }
    // PyTorch wants int64 indices; int32 is tfjs's index type (and enough for any plane here).
    if (ind.dtype !== 'int32') {
      fail(op, `argument 'indices' must be int32, got dtype ${ind.dtype}`);
    }
    if (options == null || typeof options !== 'object') {
      fail(op, `argument 'options' with at least kernelSize is required, got ${show(options)}`);
    }
    checkOptionKeys(op, options, MAX_UNPOOL_OPTION_KEYS);
    const dataFormat = checkDataFormat(op, options.dataFormat);
    spatialDims(op, t, [n]);
    if (!tf.util.arraysEqual(t.shape, ind.shape)) {
      fail(op, `argument 'indices' must have the shape of x, got ${show(ind.shape)} and x ${
          show(t.shape)}`);
    }
    const {kernelSize, stride, padding} = resolvePoolWindow(op, n, options);
    const layout = layoutOf(t.shape, dataFormat);
    if (layout.channels === 0 || layout.spatial.some((s) => s === 0)) {
      fail(op, `input x must have non-zero channel and spatial dims, got shape ${
          show(t.shape)} (${dataFormat})`);
    }
    const outSize = resolveOutSize(
        op, n, layout.spatial, kernelSize, stride, padding, options.outputSize, dataFormat);
    // PyTorch returns an empty tensor for an output size of 0 (nothing is written, no index
    // checked) and fails on a negative one.
    if (outSize.some((s) => s < 0)) {
      fail(op, `output size ${show(outSize)} must not be negative (kernelSize ${
          show(kernelSize)}, stride ${show(stride)}, padding ${show(padding)}, input size ${
          show(layout.spatial)})`);
    }
    // Note [size guard]: a kernelSize or stride of 1e9 is a legal integer and an absurd output.
    checkSize(op, 'output', shapeOf(layout.batch, layout.channels, outSize, dataFormat));
    if (capabilitiesOf(tf.getBackend()).unpoolIndices === 'op') {
      checkUnpoolIndicesRange(op, ind, outSize);
    }
    const attrs: MaxUnpoolAttrs = {outSize, dataFormat};
    return tf.engine().runKernel(MaxUnpool, {x: t, indices: ind}, asAttrs(attrs)) as tf.Tensor;
  });
}

/**
 * Writes each value of x at its index into a zero output, as PyTorch's max_unpool1d. x and
 * indices (int32, from maxPool1dWithIndices) share a shape; output width is
 * (W - 1) * stride - 2 * padding + kernelSize unless outputSize is given.
 */
export function maxUnpool1d<T extends tf.Tensor = tf.Tensor3D>(
    x: T|tf.TensorLike, indices: tf.Tensor|tf.TensorLike, options: MaxUnpoolOptions): T {
  return maxUnpoolNd('maxUnpool1d', 1, x, indices, options) as T;
}

/**
 * PyTorch's max_unpool2d: each value of x goes to index h * W + w of its (batch, channel) output
 * plane (indices as maxPool2dWithIndices gives them), every other output element is 0. With
 * duplicate indices the last one in row-major order wins. An index outside the output plane
 * throws on cpu, wasm and tensorflow; on webgl and webgpu it is never written (no error: the
 * check would be a synchronous read of the GPU), and its gradient is 0.
 */
export function maxUnpool2d<T extends tf.Tensor = tf.Tensor4D>(
    x: T|tf.TensorLike, indices: tf.Tensor|tf.TensorLike, options: MaxUnpoolOptions): T {
  return maxUnpoolNd('maxUnpool2d', 2, x, indices, options) as T;
}

/** PyTorch's max_unpool3d; indices d * H * W + h * W + w in each output volume. */
export function maxUnpool3d<T extends tf.Tensor = tf.Tensor5D>(
    x: T|tf.TensorLike, indices: tf.Tensor|tf.TensorLike, options: MaxUnpoolOptions): T {
  return maxUnpoolNd('maxUnpool3d', 3, x, indices, options) as T;
}
