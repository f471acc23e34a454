// maxUnpool{1,2,3}d against PyTorch's max_unpoolNd: outputs, gradients with respect to x,
// pool -> unpool round trips, PyTorch's errors (indices outside the output plane included), in
// both dataFormats on every backend.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {checkUnpoolIndicesRange} from '../src/ops/max_unpool.js';
import {capabilitiesOf} from '../src/util/capabilities.js';
import {maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices, maxUnpool1d, maxUnpool2d, maxUnpool3d} from '../src/index.js';
import type {MaxPoolOptions, MaxUnpoolOptions} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fromFixture, loadFixture, shapeIn} from './util.js';
import type {FixtureCase} from './util.js';

type UnpoolFn = (x: tf.Tensor|tf.TensorLike, indices: tf.Tensor|tf.TensorLike,
                 options: MaxUnpoolOptions) => tf.Tensor;
type PoolFn = (x: tf.Tensor|tf.TensorLike, options: MaxPoolOptions) => [tf.Tensor, tf.Tensor];
const OPS: Record<number, [string, UnpoolFn, PoolFn]> = {
  1: ['maxUnpool1d', maxUnpool1d as UnpoolFn, maxPool1dWithIndices as PoolFn],
  2: ['maxUnpool2d', maxUnpool2d as UnpoolFn, maxPool2dWithIndices as PoolFn],
  3: ['maxUnpool3d', maxUnpool3d as UnpoolFn, maxPool3dWithIndices as PoolFn],
};

/** The case's options; a full-shape outputSize (PyTorch's layout) is given in dataFormat's. */
function optionsOf(c: FixtureCase, dataFormat: DataFormat): MaxUnpoolOptions {
  const a = c.args as Record<string, number|number[]>;
  const n = a.dims as number;
  let outputSize = a.outputSize as number[]|undefined;
  if (outputSize != null && outputSize.length === n + 2) outputSize = shapeIn(outputSize, dataFormat);
  return {
    kernelSize: a.kernelSize,
    stride: a.stride,
    padding: a.padding,
    outputSize,
    dataFormat,
  };
}

function expectedErrorText(name: string): RegExp {
  if (/output_size/.test(name)) return /'outputSize'/;
  if (isIndexError(name)) return /indices must lie in/;
  if (/shape differs/.test(name)) return /'indices' must have the shape of x/;
  if (/int32 x/.test(name)) return /'x' must be float32/;
  if (/negative output size/.test(name)) return /output size \[-2\] must not be negative/;
  throw new Error(`no expected message for fixture error case ${name}`);
}

function isIndexError(name: string): boolean {
  return /index|past the default/.test(name);
}

/** Whether the active backend drops out-of-plane indices instead of raising (webgl, webgpu). */
function dropsIndices(backend: string): boolean {
  return capabilitiesOf(backend).unpoolIndices === 'dropped';
}

/**
 * Note [unpool writes] with Note [unpool index check]'s GPU rule, as a scalar loop over x's
 * planes in row-major order: x[i] goes to indices[i] when that lies in the output plane (the
 * last such write winning), every other output element is 0.
 */
async function unpoolDroppingOutOfPlane(
    x: tf.Tensor, indices: tf.Tensor, outShape: number[], dataFormat: DataFormat): Promise<Float32Array> {
  const [xs, qs] = await Promise.all([x.data(), indices.data()]);
  const last = dataFormat === 'channelsLast';
  const channels = (last ? x.shape[x.rank - 1] : x.shape[1]) as number;
  const planes = x.shape[0] * channels;
  const inPlane = x.size / planes;
  const outPlane = outShape.reduce((a, b) => a * b, 1) / planes;
  // Flat offset of element s of plane p (p = batch * channels + channel) in dataFormat's order.
  const at = (p: number, s: number, plane: number) => last ?
      (Math.floor(p / channels) * plane + s) * channels + p % channels : p * plane + s;
  const out = new Float32Array(planes * outPlane);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < inPlane; i++) {
      const q = qs[at(p, i, inPlane)];
      if (q >= 0 && q < outPlane) out[at(p, q, outPlane)] = xs[at(p, i, inPlane)];
    }
  }
  return out;
}

