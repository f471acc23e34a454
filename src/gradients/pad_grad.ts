// Gradient of pad with respect to x. Output o of a padded dim reads input table[o], so the
// gradient adds dy[o] into input table[o].
// - 'constant': each input element is read at most once, at o = i + before, so dx is dy padded
//   by the negated pairs (crop where x was padded, zeros where x was cropped): pad itself.
// - the other modes read border elements several times: the transpose of each axis's gather is
//   run as gathers (Note [pad gradient as gathers] in src/index_math/pad.ts), one axis at a time
//   (the gradient of a pad over several axes is the composition of the per-axis transposes).
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';
import {gatherTransposeTables, padSourceTable} from '../index_math/pad.js';
import {asAttrs, Pad} from '../kernel_names.js';
import type {PadAttrs} from '../kernel_names.js';

export const padGradConfig: GradConfig = {
  kernelName: Pad,
  gradFunc: (dy: Tensor|Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
    const {pairs, mode} = attrs as unknown as PadAttrs;
    const g = dy as Tensor;
    if (mode === 'constant') {
      const back: PadAttrs = {pairs: pairs.map(([b, e]) => [-b, -e]), mode, value: 0};
      return {x: () => tf.engine().runKernel(Pad, {x: g}, asAttrs(back)) as Tensor};
    }
    return {
      x: () => {
        let t = g;
        pairs.forEach(([b, e], axis) => {
          if (b === 0 && e === 0) return;
          const n = t.shape[axis] - b - e;  // x's size: dy's less the pads
          const table = padSourceTable(mode, n, b, e);
          const zero = t.shape.slice();
          zero[axis] = 1;
          const padded = tf.concat([t, tf.zeros(zero, t.dtype)], axis);
          const parts = gatherTransposeTables(table, n).map(
              (row) => tf.gather(padded, tf.tensor1d(row, 'int32'), axis));
          t = parts.length === 1 ? parts[0] : tf.addN(parts);
        });
        return t === g ? tf.clone(g) : t;
      },
    };
  },
};
