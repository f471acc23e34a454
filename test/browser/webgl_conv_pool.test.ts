// webgl-only checks of the convTranspose and max pooling / unpooling kernels that the fixture
// suites cannot make: webgl against the cpu kernels on every browser run (the half-float run
// included, where the fixture suites do not run), shapes and index patterns the fixtures do not
// reach, and the errors for outputs larger than a texture and for indices a texture cannot hold
// exactly; and, in the half-float run only, the PyTorch fixtures of the three families with the
// half-float tolerance (end of the file). Skipped where the webgl backend is not loaded (the
// Node run).
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's own gradients (Mul, Sum, ...), which the second-order check differentiates through.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import {expect} from 'chai';
import {convTranspose1d, convTranspose2d, convTranspose3d, maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices, maxUnpool1d, maxUnpool2d, maxUnpool3d} from '../../src/index.js';
import type {ConvTransposeOptions, MaxPoolOptions, MaxUnpoolOptions} from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {DATA_FORMATS, fixtureValues, fromFixture, loadFixture, shapeIn as fixtureShapeIn} from '../util.js';
import type {FixtureTensor} from '../util.js';
import {CONV_TRANSPOSE_CASES, POOL_CASES} from './gpu_cases.js';

const hasWebGL = tf.findBackendFactory('webgl') != null;
// The webgl-f16 run (karma.conf.js) forces half-float textures before any suite is declared.
const halfFloatRun = hasWebGL && tf.env().getBool('WEBGL_FORCE_F16_TEXTURES');
const FORMATS: DataFormat[] = ['channelsFirst', 'channelsLast'];

/** Runs fn on a backend and returns its outputs' values, shapes and dtypes. */
async function on(backend: string, fn: () => tf.Tensor[]):
    Promise<Array<{values: number[], shape: number[], dtype: string}>> {
  await tf.setBackend(backend);
  const ys = tf.tidy(fn);
  const out = [];
  for (const y of ys) {
    out.push({values: Array.from(await y.data() as ArrayLike<number>), shape: y.shape,
              dtype: y.dtype});
  }
  tf.dispose(ys);
  return out;
}

/** Integers in [-1000, 1000] from a seed: exact in half-float textures too. */
function ints(n: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push((s % 2001) - 1000);
  }
  return out;
}

/** Values k/64, |k| <= 1000: exact in half floats, so only outputs round there. */
function floats(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(ints(n, seed).map((v) => v / 64), shape);
}

/** Few distinct values (many ties), k/4 for k in [0, 4). */
function ties(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(ints(n, seed).map((v) => Math.abs(v % 4) / 4), shape);
}

/**
 * webgl against cpu, output by output: NaN where cpu has NaN, int32 exactly, float32 within
 * rtol * scale (scale: the largest finite |value| of that output on cpu, since a sum's rounding
 * follows its terms, not its result). `infAsNaN`: accept NaN where cpu has +-infinity. Half-float
 * textures need it: on them, tfjs's unpacked textures do not keep infinities (a plain copy
 * program, setOutput(getXAtOutCoords()), already returns NaN for an uploaded -Infinity, and a
 * shader that writes -Infinity reads back NaN).
 */
