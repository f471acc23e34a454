// webgl rows for normalize / denormalize, next to the same arithmetic written with tfjs's own
// webgl ops: tf.div(tf.sub(x, mean), std) and tf.add(tf.mul(x, std), mean) with [C] tensors
// broadcast over the channel axis (two passes where ours is one).
import * as tf from '@tensorflow/tfjs-core';
import {denormalize, normalize} from '../../src/index.js';
import type {Row} from '../harness.js';
import {contender, expectSame, input} from './common.js';

export async function normalizeRows(): Promise<Row[]> {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const shape = [1, 512, 512, 3];
  // Separate inputs per contender (each finds its preferred texture layout) and for the check.
  const x = input(shape);
  const x2 = input(shape);
  const check = input(shape);
  const m = tf.tensor1d(mean);
  const s = tf.tensor1d(std);
  const rows: Row[] = [];
  const pairs: Array<[string, (t: tf.Tensor) => tf.Tensor, string, (t: tf.Tensor) => tf.Tensor]> = [
    ['tfjs-torch normalize', (t) => normalize(t, mean, std), 'tfjs sub + div',
     (t) => tf.tidy(() => tf.div(tf.sub(t, m), s))],
    ['tfjs-torch denormalize', (t) => denormalize(t, mean, std), 'tfjs mul + add',
     (t) => tf.tidy(() => tf.add(tf.mul(t, s), m))],
  ];
  for (const [oursName, ours, theirsName, theirs] of pairs) {
    const a = ours(check);
    const b = theirs(check);
    await expectSame(a, b, `${oursName} vs ${theirsName}`, 1e-5);
    tf.dispose([a, b]);
    rows.push({
      label: `${oursName.split(' ')[1]} [${shape}] channelsLast`,
      contenders: [contender(oursName, () => ours(x)), contender(theirsName, () => theirs(x2))],
    });
  }
  return rows;
}
