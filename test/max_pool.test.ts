// maxPool{1,2,3}dWithIndices against PyTorch's max_poolNd(..., return_indices=True): values,
// int32 indices (exact), gradients, PyTorch's errors, in both dataFormats on every backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import {maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices} from '../src/index.js';
import type {MaxPoolOptions} from '../src/index.js';
import * as pt from '../src/index.js';
import {FiniteMaxPool, MaxPoolWithIndices} from '../src/kernel_names.js';
import type {DataFormat} from '../src/kernel_names.js';
import {
  DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fromFixture, loadFixture,
  transposeOnHost,
} from './util.js';
import type {FixtureCase} from './util.js';

type PoolFn = (x: tf.Tensor|tf.TensorLike, options: MaxPoolOptions) => [tf.Tensor, tf.Tensor];
const OPS: Record<number, [string, PoolFn]> = {
  1: ['maxPool1dWithIndices', maxPool1dWithIndices as PoolFn],
  2: ['maxPool2dWithIndices', maxPool2dWithIndices as PoolFn],
  3: ['maxPool3dWithIndices', maxPool3dWithIndices as PoolFn],
};

function optionsOf(c: FixtureCase, dataFormat: DataFormat): MaxPoolOptions {
  const a = c.args as Record<string, number|number[]|boolean>;
  return {
    kernelSize: a.kernelSize as number|number[],
    stride: a.stride as number|number[]|undefined,
    padding: a.padding as number|number[],
    dilation: a.dilation as number|number[],
    ceilMode: a.ceilMode as boolean,
    dataFormat,
  };
}

/** The argument our message must name for each kind of PyTorch error in the fixture. */
function expectedErrorText(name: string): RegExp {
  if (/padding/.test(name)) return /padding/;
  if (/zero kernel/.test(name)) return /kernelSize/;
  if (/zero stride/.test(name)) return /stride/;
  if (/dilation/.test(name)) return /dilation/;
  if (/too small/.test(name)) return /output size is too small/;
  if (/channels/.test(name)) return /channel/;
  if (/int32/.test(name)) return /'x' must be float32/;
  throw new Error(`no expected message for fixture error case ${name}`);
}

