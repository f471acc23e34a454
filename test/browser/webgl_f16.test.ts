// The PyTorch fixtures of interpolate, pixelShuffle, normalize and PReLU (modules.json) on webgl with half-float
// textures (the 'webgl-f16' browser run, WEBGL_FORCE_F16_TEXTURES; devices without float32
// render targets), forward values and gradients, both dataFormats.
//
// Half floats keep 11 significant bits: every value tfjs stores in a texture (inputs included,
// when they are uploaded) is rounded to a relative 2^-11 = 4.9e-4, so the project's 1e-4
// tolerance and the shared suites' "inputs unchanged" check cannot hold there, and this run
// uses its own tolerance instead:
//   |actual - expected| <= F16_TOL * scale     (float32 results)
//   exact                                     (int32 results)
// with scale the largest magnitude among the expected tensor and the tensor the computation
// reads (x for outputs, dy for gradients): each result is a weighted sum of rounded inputs, so
// its error follows the inputs' size even where the sum cancels (an antialiased downscale to
// one pixel gives -0.004 from inputs near 1). F16_TOL = 2^-8 = 3.9e-3, eight half-float units.
// Measured maxima of |actual - expected| / scale (SwiftShader, Chromium 156), printed by the run
// as "f16 max error ...": interpolate 1.4e-3 (gradients 1.7e-3), pixelShuffle 2.9e-4 (a copy:
// only the input's rounding; gradients 2.6e-4), normalize 1.5e-3 (gradients 6.9e-4), prelu
// 5.4e-4 (gradients 4.2e-4). tfjs 4.22's webgl backend reads every infinity in a half-float
// texture back as NaN (uploaded or computed; SwiftShader), so the PReLU cases with NaN and
// Infinity input are compared where x is finite (Family.finiteInputsOnly; the float32 runs
// compare every position), and the scale counts finite values only. int32 copies are exact:
// values a half float would round are kept on the cpu path (Note [int32
// beyond float precision] in kernels/webgl/util.ts).
//
// Registered in that run only (not in the Node run, nor in browser runs with float32 textures, where the shared
// suites hold these fixtures to 1e-4).
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {denormalize, interpolate, layers, normalize, pixelShuffle, pixelUnshuffle, readSafetensors} from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';
import type {InterpolateOptions} from '../../src/ops/interpolate.js';
import {DATA_FORMATS, decodeBase64, fixtureValues, loadFixture} from '../util.js';
import type {FixtureCase, FixtureTensor} from '../util.js';

const F16_TOL = 2 ** -8;

const halfFloatRun = tf.findBackendFactory('webgl') != null &&
    tf.env().getBool('WEBGL_FORCE_F16_TEXTURES');

/** Values of shape `shape` transposed by `perm`, in plain JS (no backend op). */
function permute(values: Float32Array|Int32Array, shape: number[], perm: number[]):
    Float32Array|Int32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  const outShape = perm.map((a) => shape[a]);
  const out = values.slice();
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < values.length; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strides[perm[d]];
    out[i] = values[src];
    for (let d = rank - 1; d >= 0 && ++idx[d] === outShape[d]; d--) idx[d] = 0;
  }
  return out;
}

/** Where each family keeps channels for channelsLast: the permutation from PyTorch's layout. */
type Layout = (rank: number) => number[];
const STANDARD: Layout = (r) => (r < 3 ? [0, 1] : [0, ...Array.from({length: r - 2}, (_, i) => i + 2), 1]);
// Pixel shuffle's channels sit third from last, after any number of batch dims.
const SHUFFLE: Layout = (r) => [...Array.from({length: r - 3}, (_, i) => i), r - 2, r - 1, r - 3];

function toFormat(t: FixtureTensor, dataFormat: DataFormat, layout: Layout): tf.Tensor {
  const values = fixtureValues(t);
  if (dataFormat === 'channelsFirst' || t.shape.length < 3) return tf.tensor(values, t.shape, t.dtype);
  const perm = layout(t.shape.length);
  return tf.tensor(permute(values, t.shape, perm), perm.map((a) => t.shape[a]), t.dtype);
}

/** Worst |a - e| / scale so far per family, printed after the run. */
const worst: Record<string, number> = {};

/** Largest finite |value| of a fixture tensor. */
function maxAbs(t: FixtureTensor): number {
  let m = 0;
  for (const v of fixtureValues(t)) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

async function expectClose(
    family: string, actual: tf.Tensor, expected: FixtureTensor, read: FixtureTensor,
    dataFormat: DataFormat, layout: Layout, what: string, finiteAt?: FixtureTensor): Promise<void> {
  const exp = toFormat(expected, dataFormat, layout);
  // Positions where finiteAt (in the same layout) is not finite are left out.
  let skip: Float32Array|Int32Array|null = null;
  if (finiteAt != null) {
    const v = fixtureValues(finiteAt);
    const shape = finiteAt.shape;
    skip = dataFormat === 'channelsFirst' || shape.length < 3 ? v : permute(v, shape, layout(shape.length));
  }
  expect(actual.shape, `${what}: shape`).to.deep.equal(exp.shape);
  expect(actual.dtype, `${what}: dtype`).to.equal(exp.dtype);
  const [a, e] = await Promise.all([actual.data(), exp.data()]);
  exp.dispose();
  if (expected.dtype === 'int32') {
    expect(Array.from(a), `${what}: int32 values`).to.deep.equal(Array.from(e));
    return;
  }
  const scale = Math.max(maxAbs(expected), maxAbs(read));
  let err = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    // NaN where PyTorch has NaN, the same infinity where it has one (half floats hold both).
    if (!Number.isFinite(e[i]) && Object.is(a[i], e[i])) continue;
    if (skip != null && !Number.isFinite(skip[i])) continue;
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= err)) {
      err = d;
      at = i;
    }
  }
  const rel = scale > 0 ? err / scale : err;
  worst[family] = Math.max(worst[family] ?? 0, rel);
  if (!(rel <= F16_TOL)) {
    expect.fail(`${what}: value at flat index ${at} is ${a[at]}, PyTorch gives ${e[at]}: error ${
        err} is ${rel.toExponential(2)} of the largest |value| read or expected, ${scale} (f16 tolerance ${
        F16_TOL.toExponential(2)})`);
  }
}

