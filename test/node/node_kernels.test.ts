// The tensorflow-backend (tfjs-node) kernels against the cpu kernels on inputs larger than the
// PyTorch fixtures, so that TensorFlow's vectorised and multi-threaded code paths run: random
// values with NaN, +-Inf and ties where the op's rules care about them, both dataFormats,
// forward and gradients. The cpu kernels are the reference because the fixture suites (which run
// on both backends) pin them to PyTorch. Plus a check of the rule that a node kernel never reads
// tensor data on the host.
// Run: TFJS_TORCH_BACKENDS=tensorflow npx mocha test/node/node_kernels.test.ts
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import {convTranspose2d, convTranspose3d, groupedConv2d, interpolate, maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices, maxUnpool2d, pixelShuffle, pixelUnshuffle} from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';
import type {InterpolateOptions} from '../../src/ops/interpolate.js';

// Loaded with require so that a missing build fails with a pointer to the setup script.
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-node');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../src/node.js');
} catch (e) {
  throw new Error(`@tensorflow/tfjs-node does not load; run scripts/setup-tfjs-node.sh\n${e}`);
}

/** Deterministic pseudo-random values in [-1, 1) (a small LCG; no tfjs RNG differences). */
function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 31 - 1;
  }
  return v;
}

/** Values with ties (rounded to eighths) and some NaN, +Inf and -Inf. */
function awkward(n: number, seed: number): Float32Array {
  const v = values(n, seed);
  const pick = values(n, seed + 1);
  for (let i = 0; i < n; i++) {
    v[i] = Math.round(v[i] * 8) / 8;
    if (pick[i] > 0.96) v[i] = NaN;
    else if (pick[i] > 0.93) v[i] = Infinity;
    else if (pick[i] < -0.9) v[i] = -Infinity;
  }
  return v;
}

interface Result {
  shape: number[];
  dtype: string;
  data: Float32Array|Int32Array;
}

/** Runs f on a backend with fresh input tensors and returns every output's values. */
async function runOn(
    backend: string, inputs: Array<{data: Float32Array|Int32Array, shape: number[]}>,
    f: (...xs: tf.Tensor[]) => tf.Tensor|tf.Tensor[]): Promise<Result[]> {
  expect(await tf.setBackend(backend)).to.equal(true);
  const xs = inputs.map((i) => tf.tensor(i.data, i.shape, i.data instanceof Int32Array ? 'int32' : 'float32'));
  const before = tf.memory().numTensors;
  const out = f(...xs);
  const list = Array.isArray(out) ? out : [out];
  expect(tf.memory().numTensors, `${backend}: tensors left`).to.equal(before + list.length);
  const results: Result[] = [];
  for (const t of list) {
    results.push({shape: t.shape.slice(), dtype: t.dtype, data: (await t.data()) as Float32Array|Int32Array});
  }
  tf.dispose([...list, ...xs]);
  return results;
}

/** f on 'tensorflow' equals f on 'cpu': same shapes and dtypes, values within the tolerance. */
async function expectSameAsCpu(
    what: string, inputs: Array<{data: Float32Array|Int32Array, shape: number[]}>,
    f: (...xs: tf.Tensor[]) => tf.Tensor|tf.Tensor[]): Promise<void> {
  const want = await runOn('cpu', inputs, f);
  const got = await runOn('tensorflow', inputs, f);
  expect(got.length).to.equal(want.length);
  for (let k = 0; k < want.length; k++) {
    const [g, w] = [got[k], want[k]];
    expect(g.shape, `${what} output ${k} shape`).to.deep.equal(w.shape);
    expect(g.dtype, `${what} output ${k} dtype`).to.equal(w.dtype);
    for (let i = 0; i < w.data.length; i++) {
      const [a, e] = [g.data[i], w.data[i]];
      if (Number.isNaN(e) || Number.isNaN(a)) {
        if (!(Number.isNaN(e) && Number.isNaN(a))) {
          expect.fail(`${what} output ${k}[${i}]: tensorflow ${a}, cpu ${e}`);
        }
        continue;
      }
      const limit = w.dtype === 'int32' ? 0 : 1e-4 + 1e-4 * Math.abs(e);
      if (!(a === e || (Number.isFinite(e) && Math.abs(a - e) <= limit))) {
        expect.fail(`${what} output ${k}[${i}]: tensorflow ${a}, cpu ${e}`);
      }
    }
  }
}

const FORMATS: DataFormat[] = ['channelsLast', 'channelsFirst'];

/** A shape in dataFormat from batch, channels and spatial sizes. */
function shapeIn(n: number, c: number, spatial: number[], df: DataFormat): number[] {
  return df === 'channelsLast' ? [n, ...spatial, c] : [n, c, ...spatial];
}

function input(shape: number[], seed: number, data = values) {
  return {data: data(shape.reduce((a, b) => a * b, 1), seed), shape};
}

