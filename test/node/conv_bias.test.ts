// kernels/node/conv_bias.ts: oneDNN's conv-with-bias op (Note [conv and bias in one TensorFlow
// op]) against TensorFlow's Conv2D + BiasAdd on inputs larger than the PyTorch fixtures (which
// pin both: test/grouped_conv.test.ts runs F.conv2d's fixtures, groups 1 to 32, through this path
// on tensorflow). Random values with NaN and +-Inf, batch 2, strides, dilations, explicit
// asymmetric padding, groups; no tensor left behind.
// Run: TFJS_TORCH_BACKENDS=tensorflow npx mocha test/node/conv_bias.test.ts
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {conv2dWithBias, hasFusedConvBias, TF_ONEDNN_CONV_BIAS_FLAG} from '../../kernels/node/conv_bias.js';
import type {ConvBiasArgs} from '../../kernels/node/conv_bias.js';

// test/node/ runs under `npm run test:tensorflow` only (TFJS_TORCH_BACKENDS=tensorflow).
describe('tensorflow: conv and bias in one TensorFlow op', () => {
  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../src/node.js');
    await tf.setBackend('tensorflow');
  });
  afterEach(() => tf.env().set(TF_ONEDNN_CONV_BIAS_FLAG, true));

  function values(n: number, seed: number, special: boolean): Float32Array {
    const v = new Float32Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const u = s / 2 ** 32;
      v[i] = special && u > 0.995 ? NaN : special && u > 0.99 ? Infinity :
          special && u < 0.005 ? -Infinity : u * 2 - 1;
    }
    return v;
  }

  it('runs on this build (Linux x86-64, TensorFlow 2.9.1 with oneDNN)', () => {
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(hasFusedConvBias(tf.backend())).to.equal(true);
    }
  });

  // [x shape NHWC, filter [kh, kw, in / groups, out], args]
  const cases: Array<[number[], number[], ConvBiasArgs]> = [
    [[2, 19, 23, 12], [3, 3, 12, 12], {strides: [1, 1], dilations: [1, 1], padding: 'SAME'}],
    [[1, 17, 16, 1], [5, 5, 1, 56], {strides: [1, 1], dilations: [1, 1], padding: 'EXPLICIT', explicit: [2, 2, 2, 2]}],
    [[2, 15, 18, 6], [3, 5, 6, 8], {strides: [2, 3], dilations: [1, 1], padding: 'EXPLICIT', explicit: [0, 3, 1, 2]}],
    [[1, 20, 20, 16], [3, 3, 16, 24], {strides: [1, 1], dilations: [2, 3], padding: 'VALID'}],
    [[1, 12, 12, 64], [3, 3, 8, 64], {strides: [2, 2], dilations: [1, 1], padding: 'EXPLICIT', explicit: [1, 1, 1, 1]}],
    [[1, 9, 9, 32], [3, 3, 32, 32], {strides: [1, 1], dilations: [1, 1], padding: 'SAME'}],
    // Wide: 576 and 1152 products per output (SRVGGNetCompact's, U-Net's), a 1x1 over 512.
    [[1, 11, 10, 64], [3, 3, 64, 64], {strides: [1, 1], dilations: [1, 1], padding: 'EXPLICIT', explicit: [1, 1, 1, 1]}],
    [[2, 8, 9, 128], [3, 3, 128, 40], {strides: [2, 2], dilations: [1, 1], padding: 'EXPLICIT', explicit: [1, 0, 0, 1]}],
    [[1, 6, 7, 512], [1, 1, 512, 24], {strides: [1, 1], dilations: [1, 1], padding: 'VALID'}],
    [[1, 7, 8, 256], [3, 3, 64, 256], {strides: [1, 1], dilations: [1, 1], padding: 'EXPLICIT', explicit: [1, 1, 1, 1]}],
  ];
  for (const [xs, fs, args] of cases) {
    for (const special of [false, true]) {
      it(`[${xs}] * [${fs}] ${args.padding} strides ${args.strides} dilations ${args.dilations}${
             special ? ' with NaN / Inf' : ''}`, () => {
        const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
        const x = tf.tensor4d(values(size(xs), 3, special), xs as [number, number, number, number]);
        const f = tf.tensor4d(values(size(fs), 5, false), fs as [number, number, number, number]);
        const b = tf.tensor1d(values(fs[3], 7, false));
        const xBefore = x.dataSync().slice();
        const count = tf.memory().numTensors;
        tf.env().set(TF_ONEDNN_CONV_BIAS_FLAG, true);
        const fused = conv2dWithBias(tf.backend(), x, f, b, args);
        tf.env().set(TF_ONEDNN_CONV_BIAS_FLAG, false);
        const plain = conv2dWithBias(tf.backend(), x, f, b, args);
        expect(tf.memory().numTensors).to.equal(count + 2);
        expect(fused.shape).to.deep.equal(plain.shape);
        const u = fused.dataSync();
        const v = plain.dataSync();
        let bad = 0;
        for (let i = 0; i < v.length; i++) {
          const same = Number.isNaN(v[i]) ? Number.isNaN(u[i]) :
              !Number.isFinite(v[i]) ? u[i] === v[i] : Math.abs(u[i] - v[i]) <= 1e-5 * (1 + Math.abs(v[i]));
          if (!same) bad++;
        }
        expect(bad, `${bad} of ${v.length} differ`).to.equal(0);
        expect(Array.from(x.dataSync())).to.deep.equal(Array.from(xBefore));
        tf.dispose([x, f, b, fused, plain]);
      });
    }
  }
});
