// What the max-pooling and unpooling kernels of the tensorflow backend share: a view of an
// activation as (batch-like, plane, channel-like) that needs no transpose, and flat element ids
// built from plane indices (Note [index encoding] in src/index_math/pool.ts).
//
// Note [plane view]
// A plane index addresses one (batch, channel) plane whatever the dataFormat. channelsFirst
// (N, C, ...spatial) is, without moving data, (N*C, P, 1); channelsLast (N, ...spatial, C) is
// (N, P, C). In both views the element at plane index q of row b and column c has the flat
// offset (b*P + q)*Cv + c (Cv: the view's channel count), so one formula serves both layouts,
// and TensorFlow's gather/scatter ops can work on the flat tensor or on the 3-D view.
import * as tf from '@tensorflow/tfjs-core';
import type {DataFormat} from '../../src/kernel_names.js';
import {layoutOf} from '../../src/util/layout.js';

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
 * For plane indices `q` (int32, any shape that reshapes to [rows, L, cols]) into planes of size
 * `plane`: the flat ids (b*plane + q)*cols + c of the elements they name, as [rows, L, cols],
 * and whether each index lies inside its plane. Call inside tidy.
 */
export function flatIds(q: tf.Tensor, view: PlaneView, plane: number):
    {ids: tf.Tensor, valid: tf.Tensor} {
  const {rows, cols} = view;
  const q3 = tf.reshape(q, [rows, -1, cols]);
  // b*plane*cols + c for every (row, column): a table of rows*cols entries, from shapes only.
  const offsets = new Int32Array(rows * cols);
  for (let b = 0; b < rows; b++) {
    for (let c = 0; c < cols; c++) offsets[b * cols + c] = b * plane * cols + c;
  }
  const ids = tf.add(tf.mul(q3, tf.scalar(cols, 'int32')), tf.tensor3d(offsets, [rows, 1, cols]));
  const valid = tf.logicalAnd(tf.greaterEqual(q3, tf.scalar(0, 'int32')),
                              tf.less(q3, tf.scalar(plane, 'int32')));
  return {ids, valid};
}
