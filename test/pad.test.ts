// pad (F.pad in one TorchPad kernel) against PyTorch (test/fixtures/pad.json from
// scripts/fixtures/gen_pad.py): every mode, negative pads, ranks 2 to 5, forward values and
// autograd gradients in both dataFormats, PyTorch's error cases, and argument checks, on every
// test backend.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {pad} from '../src/index.js';
import type {PadMode} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fromFixture, loadFixture} from './util.js';
import type {FixtureCase} from './util.js';

const fixture = loadFixture('pad');

function opOf(c: FixtureCase): (x: tf.Tensor, dataFormat: DataFormat) => tf.Tensor {
  const {padding, mode, value} = c.args as {padding: number[], mode: PadMode, value: number};
  return (x, dataFormat) => pad(x, padding, {mode, value: mode === 'constant' ? value : undefined, dataFormat});
}

/** Our message for one of PyTorch's rejections: the op, the dim and PyTorch's reason. */
function expectedError(c: FixtureCase): RegExp {
  if (/should be less than the corresponding input dimension/.test(c.error!)) {
    return /^pad: padding \(4, 0\) of dim 3 .*reflect padding must be smaller than the input size 4/;
  }
  if (/wrapping around more than once/.test(c.error!)) {
    return /^pad: padding \(5, 0\) of dim 2 .*circular padding wraps around more than once/;
  }
  if (/Dimension out of range/.test(c.error!)) {
    return /^pad: padding \(-5, 0\) of dim 2 .*gives a negative output size -1/;
  }
  throw new Error(`no expected message for PyTorch error: ${c.error}`);
}

describeBackends('pad (F.pad, one kernel)', () => {
  for (const c of fixture.cases) {
    for (const dataFormat of DATA_FORMATS) {
      const op = opOf(c);
      if (c.error != null) {
        it(`${c.name} [${dataFormat}] throws (PyTorch: ${c.error})`, () => {
          const x = fromFixture(c.inputs.x, dataFormat);
          const before = tf.memory().numTensors;
          expect(() => op(x, dataFormat)).to.throw(expectedError(c));
          expect(tf.memory().numTensors, 'tensors left after the throw').to.equal(before);
          x.dispose();
        });
        continue;
      }
      it(`${c.name} [${dataFormat}]`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat);
        const y = await expectNoLeak([x], () => op(x, dataFormat));
        await expectMatches(y, c.outputs[0], dataFormat, 'output');
        y.dispose();
        const dy = fromFixture(c.grad!.dy, dataFormat);
        const [dx] = await expectNoLeak(
            [x, dy], () => tf.grads((t: tf.Tensor) => op(t, dataFormat))([x], dy));
        await expectMatches(dx, c.grad!.grads.x, dataFormat, 'gradient of x');
        dx.dispose();
        dy.dispose();
        x.dispose();
      });
    }
  }

  it('keeps int32 values exactly (constant fill and reflect)', async () => {
    const big = 2 ** 24 + 1;
    const x = tf.tensor4d([1, big, -3, 4, 5, 6], [1, 1, 2, 3], 'int32');
    const y = pad(x, [1, 1], {mode: 'constant', value: 7, dataFormat: 'channelsFirst'});
    expect(y.dtype).to.equal('int32');
    expect(Array.from(await y.data())).to.deep.equal([7, 1, big, -3, 7, 7, 4, 5, 6, 7]);
    const r = pad(x, [1, 1, 0, 0], {mode: 'reflect', dataFormat: 'channelsFirst'});
    expect(Array.from(await r.data())).to.deep.equal([big, 1, big, -3, big, 5, 4, 5, 6, 5]);
    tf.dispose([x, y, r]);
  });

  it('gives an empty output when everything is cropped', async () => {
    const x = tf.ones([1, 2, 3, 1]);
    const y = pad(x, [-3, 0], {dataFormat: 'channelsLast'});  // W (axis 2) to 0
    expect(y.shape).to.deep.equal([1, 2, 0, 1]);
    tf.dispose([x, y]);
  });

  it('rejects bad arguments before any work, naming the argument', () => {
    const x = tf.zeros([1, 4, 4, 2]);
    const before = tf.memory().numTensors;
    expect(() => pad(x, [1, 2, 3])).to.throw(/^pad: argument 'padding' must be an integer or an even-length array/);
    expect(() => pad(x, [1.5, 1])).to.throw(/^pad: argument 'padding' must be an integer/);
    expect(() => pad(x, 1, {mode: 'mirror' as PadMode})).to.throw(/^pad: argument 'mode' must be one of constant, reflect, replicate, circular/);
    expect(() => pad(x, 1, {mode: 'reflect', value: 2})).to.throw(/^pad: argument 'value' is only for mode 'constant'/);
    expect(() => pad(x, [1, 1], {mode: 'reflect'})).to.throw(/^pad: mode 'reflect' pads the spatial dims of a batched input: padding needs 2 entries per spatial dim \(4\)/);
    expect(() => pad(x, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])).to.throw(/^pad: padding .* names 5 dims, but the input has 4/);
    expect(() => pad(x, 1, {dataFormat: 'NCHW' as DataFormat})).to.throw(/^pad: /);
    expect(() => pad(x, 1, {mdoe: 'reflect'} as object)).to.throw(/^pad: unknown option 'mdoe'/);
    expect(tf.memory().numTensors).to.equal(before);
    x.dispose();
  });
});
