// normalize / denormalize against PyTorch's arithmetic of torchvision's normalize
// (test/fixtures/normalize.json from scripts/fixtures/gen_normalize.py): forward values,
// autograd gradients, a round trip and PyTorch's error cases, in both dataFormats, on every
// test backend.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import type {DataFormat} from '../src/kernel_names.js';
import {denormalize, normalize} from '../src/index.js';
import type {ChannelValues} from '../src/index.js';
import {
  DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fixtureValues, fromFixture,
  loadFixture,
} from './util.js';
import type {FixtureCase} from './util.js';

const fixture = loadFixture('normalize');

function argsOf(c: FixtureCase): {mean: ChannelValues, std: ChannelValues} {
  return {mean: c.args.mean as ChannelValues, std: c.args.std as ChannelValues};
}

/** The op a case names; 'roundtrip' is denormalize(normalize(x)). */
function opOf(c: FixtureCase): (x: tf.Tensor, dataFormat: DataFormat) => tf.Tensor {
  const {mean, std} = argsOf(c);
  switch (c.args.op) {
    case 'normalize':
      return (x, dataFormat) => normalize(x, mean, std, {dataFormat});
    case 'denormalize':
      return (x, dataFormat) => denormalize(x, mean, std, {dataFormat});
    default:
      return (x, dataFormat) => tf.tidy(
          () => denormalize(normalize(x, mean, std, {dataFormat}), mean, std, {dataFormat}));
  }
}

/** What our message must say for one of PyTorch's errors: the op and the argument at fault. */
function expectedError(c: FixtureCase): RegExp {
  const op = c.args.op as string;
  if (/std evaluated to zero/.test(c.error!)) {
    return new RegExp(`^${op}: argument 'std' is zero after conversion to float32`);
  }
  if (/must match the size/.test(c.error!)) {
    const {mean} = argsOf(c);
    const bad = typeof mean !== 'number' && mean.length !== 1 && mean.length !== 3 ? 'mean' : 'std';
    return new RegExp(`^${op}: argument '${bad}' must have 1 or 3 \\(the channel count\\) entries`);
  }
  throw new Error(`no expected message for PyTorch error: ${c.error}`);
}

describeBackends('normalize / denormalize', (backend) => {
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
        if (c.args.op === 'roundtrip') {
          // The inverse within float32 rounding: back to x itself, not only to PyTorch's
          // round trip.
          await expectMatches(y, {...c.inputs.x, dtype: 'float32'}, dataFormat, 'round trip to x');
        }
        y.dispose();
        if (c.grad != null) {
          const dy = fromFixture(c.grad.dy, dataFormat);
          const [dx] = await expectNoLeak(
              [x, dy], () => tf.grads((t: tf.Tensor) => op(t, dataFormat))([x], dy));
          await expectMatches(dx, c.grad.grads.x, dataFormat, 'gradient of x');
          dx.dispose();
          dy.dispose();
        }
        x.dispose();
      });
    }
  }

  // Only the cpu kernel promises identical float32 rounding steps; GPUs may not, so the test is
  // registered for cpu alone (the tolerance-based cases above run on every backend).
  if (backend === 'cpu') it('equals PyTorch bit for bit (sub then div, mul then add, in float32)', async () => {
    for (const c of fixture.cases) {
      if (c.error != null || c.args.op === 'roundtrip') continue;
      const x = fromFixture(c.inputs.x, 'channelsFirst');
      const y = opOf(c)(x, 'channelsFirst');
      const got = await y.data();
      const want = fixtureValues(c.outputs[0]);
      for (let i = 0; i < want.length; i++) {
        if (got[i] !== want[i]) {
          expect.fail(`${c.name}: output ${i} is ${got[i]}, PyTorch gives ${want[i]}`);
        }
      }
      tf.dispose([x, y]);
    }
  });

  it('accepts mean and std as typed arrays and x as a nested array, without leaking',
     async () => {
       const y = await expectNoLeak(
           [], () => normalize([[1, 2], [3, 4]], new Float32Array([1, 2]), [2, 4]));
       expect(y.dtype).to.equal('float32');
       expect(Array.from(await y.data())).to.deep.equal([0, 0, 1, 0.5]);
       y.dispose();
     });

  it('converts int32 input to float32', async () => {
    const x = tf.tensor4d([0, 255, 128, 64], [1, 2, 2, 1], 'int32');
    const y = normalize(x, 127.5, 127.5);
    const z = denormalize(x, 0, 2);
    expect(y.dtype).to.equal('float32');
    expect(z.dtype).to.equal('float32');
    expect(Array.from(await z.data())).to.deep.equal([0, 510, 256, 128]);
    tf.dispose([x, y, z]);
  });

  it('rejects bad arguments, naming the op and the argument', () => {
    const x = tf.zeros([1, 2, 2, 3]);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => normalize(x, 0, [1, 0, 1]), /^normalize: argument 'std' is zero/],
      [() => denormalize(x, 0, 0), /^denormalize: argument 'std' is zero/],
      [() => normalize(x, NaN, 1), /^normalize: argument 'mean' must be finite/],
      [() => denormalize(x, 0, [1, Infinity, 1]), /^denormalize: argument 'std' must be finite/],
      [() => normalize(x, [0, 0], 1), /^normalize: argument 'mean' must have 1 or 3/],
      [() => normalize(x, 0, []), /^normalize: argument 'std' must have 1 or 3/],
      [() => normalize(x, [0, 0, 0], 1, {dataFormat: 'channelsFirst'}),
       /^normalize: argument 'mean' must have 1 or 2/],
      [() => normalize(x, '0' as unknown as number, 1),
       /^normalize: argument 'mean' must be a number or an array/],
      [() => normalize(x, ['a'] as unknown as number[], 1),
       /^normalize: argument 'mean' must hold numbers/],
      [() => normalize(x, 0, tf.ones([3]) as unknown as number[]),
       /^normalize: argument 'std' must be a number or an array of numbers, got a tensor/],
      [() => normalize(tf.zeros([3]), 0, 1), /^normalize: input x must have rank 2 to 5/],
      [() => denormalize(tf.zeros([1, 1, 1, 1, 1, 1]), 0, 1),
       /^denormalize: input x must have rank 2 to 5/],
      [() => normalize(x, 0, 1, {dataFormat: 'nchw' as DataFormat}),
       /^normalize: dataFormat must be/],
      [() => normalize(null as unknown as tf.Tensor, 0, 1), /^normalize: argument 'x'/],
    ];
    for (const [fn, re] of cases) expect(fn).to.throw(re);
    x.dispose();
  });
});
