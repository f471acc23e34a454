// kernels/node/FiniteProbe.ts: the op-side finite check (src/ops/finite_check.ts's allFinite) on
// tensorflow as one L2Loss (Note [the finite check as one op]): the kernel is registered, a
// float32 check runs exactly that one TensorFlow op (no Sum, no axes tensor), and its answer is
// whether every value is finite (tf.isFinite's, NaN / +Inf / -Inf at the first, a middle and the
// last place, empty input, a finite input whose squares overflow float32 counted as not finite);
// int32 input keeps tfjs's Sum; no tensor left behind, the input unchanged, nothing on a tape.
// Run: TFJS_TORCH_BACKENDS=tensorflow npx mocha test/node/finite_probe.test.ts
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import type {NodeBackend} from '../../kernels/node/util.js';
import {FiniteProbe} from '../../src/kernel_names.js';
import {allFinite} from '../../src/ops/finite_check.js';

// test/node/ runs under `npm run test:tensorflow` only (TFJS_TORCH_BACKENDS=tensorflow).
describe('tensorflow: the finite check as one L2Loss', () => {
  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../src/node.js');
    await tf.setBackend('tensorflow');
  });

  /** allFinite(x) and the TensorFlow ops it ran through the binding. */
  function checked(x: tf.Tensor): {finite: boolean, ops: string[]} {
    const node = tf.backend() as unknown as NodeBackend;
    const ops: string[] = [];
    const single = node.executeSingleOutput;
    node.executeSingleOutput = function(name, attrs, inputs) {
      ops.push(name);
      return single.call(this, name, attrs, inputs);
    };
    try {
      return {finite: allFinite(x), ops};
    } finally {
      node.executeSingleOutput = single;
    }
  }

  it('is registered for tensorflow', () => {
    expect(tf.getKernel(FiniteProbe, 'tensorflow')).to.not.equal(undefined);
  });

  const shapes = [[1, 10, 10, 16], [1, 20, 20, 16], [2, 7, 5, 3], [1, 160, 160, 16]];
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    for (const bad of [NaN, Infinity, -Infinity, null]) {
      for (const at of bad == null ? [-1] : [0, Math.floor(n / 2), n - 1]) {
        it(`[${shape}]: ${bad == null ? 'finite' : `${bad} at ${at}`}`, async () => {
          const values = Float32Array.from({length: n}, (_, i) => Math.sin(i) * 100);
          if (bad != null) values[at] = bad;
          const x = tf.tensor(values, shape);
          const before = tf.memory().numTensors;
          const {finite, ops} = checked(x);
          expect(tf.memory().numTensors).to.equal(before);
          expect(ops).to.deep.equal(['L2Loss']);
          const want = tf.tidy(() => tf.all(tf.isFinite(x)).dataSync()[0] === 1);
          expect(want).to.equal(bad == null);
          expect(finite).to.equal(want);
          expect(Array.from(await x.data())).to.deep.equal(Array.from(values));
          x.dispose();
        });
      }
    }
  }

  it('empty input is finite', () => {
    const x = tf.zeros([1, 0, 4, 3]);
    expect(checked(x)).to.deep.equal({finite: true, ops: ['L2Loss']});
    x.dispose();
  });

  it('a finite input whose squares overflow float32 counts as not finite (the exact path)', () => {
    const x = tf.tensor([1, 2e19, 3], [1, 1, 3, 1]);
    expect(checked(x).finite).to.equal(false);
    const y = tf.tensor([1, 1e18, 3], [1, 1, 3, 1]);
    expect(checked(y).finite).to.equal(true);
    tf.dispose([x, y]);
  });

  it('int32 input keeps tfjs\'s Sum', () => {
    const x = tf.tensor([1, 2, 3], [1, 1, 3, 1], 'int32');
    const {finite, ops} = checked(x);
    expect(finite).to.equal(true);
    expect(ops).to.not.include('L2Loss');
    x.dispose();
  });

  it('inside tf.grad records nothing and leaves the gradient alone', () => {
    const x = tf.tensor([1, -2, 3, 4], [1, 2, 2, 1]);
    const before = tf.memory().numTensors;
    const dx = tf.grad((t: tf.Tensor) => {
      expect(allFinite(t)).to.equal(true);
      return tf.sum(tf.mul(t, 3));
    })(x);
    expect(Array.from(dx.dataSync())).to.deep.equal([3, 3, 3, 3]);
    dx.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    x.dispose();
  });
});