async function expectSameOnWebGL(
    fn: () => tf.Tensor[], what: string, rtol: number, infAsNaN = false): Promise<void> {
  const cpu = await on('cpu', fn);
  const gl = await on('webgl', fn);
  expect(gl.length, `${what}: outputs`).to.equal(cpu.length);
  for (let k = 0; k < cpu.length; k++) {
    const label = `${what} output ${k}`;
    expect(gl[k].shape, `${label}: shape`).to.deep.equal(cpu[k].shape);
    expect(gl[k].dtype, `${label}: dtype`).to.equal(cpu[k].dtype);
    const scale = cpu[k].values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
    const tol = cpu[k].dtype === 'int32' ? 0 : rtol * scale + 1e-6;
    for (let i = 0; i < cpu[k].values.length; i++) {
      const e = cpu[k].values[i];
      const a = gl[k].values[i];
      const same = Number.isNaN(e) ? Number.isNaN(a) :
          e === a || (Number.isFinite(e) ? Math.abs(a - e) <= tol : infAsNaN && Number.isNaN(a));
      if (!same) expect.fail(`${label}: webgl gives ${a} at flat index ${i}, cpu ${e}`);
    }
  }
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

/** [batch, C, ...spatial] as the dataFormat's shape. */
function shapeIn(b: number, c: number, spatial: number[], dataFormat: DataFormat): number[] {
  return dataFormat === 'channelsLast' ? [b, ...spatial, c] : [b, c, ...spatial];
}

type Conv = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor|null, o: ConvTransposeOptions) => tf.Tensor;
const CONV: Record<number, Conv> = {
  1: convTranspose1d as unknown as Conv,
  2: convTranspose2d as unknown as Conv,
  3: convTranspose3d as unknown as Conv,
};
type Pool = (x: tf.Tensor, o: MaxPoolOptions) => [tf.Tensor, tf.Tensor];
const POOL: Record<number, Pool> = {
  1: maxPool1dWithIndices as unknown as Pool,
  2: maxPool2dWithIndices as unknown as Pool,
  3: maxPool3dWithIndices as unknown as Pool,
};
type Unpool = (x: tf.Tensor, i: tf.Tensor, o: MaxUnpoolOptions) => tf.Tensor;
const UNPOOL: Record<number, Unpool> = {
  1: maxUnpool1d as unknown as Unpool,
  2: maxUnpool2d as unknown as Unpool,
  3: maxUnpool3d as unknown as Unpool,
};