interface Family {
  name: string;
  files: string[];
  /** Which of a file's cases are the family's (default: all). */
  only?: (c: FixtureCase) => boolean;
  /**
   * Elementwise ops: values at positions where x is +-Infinity or NaN are not compared. tfjs
   * 4.22's webgl backend with half-float textures reads every infinity back as NaN (uploaded or
   * computed, SwiftShader; values past 65504 too), so the float32 runs check those positions.
   */
  finiteInputsOnly?: boolean;
  layout: Layout;
  op: (c: FixtureCase, dataFormat: DataFormat) => (x: tf.Tensor) => tf.Tensor;
}

const FAMILIES: Family[] = [
  {
    name: 'interpolate',
    files: ['interpolate_1d', 'interpolate_2d', 'interpolate_3d', 'interpolate_antialias',
            'interpolate_edge'],
    layout: STANDARD,
    op: (c, dataFormat) => (x) => interpolate(x, {...c.args, dataFormat} as InterpolateOptions),
  },
  {
    name: 'pixelShuffle',
    files: ['pixel_shuffle'],
    layout: SHUFFLE,
    op: (c, dataFormat) => c.args.op === 'pixelShuffle' ?
        (x) => pixelShuffle(x, c.args.upscaleFactor as number, {dataFormat}) :
        (x) => pixelUnshuffle(x, c.args.downscaleFactor as number, {dataFormat}),
  },
  {
    name: 'normalize',
    files: ['normalize'],
    layout: STANDARD,
    op: (c, dataFormat) => {
      const mean = c.args.mean as number|number[];
      const std = c.args.std as number|number[];
      if (c.args.op === 'normalize') return (x) => normalize(x, mean, std, {dataFormat});
      if (c.args.op === 'denormalize') return (x) => denormalize(x, mean, std, {dataFormat});
      return (x) =>
          tf.tidy(() => denormalize(normalize(x, mean, std, {dataFormat}), mean, std, {dataFormat}));
    },
  },
  {
    // pt.layers.prelu (the TorchPrelu kernel) with the module's weight from the case's state.
    name: 'prelu',
    files: ['modules'],
    only: (c) => (c.args as {layer?: string}).layer === 'prelu' && c.name.startsWith('forward/'),
    layout: STANDARD,
    finiteInputsOnly: true,
    op: (c, dataFormat) => (x) => tf.tidy(() => {
      const state = readSafetensors(decodeBase64(c.args.safetensors as string));
      const w = state.tensors.get('weight')!;
      const layer = layers.prelu({...(c.args.config as object), dataFormat});
      layer.build(x.shape);
      layer.setWeights([tf.tensor(w.values, w.shape)]);
      const y = layer.apply(x) as tf.Tensor;
      layer.weights.forEach((v) => v.dispose());
      return y;
    }),
  },
];

if (halfFloatRun) describe('PyTorch fixtures on webgl with half-float textures', () => {
  let previous: string;
  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
    await tf.setBackend('webgl');
    expect(tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'), 'float32 render targets').to.equal(
        false);
  });
  after(async () => {
    console.log(`f16 max error |actual - expected| / scale: ${
        Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
    await tf.setBackend(previous);
  });

  for (const family of FAMILIES) {
    describe(family.name, () => {
      for (const file of family.files) {
        // loadFixture runs when the suite is declared: only in the f16 run.
        const cases = halfFloatRun ? loadFixture(file).cases : [];
        for (const c of cases) {
          if (c.error != null || (family.only != null && !family.only(c))) continue;
          for (const dataFormat of DATA_FORMATS) {
            it(`${file}: ${c.name} [${dataFormat}]`, async () => {
              const f = family.op(c, dataFormat);
              const x = toFormat(c.inputs.x, dataFormat, family.layout);
              const y = f(x);
              const finiteAt = family.finiteInputsOnly ? c.inputs.x : undefined;
              await expectClose(family.name, y, c.outputs[0], c.inputs.x, dataFormat, family.layout,
                                'output', finiteAt);
              y.dispose();
              if (c.grad != null) {
                const dy = toFormat(c.grad.dy, dataFormat, family.layout);
                const [dx] = tf.grads((t: tf.Tensor) => f(t))([x], dy);
                await expectClose(
                    `${family.name} gradients`, dx, c.grad.grads.x, c.grad.dy, dataFormat,
                    family.layout, 'gradient of x', finiteAt);
                tf.dispose([dx, dy]);
              }
              x.dispose();
            });
          }
        }
      }
    });
  }
});
