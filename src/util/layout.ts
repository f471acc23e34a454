// Where batch, channel and spatial dims sit for each dataFormat. Kernels address memory through
// these strides, so one loop body serves both layouts.
import * as tf from '@tensorflow/tfjs-core';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {DataFormat} from '../kernel_names.js';
import {capabilitiesOf} from './capabilities.js';

export interface Layout {
  batch: number;
  channels: number;
  /** Spatial sizes, outermost first (D, H, W). */
  spatial: number[];
  /** Product of the spatial sizes: the size of one (batch, channel) plane. */
  planeSize: number;
  /** Flat-index stride between consecutive channels. */
  channelStride: number;
  /** Flat-index stride between consecutive batch entries. */
  batchStride: number;
  /** Flat-index stride of one step in the flattened plane (1 channelsFirst, C channelsLast). */
  planeStride: number;
}

export function layoutOf(shape: readonly number[], dataFormat: DataFormat): Layout {
  const batch = shape[0];
  const channelsLast = dataFormat === 'channelsLast';
  const channels = channelsOf(shape, dataFormat);
  const spatial = spatialOf(shape, dataFormat);
  const planeSize = spatial.reduce((a, b) => a * b, 1);
  return {
    batch,
    channels,
    spatial,
    planeSize,
    channelStride: channelsLast ? 1 : planeSize,
    batchStride: channels * planeSize,
    planeStride: channelsLast ? channels : 1,
  };
}

// Note [plane view]
// A plane index addresses one (batch, channel) plane whatever the dataFormat. channelsFirst
// (N, C, ...spatial) is, without moving data, (N*C, P, 1); channelsLast (N, ...spatial, C) is
// (N, P, C). In both views the element at plane index q of row b and column c has the flat
// offset (b*P + q)*Cv + c (Cv: the view's channel count), so one formula serves both layouts:
// the cpu pooling loops walk rows, plane positions and columns, the tensorflow kernels gather
// and scatter on the flat tensor or on the 3-D view.
export interface PlaneView {
  /** Rows: N*C (channelsFirst) or N (channelsLast). */
  rows: number;
  /** P: the spatial plane size. */
  plane: number;
  /** Columns: 1 (channelsFirst) or C (channelsLast). */
  cols: number;
}

export function planeView(shape: readonly number[], dataFormat: DataFormat): PlaneView {
  const {batch, channels, planeSize} = layoutOf(shape, dataFormat);
  return dataFormat === 'channelsFirst' ? {rows: batch * channels, plane: planeSize, cols: 1} :
                                          {rows: batch, plane: planeSize, cols: channels};
}

/**
 * Full shape from batch, channels and spatial sizes (numbers, or tfjs-layers' shapes with null
 * for a size not known until run time).
 */
export function shapeOf<T>(batch: T, channels: T, spatial: readonly T[], dataFormat: DataFormat):
    T[] {
  return dataFormat === 'channelsLast' ? [batch, ...spatial, channels] :
                                         [batch, channels, ...spatial];
}

/** The spatial sizes of a full shape, outermost first. */
export function spatialOf<T>(shape: readonly T[], dataFormat: DataFormat): T[] {
  return dataFormat === 'channelsLast' ? shape.slice(1, -1) : shape.slice(2);
}

/** The channel count of a full shape. */
export function channelsOf<T>(shape: readonly T[], dataFormat: DataFormat): T {
  return shape[channelAxis(shape.length, dataFormat)];
}

/** Number of values of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The same data seen with another shape of the same size (no copy). */
export function withShape(t: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: t.dataId, shape, dtype: t.dtype};
}

/** Positions of batch, channel and spatial dims in a dataFormat's shape of rank n + 2. */
export function dimsOf(n: number, dataFormat: DataFormat):
    {b: number, c: number, spatial: number[]} {
  return {b: 0, c: channelAxis(n + 2, dataFormat), spatial: spatialAxes(n + 2, dataFormat)};
}

/** Names of the last n of the spatial axes D, H, W (for generated shader code). */
export function axisNames(n: number): string[] {
  return ['D', 'H', 'W'].slice(3 - n);
}

/**
 * A per-spatial-dim list padded in front to `length` entries with `fill`: kernels run 1-D and
 * 2-D as 3-D (or 2-D) with leading unit axes (sizes and strides 1, padding 0).
 */
export function padFront(values: readonly number[], length: number, fill: number): number[] {
  return [...new Array<number>(length - values.length).fill(fill), ...values];
}

/** The axis holding channels. */
export function channelAxis(rank: number, dataFormat: DataFormat): number {
  return dataFormat === 'channelsLast' ? rank - 1 : 1;
}

/** The axis of the first (outermost) spatial dim. */
export function firstSpatialAxis(dataFormat: DataFormat): number {
  return dataFormat === 'channelsLast' ? 1 : 2;
}

/** Axes of the spatial dims, outermost first. */
export function spatialAxes(rank: number, dataFormat: DataFormat): number[] {
  const first = firstSpatialAxis(dataFormat);
  return Array.from({length: rank - 2}, (_, i) => first + i);
}

/**
 * tf.transpose(x, perm), exact for int32 on every backend: where the backend's int32 Transpose
 * does not compile (capabilities' int32Transpose), the value is split into two 16-bit halves with
 * int32 arithmetic, each half (exact in float32) is transposed as float32 data, and the halves
 * are joined again in int32.
 */
export function transposeExact(x: tf.Tensor, perm: number[]): tf.Tensor {
  if (x.dtype !== 'int32' || capabilitiesOf(tf.getBackend()).int32Transpose !== false) {
    return tf.transpose(x, perm);
  }
  return tf.tidy(() => {
    const hi = tf.floorDiv(x, tf.scalar(65536, 'int32'));
    const lo = tf.sub(x, tf.mul(hi, tf.scalar(65536, 'int32')));
    // tf.cast(int32 -> float32) only relabels the data (tfjs casts without encoding loss that
    // way), so the Transpose would still see int32: an add makes real float32 data first, and
    // floor undoes it (every half is below 2^16, exact in float32).
    const moved = (v: tf.Tensor) => tf.cast(
        tf.floor(tf.transpose(tf.add(tf.cast(v, 'float32'), tf.scalar(0.5)), perm)), 'int32');
    return tf.add(tf.mul(moved(hi), tf.scalar(65536, 'int32')), moved(lo));
  });
}