describeBackends('maxUnpoolNd', (backend) => {
  const fixture = loadFixture('pool_unpool');

  for (const c of fixture.cases) {
    const [opName, op, pool] = OPS[c.args.dims as number];
    for (const dataFormat of DATA_FORMATS) {
      if (c.error != null && isIndexError(c.name) && dropsIndices(backend)) {
        it(`${opName}: ${c.name} (${dataFormat}): PyTorch raises (${c.error}); this backend ${
               ''}writes every in-plane index and drops the others (Note [unpool index check])`,
           async () => {
             const x = fromFixture(c.inputs.x, dataFormat);
             const indices = fromFixture(c.inputs.indices, dataFormat);
             const options = optionsOf(c, dataFormat);
             const y = await expectNoLeak([x, indices], () => op(x, indices, options));
             const expected = await unpoolDroppingOutOfPlane(x, indices, y.shape, dataFormat);
             expect(Array.from(await y.data())).to.deep.equal(Array.from(expected));
             tf.dispose([x, indices, y]);
           });
        continue;
      }
      if (c.error != null) {
        it(`${opName}: ${c.name} (${dataFormat}) throws as PyTorch (${c.error})`, () => {
          const x = fromFixture(c.inputs.x, dataFormat);
          const indices = fromFixture(c.inputs.indices, dataFormat);
          const before = tf.memory().numTensors;
          expect(() => op(x, indices, optionsOf(c, dataFormat)))
              .to.throw(new RegExp(`^${opName}: .*${expectedErrorText(c.name).source}`));
          expect(tf.memory().numTensors, 'tensors left after the error').to.equal(before);
          tf.dispose([x, indices]);
        });
        continue;
      }
      if (c.args.roundTrip) {
        it(`${opName}: ${c.name} (${dataFormat}): pool -> unpool and its gradient`, async () => {
          const source = fromFixture(c.inputs.source, dataFormat);
          const options = {...optionsOf(c, dataFormat), outputSize: source.shape};
          const f = (s: tf.Tensor) => {
            const [v, i] = pool(s, {...options, outputSize: undefined} as MaxPoolOptions);
            return op(v, i, options);
          };
          const y = await expectNoLeak([source], () => tf.tidy(() => f(source)));
          await expectMatches(y, c.outputs[0], dataFormat, 'unpooled');
          const dy = fromFixture(c.grad!.dy, dataFormat);
          const [dx] = await expectNoLeak([source, dy], () => tf.grads(f)([source], dy));
          await expectMatches(dx, c.grad!.grads.source, dataFormat, 'dsource');
          tf.dispose([source, y, dy, dx]);
        });
        continue;
      }
      it(`${opName}: ${c.name} (${dataFormat})`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat);
        const indices = fromFixture(c.inputs.indices, dataFormat);
        const options = optionsOf(c, dataFormat);
        const y = await expectNoLeak([x, indices], () => op(x, indices, options));
        await expectMatches(y, c.outputs[0], dataFormat, 'unpooled');
        if (c.grad != null) {
          const dy = fromFixture(c.grad.dy, dataFormat);
          const [dx] = await expectNoLeak(
              [x, indices, dy], () => tf.grads((t: tf.Tensor) => op(t, indices, options))([x], dy));
          await expectMatches(dx, c.grad.grads.x, dataFormat, 'dx');
          tf.dispose([dx, dy]);
        }
        tf.dispose([x, indices, y]);
      });
    }
  }

  // An output size of 0 gives an empty result (fixtures above); its gradient is zero for every
  // element of x. (PyTorch 1.13's backward raises there, "index 0 is out of bounds", so the
  // fixtures have no gradient: the zero gradient is the derivative of an empty output.)
  for (const c of fixture.cases.filter((k) => /empty result/.test(k.name))) {
    const [opName, op] = OPS[c.args.dims as number];
    it(`${opName}: ${c.name}: gradient is zero`, async () => {
      for (const dataFormat of DATA_FORMATS) {
        const x = fromFixture(c.inputs.x, dataFormat);
        const indices = fromFixture(c.inputs.indices, dataFormat);
        const options = optionsOf(c, dataFormat);
        const y = op(x, indices, options);
        expect(y.size, 'output size').to.equal(0);
        const dy = tf.zeros(y.shape);
        const [dx] = await expectNoLeak(
            [x, indices, dy], () => tf.grads((t: tf.Tensor) => op(t, indices, options))([x], dy));
        expect(dx.shape).to.deep.equal(x.shape);
        expect(Array.from(await dx.data())).to.deep.equal(new Array<number>(x.size).fill(0));
        tf.dispose([x, indices, y, dy, dx]);
      }
    });
  }

  // PyTorch's docs: MaxPool2d(2, stride=2, return_indices=True) on 1..16 as 4x4, then
  // MaxUnpool2d(2, stride=2), without and with output_size [1, 1, 5, 5]; and MaxUnpool1d's.
  for (const name of ['2d docs example', '2d docs example, output_size [1, 1, 5, 5]',
                      '1d docs example', '1d docs example, output_size = input.size()']) {
    it(`PyTorch docs: ${name}, pooled by maxPoolNdWithIndices`, async () => {
      const c = fixture.cases.find((k) => k.name === name)!;
      const [, op, pool] = OPS[c.args.dims as number];
      for (const dataFormat of DATA_FORMATS) {
        const source = fromFixture(c.inputs.source, dataFormat);
        const options = optionsOf(c, dataFormat);
        const [values, indices] = pool(source, {kernelSize: 2, stride: 2, dataFormat});
        await expectMatches(values, c.inputs.x, dataFormat, 'pooled values');
        await expectMatches(indices, c.inputs.indices, dataFormat, 'pooled indices');
        const y = op(values, indices, options);
        await expectMatches(y, c.outputs[0], dataFormat, 'unpooled');
        tf.dispose([source, values, indices, y]);
      }
    });
  }

  it('outputSize may be the pooled input\'s full shape in either dataFormat', async () => {
    const c = fixture.cases.find(
        (k) => k.name === '2d k=3 s=2 p=1 round trip, output_size = input size')!;
    for (const dataFormat of DATA_FORMATS) {
      const x = fromFixture(c.inputs.x, dataFormat);
      const indices = fromFixture(c.inputs.indices, dataFormat);
      const full = shapeIn([2, 3, 7, 9], dataFormat);
      const y = maxUnpool2d(x, indices, {kernelSize: 3, stride: 2, padding: 1, outputSize: full,
                                         dataFormat});
      await expectMatches(y, c.outputs[0], dataFormat, 'unpooled');
      tf.dispose([x, indices, y]);
    }
  });

  it('takes plain arrays: indices become int32', async () => {
    const before = tf.memory().numTensors;
    const y = maxUnpool1d([[[3], [5]]], [[[1], [2]]], {kernelSize: 2});
    expect(y.shape).to.deep.equal([1, 4, 1]);
    expect(Array.from(await y.data())).to.deep.equal([0, 3, 5, 0]);
    y.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('indices outside the plane: PyTorch\'s error before anything is written where the backend ' +
         'checks (kernel or op), written nowhere where it drops them (webgl, webgpu)',
     async () => {
       const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
       const bad = tf.tensor4d([0, 1, 2, 16], [1, 2, 2, 1], 'int32');
       const negative = tf.tensor4d([0, -3, 2, 3], [1, 2, 2, 1], 'int32');
       const x3 = tf.reshape(x, [1, 1, 2, 2, 1]);
       const bad3 = tf.reshape(bad, [1, 1, 2, 2, 1]);
       const before = tf.memory().numTensors;
       if (dropsIndices(backend)) {
         const y = maxUnpool2d(x, bad, {kernelSize: 2});
         expect(Array.from(await y.data())).to.deep.equal([1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
         const yn = maxUnpool2d(x, negative, {kernelSize: 2});
         expect(Array.from(await yn.data())).to.deep.equal([1, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
         const dy = tf.tidy(() => tf.reshape(tf.range(1, 17), [1, 4, 4, 1]));
         const [dx] = tf.grads((a: tf.Tensor) => maxUnpool2d(a, bad, {kernelSize: 2}))([x], dy);
         expect(Array.from(await dx.data()), 'gradient: 0 for the dropped index').to.deep.equal([1, 2, 3, 0]);
         tf.dispose([y, yn, dy, dx]);
       } else {
         expect(() => maxUnpool2d(x, bad, {kernelSize: 2}))
             .to.throw(/^maxUnpool2d: indices must lie in \[0, 16\) .* 4x4 .*found 16/);
         expect(() => maxUnpool2d(x, negative, {kernelSize: 2}))
             .to.throw(/^maxUnpool2d: indices must lie in \[0, 16\).*found -3/);
         expect(() => maxUnpool3d(x3, bad3, {kernelSize: [1, 2, 2]}))
             .to.throw(/^maxUnpool3d: indices must lie in \[0, 16\) .* 1x4x4 /);
         // The op's own check (what a backend declaring unpoolIndices 'op' runs), here too.
         expect(() => checkUnpoolIndicesRange('maxUnpool2d', bad, [4, 4]))
             .to.throw(/^maxUnpool2d: indices must lie in \[0, 16\) .* 4x4 .*found 16/);
         expect(() => checkUnpoolIndicesRange('maxUnpool2d', negative, [4, 4]))
             .to.throw(/^maxUnpool2d: indices must lie in \[0, 16\).*found -3/);
       }
       expect(tf.memory().numTensors).to.equal(before);
       tf.dispose([x, bad, negative, x3, bad3]);
     });

  it('indices get a zero gradient; x gets dy gathered at indices', async () => {
    const x = tf.tensor3d([1, 2, 3], [1, 3, 1]);
    const indices = tf.tensor3d([4, 4, 0], [1, 3, 1], 'int32');
    const dy = tf.tensor3d([10, 20, 30, 40, 50, 60], [1, 6, 1]);
    const [dx, dIndices] = tf.grads(
        (a: tf.Tensor, b: tf.Tensor) => maxUnpool1d(a, b, {kernelSize: 2}))([x, indices], dy);
    expect(Array.from(await dx.data())).to.deep.equal([50, 50, 10]);
    expect(dIndices.dtype).to.equal('float32');
    expect(Array.from(await dIndices.data())).to.deep.equal([0, 0, 0]);
    tf.dispose([x, indices, dy, dx, dIndices]);
  });

  describe('argument errors name the op and the argument', () => {
    const x = () => tf.zeros([1, 2, 2, 1]);
    const ind = () => tf.zeros([1, 2, 2, 1], 'int32');
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['float32 indices', () => maxUnpool2d(x(), tf.zeros([1, 2, 2, 1]), {kernelSize: 2}),
       /^maxUnpool2d: argument 'indices' must be int32/],
      ['missing indices', () => maxUnpool2d(x(), undefined as unknown as tf.Tensor4D,
                                            {kernelSize: 2}),
       /^maxUnpool2d: argument 'indices' is required/],
      ['missing kernelSize', () => maxUnpool2d(x(), ind(), {} as MaxUnpoolOptions),
       /^maxUnpool2d: argument 'kernelSize' is required/],
      ['zero stride', () => maxUnpool2d(x(), ind(), {kernelSize: 2, stride: 0}),
       /^maxUnpool2d: argument 'stride' must hold integers >= 1/],
      ['rank 4 for maxUnpool1d', () => maxUnpool1d(x(), ind(), {kernelSize: 2}),
       /^maxUnpool1d: input must have rank 3/],
      ['outputSize not integers', () => maxUnpool2d(x(), ind(), {kernelSize: 2,
                                                                 outputSize: [4.5, 4]}),
       /^maxUnpool2d: argument 'outputSize' must be an array of integers/],
      ['outputSize out of bounds', () => maxUnpool2d(x(), ind(), {kernelSize: 2,
                                                                  outputSize: [4, 6]}),
       /^maxUnpool2d: argument 'outputSize' \[4, 6\]: spatial dim 1 must be between 2 and 6/],
      ['output size negative', () => maxUnpool2d(x(), ind(), {kernelSize: 1, padding: 2}),
       /^maxUnpool2d: output size \[-2, -2\] must not be negative/],
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
