// pixelShuffle / pixelUnshuffle against PyTorch's pixel_shuffle / pixel_unshuffle
// (test/fixtures/pixel_shuffle.json from scripts/fixtures/gen_pixel_shuffle.py): forward values,
// autograd gradients and PyTorch's error cases, in both dataFormats, on every test backend.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {pixelShuffleSource, pixelShuffleTarget} from '../src/index_math/pixel_shuffle.js';
import type {DataFormat} from '../src/kernel_names.js';
import {show} from '../src/util/args.js';
import {pixelShuffle, pixelUnshuffle} from '../src/index.js';
import {
  DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fixtureValues, loadFixture,
  permuteValues, transposeOnHost,
} from './util.js';
import type {FixtureCase, FixtureTensor} from './util.js';

const fixture = loadFixture('pixel_shuffle');

// Pixel shuffle's layouts differ from the other ops' (Note [pixel shuffle batch dims and
// dataFormat]): every dim before the last three is a batch dim, so channelsLast moves the
// channel dim (third from last) to the end, whatever the rank. Values are permuted on the host
// (transposeOnHost in util.ts says why).
function toFormatPerm(rank: number): number[] {
  const lead = Array.from({length: rank - 3}, (_, i) => i);
  return [...lead, rank - 2, rank - 1, rank - 3];
}

function toTorchLayoutPerm(rank: number): number[] {
  const lead = Array.from({length: rank - 3}, (_, i) => i);
  return [...lead, rank - 1, rank - 3, rank - 2];
}

function fixtureTensor(t: FixtureTensor, dataFormat: DataFormat): tf.Tensor {
  const values = fixtureValues(t);
  if (dataFormat === 'channelsFirst' || t.shape.length < 3) {
    return tf.tensor(values, t.shape, t.dtype);
  }
  const perm = toFormatPerm(t.shape.length);
  return tf.tensor(permuteValues(values, t.shape, perm), perm.map((a) => t.shape[a]), t.dtype);
}

/** Compares a result in dataFormat with a PyTorch-layout fixture tensor. */
async function expectTorch(
    actual: tf.Tensor, expected: FixtureTensor, dataFormat: DataFormat, what: string) {
  const a = dataFormat === 'channelsFirst' || actual.rank < 3 ?
      actual :
      await transposeOnHost(actual, toTorchLayoutPerm(actual.rank));
  try {
    await expectMatches(a, expected, 'channelsFirst', what);
  } finally {
    if (a !== actual) a.dispose();
  }
}

type ShuffleOp = typeof pixelShuffle;

function opOf(c: FixtureCase): {op: ShuffleOp, name: string, factor: number} {
  const shuffle = c.args.op === 'pixelShuffle';
  return {
    op: shuffle ? pixelShuffle : pixelUnshuffle,
    name: shuffle ? 'pixelShuffle' : 'pixelUnshuffle',
    factor: (shuffle ? c.args.upscaleFactor : c.args.downscaleFactor) as number,
  };
}

/** What our message must say for one of PyTorch's errors: the op and the argument at fault. */
function expectedError(c: FixtureCase, name: string): RegExp {
  const e = c.error as string;
  const factor = name === 'pixelShuffle' ? 'upscaleFactor' : 'downscaleFactor';
  if (/positive|must be int/.test(e)) return new RegExp(`^${name}: argument '${factor}'`);
  if (/at least 3 dimensions/.test(e)) return new RegExp(`^${name}: input x must have rank >= 3`);
  if (/'channel' dimension/.test(e)) {
    return new RegExp(`^${name}: input x channels .* divisible by ${factor}\\^2`);
  }
  const spatial = /expects (height|width)/.exec(e);
  if (spatial) return new RegExp(`^${name}: input x ${spatial[1]} .* divisible by ${factor}`);
  throw new Error(`no expected message for PyTorch error: ${e}`);
}

