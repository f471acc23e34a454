// What the decoderOps rows share between the Node bench (bench/decoder_ops.ts) and the browser
// benches (bench/webgl/decoder_ops.ts): the composed tfjs versions the kernels replace.
import * as tf from '@tensorflow/tfjs-core';
import {padPairs, padSourceTable} from '../src/index_math/pad.js';
import type {PadMode} from '../src/index_math/pad.js';
import type {DataFormat} from '../src/kernel_names.js';

/** The tfjs axis of PyTorch dim d of a rank-4 tensor. */
function axisOf(d: number, df: DataFormat): number {
  if (df === 'channelsFirst' || d === 0) return d;
  return d === 1 ? 3 : d - 1;
}

/**
 * F.pad as tfjs-torch composed it before the Pad kernel (and as a user would): one tf.gather of
 * the source table per padded axis (a fill slab appended for 'constant').
 */
export function padByGathers(x: tf.Tensor, padding: number[], mode: PadMode, df: DataFormat): tf.Tensor {
  return tf.tidy(() => {
    let y = x;
    padPairs(padding, 4).forEach(([b, e], d) => {
      if (b === 0 && e === 0) return;
      const axis = axisOf(d, df);
      const n = y.shape[axis];
      const table = Int32Array.from(padSourceTable(mode, n, b, e), (t) => t < 0 ? n : t);
      const slabShape = y.shape.slice();
      slabShape[axis] = 1;
      const source = mode === 'constant' ? tf.concat([y, tf.zeros(slabShape)], axis) : y;
      y = tf.gather(source, tf.tensor1d(table, 'int32'), axis);
    });
    return y;
  });
}