if (hasWebGL) describe('webgl convTranspose and pooling kernels against cpu', () => {
  let previous: string;
  let halfFloat = false;
  // Half floats round every stored value to 11 significant bits (relative error <= 2^-11);
  // float32 differs from cpu only by the order of a sum's terms.
  const rtol = () => (halfFloat ? 1e-3 : 1e-5);
  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
    await tf.setBackend('webgl');
    halfFloat = !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  describe('convTranspose forward and both gradients', () => {
    const cases = CONV_TRANSPOSE_CASES;
    for (const c of cases) {
      const n = c.spatial.length;
      const groups = c.opts.groups ?? 1;
      for (const dataFormat of FORMATS) {
        const label = `${n}-D ${dataFormat} in ${c.inC} out ${c.outC} [${c.spatial}] k [${
            c.kernel}] ${JSON.stringify(c.opts)}${c.bias ? ' bias' : ''}`;
        const make = () => {
          const x = floats(shapeIn(2, c.inC, c.spatial, dataFormat), 1);
          const w = floats([c.inC, c.outC / groups, ...c.kernel], 2);
          const b = c.bias ? floats([c.outC], 3) : null;
          return {x, w, b};
        };
        const opts = {...c.opts, dataFormat};
        it(`forward ${label}`, async () => {
          await expectSameOnWebGL(() => {
            const {x, w, b} = make();
            return [CONV[n](x, w, b, opts)];
          }, `convTranspose${n}d ${label}`, rtol());
        });
        it(`gradients for x and weight ${label}`, async () => {
          await expectSameOnWebGL(() => {
            const {x, w} = make();
            const y = CONV[n](x, w, null, opts);
            const dy = floats(y.shape, 4);
            return tf.grads((a: tf.Tensor, v: tf.Tensor) => CONV[n](a, v, null, opts))([x, w], dy);
          }, `convTranspose${n}d gradients ${label}`, rtol());
        });
      }
    }
  });

  describe('maxPoolWithIndices, its gradient, maxUnpool and its gradient', () => {
    const cases = POOL_CASES;
    for (const c of cases) {
      const n = c.spatial.length;
      for (const dataFormat of FORMATS) {
        const label = `${n}-D ${dataFormat} [${c.spatial}] ${c.what}`;
        const opts = {...c.opts, dataFormat};
        const shape = shapeIn(2, 3, c.spatial, dataFormat);
        for (const [kind, make] of [['random', floats], ['ties', ties]] as const) {
          it(`values and indices, ${kind} ${label}`, async () => {
            await expectSameOnWebGL(
                () => POOL[n](make(shape, 5), opts), `pool ${label}`, 0, halfFloat);
          });
        }
        it(`gradient ${label}`, async () => {
          await expectSameOnWebGL(() => {
            const x = ties(shape, 6);
            const [v] = POOL[n](x, opts);
            const dy = floats(v.shape, 7);
            return tf.grads((t: tf.Tensor) => POOL[n](t, opts)[0])([x], dy);
          }, `pool gradient ${label}`, rtol());
        });
        if (!c.unpool) continue;
        it(`unpool of the pooling and its gradient ${label}`, async () => {
          const unpoolOpts: MaxUnpoolOptions = {
            kernelSize: c.opts.kernelSize,
            stride: c.opts.stride,
            padding: c.opts.padding,
            outputSize: c.spatial,
            dataFormat,
          };
          await expectSameOnWebGL(() => {
            const [v, i] = POOL[n](floats(shape, 8), opts);
            const y = UNPOOL[n](v, i, unpoolOpts);
            const dy = floats(y.shape, 9);
            const [dv] = tf.grads((t: tf.Tensor) => UNPOOL[n](t, i, unpoolOpts))([v], dy);
            return [y, dv];
          }, `unpool ${label}`, rtol());
        });
      }
    }
    // Half-float textures read an uploaded -Infinity back as NaN (see expectSameOnWebGL), so this
    // test is registered in the float32 runs only.
    if (!halfFloatRun) it('that NaN wins and -inf windows keep their first tap, as on cpu', async () => {
      const x = [NaN, 1, 2, NaN, -Infinity, -Infinity, 3, 3, -Infinity, 5, NaN, 5];
      for (const dataFormat of FORMATS) {
        await expectSameOnWebGL(
            () => maxPool1dWithIndices(
                tf.tensor3d(x, dataFormat === 'channelsLast' ? [1, 12, 1] : [1, 1, 12]),
                {kernelSize: 2, dataFormat}),
            `NaN and -inf ${dataFormat}`, 0);
      }
    });
    for (const dataFormat of FORMATS) {
      it(`maxUnpool of arbitrary and duplicate indices (last write wins) ${dataFormat}`,
         async () => {
           const inSize = [5, 4];
           const outSize = [9, 11];
           const kernelSize = [2, 3];
           const plane = outSize[0] * outSize[1];
           const shape = shapeIn(2, 3, inSize, dataFormat);
           const count = shape.reduce((a, b) => a * b, 1);
           // Half of them in a narrow band, so duplicates are common.
           const raw = ints(count, 11).map((v, k) => (k % 2 === 0 ? Math.abs(v) % 7 : Math.abs(v) % plane));
           await expectSameOnWebGL(() => {
             const x = floats(shape, 12);
             const ind = tf.tensor(raw, shape, 'int32');
             const y = maxUnpool2d(x as tf.Tensor4D, ind, {kernelSize, outputSize: outSize, dataFormat});
             const dy = floats(y.shape, 13);
             const [dx] = tf.grads((t: tf.Tensor) => maxUnpool2d(t as tf.Tensor4D, ind, {
                                     kernelSize, outputSize: outSize, dataFormat}))([x], dy);
             // The gradient of the unpooling's gradient: a scatter-add at the same indices.
             const [ddy] = tf.grads((t: tf.Tensor) => tf.grads((u: tf.Tensor) => tf.mul(
                 maxUnpool2d(u as tf.Tensor4D, ind, {kernelSize, outputSize: outSize, dataFormat}),
                 t))([x])[0])([dy], floats(shape, 14));
             return [y, dx, ddy];
           }, `arbitrary indices ${dataFormat}`, rtol());
         });
    }
  });

  describe('errors', () => {
    beforeEach(async () => {
      await tf.setBackend('webgl');
    });
    it('convTranspose names the op, the output shape and the limit', () => {
      const x = tf.zeros([1, 10, 10, 2]);
      const w = tf.zeros([2, 3, 4, 4]) as tf.Tensor4D;
      expect(() => withMaxTextureSize(16, () => convTranspose2d(x as tf.Tensor4D, w, null, {stride: 2, padding: 1})))
          .to.throw(/^convTranspose2d: output of shape \[1, 20, 20, 3\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      tf.dispose([x, w]);
    });
    it('maxPool names the op, the output shape and the limit', () => {
      const x = tf.zeros([1, 1, 80, 80]);
      expect(() => withMaxTextureSize(16, () => maxPool2dWithIndices(x as tf.Tensor4D, {kernelSize: 2, dataFormat: 'channelsFirst'})))
          .to.throw(/^maxPool2dWithIndices: output of shape \[1, 1, 40, 40\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      x.dispose();
    });
    it('maxUnpool names the op, the output shape and the limit', () => {
      const x = tf.zeros([1, 12, 12, 1]);
      const ind = tf.zeros([1, 12, 12, 1], 'int32');
      expect(() => withMaxTextureSize(16, () => maxUnpool2d(x as tf.Tensor4D, ind, {kernelSize: 2})))
          .to.throw(/^maxUnpool2d: output of shape \[1, 24, 24, 1\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      tf.dispose([x, ind]);
    });
    it('an input larger than a texture is named too (after the output)', () => {
      const x = tf.zeros([1, 40, 40, 1]);
      expect(() => withMaxTextureSize(16, () => maxPool2dWithIndices(x as tf.Tensor4D, {kernelSize: 4})))
          .to.throw(/^maxPool2dWithIndices: input x of shape \[1, 40, 40, 1\].*WEBGL_MAX_TEXTURE_SIZE 16/);
      x.dispose();
    });
    it('leaves no tensor behind when it throws', () => {
      const x = tf.zeros([1, 1, 80, 80]);
      const before = tf.memory().numTensors;
      expect(() => withMaxTextureSize(16, () => maxPool2dWithIndices(x as tf.Tensor4D, {kernelSize: 2, dataFormat: 'channelsFirst'})))
          .to.throw();
      expect(tf.memory().numTensors).to.equal(before);
      x.dispose();
    });
    if (halfFloatRun) it('half-float textures: indices into planes above 2048 positions are refused',
       () => {
         const x = tf.zeros([1, 64, 64, 1]);
         expect(() => maxPool2dWithIndices(x as tf.Tensor4D, {kernelSize: 2}))
             .to.throw(/^maxPool2dWithIndices: indices into a plane of 64x64 = 4096 positions are not exact in half-float/);
         x.dispose();
       });
  });
});

// ---- the PyTorch fixtures with half-float textures ---------------------------------------------
// The 'webgl-f16' run (WEBGL_FORCE_F16_TEXTURES) does not run the shared suites (their 1e-4
// tolerance and unchanged-input checks cannot hold when every stored value is rounded to 11
// significant bits); as test/browser/webgl_f16.test.ts does for the other families, the fixtures of
// convTranspose, maxPool and maxUnpool run here with the half-float tolerance
//   |actual - expected| <= F16_TOL * scale,   F16_TOL = 2^-8,
// scale the largest magnitude among the expected tensor and the tensors the result is computed
// from; int32 indices exactly. Measured maxima of the error / scale (SwiftShader, Chromium 156),
// printed at the end of the run: convTranspose 6.1e-4 (gradients 1.4e-3), maxPool 3.3e-4
// (gradients 6.5e-4), maxUnpool 3.9e-4 (gradients 2.9e-4). Cases whose input holds an infinity
// are left out: half-float textures do not keep one (see expectSameOnWebGL).
const F16_TOL = 2 ** -8;

function maxAbs(...ts: Array<FixtureTensor|undefined>): number {
  let m = 0;
  for (const t of ts) {
    if (t == null) continue;
    for (const v of fixtureValues(t)) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  }
  return m;
}

const worstF16: Record<string, number> = {};

/** actual against a PyTorch fixture tensor (converted to dataFormat) within the f16 tolerance. */
async function expectF16(
    family: string, actual: tf.Tensor, expected: FixtureTensor, dataFormat: DataFormat,
    scale: number, what: string, layout = true): Promise<void> {
  const exp = fromFixture(expected, dataFormat, layout);
  expect(actual.shape, `${what}: shape`).to.deep.equal(exp.shape);
  expect(actual.dtype, `${what}: dtype`).to.equal(exp.dtype);
  const [a, e] = [await actual.data(), await exp.data()];
  exp.dispose();
  if (expected.dtype === 'int32') {
    expect(Array.from(a), `${what}: int32 values`).to.deep.equal(Array.from(e));
    return;
  }
  let worst = 0;
  for (let i = 0; i < e.length; i++) {
    // Infinities (all-padding windows) come back as NaN from half-float textures, see above.
    if (!Number.isFinite(e[i])) {
      if (!(a[i] === e[i] || Number.isNaN(a[i]))) expect.fail(`${what}: ${a[i]} at ${i}, PyTorch ${e[i]}`);
      continue;
    }
    const rel = Math.abs(a[i] - e[i]) / (scale > 0 ? scale : 1);
    if (!(rel <= F16_TOL)) {
      expect.fail(`${what}: ${a[i]} at flat index ${i}, PyTorch ${e[i]}: error ${
          rel.toExponential(2)} of the largest |value| read or expected (${scale}), f16 tolerance ${
          F16_TOL.toExponential(2)}`);
    }
    worst = Math.max(worst, rel);
  }
  worstF16[family] = Math.max(worstF16[family] ?? 0, worst);
}

if (halfFloatRun) describe(
    'PyTorch fixtures of convTranspose and pooling on webgl with half-float textures', () => {
      let previous: string;
      before(async () => {
        await tf.ready();
        previous = tf.getBackend();
        await tf.setBackend('webgl');
      });
      after(async () => {
        console.log(`f16 max error |actual - expected| / scale: ${
            Object.entries(worstF16).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
        await tf.setBackend(previous);
      });

      const convCases = halfFloatRun ?
          [...loadFixture('conv_transpose').cases].filter((c) => c.error == null) : [];
      for (const c of convCases) {
        for (const dataFormat of DATA_FORMATS) {
          it(`conv_transpose: ${c.name} [${dataFormat}]`, async () => {
            const n = c.args.dims as number;
            const opts: ConvTransposeOptions = {dataFormat};
            for (const key of ['stride', 'padding', 'outputPadding', 'groups', 'dilation', 'outputSize']) {
              if (key in c.args) (opts as Record<string, unknown>)[key] = c.args[key];
            }
            // Unbatched cases get the batch dim of 1 PyTorch's unbatched input stands for.
            const unbatched = c.args.unbatched === true;
            const batched = (t: FixtureTensor) => (unbatched ? {...t, shape: [1, ...t.shape]} : t);
            // A full-shape outputSize is PyTorch's layout: the unbatched one (C, ...spatial) gives
            // its spatial sizes, the batched one goes into dataFormat's order.
            if (Array.isArray(opts.outputSize) && opts.outputSize.length === n + 1 && unbatched) {
              opts.outputSize = opts.outputSize.slice(1);
            } else if (Array.isArray(opts.outputSize) && opts.outputSize.length === n + 2) {
              opts.outputSize = fixtureShapeIn(opts.outputSize, dataFormat);
            }
            const x = fromFixture(batched(c.inputs.x), dataFormat);
            const w = fromFixture(c.inputs.weight, dataFormat, false);
            const b = c.inputs.bias == null ? null : fromFixture(c.inputs.bias, dataFormat, false);
            const y = CONV[n](x, w, b, opts);
            await expectF16('convTranspose', y, batched(c.outputs[0]), dataFormat,
                            maxAbs(c.outputs[0], c.inputs.x, c.inputs.weight, c.inputs.bias), 'y');
            if (c.grad != null) {
              const dy = fromFixture(batched(c.grad.dy), dataFormat);
              const inputs = b != null ? [x, w, b] : [x, w];
              const grads = tf.grads(b != null ?
                  (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => CONV[n](p, q, r, opts) :
                  (p: tf.Tensor, q: tf.Tensor) => CONV[n](p, q, null, opts))(inputs, dy);
              const g = c.grad.grads;
              await expectF16('convTranspose gradients', grads[0], batched(g.x), dataFormat,
                              maxAbs(g.x, c.grad.dy, c.inputs.weight), 'dx');
              await expectF16('convTranspose gradients', grads[1], g.weight, dataFormat,
                              maxAbs(g.weight, c.grad.dy, c.inputs.x), 'dweight', false);
              if (b != null) {
                await expectF16('convTranspose gradients', grads[2], g.bias, dataFormat,
                                maxAbs(g.bias, c.grad.dy), 'dbias', false);
              }
              tf.dispose([dy, ...grads]);
            }
            tf.dispose([x, w, y]);
            if (b != null) b.dispose();
          });
        }
      }

      // Half-float textures turn an uploaded +-Infinity into NaN (see expectSameOnWebGL): cases
      // whose input holds one are checked in the float32 runs only.
      const finiteInput = (c: {inputs: Record<string, FixtureTensor>}) =>
          Array.from(fixtureValues(c.inputs.x)).every((v) => Number.isFinite(v) || Number.isNaN(v));
      const poolCases = halfFloatRun ?
          loadFixture('pool_max').cases.filter((c) => c.error == null && finiteInput(c)) : [];
      for (const c of poolCases) {
        for (const dataFormat of DATA_FORMATS) {
          it(`pool_max: ${c.name} [${dataFormat}]`, async () => {
            const a = c.args as Record<string, number|number[]|boolean>;
            const opts: MaxPoolOptions = {
              kernelSize: a.kernelSize as number|number[],
              stride: a.stride as number|number[]|undefined,
              padding: a.padding as number|number[],
              dilation: a.dilation as number|number[],
              ceilMode: a.ceilMode as boolean,
              dataFormat,
            };
            const n = a.dims as number;
            const x = fromFixture(c.inputs.x, dataFormat);
            const [v, i] = POOL[n](x, opts);
            const scale = maxAbs(c.inputs.x);
            await expectF16('maxPool', v, c.outputs[0], dataFormat, scale, 'values');
            await expectF16('maxPool', i, c.outputs[1], dataFormat, scale, 'indices');
            if (c.grad != null) {
              const dy = fromFixture(c.grad.dy, dataFormat);
              const [dx] = tf.grads((t: tf.Tensor) => POOL[n](t, opts)[0])([x], dy);
              await expectF16('maxPool gradients', dx, c.grad.grads.x, dataFormat,
                              maxAbs(c.grad.grads.x, c.grad.dy), 'dx');
              tf.dispose([dy, dx]);
            }
            tf.dispose([x, v, i]);
          });
        }
      }

      const unpoolCases = halfFloatRun ? loadFixture('pool_unpool').cases.filter((c) => c.error == null) : [];
      for (const c of unpoolCases) {
        for (const dataFormat of DATA_FORMATS) {
          it(`pool_unpool: ${c.name} [${dataFormat}]`, async () => {
            const a = c.args as Record<string, number|number[]>;
            const n = a.dims as number;
            let outputSize = a.outputSize as number[]|undefined;
            if (outputSize != null && outputSize.length === n + 2) {
              outputSize = fixtureShapeIn(outputSize, dataFormat);
            }
            const opts: MaxUnpoolOptions =
                {kernelSize: a.kernelSize, stride: a.stride, padding: a.padding, outputSize, dataFormat};
            if (c.args.roundTrip) {
              const source = fromFixture(c.inputs.source, dataFormat);
              const o = {...opts, outputSize: source.shape};
              const f = (s: tf.Tensor) => {
                const [v, i] = POOL[n](s, {kernelSize: o.kernelSize, stride: o.stride, padding: o.padding, dataFormat});
                return UNPOOL[n](v, i, o);
              };
              const y = tf.tidy(() => f(source));
              await expectF16('maxUnpool', y, c.outputs[0], dataFormat, maxAbs(c.inputs.source), 'y');
              const dy = fromFixture(c.grad!.dy, dataFormat);
              const [dx] = tf.grads(f)([source], dy);
              await expectF16('maxUnpool gradients', dx, c.grad!.grads.source, dataFormat,
                              maxAbs(c.grad!.grads.source, c.grad!.dy), 'dsource');
              tf.dispose([source, y, dy, dx]);
              return;
            }
            const x = fromFixture(c.inputs.x, dataFormat);
            const indices = fromFixture(c.inputs.indices, dataFormat);
            const y = UNPOOL[n](x, indices, opts);
            await expectF16('maxUnpool', y, c.outputs[0], dataFormat, maxAbs(c.inputs.x), 'y');
            if (c.grad != null) {
              const dy = fromFixture(c.grad.dy, dataFormat);
              const [dx] = tf.grads((t: tf.Tensor) => UNPOOL[n](t, indices, opts))([x], dy);
              await expectF16('maxUnpool gradients', dx, c.grad.grads.x, dataFormat,
                              maxAbs(c.grad.dy), 'dx');
              tf.dispose([dy, dx]);
            }
            tf.dispose([x, indices, y]);
          });
        }
      }
    });