describeBackends('maxPoolNdWithIndices', () => {
  const fixture = loadFixture('pool_max');

  for (const c of fixture.cases) {
    const [opName, op] = OPS[c.args.dims as number];
    for (const dataFormat of DATA_FORMATS) {
      if (c.error != null) {
        it(`${opName}: ${c.name} (${dataFormat}) throws as PyTorch (${c.error})`, () => {
          const x = fromFixture(c.inputs.x, dataFormat);
          const before = tf.memory().numTensors;
          expect(() => op(x, optionsOf(c, dataFormat)))
              .to.throw(new RegExp(`^${opName}: .*${expectedErrorText(c.name).source}`));
          expect(tf.memory().numTensors, 'tensors left after the error').to.equal(before);
          x.dispose();
        });
        continue;
      }
      it(`${opName}: ${c.name} (${dataFormat})`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat);
        const options = optionsOf(c, dataFormat);
        const [values, indices] = await expectNoLeak([x], () => op(x, options));
        await expectMatches(values, c.outputs[0], dataFormat, 'values');
        await expectMatches(indices, c.outputs[1], dataFormat, 'indices');
        tf.dispose([values, indices]);
        if (c.grad != null) {
          const dy = fromFixture(c.grad.dy, dataFormat);
          const [dx] = await expectNoLeak(
              [x, dy], () => tf.grads((t: tf.Tensor) => op(t, options)[0])([x], dy));
          await expectMatches(dx, c.grad.grads.x, dataFormat, 'dx');
          tf.dispose([dx, dy]);
        }
        x.dispose();
      });
    }
  }

  it('PyTorch docs example: indices are int32 plane offsets h * W + w in both dataFormats',
     async () => {
       const c = fixture.cases.find((k) => k.name === '2d docs 4x4 k=2 s=2')!;
       for (const dataFormat of DATA_FORMATS) {
         const x = fromFixture(c.inputs.x, dataFormat);
         const [values, indices] = maxPool2dWithIndices(x, {kernelSize: 2, stride: 2, dataFormat});
         expect(indices.dtype).to.equal('int32');
         await expectMatches(values, c.outputs[0], dataFormat, 'values');
         await expectMatches(indices, c.outputs[1], dataFormat, 'indices');
         tf.dispose([x, values, indices]);
       }
     });

  it('indices do not depend on the dataFormat (channels > 1)', async () => {
    const c = fixture.cases.find((k) => k.name === '2d k=3 s=2 p=1 odd sizes')!;
    const xFirst = fromFixture(c.inputs.x, 'channelsFirst');
    const xLast = fromFixture(c.inputs.x, 'channelsLast');
    const [v1, i1] = maxPool2dWithIndices(xFirst, {kernelSize: 3, stride: 2, padding: 1,
                                                   dataFormat: 'channelsFirst'});
    const [v2, i2] = maxPool2dWithIndices(xLast, {kernelSize: 3, stride: 2, padding: 1});
    const i2First = await transposeOnHost(i2, [0, 3, 1, 2]);
    expect(Array.from(await i2First.data())).to.deep.equal(Array.from(await i1.data()));
    tf.dispose([xFirst, xLast, v1, i1, v2, i2, i2First]);
  });

  it('takes arrays and nested arrays, and stride null means kernelSize', async () => {
    const before = tf.memory().numTensors;
    const [v, i] = maxPool1dWithIndices([[[1], [3], [2], [5]]], {kernelSize: 2, stride: null});
    expect(v.shape).to.deep.equal([1, 2, 1]);
    expect(Array.from(await v.data())).to.deep.equal([3, 5]);
    expect(Array.from(await i.data())).to.deep.equal([1, 3]);
    tf.dispose([v, i]);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('works inside tf.tidy and leaves nothing behind', () => {
    const x = tf.randomUniform([1, 4, 4, 2]);
    const before = tf.memory().numTensors;
    const sum = tf.tidy(() => {
      const [v, i] = maxPool2dWithIndices(x, {kernelSize: 2});
      return tf.add(tf.sum(v), tf.sum(tf.cast(i, 'float32')));
    });
    expect(tf.memory().numTensors).to.equal(before + 1);
    tf.dispose([x, sum]);
  });

  it('second-order gradient: the gradient of dx with respect to dy gathers at indices',
     async () => {
       const x = tf.tensor4d([1, 5, 2, 0, 3, 4, 8, 7, 6], [1, 3, 3, 1]);
       const options = {kernelSize: 2, stride: 1};
       const [, indices] = maxPool2dWithIndices(x, options);
       const w = tf.tensor4d([10, 20, 30, 40, 50, 60, 70, 80, 90], [1, 3, 3, 1]);
       // dx(dy) is linear in dy; the gradient of <dx(dy), w> with respect to dy reads w at
       // indices.
       const dxOf = (dy: tf.Tensor) =>
           tf.grads((t: tf.Tensor) => maxPool2dWithIndices(t, options)[0])([x], dy)[0];
       const dy = tf.ones([1, 2, 2, 1]);
       const [ddy] = tf.grads(dxOf)([dy], w);
       const ind = await indices.data();
       const wv = await w.data();
       expect(Array.from(await ddy.data())).to.deep.equal(Array.from(ind, (k) => wv[k]));
       tf.dispose([x, indices, w, dy, ddy]);
     });

  describe('argument errors name the op and the argument', () => {
    const x4 = () => tf.zeros([1, 4, 4, 1]);
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['missing options', () => maxPool2dWithIndices(x4(), undefined as unknown as MaxPoolOptions),
       /^maxPool2dWithIndices: .*options/],
      ['missing kernelSize', () => maxPool2dWithIndices(x4(), {} as MaxPoolOptions),
       /^maxPool2dWithIndices: argument 'kernelSize' is required/],
      ['kernelSize of the wrong length', () => maxPool2dWithIndices(x4(), {kernelSize: [2, 2, 2]}),
       /^maxPool2dWithIndices: argument 'kernelSize' must be a number or an array of 2/],
      ['fractional stride', () => maxPool2dWithIndices(x4(), {kernelSize: 2, stride: 1.5}),
       /^maxPool2dWithIndices: argument 'stride' must hold integers >= 1/],
      ['rank 3 for maxPool2d', () => maxPool2dWithIndices(tf.zeros([4, 4, 1]), {kernelSize: 2}),
       /^maxPool2dWithIndices: input must have rank 4/],
      ['rank 4 for maxPool3d', () => maxPool3dWithIndices(x4(), {kernelSize: 2}),
       /^maxPool3dWithIndices: input must have rank 5/],
      ['bad dataFormat', () => maxPool1dWithIndices(
           tf.zeros([1, 4, 1]), {kernelSize: 2, dataFormat: 'NCW' as DataFormat}),
       /^maxPool1dWithIndices: dataFormat must be/],
      ['ceilMode not a boolean', () => maxPool2dWithIndices(
           x4(), {kernelSize: 2, ceilMode: 1 as unknown as boolean}),
       /^maxPool2dWithIndices: argument 'ceilMode' must be a boolean/],
      ['int32 x', () => maxPool2dWithIndices(tf.zeros([1, 4, 4, 1], 'int32'), {kernelSize: 2}),
       /^maxPool2dWithIndices: argument 'x' must be float32/],
      ['padding above half the kernel', () => maxPool2dWithIndices(
           x4(), {kernelSize: [3, 2], padding: [1, 2]}),
       /^maxPool2dWithIndices: argument 'padding' must be at most half of kernelSize/],
      ['output too small', () => maxPool2dWithIndices(x4(), {kernelSize: 5}),
       /^maxPool2dWithIndices: output size is too small.*\[4, 4\]/],
    ];
    for (const [what, fn, message] of cases) {
      it(what, () => {
        tf.engine().startScope();
        try {
          expect(fn).to.throw(message);
        } finally {
          tf.engine().endScope();
        }
      });
    }
  });
});

