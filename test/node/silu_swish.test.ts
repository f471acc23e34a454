// kernels/node/Silu.ts: silu on tensorflow as oneDNN's `_MklSwish` (Note [silu as oneDNN's
// swish]): the probe passes on this build, the kernel then runs that one TensorFlow op (and only
// it), and both paths (the op, and Sigmoid + Mul with the flag off) give PyTorch's values for
// every case of test/fixtures/silu.json (+-Infinity and NaN at many lane positions included),
// gradients too; no tensor left behind.
// Run: TFJS_TORCH_BACKENDS=tensorflow npx mocha test/node/silu_swish.test.ts
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {hasOneDnnSwish, TF_ONEDNN_SILU_FLAG} from '../../kernels/node/Silu.js';
import type {NodeBackend} from '../../kernels/node/util.js';
import {silu} from '../../src/ops/silu.js';
import {expectMatches, expectNoLeak, fromFixture, loadFixture} from '../util.js';

const fixture = loadFixture('silu');

// test/node/ runs under `npm run test:tensorflow` only (TFJS_TORCH_BACKENDS=tensorflow).
describe('tensorflow: silu as oneDNN\'s swish', () => {
  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../src/node.js');
    await tf.setBackend('tensorflow');
  });
  afterEach(() => tf.env().set(TF_ONEDNN_SILU_FLAG, true));

  /** The TensorFlow ops fn runs through the binding's executeSingleOutput. */
  function opsOf(fn: () => tf.Tensor): {ops: string[], y: tf.Tensor} {
    const node = tf.backend() as unknown as NodeBackend;
    const ops: string[] = [];
    const original = node.executeSingleOutput;
    node.executeSingleOutput = function(name, attrs, inputs) {
      ops.push(name);
      return original.call(this, name, attrs, inputs);
    };
    try {
      return {ops, y: fn()};
    } finally {
      node.executeSingleOutput = original;
    }
  }

  it('runs on this build (Linux x86-64, TensorFlow 2.9.1 with oneDNN)', () => {
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(hasOneDnnSwish(tf.backend())).to.equal(true);
    }
  });

  for (const flag of [true, false]) {
    for (const c of fixture.cases) {
      it(`${c.name}: ${flag ? '_MklSwish' : 'Sigmoid + Mul'}`, async () => {
        tf.env().set(TF_ONEDNN_SILU_FLAG, flag);
        const x = fromFixture(c.inputs.x, 'channelsFirst');
        hasOneDnnSwish(tf.backend());  // the probe's own op is not this call's
        const y = await expectNoLeak([x], () => silu(x));
        const {ops, y: y2} = opsOf(() => silu(x));
        if (flag && hasOneDnnSwish(tf.backend())) {
          expect(ops).to.deep.equal(['_MklSwish']);
        } else {
          expect(ops).to.not.include('_MklSwish');
          expect(ops).to.include('Sigmoid');
        }
        await expectMatches(y, c.outputs[0], 'channelsFirst', 'output');
        await expectMatches(y2, c.outputs[0], 'channelsFirst', 'output (again)');
        const dy = fromFixture(c.grad!.dy, 'channelsFirst');
        const [dx] = tf.grads((t: tf.Tensor) => silu(t))([x], dy);
        await expectMatches(dx, c.grad!.grads.x, 'channelsFirst', 'gradient of x');
        tf.dispose([x, y, y2, dy, dx]);
      });
    }
  }
});
