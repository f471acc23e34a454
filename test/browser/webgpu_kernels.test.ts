// webgpu-only checks that the fixture suites cannot make: every webgpu kernel against the cpu
// kernel on shapes, ranks and dtypes the fixtures do not reach (larger images, leading batch
// dims, int32 beyond float precision, many channels, arbitrary and duplicate unpool indices,
// NaN and -inf windows), inputs coming from tfjs's own webgpu programs, and the error for an
// output larger than a storage buffer. Declared where the webgpu backend is registered (the
// browser run 'webgpu').
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's own gradients (Mul, ...), which the second-order check differentiates through.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import {expect} from 'chai';
import {convTranspose1d, convTranspose2d, convTranspose3d, denormalize, interpolate, maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices, maxUnpool1d, maxUnpool2d, maxUnpool3d, normalize, pixelShuffle, pixelUnshuffle} from '../../src/index.js';
import type {ConvTransposeOptions, MaxPoolOptions, MaxUnpoolOptions} from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';
import type {InterpolateOptions} from '../../src/ops/interpolate.js';
import {expectNoLeak} from '../util.js';
import {BIG_INT32, CONV_TRANSPOSE_CASES, INTERPOLATE_CASES, POOL_CASES, PRELU_SHAPES, preluValues, preluWeights} from './gpu_cases.js';

const hasWebGPU = tf.findBackendFactory('webgpu') != null;
const FORMATS: DataFormat[] = ['channelsFirst', 'channelsLast'];

interface Result {
  values: number[];
  shape: number[];
  dtype: string;
}

/** Runs fn on a backend (its inputs made there too) and returns every output's values. */
async function on(backend: string, fn: () => tf.Tensor|tf.Tensor[]): Promise<Result[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const ys = Array.isArray(out) ? out : [out];
  const res: Result[] = [];
  for (const y of ys) {
    res.push({values: Array.from(await y.data() as ArrayLike<number>), shape: y.shape,
              dtype: y.dtype});
  }
  tf.dispose(ys);
  return res;
}

/**
 * webgpu against cpu: same shapes and dtypes, values within atol + rtol * |cpu| (0, 0: exact;
 * NaN must match NaN, infinities must match exactly).
 */
async function expectSameOnWebGPU(
    fn: () => tf.Tensor|tf.Tensor[], what: string, rtol = 0, atol = 0): Promise<void> {
  const cpu = await on('cpu', fn);
  const gpu = await on('webgpu', fn);
  expect(gpu.length, `${what}: outputs`).to.equal(cpu.length);
  cpu.forEach((c, k) => {
    const g = gpu[k];
    expect(g.shape, `${what}: output ${k} shape`).to.deep.equal(c.shape);
    expect(g.dtype, `${what}: output ${k} dtype`).to.equal(c.dtype);
    for (let i = 0; i < c.values.length; i++) {
      const e = c.values[i];
      const v = g.values[i];
      const same = Number.isNaN(e) ? Number.isNaN(v) :
          !Number.isFinite(e)      ? v === e :
                                     Math.abs(v - e) <= atol + rtol * Math.abs(e);
      if (!same) expect.fail(`${what}: output ${k} is ${v} at flat index ${i} on webgpu, ${e} on cpu`);
    }
  });
}

/** Deterministic integers in [-1000, 1000]. */
function ints(n: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push((s % 2001) - 1000);
  }
  return out;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A float32 tensor of values k/64. */
function floats(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(ints(sizeOf(shape), seed).map((v) => v / 64), shape);
}

/** A float32 tensor of few distinct values (many ties inside pooling windows). */
function ties(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(ints(sizeOf(shape), seed).map((v) => Math.abs(v) % 3), shape);
}

/** Shape of a [batch, channels, ...spatial] tensor in a dataFormat. */
function shapeIn(batch: number, channels: number, spatial: number[], f: DataFormat): number[] {
  return f === 'channelsLast' ? [batch, ...spatial, channels] : [batch, channels, ...spatial];
}