/** The shape of f's first output (run once on cpu), for an upstream gradient of that shape. */
async function outShape(
    inputs: Array<{data: Float32Array|Int32Array, shape: number[]}>,
    f: (...xs: tf.Tensor[]) => tf.Tensor|tf.Tensor[]): Promise<number[]> {
  return (await runOn('cpu', inputs, f))[0].shape;
}

describe('tensorflow kernels against cpu kernels on larger inputs', function() {
  this.timeout(300000);
  let previous: string;
  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  for (const df of FORMATS) {
    it(`maxPool with NaN, Inf and ties, gradients included (${df})`, async () => {
      const cases: Array<[number, Record<string, unknown>]> = [
        [2, {kernelSize: 2}],
        [2, {kernelSize: 3, stride: 2, padding: 1}],
        [2, {kernelSize: 3, stride: 1, padding: 1, ceilMode: true}],
        [2, {kernelSize: [2, 3], stride: [3, 2], dilation: [2, 1], padding: [1, 1], ceilMode: true}],
        [1, {kernelSize: 4, stride: 3, padding: 2, ceilMode: true}],
        [3, {kernelSize: 2}],
        [3, {kernelSize: 3, stride: 2, padding: 1}],
        [3, {kernelSize: 2, stride: 1, dilation: 2, padding: 1}],
      ];
      for (const [n, options] of cases) {
        const spatial = [23, 30, 17].slice(3 - n);
        const x = input(shapeIn(2, 12, spatial, df), 7 + n, awkward);
        const pool = [maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices][n - 1] as
            (t: tf.Tensor, o: object) => tf.Tensor[];
        const opts = {...options, dataFormat: df};
        await expectSameAsCpu(`maxPool${n}d ${JSON.stringify(options)}`, [x], (t) => pool(t, opts));
        const dy = input(await outShape([x], (t) => pool(t, opts)), 3);
        await expectSameAsCpu(`maxPool${n}d grad ${JSON.stringify(options)}`, [x, dy],
                              (t, g) => tf.grad((u: tf.Tensor) => pool(u, opts)[0])(t, g));
      }
    });

    it(`maxUnpool with many duplicate indices, and its gradient (${df})`, async () => {
      const shape = shapeIn(2, 6, [15, 16], df);
      const size = shape.reduce((a, b) => a * b, 1);
      // Indices into a 30x31 output plane, drawn from a small range so that many repeat.
      const idx = Int32Array.from(values(size, 9), (v) => Math.floor((v + 1) * 200));
      const x = input(shape, 4);
      const ind = {data: idx, shape};
      const opts = {kernelSize: 2, outputSize: [30, 31], dataFormat: df};
      await expectSameAsCpu('maxUnpool2d', [x, ind], (t, i) => maxUnpool2d(t as tf.Tensor4D, i as tf.Tensor4D, opts));
      const dy = input(shapeIn(2, 6, [30, 31], df), 6);
      await expectSameAsCpu(
          'maxUnpool2d grad', [x, ind, dy],
          (t, i, g) => tf.grad((u: tf.Tensor) => maxUnpool2d(u as tf.Tensor4D, i as tf.Tensor4D, opts))(t, g));
    });

    it(`interpolate, native and composed paths, with gradients (${df})`, async () => {
      const settings: Array<[number, InterpolateOptions]> = [
        [2, {mode: 'nearest', scaleFactor: 2}],
        [2, {mode: 'nearest', scaleFactor: [1.7, 0.6]}],
        [2, {mode: 'nearest-exact', size: [50, 21]}],
        [2, {mode: 'bilinear', scaleFactor: 2}],
        [2, {mode: 'bilinear', size: [61, 20], alignCorners: true}],
        [2, {mode: 'bilinear', scaleFactor: [1.3, 2.2]}],
        [2, {mode: 'bicubic', scaleFactor: 2}],
        [2, {mode: 'bicubic', size: [19, 70], alignCorners: true}],
        [2, {mode: 'area', size: [11, 50]}],
        [2, {mode: 'bilinear', scaleFactor: 0.45, antialias: true}],
        [1, {mode: 'linear', scaleFactor: 3}],
        [3, {mode: 'trilinear', scaleFactor: [2, 1.5, 0.5]}],
        [3, {mode: 'nearest', size: [9, 40, 12]}],
      ];
      for (const [n, options] of settings) {
        const spatial = [7, 29, 33].slice(3 - n);
        const x = input(shapeIn(2, 5, spatial, df), 11 + n);
        const opts = {...options, dataFormat: df};
        await expectSameAsCpu(`interpolate ${JSON.stringify(options)}`, [x],
                              (t) => interpolate(t, opts));
        const dy = input(await outShape([x], (t) => interpolate(t, opts)), 8);
        await expectSameAsCpu(`interpolate grad ${JSON.stringify(options)}`, [x, dy],
                              (t, g) => tf.grad((u: tf.Tensor) => interpolate(u, opts))(t, g));
      }
      // int32 nearest is a pure gather, exact on both.
      const xi = {data: Int32Array.from(values(2 * 5 * 29 * 33, 2), (v) => Math.round(v * 1000)),
                  shape: shapeIn(2, 5, [29, 33], df)};
      await expectSameAsCpu('interpolate int32', [xi],
                            (t) => interpolate(t, {mode: 'nearest', scaleFactor: 1.5, dataFormat: df}));
    });

    it(`convTranspose with groups, dilation and outputPadding, gradients included (${df})`,
       async () => {
         const cases: Array<[number, Record<string, unknown>, number, number]> = [
           [2, {stride: 2, padding: 1}, 16, 4],
           [2, {stride: 3, padding: 2, outputPadding: 2, groups: 4}, 12, 3],
           [2, {stride: [2, 1], dilation: [1, 3], padding: [0, 2], outputPadding: [1, 2]}, 8, 3],
           [3, {stride: 2, padding: 1, outputPadding: 1, groups: 2}, 6, 3],
         ];
         for (const [n, options, outC, k] of cases) {
           const spatial = [6, 13, 11].slice(3 - n);
           const inC = 8;
           const groups = (options.groups as number|undefined) ?? 1;
           const x = input(shapeIn(2, inC, spatial, df), 21);
           const w = input([inC, outC / groups, ...new Array<number>(n).fill(k)], 22);
           const b = input([outC], 23);
           const op = (n === 2 ? convTranspose2d : convTranspose3d) as
               (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, o: object) => tf.Tensor;
           const opts = {...options, dataFormat: df};
           await expectSameAsCpu(`convTranspose${n}d ${JSON.stringify(options)}`, [x, w, b],
                                 (t, wt, bt) => op(t, wt, bt, opts));
           const dy = input(await outShape([x, w, b], (t, wt, bt) => op(t, wt, bt, opts)), 9);
           await expectSameAsCpu(
               `convTranspose${n}d grads ${JSON.stringify(options)}`, [x, w, b, dy],
               (t, wt, bt, g) => tf.grads(
                   (u: tf.Tensor, v: tf.Tensor, c: tf.Tensor) => op(u, v, c, opts))([t, wt, bt], g));
         }
       });

    it(`groupedConv2d (TensorFlow's grouped Conv2D) with NaN / Inf, gradients included (${df})`,
       async () => {
         const cases: Array<[Record<string, unknown>, number, number, number]> = [
           [{groups: 32, padding: 1}, 128, 128, 3],
           [{groups: 32, stride: 2, padding: 1}, 128, 64, 3],
           [{groups: 4, padding: 'same', dilation: [2, 1]}, 16, 24, 4],
           [{groups: 8, padding: [2, 0]}, 32, 32, 3],
         ];
         for (const [options, inC, outC, k] of cases) {
           const groups = options.groups as number;
           const x = input(shapeIn(2, inC, [13, 18], df), 41, awkward);
           const w = input([outC, inC / groups, k, k], 42);
           const b = input([outC], 43);
           const opts = {...options, dataFormat: df};
           const op = (t: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
               groupedConv2d(t as tf.Tensor4D, wt as tf.Tensor4D, bt as tf.Tensor1D, opts);
           await expectSameAsCpu(`groupedConv2d ${JSON.stringify(options)}`, [x, w, b], op);
           const xf = input(shapeIn(2, inC, [13, 18], df), 44);
           const dy = input(await outShape([xf, w, b], op), 45);
           await expectSameAsCpu(
               `groupedConv2d grads ${JSON.stringify(options)}`, [xf, w, b, dy],
               (t, wt, bt, g) => tf.grads((u: tf.Tensor, v: tf.Tensor, c: tf.Tensor) => op(u, v, c))([t, wt, bt], g));
         }
       });

    it(`pixelShuffle / pixelUnshuffle round trip (${df})`, async () => {
      const x = input(shapeIn(3, 36, [10, 14], df), 31);
      await expectSameAsCpu('pixelShuffle r=3', [x], (t) => pixelShuffle(t, 3, {dataFormat: df}));
      await expectSameAsCpu('pixelUnshuffle r=2', [x], (t) => pixelUnshuffle(t, 2, {dataFormat: df}));
    });
  }

  it('no kernel reads tensor data on the host (no dataSync / arraySync / data())', () => {
    const dir = path.join(__dirname, '..', '..', 'kernels', 'node');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8')
                         .replace(/\/\/.*$/gm, '')
                         .replace(/\/\*[\s\S]*?\*\//g, '');
      expect(source, file).to.not.match(/\b(dataSync|arraySync|bufferSync)\s*\(|\.data\s*\(|\.array\s*\(/);
    }
  });
});
