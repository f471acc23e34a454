// What the max-pooling and unpooling kernels of the tensorflow backend share: flat element ids
// built from plane indices (Note [index encoding] in src/index_math/pool.ts) in the plane view
// of an activation (Note [plane view] in src/util/layout.ts), which needs no transpose.
import * as tf from '@tensorflow/tfjs-core';
import type {PlaneView} from '../../src/util/layout.js';

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