// The TorchMaxPool layers without returnIndices run the values-only pool (src/ops/max_pool_values.ts):
// on tensorflow TensorFlow's MaxPool where its windows are PyTorch's and the input is finite, the
// with-indices kernel otherwise. Both must give PyTorch's values and gradients.
describeBackends('TorchMaxPool layers without returnIndices (values only)', (backend) => {
  const fixture = loadFixture('pool_max');
  const LAYERS: Record<number, (args: object) => {apply(x: tf.Tensor): unknown}> = {
    1: (a) => pt.layers.maxPool1d(a as never), 2: (a) => pt.layers.maxPool2d(a as never),
    3: (a) => pt.layers.maxPool3d(a as never),
  };
  for (const c of fixture.cases) {
    if (c.error != null) continue;
    for (const dataFormat of DATA_FORMATS) {
      it(`${c.name} (${dataFormat})`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat);
        const layer = LAYERS[c.args.dims as number]({...optionsOf(c, dataFormat)});
        const values = await expectNoLeak([x], () => layer.apply(x) as tf.Tensor);
        await expectMatches(values, c.outputs[0], dataFormat, 'values');
        values.dispose();
        if (c.grad != null) {
          const dy = fromFixture(c.grad.dy, dataFormat);
          const [dx] = await expectNoLeak(
              [x, dy], () => tf.grads((t: tf.Tensor) => layer.apply(t) as tf.Tensor)([x], dy));
          await expectMatches(dx, c.grad.grads.x, dataFormat, 'dx');
          tf.dispose([dx, dy]);
        }
        x.dispose();
      });
    }
  }

  if (backend === 'tensorflow') {
    // Which path ran: FiniteMaxPool (oneDNN's or TensorFlow's pool, test/node/finite_max_pool.test.ts)
    // for finite input whose windows TensorFlow has, the with-indices kernel for a NaN or for
    // windows it does not have.
    const kernelsOf = async (name: string, kernelSize: number, stride: number) => {
      const c = fixture.cases.find((k) => k.name === name)!;
      const x = fromFixture(c.inputs.x, 'channelsLast');
      const layer = pt.layers.maxPool2d({kernelSize, stride, ceilMode: true});
      const profile = await tf.profile(() => layer.apply(x) as tf.Tensor);
      tf.dispose([x, profile.result as tf.Tensor]);
      return profile.kernelNames;
    };
    it("U^2-Net's pool over finite input runs FiniteMaxPool, not the with-indices kernel",
       async () => {
         const names = await kernelsOf("2d k=2 s=2 ceilMode odd sizes (U^2-Net's pool)", 2, 2);
         expect(names).to.include(FiniteMaxPool);
         expect(names).to.not.include(MaxPoolWithIndices);
       });
    it('a NaN in the input, or windows TensorFlow lacks, run the with-indices kernel', async () => {
      expect(await kernelsOf('2d k=2 s=2 ceilMode odd sizes, NaN', 2, 2)).to.include(MaxPoolWithIndices);
      expect(await kernelsOf('2d k=2 s=2 ceilMode odd sizes, NaN', 2, 2)).to.not.include(FiniteMaxPool);
      expect(await kernelsOf("2d k=3 s=3 ceilMode 10x8 (TensorFlow's 'same' would pad before)", 3, 3))
          .to.include(MaxPoolWithIndices);
    });
  }
});
