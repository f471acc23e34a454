// kernels/node/GroupNorm.ts: a layer norm on oneDNN's op with each row shifted by its first value
// (Note [layer norm as oneDNN's op]) against the norm's formula in float64 on the same float32
// inputs, on rows larger than the PyTorch fixtures (which pin it too: test/group_norm.test.ts runs
// F.layer_norm's fixtures, offset rows and non-finite values included, through this path on
// tensorflow). Rows with large offsets against their spread (where the op alone cancels: 7e-3 off
// at 1000 + 0.01 U), NaN and +-Inf, trailing blocks of one and more dims, with and without an
// affine; inputs unchanged, no tensor left behind. The composed form (flag off) is run for its
// shape only: its folded multiply-add cancels on such rows (2.9e-2 off at 1000 + 0.01 U).
// Run: TFJS_TORCH_BACKENDS=tensorflow npx mocha test/node/layer_norm.test.ts
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {hasOneDnnLayerNorm, TF_ONEDNN_LAYER_NORM_FLAG} from '../../kernels/node/GroupNorm.js';
import {layerNorm} from '../../src/ops/group_norm.js';

// test/node/ runs under `npm run test:tensorflow` only (TFJS_TORCH_BACKENDS=tensorflow).
describe('tensorflow: layer norm on oneDNN\'s op', () => {
  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../src/node.js');
    await tf.setBackend('tensorflow');
  });
  afterEach(() => tf.env().set(TF_ONEDNN_LAYER_NORM_FLAG, true));

  function values(n: number, seed: number, offset: number, scale: number, special: boolean): Float32Array {
    const v = new Float32Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const u = s / 2 ** 32;
      v[i] = special && u > 0.999 ? NaN : special && u > 0.998 ? Infinity :
          special && u < 0.001 ? -Infinity : offset + scale * (u * 2 - 1);
    }
    return v;
  }

  it('runs on this build (Linux x86-64, TensorFlow 2.9.1 with oneDNN)', () => {
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(hasOneDnnLayerNorm(tf.backend())).to.equal(true);
    }
  });

  // [x shape, normalized shape, offset, scale, affine, non-finite values]
  const cases: Array<[number[], number[], number, number, boolean, boolean]> = [
    [[1, 4096, 256], [256], 0, 1, true, false],
    [[1, 300, 256], [256], 100, 1, true, false],
    [[64, 256], [256], 1000, 0.01, true, false],
    [[3, 40, 256], [256], 1e4, 1, false, false],
    [[2, 7, 4, 6], [4, 6], -5, 3, true, false],
    [[5, 3], [3], 0, 1e-3, true, false],
    [[2, 50, 64], [64], 2, 1, true, true],
  ];
  for (const [xs, shape, offset, scale, affine, special] of cases) {
    it(`[${xs}] over [${shape}], values ${offset} + ${scale} U(-1, 1)${affine ? ', affine' : ''}${
           special ? ', with NaN / Inf' : ''}`, () => {
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const x = tf.tensor(values(size(xs), 3, offset, scale, special), xs);
      const w = affine ? tf.tensor(values(size(shape), 5, 1, 0.5, false), shape) : undefined;
      const b = affine ? tf.tensor(values(size(shape), 7, 0, 1, false), shape) : undefined;
      const xBefore = x.dataSync().slice();
      const count = tf.memory().numTensors;
      tf.env().set(TF_ONEDNN_LAYER_NORM_FLAG, true);
      const fused = layerNorm(x, shape, {weight: w, bias: b, eps: 1e-5});
      tf.env().set(TF_ONEDNN_LAYER_NORM_FLAG, false);
      const plain = layerNorm(x, shape, {weight: w, bias: b, eps: 1e-5});
      expect(tf.memory().numTensors).to.equal(count + 2);
      expect(fused.shape).to.deep.equal(xs);
      expect(plain.shape).to.deep.equal(xs);
      const u = fused.dataSync();
      const c = size(shape);
      const wv = w?.dataSync();
      const bv = b?.dataSync();
      let bad = 0;
      let nan = 0;
      for (let r = 0; r < xBefore.length / c; r++) {
        const row = Array.from(xBefore.subarray(r * c, (r + 1) * c));
        const mean = row.reduce((p, q) => p + q, 0) / c;
        const variance = row.reduce((p, q) => p + (q - mean) ** 2, 0) / c;
        for (let j = 0; j < c; j++) {
          const norm = (row[j] - mean) / Math.sqrt(variance + 1e-5);
          const want = wv == null ? norm : wv[j] * norm + bv![j];
          const got = u[r * c + j];
          if (Number.isNaN(want)) nan++;
          const same = Number.isNaN(want) ? Number.isNaN(got) : Math.abs(got - want) <= 1e-5 * (1 + Math.abs(want));
          if (!same) bad++;
        }
      }
      expect(bad, `${bad} of ${u.length} differ`).to.equal(0);
      if (special) expect(nan, 'rows with a non-finite value').to.be.above(0);
      expect(Array.from(x.dataSync())).to.deep.equal(Array.from(xBefore));
      tf.dispose([x, fused, plain]);
      if (w != null) tf.dispose([w, b!]);
    });
  }
});
