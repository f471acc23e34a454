// webgl-only checks that the fixture suites cannot make: the webgl kernels against the cpu
// kernels on shapes, ranks and dtypes the fixtures do not reach (leading batch dims of
// pixelShuffle, int32, many channels), and the texture-size errors. Skipped where the webgl
// backend is not loaded (the Node run).
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {denormalize, interpolate, normalize, pixelShuffle, pixelUnshuffle} from '../../src/index.js';
import {interpolateBackward} from '../../src/gradients/interpolate_grad.js';
import type {DataFormat, InterpolateAttrs} from '../../src/kernel_names.js';
import {expectNoLeak} from '../util.js';
import {INTERPOLATE_CASES, PRELU_SHAPES, preluValues, preluWeights} from './gpu_cases.js';

const hasWebGL = tf.findBackendFactory('webgl') != null;
const FORMATS: DataFormat[] = ['channelsFirst', 'channelsLast'];

type Output = {values: number[], shape: number[], dtype: string};

/** Runs fn on a backend and returns its outputs' values and shapes (inputs made there too). */
async function on(backend: string, fn: () => tf.Tensor|tf.Tensor[]): Promise<Output[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const ys = Array.isArray(out) ? out : [out];
  const res: Output[] = [];
  for (const y of ys) {
    res.push({values: Array.from(await y.data() as ArrayLike<number>), shape: y.shape, dtype: y.dtype});
  }
  tf.dispose(ys);
  return res;
}

/** Integer values in [-1000, 1000]: exact in float16 textures too, so copies compare exactly. */
function ints(shape: number[], seed: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push((s % 2001) - 1000);
  }
  return out;
}

/** Values k/64, |k| <= 1000: exact in float16 textures too, so only the outputs round there. */
function floats(shape: number[], seed: number): number[] {
  return ints(shape, seed).map((v) => v / 64);
}

/**
 * webgl against cpu: exact, or within rtol*|e| + atol; NaN must match NaN and an infinity the
 * same infinity.
 */
async function expectSameOnWebGL(
    fn: () => tf.Tensor|tf.Tensor[], what: string, rtol = 0, atol = 0): Promise<void> {
  const cpu = await on('cpu', fn);
  const gl = await on('webgl', fn);
  expect(gl.length, `${what}: outputs`).to.equal(cpu.length);
  cpu.forEach((c, k) => {
    const g = gl[k];
    expect(g.shape, `${what}: output ${k} shape`).to.deep.equal(c.shape);
    expect(g.dtype, `${what}: output ${k} dtype`).to.equal(c.dtype);
    for (let i = 0; i < c.values.length; i++) {
      const e = c.values[i];
      const v = g.values[i];
      const same = Number.isNaN(e) ? Number.isNaN(v) :
          !Number.isFinite(e)      ? v === e :
                                     Math.abs(v - e) <= atol + rtol * Math.abs(e);
      if (!same) expect.fail(`${what}: output ${k} is ${v} at flat index ${i} on webgl, ${e} on cpu`);
    }
  });
}

/** Runs fn with WEBGL_MAX_TEXTURE_SIZE lowered, restoring it afterwards. */
function withMaxTextureSize<T>(size: number, fn: () => T): T {
  const env = tf.env();
  const saved = env.getNumber('WEBGL_MAX_TEXTURE_SIZE');
  env.set('WEBGL_MAX_TEXTURE_SIZE', size);
  try {
    return fn();
  } finally {
    env.set('WEBGL_MAX_TEXTURE_SIZE', saved);
  }
}

