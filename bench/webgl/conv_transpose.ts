// webgl rows for convTranspose2d next to tfjs's own webgl transposed convolution
// (tf.conv2dTranspose, NHWC only) on the same work: [1, 32, 32, 64] -> 64 channels, kernel 4,
// stride 2, padding 1 (PyTorch's; tf's 'same' padding gives the same 64 x 64 output). tf's filter
// is [kH, kW, outC, inC], ours PyTorch's [inC, outC, kH, kW]: the same numbers, transposed
// (checked equal before timing).
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose2d} from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';
import type {Row} from '../harness.js';
import {contender, expectSame, input} from './common.js';
import {freshTranspose} from './pool.js';

export async function convTransposeRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const [inC, outC, k] = [64, 64, 4];
  const weight = tf.tidy(() => tf.sub(input([inC, outC, k, k]), 0.5)) as tf.Tensor4D;
  const filter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D;
  const xNhwc = input([1, 32, 32, inC]) as tf.Tensor4D;
  const theirs = () => tf.conv2dTranspose(xNhwc, filter, [1, 64, 64, outC], 2, 'same');
  for (const dataFormat of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
    // A fresh upload in either layout, as xNhwc is for tf's op (a transposed tensor would be
    // packed, and unpacking it would be timed with our call).
    const x = dataFormat === 'channelsLast' ? xNhwc :
                                              await freshTranspose(xNhwc, [0, 3, 1, 2]) as tf.Tensor4D;
    const ours = () => convTranspose2d(x, weight, null, {stride: 2, padding: 1, dataFormat});
    const a = ours();
    const b = theirs();
    const aNhwc = dataFormat === 'channelsLast' ? a : tf.transpose(a, [0, 2, 3, 1]);
    await expectSame(aNhwc, b, `convTranspose2d ${dataFormat} vs tf.conv2dTranspose`, 1e-4);
    tf.dispose([a, aNhwc, b]);
    rows.push({
      label: `conv2dTranspose [1,32,32,64] -> 64 k4 s2 p1 ${dataFormat}`,
      contenders: [
        contender('tfjs-torch convTranspose2d', ours),
        contender('tfjs conv2dTranspose (NHWC)', theirs),
      ],
    });
  }
  return rows;
}
