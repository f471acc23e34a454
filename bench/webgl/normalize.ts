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
  const x = input(shape);
  const m = tf.tensor1d(mean);
  const s = tf.tensor1d(std);
  const rows: Row[] = [];
  const pairs: Array<[string, () => tf.Tensor, string, () => tf.Tensor]> = [
    ['tfjs-torch normalize', () => normalize(x, mean, std), 'tfjs sub + div',
     () => tf.tidy(() => tf.div(tf.sub(x, m), s))],
    ['tfjs-torch denormalize', () => denormalize(x, mean, std), 'tfjs mul + add',
     () => tf.tidy(() => tf.add(tf.mul(x, s), m))],
  ];
  for (const [oursName, ours, theirsName, theirs] of pairs) {
    const a = ours();
    const b = theirs();
    await expectSame(a, b, `${oursName} vs ${theirsName}`, 1e-5);
    tf.dispose([a, b]);
    rows.push({
      label: `${oursName.split(' ')[1]} [${shape}] channelsLast`,
      contenders: [contender(oursName, ours), contender(theirsName, theirs)],
    });
  }
  return rows;
}
