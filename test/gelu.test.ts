// gelu (one TorchGelu kernel, both of PyTorch's forms) against PyTorch (test/fixtures/gelu.json
// from scripts/fixtures/gen_gelu.py): values up to |x| = 12 and exact zeros, gradients, both
// dataFormats (an elementwise op: the layout only permutes), argument checks, every backend.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {gelu} from '../src/index.js';
import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fromFixture, loadFixture} from './util.js';

const fixture = loadFixture('gelu');

describeBackends('gelu (one kernel)', (backend) => {
  for (const c of fixture.cases) {
    const approximate = c.args.approximate as 'none'|'tanh';
    for (const dataFormat of DATA_FORMATS) {
      it(`${c.name} [${dataFormat}]`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat);
        const y = await expectNoLeak([x], () => gelu(x, {approximate}));
        await expectMatches(y, c.outputs[0], dataFormat, 'output');
        // The cases with non-finite inputs have no gradient in the fixture (values only).
        if (c.grad == null) {
          tf.dispose([x, y]);
          return;
        }
        const dy = fromFixture(c.grad!.dy, dataFormat);
        const [dx] = await expectNoLeak([x, dy], () => tf.grads((t: tf.Tensor) => gelu(t, {approximate}))([x], dy));
        await expectMatches(dx, c.grad!.grads.x, dataFormat, 'gradient of x');
        tf.dispose([x, y, dy, dx]);
      });
    }
  }

  // wasm: approximate 'none' ran the SIMD loop geluErf (kernels/wasm/simd_math.ts); with the loops
  // off it is tfjs's Mul, Erf, Add. Values against PyTorch's again.
  if (backend === 'wasm') {
    describe('with the wasm SIMD loops off', () => {
      before(() => tf.env().set('TORCH_WASM_SIMD_LOOPS', false));
      after(() => tf.env().set('TORCH_WASM_SIMD_LOOPS', true));
      for (const c of fixture.cases) {
        it(`${c.name}`, async () => {
          const x = fromFixture(c.inputs.x, 'channelsFirst');
          const y = gelu(x, {approximate: c.args.approximate as 'none'|'tanh'});
          await expectMatches(y, c.outputs[0], 'channelsFirst', 'output');
          tf.dispose([x, y]);
        });
      }
    });
  }

  it('rejects bad arguments before any work', () => {
    const x = tf.zeros([2, 2]);
    const i = tf.zeros([2], 'int32');
    const before = tf.memory().numTensors;
    expect(() => gelu(x, {approximate: 'erf' as 'none'})).to.throw(/^gelu: argument 'approximate' must be 'none' or 'tanh', got erf/);
    expect(() => gelu(i)).to.throw(/^gelu: argument 'x' must be float32/);
    expect(() => gelu(x, {approx: 'tanh'} as object)).to.throw(/^gelu: unknown option 'approx'/);
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose([x, i]);
  });
});
