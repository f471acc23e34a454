// kernels/node/FiniteMaxPool.ts: the values-only 2-D pool on tensorflow over finite input as
// oneDNN's `_MklNativeMaxPool` (Note [max pool as oneDNN's pool]), TensorFlow's MaxPool with the
// flag off: the probe passes on this build; for every 2-D case of test/fixtures/pool_max.json
// (channelsLast, through the TorchMaxPool2d layer) a finite input whose windows TensorFlow has
// runs exactly that one op, any other input none of them, and both paths give PyTorch's values
// and gradients (NaN, +-Inf and all -Inf windows included); no tensor left behind.
// Run: TFJS_TORCH_BACKENDS=tensorflow npx mocha test/node/finite_max_pool.test.ts
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {hasOneDnnMaxPool, TF_ONEDNN_MAX_POOL_FLAG} from '../../kernels/node/FiniteMaxPool.js';
import type {NodeBackend} from '../../kernels/node/util.js';
import * as pt from '../../src/index.js';
import {nativeMaxPoolPadding, poolingOutputSize} from '../../src/index_math/pool.js';
import {expectMatches, expectNoLeak, fixtureValues, fromFixture, loadFixture} from '../util.js';

const fixture = loadFixture('pool_max');
const POOL_OPS = ['_MklNativeMaxPool', 'MaxPool'];

// test/node/ runs under `npm run test:tensorflow` only (TFJS_TORCH_BACKENDS=tensorflow).
describe('tensorflow: finite max pools as oneDNN\'s pool', () => {
  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../src/node.js');
    await tf.setBackend('tensorflow');
  });
  afterEach(() => tf.env().set(TF_ONEDNN_MAX_POOL_FLAG, true));

  /** The TensorFlow ops fn runs through the binding. */
  function opsOf(fn: () => tf.Tensor): {ops: string[], y: tf.Tensor} {
    const node = tf.backend() as unknown as NodeBackend;
    const ops: string[] = [];
    const single = node.executeSingleOutput;
    const multiple = node.executeMultipleOutputs;
    node.executeSingleOutput = function(name, attrs, inputs) {
      ops.push(name);
      return single.call(this, name, attrs, inputs);
    };
    node.executeMultipleOutputs = function(name, attrs, inputs, n) {
      ops.push(name);
      return multiple.call(this, name, attrs, inputs, n);
    };
    try {
      return {ops, y: fn()};
    } finally {
      node.executeSingleOutput = single;
      node.executeMultipleOutputs = multiple;
    }
  }

  it('runs on this build (Linux x86-64, TensorFlow 2.9.1 with oneDNN)', () => {
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(hasOneDnnMaxPool(tf.backend())).to.equal(true);
    }
  });

  const cases = fixture.cases.filter((c) => c.error == null && c.args.dims === 2);
  it('the fixture has 2-D cases for both paths, finite and not', () => {
    const nonFinite = (c: typeof cases[number]) => fixtureValues(c.inputs.x).some((v) => !Number.isFinite(v));
    expect(cases.filter((c) => nonFinite(c)).length).to.be.greaterThan(3);
    expect(cases.filter((c) => !nonFinite(c)).length).to.be.greaterThan(3);
  });

  for (const flag of [true, false]) {
    for (const c of cases) {
      it(`${c.name}: ${flag ? '_MklNativeMaxPool' : 'MaxPool'} where finite`, async () => {
        tf.env().set(TF_ONEDNN_MAX_POOL_FLAG, flag);
        const a = c.args as Record<string, number|number[]|boolean>;
        const options = {kernelSize: a.kernelSize as number|number[], stride: a.stride as number|number[]|undefined,
                         padding: a.padding as number|number[], dilation: a.dilation as number|number[],
                         ceilMode: a.ceilMode as boolean};
        const layer = pt.layers.maxPool2d(options);
        const x = fromFixture(c.inputs.x, 'channelsLast');
        hasOneDnnMaxPool(tf.backend());  // the probe's own op is not this call's
        const y = await expectNoLeak([x], () => layer.apply(x) as tf.Tensor);
        const {ops, y: y2} = opsOf(() => layer.apply(x) as tf.Tensor);
        const finite = tf.tidy(() => tf.all(tf.isFinite(x)).dataSync()[0] === 1);
        const tuple = (v: number|number[]|undefined, d: number) => v == null ? [d, d] : typeof v === 'number' ? [v, v] : v;
        const k = tuple(options.kernelSize, 0);
        const s = options.stride == null ? k : tuple(options.stride, 0);
        const p = tuple(options.padding, 0);
        const dl = tuple(options.dilation, 1);
        const inSize = x.shape.slice(1, 3);
        const native = x.shape[0] > 0 && nativeMaxPoolPadding(inSize, k, s, p, dl, options.ceilMode ?? false) != null;
        const want = !finite || !native ? [] : [flag && hasOneDnnMaxPool(tf.backend()) ? '_MklNativeMaxPool' : 'MaxPool'];
        expect(ops.filter((o) => POOL_OPS.includes(o))).to.deep.equal(want);
        expect(y.shape.slice(1, 3)).to.deep.equal(
            inSize.map((l, i) => poolingOutputSize(l, k[i], p[i], s[i], dl[i], options.ceilMode ?? false)));
        await expectMatches(y, c.outputs[0], 'channelsLast', 'values');
        await expectMatches(y2, c.outputs[0], 'channelsLast', 'values (again)');
        if (c.grad != null) {
          const dy = fromFixture(c.grad.dy, 'channelsLast');
          const [dx] = await expectNoLeak(
              [x, dy], () => tf.grads((t: tf.Tensor) => layer.apply(t) as tf.Tensor)([x], dy));
          await expectMatches(dx, c.grad.grads.x, 'channelsLast', 'dx');
          tf.dispose([dx, dy]);
        }
        tf.dispose([x, y, y2]);
      });
    }
  }
});