describe('pixel shuffle index math', () => {
  it('pixelShuffleSource is PyTorch\'s channel order c*r*r + i*r + j', () => {
    // Output channel 1 at (h*3 + 2, w*3 + 1) = (5, 4) with r = 3 comes from input channel
    // 1*9 + 2*3 + 1 = 16 at (1, 1).
    expect(pixelShuffleSource(1, 5, 4, 3)).to.deep.equal({channel: 16, h: 1, w: 1});
    expect(pixelShuffleSource(0, 0, 0, 2)).to.deep.equal({channel: 0, h: 0, w: 0});
    expect(pixelShuffleSource(2, 3, 2, 2)).to.deep.equal({channel: 10, h: 1, w: 1});
  });

  it('pixelShuffleTarget inverts pixelShuffleSource', () => {
    for (const r of [1, 2, 3, 4]) {
      for (let c = 0; c < 3; c++) {
        for (let oh = 0; oh < 2 * r; oh++) {
          for (let ow = 0; ow < 3 * r; ow++) {
            const s = pixelShuffleSource(c, oh, ow, r);
            expect(pixelShuffleTarget(s.channel, s.h, s.w, r))
                .to.deep.equal({channel: c, h: oh, w: ow});
          }
        }
      }
    }
  });
});

describeBackends('pixelShuffle / pixelUnshuffle', () => {
  for (const c of fixture.cases) {
    for (const dataFormat of DATA_FORMATS) {
      const {op, name, factor} = opOf(c);
      if (c.error != null) {
        it(`${c.name} [${dataFormat}] throws (PyTorch: ${c.error})`, () => {
          const x = fixtureTensor(c.inputs.x, dataFormat);
          const before = tf.memory().numTensors;
          expect(() => op(x, factor, {dataFormat})).to.throw(expectedError(c, name));
          expect(tf.memory().numTensors, 'tensors left after the throw').to.equal(before);
          x.dispose();
        });
        continue;
      }
      it(`${c.name} [${dataFormat}]`, async () => {
        const x = fixtureTensor(c.inputs.x, dataFormat);
        const y = await expectNoLeak([x], () => op(x, factor, {dataFormat}));
        await expectTorch(y, c.outputs[0], dataFormat, 'output');
        y.dispose();
        if (c.grad != null) {
          const dy = fixtureTensor(c.grad.dy, dataFormat);
          const [dx] = await expectNoLeak(
              [x, dy], () => tf.grads((t: tf.Tensor) => op(t, factor, {dataFormat}))([x], dy));
          await expectTorch(dx, c.grad.grads.x, dataFormat, 'gradient of x');
          dx.dispose();
          dy.dispose();
        }
        x.dispose();
      });
    }
  }

  it('PyTorch docs example: PixelShuffle(3) on randn(1, 9, 4, 4) gives [1, 1, 12, 12]',
     async () => {
    const c = fixture.cases.find(
        (k) => k.name.startsWith('PyTorch docs example: PixelShuffle(3)'));
    expect(c, 'docs example case').to.not.equal(undefined);
    for (const dataFormat of DATA_FORMATS) {
      const x = fixtureTensor(c!.inputs.x, dataFormat);
      const y = pixelShuffle(x, 3, {dataFormat});
      expect(y.shape).to.deep.equal(
          dataFormat === 'channelsFirst' ? [1, 1, 12, 12] : [1, 12, 12, 1]);
      await expectTorch(y, c!.outputs[0], dataFormat, 'output');
      tf.dispose([x, y]);
    }
  });

  it('keeps int32 as int32', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 4], 'int32');
    const y = pixelShuffle(x, 2);
    const z = pixelUnshuffle(y, 2);
    expect(y.dtype).to.equal('int32');
    expect(z.dtype).to.equal('int32');
    tf.dispose([x, y, z]);
  });

  it('accepts a nested array for x without leaking', async () => {
    const x = [[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]];  // [1, 2, 2, 2]
    const y = await expectNoLeak([], () => pixelUnshuffle(x, 2, {dataFormat: 'channelsFirst'}));
    expect(y.shape).to.deep.equal([1, 8, 1, 1]);
    expect(Array.from(await y.data())).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    y.dispose();
  });

  it('differs from tf.depthToSpace when more than one channel remains', async () => {
    // channelsLast (1, 1, 1, 8) with r = 2: PyTorch's order takes output channel c from input
    // channels 4c..4c+3, depthToSpace from channels c, c+2, c+4, c+6.
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7], [1, 1, 1, 8]);
    const ours = pixelShuffle(x, 2);
    const theirs = tf.depthToSpace(x, 2);
    expect(Array.from(await ours.data())).to.deep.equal([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(Array.from(await theirs.data())).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    tf.dispose([x, ours, theirs]);
  });

  it('pixelUnshuffle(pixelShuffle(x)) is x for 2 leading batch dims', async () => {
    for (const dataFormat of DATA_FORMATS) {
      const shape = dataFormat === 'channelsFirst' ? [2, 3, 18, 2, 3] : [2, 3, 2, 3, 18];
      const x = tf.randomUniform(shape, -1, 1, 'float32', 7);
      const y = pixelShuffle(x, 3, {dataFormat});
      const z = pixelUnshuffle(y, 3, {dataFormat});
      expect(Array.from(await z.data())).to.deep.equal(Array.from(await x.data()));
      tf.dispose([x, y, z]);
    }
  });

  it('gives an empty batch the shape the non-empty rule gives (torch 1.13 keeps the input shape)',
     () => {
       const x = tf.zeros([0, 1, 4, 2]);
       const y = pixelUnshuffle(x, 2, {dataFormat: 'channelsFirst'});
       expect(y.shape).to.deep.equal([0, 4, 2, 1]);
       const z = pixelShuffle(y, 2, {dataFormat: 'channelsFirst'});
       expect(z.shape).to.deep.equal([0, 1, 4, 2]);
       tf.dispose([x, y, z]);
     });

  it('gives an empty input with a huge factor the exact output shape (past int32)', async () => {
    // TensorFlow's reshapes take int32 sizes: [1, 0, 0, 1] by 1e8 came back [1, 0, 0, 1874919424].
    const cases: Array<[string, number[], number, DataFormat, number[]]> = [
      ['unshuffle', [1, 0, 0, 1], 1e8, 'channelsLast', [1, 0, 0, 1e16]],
      ['unshuffle', [1, 0, 0, 2], 1e5, 'channelsLast', [1, 0, 0, 2e10]],
      ['unshuffle', [1, 3, 0, 0], 1e5, 'channelsFirst', [1, 3e10, 0, 0]],
      ['shuffle', [1, 0, 5, 5], 1e9, 'channelsFirst', [1, 0, 5e9, 5e9]],
      ['shuffle', [2, 3, 0, 0], 1e9, 'channelsLast', [2, 3e9, 0, 0]],
    ];
    for (const [kind, shape, r, dataFormat, want] of cases) {
      const x = tf.zeros(shape, 'int32');
      const y = kind === 'shuffle' ? pixelShuffle(x, r, {dataFormat}) :
                                     pixelUnshuffle(x, r, {dataFormat});
      expect(y.shape, `${kind} ${show(shape)} by ${r}`).to.deep.equal(want);
      expect(y.dtype).to.equal('int32');
      expect((await y.data()).length).to.equal(0);
      tf.dispose([x, y]);
    }
  });

  it('refuses a factor whose output size is past int64 or not an exact double', () => {
    const x = tf.zeros([1, 0, 0, 1]);
    // 1e10^2 = 1e20 > 2^63 - 1 (PyTorch 2.x refuses it as well: its sizes are int64).
    expect(() => pixelUnshuffle(x, 1e10))
        .to.throw(/^pixelUnshuffle: argument 'downscaleFactor' \(10000000000\) makes output dim 3 100000000000000000000, past int64/);
    // (2^27 + 1)^2 = 2^54 + 2^28 + 1 rounds in a double.
    expect(() => pixelUnshuffle(x, 2 ** 27 + 1))
        .to.throw(/^pixelUnshuffle: argument 'downscaleFactor' .* which a double cannot hold exactly/);
    const y = tf.zeros([1, 0, 3, 3], 'float32');
    expect(() => pixelShuffle(y, 2 ** 62, {dataFormat: 'channelsFirst'}))
        .to.throw(/^pixelShuffle: argument 'upscaleFactor' .* past int64/);
    tf.dispose([x, y]);
  });

  it('rejects bad options, naming the op and the argument', () => {
    const x = tf.zeros([1, 4, 2, 2]);
    expect(() => pixelShuffle(x, 2, {dataFormat: 'NCHW' as DataFormat}))
        .to.throw(/^pixelShuffle: dataFormat must be/);
    expect(() => pixelUnshuffle(x, NaN)).to.throw(/^pixelUnshuffle: argument 'downscaleFactor'/);
    expect(() => pixelShuffle(x, '2' as unknown as number))
        .to.throw(/^pixelShuffle: argument 'upscaleFactor'/);
    const b = tf.zeros([4, 2, 2], 'bool');
    expect(() => pixelShuffle(b, 2)).to.throw(/^pixelShuffle: argument 'x'/);
    b.dispose();
    expect(() => pixelShuffle(null as unknown as tf.Tensor, 2))
        .to.throw(/^pixelShuffle: argument 'x'/);
    x.dispose();
  });
});
