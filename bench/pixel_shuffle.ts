// `npm run bench -- pixelShuffle`: tfjs-torch's pixelShuffle / pixelUnshuffle cpu kernels next to
// tfjs's built-ins doing the same amount of data movement:
// - tf.depthToSpace: the same work in TensorFlow's channel order (not PyTorch's); tfjs's cpu
//   kernel only takes NHWC, so the channelsFirst row times it on the NHWC tensor.
// - reshape + transpose: PyTorch's order written with tfjs ops, what a user would do without
//   tfjs-torch (its result is checked equal to ours before timing).
// tfjs-core 4.22 has no spaceToDepth op, so pixelUnshuffle is compared with reshape + transpose
// only.
import * as tf from '@tensorflow/tfjs-core';
import {pixelShuffle, pixelUnshuffle} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {tfContender} from './contenders.js';
import {runRows} from './harness.js';
import type {Row} from './harness.js';

/** pixelShuffle in PyTorch's order with tfjs's reshape and transpose. */
function shuffleByTranspose(x: tf.Tensor, r: number, dataFormat: DataFormat): tf.Tensor {
  return tf.tidy(() => {
    if (dataFormat === 'channelsFirst') {
      const [n, k, h, w] = x.shape;
      const c = k / (r * r);
      const t = tf.transpose(tf.reshape(x, [n, c, r, r, h, w]), [0, 1, 4, 2, 5, 3]);
      return tf.reshape(t, [n, c, h * r, w * r]);
    }
    const [n, h, w, k] = x.shape;
    const c = k / (r * r);
    const t = tf.transpose(tf.reshape(x, [n, h, w, c, r, r]), [0, 1, 4, 2, 5, 3]);
    return tf.reshape(t, [n, h * r, w * r, c]);
  });
}

/** pixelUnshuffle in PyTorch's order with tfjs's reshape and transpose. */
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

function checkSame(a: tf.Tensor, b: tf.Tensor, what: string): void {
  const av = a.dataSync();
  const bv = b.dataSync();
  if (av.length !== bv.length || av.some((v, i) => v !== bv[i])) {
    throw new Error(`bench ${what}: reshape + transpose disagrees with tfjs-torch`);
  }
  tf.dispose([a, b]);
}

export async function benchPixelShuffle(): Promise<void> {
  const r = 2;
  const xLast = tf.randomUniform([1, 64, 64, 256], -1, 1, 'float32', 1);
  const xFirst = tf.transpose(xLast, [0, 3, 1, 2]);
  const yLast = tf.randomUniform([1, 128, 128, 64], -1, 1, 'float32', 2);
  const yFirst = tf.transpose(yLast, [0, 3, 1, 2]);
  for (const df of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
    const x = df === 'channelsLast' ? xLast : xFirst;
    const y = df === 'channelsLast' ? yLast : yFirst;
    checkSame(pixelShuffle(x, r, {dataFormat: df}), shuffleByTranspose(x, r, df), `shuffle ${df}`);
    checkSame(pixelUnshuffle(y, r, {dataFormat: df}), unshuffleByTranspose(y, r, df),
              `unshuffle ${df}`);
  }
  const rows: Row[] = [
    {
      label: 'pixelShuffle(2) [1,64,64,256] channelsLast',
      contenders: [
        tfContender('tfjs-torch pixelShuffle', () => pixelShuffle(xLast, r)),
        tfContender('tf.depthToSpace (NHWC, TF order)',
                  () => tf.depthToSpace(xLast as tf.Tensor4D, r)),
        tfContender('tfjs reshape+transpose', () => shuffleByTranspose(xLast, r, 'channelsLast')),
      ],
    },
    {
      label: 'pixelShuffle(2) [1,256,64,64] channelsFirst',
      contenders: [
        tfContender('tfjs-torch pixelShuffle',
                  () => pixelShuffle(xFirst, r, {dataFormat: 'channelsFirst'})),
        tfContender('tf.depthToSpace (on NHWC: cpu has no NCHW)',
                  () => tf.depthToSpace(xLast as tf.Tensor4D, r)),
        tfContender('tfjs reshape+transpose', () => shuffleByTranspose(xFirst, r, 'channelsFirst')),
      ],
    },
    {
      label: 'pixelUnshuffle(2) [1,128,128,64] channelsLast',
      contenders: [
        tfContender('tfjs-torch pixelUnshuffle', () => pixelUnshuffle(yLast, r)),
        tfContender('tfjs reshape+transpose', () => unshuffleByTranspose(yLast, r, 'channelsLast')),
      ],
    },
    {
      label: 'pixelUnshuffle(2) [1,64,128,128] channelsFirst',
      contenders: [
        tfContender('tfjs-torch pixelUnshuffle',
                  () => pixelUnshuffle(yFirst, r, {dataFormat: 'channelsFirst'})),
        tfContender('tfjs reshape+transpose', () => unshuffleByTranspose(yFirst, r, 'channelsFirst')),
      ],
    },
  ];
  await runRows('pixelShuffle', rows);
  console.log('\n(tfjs-core 4.22 has no spaceToDepth op: pixelUnshuffle has no built-in to\n' +
              'compare with; reshape + transpose stands in.)');
  tf.dispose([xLast, xFirst, yLast, yFirst]);
}