const CONV = [null, convTranspose1d, convTranspose2d, convTranspose3d] as unknown as Array<
    (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor|null, o: ConvTransposeOptions) => tf.Tensor>;
const POOL = [null, maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices] as unknown as
    Array<(x: tf.Tensor, o: MaxPoolOptions) => [tf.Tensor, tf.Tensor]>;
const UNPOOL = [null, maxUnpool1d, maxUnpool2d, maxUnpool3d] as unknown as
    Array<(x: tf.Tensor, i: tf.Tensor, o: MaxUnpoolOptions) => tf.Tensor>;

// float32 on webgpu differs from cpu only in the order of a sum's terms (and fused
// multiply-adds the shader compiler may form).
const RTOL = 1e-5;
const ATOL = 1e-5;

if (hasWebGPU) describe('webgpu kernels against cpu kernels', () => {
  let previous: string;
  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
    await tf.setBackend('webgpu');
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  it('runs on a WebGPU adapter', async () => {
    await tf.setBackend('webgpu');
    expect(tf.getBackend()).to.equal('webgpu');
    const device = (tf.backend() as unknown as {device: GPUDevice}).device;
    expect(device.limits.maxStorageBufferBindingSize).to.be.at.least(2 ** 27);
  });

  describe('pixelShuffle / pixelUnshuffle', () => {
    const cases = [
      {lead: [], c: 4, h: 3, w: 2, r: 2},
      {lead: [2], c: 9, h: 5, w: 3, r: 3},
      {lead: [2, 3], c: 8, h: 2, w: 4, r: 2},
      {lead: [2, 1, 2], c: 16, h: 3, w: 3, r: 4},
      {lead: [3], c: 64, h: 24, w: 20, r: 2},
    ];
    for (const {lead, c, h, w, r} of cases) {
      for (const dataFormat of FORMATS) {
        for (const dtype of ['float32', 'int32'] as const) {
          const packed = dataFormat === 'channelsLast' ? [...lead, h, w, c] : [...lead, c, h, w];
          const spatial = dataFormat === 'channelsLast' ? [...lead, h * r, w * r, c / (r * r)] :
                                                          [...lead, c / (r * r), h * r, w * r];
          it(`pixelShuffle ${dataFormat} ${dtype} r=${r} [${packed}]`, async () => {
            await expectSameOnWebGPU(
                () => pixelShuffle(tf.tensor(ints(sizeOf(packed), 7), packed, dtype), r, {dataFormat}),
                `pixelShuffle [${packed}]`);
          });
          it(`pixelUnshuffle ${dataFormat} ${dtype} r=${r} [${spatial}]`, async () => {
            await expectSameOnWebGPU(
                () => pixelUnshuffle(tf.tensor(ints(sizeOf(spatial), 11), spatial, dtype), r,
                                     {dataFormat}),
                `pixelUnshuffle [${spatial}]`);
          });
        }
      }
    }
    it('copies int32 values exactly, beyond what a float32 holds', async () => {
      const big = BIG_INT32;
      await tf.setBackend('webgpu');
      const x = tf.tensor(big, [1, 2, 2, 2], 'int32');
      const y = pixelUnshuffle(x, 2);
      const z = pixelShuffle(y, 2);
      expect(y.dtype).to.equal('int32');
      expect(Array.from(await z.data())).to.deep.equal(big);
      tf.dispose([x, y, z]);
    });
  });

  describe('normalize / denormalize', () => {
    const shapes = [[3, 5], [2, 3, 4], [2, 3, 40, 50], [1, 2, 3, 2, 3], [2, 300], [1, 2, 2, 301]];
    for (const shape of shapes) {
      for (const dataFormat of FORMATS) {
        const channels = dataFormat === 'channelsLast' || shape.length === 2 ?
            shape[shape.length - 1] :
            shape[1];
        const mean = Array.from({length: channels}, (_, i) => 0.1 * i - 0.35);
        const std = Array.from({length: channels}, (_, i) => 0.2 + 0.05 * (i % 7));
        for (const dtype of ['float32', 'int32'] as const) {
          const values = ints(sizeOf(shape), 3).map((v) => (dtype === 'int32' ? v : v / 64));
          for (const [name, op] of [['normalize', normalize], ['denormalize', denormalize]] as const) {
            it(`${name} ${dataFormat} ${dtype} [${shape}]`, async () => {
              await expectSameOnWebGPU(
                  () => op(tf.tensor(values, shape, dtype), mean, std, {dataFormat}),
                  `${name} [${shape}]`, 1e-6, 1e-6);
            });
          }
        }
      }
    }
  });

  describe('interpolate and its gradient', () => {
    // Both program forms: one pass over every axis (few taps) and one pass per axis (area and
    // antialias windows, gradient tables, tricubic-sized products).
    const cases: Array<{shape: number[], options: InterpolateOptions}> = [
      ...INTERPOLATE_CASES,
      {shape: [1, 16, 64, 64], options: {scaleFactor: 2, mode: 'bilinear'}},
    ];
    for (const {shape, options} of cases) {
      for (const dataFormat of FORMATS) {
        const x = dataFormat === 'channelsFirst' ? shape : [shape[0], ...shape.slice(2), shape[1]];
        const label = `${JSON.stringify(options)} ${dataFormat} [${x}]`;
        it(`interpolate ${label}`, async () => {
          await expectSameOnWebGPU(() => interpolate(floats(x, 5), {...options, dataFormat}),
                                   `interpolate ${label}`, RTOL, ATOL);
        });
        it(`gradient of interpolate ${label}`, async () => {
          const f = (t: tf.Tensor) => interpolate(t, {...options, dataFormat});
          await expectSameOnWebGPU(() => {
            const dy = floats(f(tf.zeros(x)).shape, 9);
            return tf.grad(f)(floats(x, 5), dy);
          }, `gradient of interpolate ${label}`, RTOL, ATOL);
        });
      }
    }
    it('nearest modes copy int32 values exactly, beyond what a float32 holds', async () => {
      const big = BIG_INT32;
      await tf.setBackend('webgpu');
      const x = tf.tensor(big, [1, 2, 4, 1], 'int32');
      for (const mode of ['nearest', 'nearest-exact'] as const) {
        const y = interpolate(x, {scaleFactor: [1, 2], mode});
        expect(y.dtype).to.equal('int32');
        expect(Array.from(await y.data()), mode).to.deep.equal(big.flatMap((e) => [e, e]));
        y.dispose();
      }
      x.dispose();
    });
  });

  describe('convTranspose forward and both gradients', () => {
    const cases = [
      ...CONV_TRANSPOSE_CASES,
      {inC: 32, outC: 16, spatial: [16, 16], kernel: [4, 4], opts: {stride: 2, padding: 1}, bias: true},
    ];
    for (const c of cases) {
      const n = c.spatial.length;
      const groups = c.opts.groups ?? 1;
      for (const dataFormat of FORMATS) {
        const label = `${n}-D ${dataFormat} in ${c.inC} out ${c.outC} [${c.spatial}] k [${
            c.kernel}] ${JSON.stringify(c.opts)}${c.bias ? ' bias' : ''}`;
        const opts = {...c.opts, dataFormat};
        const make = () => ({
          x: floats(shapeIn(2, c.inC, c.spatial, dataFormat), 1),
          w: floats([c.inC, c.outC / groups, ...c.kernel], 2),
          b: c.bias ? floats([c.outC], 3) : null,
        });
        it(`forward ${label}`, async () => {
          await expectSameOnWebGPU(() => {
            const {x, w, b} = make();
            return CONV[n](x, w, b, opts);
          }, `convTranspose${n}d ${label}`, RTOL, ATOL);
        });
        it(`gradients for x, weight and bias ${label}`, async () => {
          await expectSameOnWebGPU(() => {
            const {x, w, b} = make();
            const dy = floats(CONV[n](x, w, b, opts).shape, 4);
            if (b == null) return tf.grads((a: tf.Tensor, v: tf.Tensor) => CONV[n](a, v, null, opts))([x, w], dy);
            return tf.grads((a: tf.Tensor, v: tf.Tensor, u: tf.Tensor) => CONV[n](a, v, u, opts))(
                [x, w, b], dy);
          }, `convTranspose${n}d gradients ${label}`, RTOL, ATOL);
        });
      }
    }
  });

  describe('maxPoolWithIndices, its gradient, maxUnpool and its gradient', () => {
    const cases = [
      ...POOL_CASES,
      {spatial: [64, 48], opts: {kernelSize: 3, stride: 2, padding: 1}, what: 'larger', unpool: true},
    ];
    for (const c of cases) {
      const n = c.spatial.length;
      for (const dataFormat of FORMATS) {
        const label = `${n}-D ${dataFormat} [${c.spatial}] ${c.what}`;
        const opts = {...c.opts, dataFormat};
        const shape = shapeIn(2, 3, c.spatial, dataFormat);
        for (const [kind, make] of [['random', floats], ['ties', ties]] as const) {
          it(`values and indices, ${kind} ${label}`, async () => {
            await expectSameOnWebGPU(() => POOL[n](make(shape, 5), opts), `pool ${label}`);
          });
        }
        it(`gradient ${label}`, async () => {
          await expectSameOnWebGPU(() => {
            const x = ties(shape, 6);
            const dy = floats(POOL[n](x, opts)[0].shape, 7);
            return tf.grads((t: tf.Tensor) => POOL[n](t, opts)[0])([x], dy);
          }, `pool gradient ${label}`, RTOL, ATOL);
        });
        if (!c.unpool) continue;
        it(`unpool of the pooling and its gradient ${label}`, async () => {
          const unpoolOpts: MaxUnpoolOptions = {
            kernelSize: c.opts.kernelSize, stride: c.opts.stride, padding: c.opts.padding,
            outputSize: c.spatial, dataFormat,
          };
          await expectSameOnWebGPU(() => {
            const [v, i] = POOL[n](floats(shape, 8), opts);
            const y = UNPOOL[n](v, i, unpoolOpts);
            const dy = floats(y.shape, 9);
            const [dv] = tf.grads((t: tf.Tensor) => UNPOOL[n](t, i, unpoolOpts))([v], dy);
            return [y, dv];
          }, `unpool ${label}`, RTOL, ATOL);
        });
      }
    }
    it('NaN wins and -inf windows keep their first tap, as on cpu', async () => {
      const x = [NaN, 1, 2, NaN, -Infinity, -Infinity, 3, 3, -Infinity, 5, NaN, 5];
      for (const dataFormat of FORMATS) {
        await expectSameOnWebGPU(
            () => maxPool1dWithIndices(
                tf.tensor3d(x, dataFormat === 'channelsLast' ? [1, 12, 1] : [1, 1, 12]),
                {kernelSize: 2, dataFormat}),
            `NaN and -inf ${dataFormat}`);
      }
    });
    for (const dataFormat of FORMATS) {
      it(`maxUnpool of arbitrary and duplicate indices (last write wins), gradients ${dataFormat}`,
         async () => {
           const inSize = [5, 4];
           const outSize = [9, 11];
           const kernelSize = [2, 3];
           const plane = outSize[0] * outSize[1];
           const shape = shapeIn(2, 3, inSize, dataFormat);
           // Half of them in a narrow band, so duplicates are common.
           const raw = ints(sizeOf(shape), 11)
                           .map((v, k) => (k % 2 === 0 ? Math.abs(v) % 7 : Math.abs(v) % plane));
           const o = {kernelSize, outputSize: outSize, dataFormat};
           await expectSameOnWebGPU(() => {
             const x = floats(shape, 12);
             const ind = tf.tensor(raw, shape, 'int32');
             const y = maxUnpool2d(x as tf.Tensor4D, ind, o);
             const dy = floats(y.shape, 13);
             const [dx] = tf.grads((t: tf.Tensor) => maxUnpool2d(t as tf.Tensor4D, ind, o))([x], dy);
             // The gradient of the unpooling's gradient: a scatter-add at the same indices.
             const [ddy] = tf.grads((t: tf.Tensor) => tf.grads(
                 (u: tf.Tensor) => tf.mul(maxUnpool2d(u as tf.Tensor4D, ind, o), t))([x])[0])(
                 [dy], floats(shape, 14));
             return [y, dx, ddy];
           }, `arbitrary indices ${dataFormat}`, RTOL, ATOL);
         });
    }
    it('maxUnpool drops an index outside the output plane, reading nothing back ' +
           '(Note [unpool index check])',
       async () => {
         await tf.setBackend('webgpu');
         const x = tf.tensor([1, 2, 3, 4], [1, 1, 2, 2]);
         const ok = tf.tensor([0, 3, 12, 15], [1, 1, 2, 2], 'int32');
         const bad = tf.tensor([0, 3, 12, 16], [1, 1, 2, 2], 'int32');
         const o: MaxUnpoolOptions = {kernelSize: 2, dataFormat: 'channelsFirst'};
         // A GPU-resident index tensor (made by a program of ours), as after maxPoolWithIndices.
         const onGpu = tf.tidy(() => tf.reshape(pixelShuffle(tf.reshape(bad, [1, 4, 1, 1]), 2,
                                                             {dataFormat: 'channelsFirst'}), [1, 1, 2, 2]));
         const before = tf.memory().numTensors;
         const y = maxUnpool2d(x as tf.Tensor4D, ok, o);
         expect(Array.from(await y.data())).to.deep.equal(
             [1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 4]);
         for (const ind of [bad, onGpu]) {
           const yb = maxUnpool2d(x as tf.Tensor4D, ind, o);
           expect(Array.from(await yb.data())).to.deep.equal(
               [1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
           yb.dispose();
         }
         expect(tf.memory().numTensors).to.equal(before + 1);
         tf.dispose([x, ok, bad, onGpu, y]);
       });
  });

  describe('prelu (TorchPrelu) and its gradient', () => {
    const nonFinite = () => true;
    // The forward is one product per value, as on cpu: exact. The gradient's sums differ in order.
    const tol = (grad: boolean): [number, number] => (grad ? [RTOL, ATOL] : [0, 0]);
    for (const shape of PRELU_SHAPES) {
      for (const dataFormat of FORMATS) {
        const c = shape[dataFormat === 'channelsLast' || shape.length === 2 ? shape.length - 1 : 1];
        for (const channels of [1, c]) {
          const attrs = {dataFormat} as unknown as tf.NamedAttrMap;
          const run = (x: tf.Tensor, w: tf.Tensor) =>
              tf.engine().runKernel('TorchPrelu', {x, weight: w}, attrs) as tf.Tensor;
          const n = sizeOf(shape);
          const label = `${dataFormat} ${channels === 1 ? 'one weight' : `${channels} channels`} [${shape}]`;
          const wv = preluWeights(channels);
          const dyv = preluValues(n, 9, false);
          it(`forward ${label}`, async () => {
            const xv = preluValues(n, 5, nonFinite());
            // From a tfjs program (x + 0) as well as uploaded.
            await expectSameOnWebGPU(() => [run(tf.tensor(xv, shape), tf.tensor(wv, [channels])),
                                         run(tf.add(tf.tensor(xv, shape), 0), tf.tensor(wv, [channels]))],
                                  `prelu ${label}`, ...tol(false));
          });
          it(`gradients for x and weight ${label}`, async () => {
            const xv = preluValues(n, 5, nonFinite());
            await expectSameOnWebGPU(() => tf.grads((x: tf.Tensor, w: tf.Tensor) => run(x, w))(
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
    for (const dataFormat of FORMATS) {
      it(`add -> pixelShuffle (rank 5) -> normalize -> interpolate -> conv2d [${dataFormat}]`,
         async () => {
           const shape = dataFormat === 'channelsLast' ? [2, 1, 3, 5, 8] : [2, 1, 8, 3, 5];
           await expectSameOnWebGPU(() => {
             const x = tf.add(floats(shape, 21), 0.5);
             const y = pixelShuffle(x, 2, {dataFormat});
             const [b0, b1, ...rest] = y.shape as number[];
             const y4 = tf.reshape(y, [b0 * b1, ...rest]);
             const n = normalize(y4, [0.2, -0.1], [0.5, 2], {dataFormat});
             const z = interpolate(n, {scaleFactor: 1.5, mode: 'bilinear', dataFormat});
             const zl = dataFormat === 'channelsLast' ? z : tf.transpose(z, [0, 2, 3, 1]);
             return tf.conv2d(zl as tf.Tensor4D, tf.ones([3, 3, 2, 3]), 1, 'same');
           }, `pipeline ${dataFormat}`, RTOL, ATOL);
         });
    }
  });

  describe('outputs larger than a storage buffer', () => {
    beforeEach(async () => {
      await tf.setBackend('webgpu');
    });
    const limit = () => (tf.backend() as unknown as {device: GPUDevice}).device.limits
                            .maxStorageBufferBindingSize;
    // The ops' own size guard (Note [size guard], 2^28 elements by default) refuses these shapes
    // first; raised to its ceiling (2^32 - 1), the shapes reach the kernels' storage-buffer check.
    const withGuardRaised = (fn: () => void) => {
      const env = tf.env();
      const saved = env.getNumber('TFJS_TORCH_MAX_ELEMENTS');
      env.set('TFJS_TORCH_MAX_ELEMENTS', 2 ** 32 - 1);
      try {
        fn();
      } finally {
        env.set('TFJS_TORCH_MAX_ELEMENTS', saved);
      }
    };
    it('interpolate names the op, the output shape and the limit', () => {
      const x = tf.zeros([1, 1, 1, 1]);
      withGuardRaised(() => expect(() => interpolate(x, {size: [50000, 50000]}))
          .to.throw(new RegExp(`^interpolate: output of shape \\[1, 50000, 50000, 1\\].*` +
                               `maxStorageBufferBindingSize is ${limit()} bytes`)));
      x.dispose();
    });
    it('convTranspose and a nearest interpolate name the op and the output shape', () => {
      const x = tf.zeros([1, 1, 1, 1]);
      const w = tf.zeros([1, 1, 2, 2]);
      withGuardRaised(() => {
        expect(() => convTranspose2d(x as tf.Tensor4D, w as tf.Tensor4D, null,
                                     {dilation: 60000, dataFormat: 'channelsFirst'}))
            .to.throw(/^convTranspose2d: output of shape \[1, 1, 60001, 60001\].*WebGPU storage buffer/);
        const y = tf.zeros([1, 40000, 1, 1]);
        expect(() => interpolate(y, {size: [1, 40000], mode: 'nearest', dataFormat: 'channelsFirst'}))
            .to.throw(/^interpolate: output of shape \[1, 40000, 1, 40000\].*WebGPU storage buffer/);
        y.dispose();
      });
      tf.dispose([x, w]);
    });
    it('leaves no tensor behind when it throws', () => {
      const x = tf.zeros([1, 1, 1, 1]);
      const before = tf.memory().numTensors;
      expect(() => interpolate(x, {size: [100000, 100000]})).to.throw();
      expect(tf.memory().numTensors).to.equal(before);
      x.dispose();
    });
  });
});