if (hasWebGL) describe('webgl kernels against cpu kernels', () => {
  let previous: string;
  let halfFloat = false;
  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
    await tf.setBackend('webgl');
    halfFloat = !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  it('runs on WebGL 2, with float32 render targets unless the run forces half floats', () => {
    const env = tf.env();
    expect(tf.getBackend()).to.equal('webgl');
    expect(env.getNumber('WEBGL_VERSION')).to.equal(2);
    expect(env.getBool('WEBGL_RENDER_FLOAT32_ENABLED'))
        .to.equal(!env.getBool('WEBGL_FORCE_F16_TEXTURES'));
    expect(env.getNumber('WEBGL_MAX_TEXTURE_SIZE')).to.be.at.least(4096);
  });

  describe('pixelShuffle / pixelUnshuffle', () => {
    // Leading batch dims (rank 3 to 6), factors 1 to 3, both dtypes and formats.
    const cases: Array<{lead: number[], c: number, h: number, w: number, r: number}> = [
      {lead: [], c: 4, h: 3, w: 2, r: 2},
      {lead: [2], c: 9, h: 2, w: 3, r: 3},
      {lead: [2, 3], c: 8, h: 2, w: 2, r: 2},
      {lead: [2, 1, 2], c: 4, h: 1, w: 3, r: 2},
      {lead: [1], c: 3, h: 4, w: 5, r: 1},
    ];
    for (const {lead, c, h, w, r} of cases) {
      for (const dataFormat of FORMATS) {
        for (const dtype of ['float32', 'int32'] as const) {
          const packed = dataFormat === 'channelsLast' ? [...lead, h, w, c] : [...lead, c, h, w];
          const spatial = dataFormat === 'channelsLast' ? [...lead, h * r, w * r, c / (r * r)] :
                                                          [...lead, c / (r * r), h * r, w * r];
          const label = `${dataFormat} ${dtype} r=${r}`;
          it(`pixelShuffle ${label} on shape [${packed}]`, async () => {
            await expectSameOnWebGL(
                () => pixelShuffle(tf.tensor(ints(packed, 7), packed, dtype), r, {dataFormat}),
                `pixelShuffle [${packed}]`);
          });
          it(`pixelUnshuffle ${label} on shape [${spatial}]`, async () => {
            await expectSameOnWebGL(
                () => pixelUnshuffle(tf.tensor(ints(spatial, 11), spatial, dtype), r, {dataFormat}),
                `pixelUnshuffle [${spatial}]`);
          });
        }
      }
    }

    it('copies int32 values exactly, beyond what a float texture holds', async () => {
      const big = [2 ** 30 + 1, -(2 ** 31), 2 ** 31 - 1, 16777217, -16777219, 5, 2047, -2049];
      await expectSameOnWebGL(
          () => pixelUnshuffle(tf.tensor(big, [1, 2, 2, 2], 'int32'), 2), 'pixelUnshuffle int32');
      await expectSameOnWebGL(
          () => pixelShuffle(tf.tensor(big, [1, 1, 2, 4], 'int32'), 2), 'pixelShuffle int32');
      const x = tf.tensor(big, [1, 2, 2, 2], 'int32');
      const y = pixelShuffle(pixelUnshuffle(x, 2), 2);
      expect(Array.from(await y.data())).to.deep.equal(big);
      tf.dispose([x, y]);
    });
  });

  describe('normalize / denormalize', () => {
    // Ranks 2 to 5, and a channel count above the uniform limit (the table-texture path).
    const shapes: Array<{shape: number[], channelsFirst: boolean}> = [
      {shape: [3, 5], channelsFirst: true},
      {shape: [2, 3, 4], channelsFirst: true},
      {shape: [2, 3, 4, 5], channelsFirst: true},
      {shape: [1, 2, 3, 2, 3], channelsFirst: true},
      {shape: [2, 300], channelsFirst: true},
      {shape: [1, 2, 2, 301], channelsFirst: false},
    ];
    for (const {shape} of shapes) {
      for (const dataFormat of FORMATS) {
        const channels = dataFormat === 'channelsLast' || shape.length === 2 ?
            shape[shape.length - 1] :
            shape[1];
        const mean = Array.from({length: channels}, (_, i) => 0.1 * i - 0.35);
        const std = Array.from({length: channels}, (_, i) => 0.2 + 0.05 * (i % 7));
        for (const dtype of ['float32', 'int32'] as const) {
          const values = dtype === 'int32' ? ints(shape, 3) : floats(shape, 3);
          // One float32 rounding on each side; a float16 texture rounds the output to 11 bits
          // (relative error <= 2^-11 = 4.9e-4).
          const rtol = () => (halfFloat ? 5e-4 : 1e-6);
          it(`normalize ${dataFormat} ${dtype} [${shape}]`, async () => {
            await expectSameOnWebGL(
                () => normalize(tf.tensor(values, shape, dtype), mean, std, {dataFormat}),
                `normalize [${shape}]`, rtol(), 1e-6);
          });
          it(`denormalize ${dataFormat} ${dtype} [${shape}]`, async () => {
            await expectSameOnWebGL(
                () => denormalize(tf.tensor(values, shape, dtype), mean, std, {dataFormat}),
                `denormalize [${shape}]`, rtol(), 1e-6);
          });
        }
      }
    }
  });

  describe('interpolate and its gradient', () => {
    // Larger than the fixtures, and shaped to reach both program forms (gpu_cases.ts).
    const cases = INTERPOLATE_CASES;
    for (const {shape, options} of cases) {
      for (const dataFormat of FORMATS) {
        const shapeIn = dataFormat === 'channelsFirst' ? shape :
                                                         [shape[0], ...shape.slice(2), shape[1]];
        const label = `${JSON.stringify(options)} ${dataFormat} [${shapeIn}]`;
        // float32: one rounding per tap in another order; half floats round every stored value
        // (inputs k/64 are exact there, tables and results are not): relative to the values' size.
        const tol = () => (halfFloat ? [4e-3, 0.06] : [1e-5, 1e-4]);
        it(`interpolate ${label}`, async () => {
          const values = floats(shapeIn, 5);
          await expectSameOnWebGL(
              () => interpolate(tf.tensor(values, shapeIn), {...options, dataFormat}),
              `interpolate ${label}`, ...tol());
        });
        it(`gradient of interpolate ${label}`, async () => {
          const values = floats(shapeIn, 5);
          const f = (x: tf.Tensor) => interpolate(x, {...options, dataFormat});
          const outShape = tf.tidy(() => f(tf.zeros(shapeIn)).shape);
          const dy = floats(outShape, 9);
          await expectSameOnWebGL(
              () => tf.grad(f)(tf.tensor(values, shapeIn), tf.tensor(dy, outShape)),
              `gradient of interpolate ${label}`, ...tol());
        });
      }
    }

    // Past 2048 positions, where half-float tables need their indices split in two.
    for (const mode of ['nearest', 'linear'] as const) {
      it(`interpolate ${mode} along an axis longer than 2048`, async () => {
        const values = floats([1, 1, 3001], 13);
        await expectSameOnWebGL(
            () => interpolate(tf.tensor(values, [1, 1, 3001]),
                              {size: 4500, mode, dataFormat: 'channelsFirst'}),
            `interpolate ${mode} 3001 -> 4500`, halfFloat && mode === 'linear' ? 4e-3 : 1e-6,
            halfFloat && mode === 'linear' ? 0.06 : 1e-5);
      });
    }

    it('nearest modes copy int32 values exactly, beyond what a float texture holds', async () => {
      const big = [2 ** 30 + 1, -(2 ** 31), 2 ** 31 - 1, 16777217, -16777219, 5, 2047, -2049];
      const x = tf.tensor(big, [1, 2, 4, 1], 'int32');
      for (const mode of ['nearest', 'nearest-exact'] as const) {
        const y = interpolate(x, {scaleFactor: [1, 2], mode});
        expect(y.dtype).to.equal('int32');
        const v = Array.from(await y.data());
        expect(v, mode).to.deep.equal(big.flatMap((e) => [e, e]));
        y.dispose();
      }
      x.dispose();
    });
  });

  describe('prelu (TorchPrelu) and its gradient', () => {
    // Half-float textures read infinities back as NaN (tfjs 4.22): finite inputs only there,
    // and the outputs round to 11 bits.
    const nonFinite = () => !halfFloat;
    // The forward is one product per value, as on cpu: exact in float32. The gradient's sums
    // differ in order. In half floats the weight's gradient is tfjs's Sum of up to 680 products
    // of size up to 64 in half-float textures: 0.18 off on [1, 33, 17, 40] (measured), hence
    // the absolute 0.5 there.
    const tol = (grad: boolean): [number, number] =>
        (halfFloat ? (grad ? [4e-3, 0.5] : [1e-3, 0]) : (grad ? [1e-5, 1e-5] : [0, 0]));
    for (const shape of PRELU_SHAPES) {
      for (const dataFormat of FORMATS) {
        const c = shape[dataFormat === 'channelsLast' || shape.length === 2 ? shape.length - 1 : 1];
        for (const channels of [1, c]) {
          const attrs = {dataFormat} as unknown as tf.NamedAttrMap;
          const run = (x: tf.Tensor, w: tf.Tensor) =>
              tf.engine().runKernel('TorchPrelu', {x, weight: w}, attrs) as tf.Tensor;
          const n = shape.reduce((a, b) => a * b, 1);
          const label = `${dataFormat} ${channels === 1 ? 'one weight' : `${channels} channels`} [${shape}]`;
          const wv = preluWeights(channels);
          const dyv = preluValues(n, 9, false);
          it(`forward ${label}`, async () => {
            const xv = preluValues(n, 5, nonFinite());
            // From a tfjs program (x + 0) as well as uploaded.
            await expectSameOnWebGL(() => [run(tf.tensor(xv, shape), tf.tensor(wv, [channels])),
                                         run(tf.add(tf.tensor(xv, shape), 0), tf.tensor(wv, [channels]))],
                                  `prelu ${label}`, ...tol(false));
          });
          it(`gradients for x and weight ${label}`, async () => {
            const xv = preluValues(n, 5, nonFinite());
            await expectSameOnWebGL(() => tf.grads((x: tf.Tensor, w: tf.Tensor) => run(x, w))(
                                      [tf.tensor(xv, shape), tf.tensor(wv, [channels])],
                                      tf.tensor(dyv, shape)),
                                  `prelu gradients ${label}`, ...tol(true));
          });
        }
      }
    }
    it('leaves no tensor and no backend data behind, forward and backward', async () => {
      const x = tf.tensor(preluValues(60, 3, nonFinite()), [1, 3, 4, 5]);
      const w = tf.tensor(preluWeights(3), [3]);
      const dy = tf.tensor(preluValues(60, 4, false), [1, 3, 4, 5]);
      const attrs = {dataFormat: 'channelsFirst'} as unknown as tf.NamedAttrMap;
      const before = tf.engine().backend.numDataIds();
      const y = await expectNoLeak([x, w], () => tf.engine().runKernel('TorchPrelu', {x, weight: w}, attrs) as tf.Tensor);
      const grads = await expectNoLeak([x, w, dy], () => tf.grads(
          (a: tf.Tensor, b: tf.Tensor) => tf.engine().runKernel('TorchPrelu', {x: a, weight: b}, attrs) as tf.Tensor)(
          [x, w], dy));
      await y.data();
      tf.dispose([y, ...grads]);
      expect(tf.engine().backend.numDataIds(), 'backend data ids').to.equal(before);
      tf.dispose([x, w, dy]);
    });
  });

  describe('inside pipelines of tfjs ops', () => {
    // Inputs coming from tfjs's packed programs (under WEBGL_PACK) reach our programs as packed
    // textures: the backend unpacks them, also when a kernel merges leading dims of a rank-5
    // input without a copy.
    for (const dataFormat of FORMATS) {
      it(`add -> pixelShuffle (rank 5) -> normalize -> interpolate -> conv2d [${dataFormat}]`,
         async () => {
           const shape = dataFormat === 'channelsLast' ? [2, 1, 3, 5, 8] : [2, 1, 8, 3, 5];
           const values = floats(shape, 21);
           const tol: [number, number] = halfFloat ? [4e-3, 0.06] : [1e-5, 1e-4];
           await expectSameOnWebGL(() => {
             const x = tf.add(tf.tensor(values, shape), 0.5);
             const y = pixelShuffle(x, 2, {dataFormat});
             const [b0, b1, ...rest] = y.shape as number[];
             const y4 = tf.reshape(y, [b0 * b1, ...rest]);
             const n = normalize(y4, [0.2, -0.1], [0.5, 2], {dataFormat});
             const z = interpolate(n, {scaleFactor: 1.5, mode: 'bilinear', dataFormat});
             const zl = dataFormat === 'channelsLast' ? z : tf.transpose(z, [0, 2, 3, 1]);
             return tf.conv2d(zl as tf.Tensor4D, tf.ones([3, 3, 2, 3]), 1, 'same');
           }, `pipeline ${dataFormat}`, ...tol);
         });
    }
  });

  describe('outputs larger than a texture', () => {
    it('interpolate names the op, the output shape and the limit', () => {
      const x = tf.zeros([1, 20, 20, 1]);
      expect(() => withMaxTextureSize(16, () => interpolate(x, {scaleFactor: 2})))
          .to.throw(/^interpolate: output of shape \[1, 40, 40, 1\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      x.dispose();
    });
    it('the gradient of interpolate names the op, the gradient shape and the limit', () => {
      // The gradient kernel alone (the forward would upload a 40 x 40 input first).
      const dy = tf.zeros([1, 1, 4, 4]);
      const attrs: InterpolateAttrs = {
        mode: 'bilinear', inSize: [40, 40], outSize: [4, 4], alignCorners: false,
        scales: [null, null], antialias: false, dataFormat: 'channelsFirst',
      };
      expect(() => withMaxTextureSize(16, () => interpolateBackward(dy, attrs)))
          .to.throw(/^interpolate: gradient of shape \[1, 1, 40, 40\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      dy.dispose();
    });
    it('pixelShuffle names the op, the output shape and the limit', () => {
      const x = tf.zeros([1, 4, 20, 20]);
      expect(() => withMaxTextureSize(16, () => pixelShuffle(x, 2, {dataFormat: 'channelsFirst'})))
          .to.throw(/^pixelShuffle: output of shape \[1, 1, 40, 40\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      x.dispose();
    });
    it('pixelUnshuffle names the op, the output shape and the limit', () => {
      const x = tf.zeros([1, 40, 40, 1]);
      expect(() => withMaxTextureSize(16, () => pixelUnshuffle(x, 2)))
          .to.throw(/^pixelUnshuffle: output of shape \[1, 20, 20, 4\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      x.dispose();
    });
    it('normalize and denormalize name the op, the output shape and the limit', () => {
      const x = tf.zeros([1, 40, 40, 3]);
      expect(() => withMaxTextureSize(16, () => normalize(x, 0.5, 0.25)))
          .to.throw(/^normalize: output of shape \[1, 40, 40, 3\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      expect(() => withMaxTextureSize(16, () => denormalize(x, 0.5, 0.25)))
          .to.throw(/^denormalize: output of shape \[1, 40, 40, 3\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      x.dispose();
    });
    it('an input too large for a texture is named too (downscaling to a small output)', () => {
      const x = tf.zeros([1, 1, 40, 40]);
      expect(() => withMaxTextureSize(
                 16, () => interpolate(x, {size: [2, 2], mode: 'area', dataFormat: 'channelsFirst'})))
          .to.throw(/^interpolate: input x of shape \[1, 1, 40, 40\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      x.dispose();
    });
    it('leaves no tensor behind when it throws', () => {
      const x = tf.zeros([1, 40, 40, 3]);
      const before = tf.memory().numTensors;
      expect(() => withMaxTextureSize(16, () => normalize(x, 0.5, 0.25))).to.throw();
      expect(tf.memory().numTensors).to.equal(before);
      x.dispose();
    });
  });
});
