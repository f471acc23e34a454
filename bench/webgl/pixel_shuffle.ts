// webgl rows for pixelShuffle / pixelUnshuffle, next to tfjs's own webgl ops doing the same data
// movement: tf.depthToSpace (one gather pass, TensorFlow's channel order, NHWC only) and
// reshape + transpose (PyTorch's order written with tfjs ops: what a user would do without
// tfjs-torch; checked equal to ours first). tfjs-core has no spaceToDepth, so pixelUnshuffle
// has the reshape + transpose contender only.
import * as tf from '@tensorflow/tfjs-core';
import {pixelShuffle, pixelUnshuffle} from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';
import type {Row} from '../harness.js';
import {contender, expectSame, input} from './common.js';

function shuffleByTranspose(x: tf.Tensor, r: number, dataFormat: DataFormat): tf.Tensor {
  return tf.tidy(() => {
    if (dataFormat === 'channelsFirst') {
      const [n, k, h, w] = x.shape;
      const t = tf.transpose(tf.reshape(x, [n, k / (r * r), r, r, h, w]), [0, 1, 4, 2, 5, 3]);
      return tf.reshape(t, [n, k / (r * r), h * r, w * r]);
    }
    const [n, h, w, k] = x.shape;
    const t = tf.transpose(tf.reshape(x, [n, h, w, k / (r * r), r, r]), [0, 1, 4, 2, 5, 3]);
    return tf.reshape(t, [n, h * r, w * r, k / (r * r)]);
  });
}

function unshuffleByTranspose(x: tf.Tensor, r: number, dataFormat: DataFormat): tf.Tensor {
  return tf.tidy(() => {
    if (dataFormat === 'channelsFirst') {
      const [n, c, hr, wr] = x.shape;
      const t = tf.transpose(tf.reshape(x, [n, c, hr / r, r, wr / r, r]), [0, 1, 3, 5, 2, 4]);
      return tf.reshape(t, [n, c * r * r, hr / r, wr / r]);
    }
    const [n, hr, wr, c] = x.shape;
    const t = tf.transpose(tf.reshape(x, [n, hr / r, r, wr / r, r, c]), [0, 1, 3, 5, 2, 4]);
    return tf.reshape(t, [n, hr / r, wr / r, c * r * r]);
  });
}

export async function pixelShuffleRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const r = 2;
  for (const dataFormat of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
    const shape = dataFormat === 'channelsLast' ? [1, 128, 128, 64] : [1, 64, 128, 128];
    // Each contender gets its own copy of the input, so each finds it in the texture layout it
    // asked for first (packed or not), as it would coming from its own pipeline.
    const x = input(shape);
    const x2 = input(shape);
    const ours = () => pixelShuffle(x, r, {dataFormat});
    const byTranspose = () => shuffleByTranspose(x2, r, dataFormat);
    const check = input(shape);
    const a = pixelShuffle(check, r, {dataFormat});
    const b = shuffleByTranspose(check, r, dataFormat);
    await expectSame(a, b, `pixelShuffle ${dataFormat} vs reshape+transpose`);
    tf.dispose([a, b, check]);
    const contenders = [
      contender('tfjs-torch pixelShuffle', ours),
      contender('tfjs reshape+transpose', byTranspose),
    ];
    // tf.depthToSpace takes NHWC only: the same amount of work on the NHWC tensor.
    const nhwc = input([1, 128, 128, 64]) as tf.Tensor4D;
    contenders.push(contender('tfjs depthToSpace (TF order)', () => tf.depthToSpace(nhwc, r)));
    rows.push({label: `pixelShuffle r=2 [${shape}] ${dataFormat}`, contenders});
  }
  for (const dataFormat of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
    const shape = dataFormat === 'channelsLast' ? [1, 256, 256, 16] : [1, 16, 256, 256];
    const x = input(shape);
    const x2 = input(shape);
    const ours = () => pixelUnshuffle(x, r, {dataFormat});
    const byTranspose = () => unshuffleByTranspose(x2, r, dataFormat);
    const check = input(shape);
    const a = pixelUnshuffle(check, r, {dataFormat});
    const b = unshuffleByTranspose(check, r, dataFormat);
    await expectSame(a, b, `pixelUnshuffle ${dataFormat} vs reshape+transpose`);
    tf.dispose([a, b, check]);
    rows.push({
      label: `pixelUnshuffle r=2 [${shape}] ${dataFormat}`,
      contenders: [
        contender('tfjs-torch pixelUnshuffle', ours),
        contender('tfjs reshape+transpose', byTranspose),
      ],
    });
  }
  return rows;
}
