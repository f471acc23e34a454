// interpolate against PyTorch's torch.nn.functional.interpolate (test/fixtures/interpolate_*.json
// from scripts/fixtures/gen_interpolate.py): forward values, autograd gradients and PyTorch's
// error cases, in both dataFormats, on every test backend; plus the shared index math.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {interpolateBackward} from '../src/gradients/interpolate_grad.js';
import {
  axisTable, backwardScales, computeScalesValue, nearestExactSourceIndex, nearestSourceIndex,
  outputSizeFromScale, transposeTable,
} from '../src/index_math/resize.js';
import type {AxisTable} from '../src/index_math/resize.js';
import {interpolate, resolveInterpolateAttrs} from '../src/ops/interpolate.js';
import type {InterpolateOptions} from '../src/ops/interpolate.js';
import type {InterpolateMode} from '../src/kernel_names.js';
import {
  DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fixtureValues, fromFixture,
  loadFixture,
} from './util.js';
import type {FixtureCase} from './util.js';

const FILES = [
  'interpolate_1d', 'interpolate_2d', 'interpolate_3d', 'interpolate_antialias',
  'interpolate_edge', 'interpolate_nonfinite',
];

/** What our message must say for one of PyTorch's errors: the op and the argument at fault. */
function expectedError(c: FixtureCase): RegExp {
  const e = c.error as string;
  const rank = c.inputs.x.shape.length;
  if (/align_corners option/.test(e)) return /^interpolate: argument 'alignCorners'/;
  if (/Anti-alias/.test(e)) return /^interpolate: argument 'antialias'/;
  if (/only one of size or scale_factor|either size or scale_factor/.test(e)) {
    return /^interpolate: .*'size' and 'scaleFactor'/;
  }
  if (/Got \dD input, but/.test(e)) return /^interpolate: argument 'mode'/;
  if (/Only 3D, 4D and 5D/.test(e)) {
    return rank >= 3 && rank <= 5 ? /^interpolate: argument 'mode'/ :
                                    /^interpolate: input x must have rank 3, 4 or 5/;
  }
  if (/Input and output must have the same number/.test(e)) return /^interpolate: argument 'size'/;
  if (/Input and scale_factor must have the same number/.test(e)) {
    return /^interpolate: argument 'scaleFactor'/;
  }
  if (/sizes should be greater than 0/.test(e)) {
    return c.args.size !== undefined ? /^interpolate: argument 'size'/ :
                                       /^interpolate: argument 'scaleFactor'/;
  }
  if (/recompute_scale_factor is not meaningful/.test(e)) {
    return /^interpolate: argument 'recomputeScaleFactor'/;
  }
  if (/not implemented for 'Int'/.test(e)) return /^interpolate: input x of dtype int32/;
  throw new Error(`no expected message for PyTorch error: ${e}`);
}

/** Dense [outSize, inSize] matrix of a table (summing taps that share a source). */
function dense(t: AxisTable): number[][] {
  const m = Array.from({length: t.outSize}, () => new Array<number>(t.inSize).fill(0));
  for (let o = 0; o < t.outSize; o++) {
    for (let k = 0; k < t.taps; k++) m[o][t.index[o * t.taps + k]] += t.weight[o * t.taps + k];
  }
  return m;
}

describe('interpolate index math', () => {
  const MODES: InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bicubic', 'area'];

  it('outputSizeFromScale floors the double product, as PyTorch', () => {
    expect(outputSizeFromScale(5, 2.3)).to.equal(11);
    expect(outputSizeFromScale(10, 0.29)).to.equal(2);  // 2.8999999999999995
    expect(outputSizeFromScale(16, 0.13)).to.equal(2);
    expect(outputSizeFromScale(3, 7.3)).to.equal(21);
  });

  it('computeScalesValue is a float32 1/scale or in/out', () => {
    expect(computeScalesValue(2.2, 16, 35)).to.equal(Math.fround(1 / 2.2));
    expect(computeScalesValue(null, 2, 82)).to.equal(Math.fround(2 / 82));
  });

  it('the nearest modes floor the float32 product (where the double quotient would not)', () => {
    // 16 pixels, factor 2.2: output 33 reads input 15 (33 * float32(1/2.2) rounds to 15.0)
    // where 33 / 2.2 in double is 14.999999999999998 (PyTorch: interpolate_edge.json).
    expect(Math.floor(33 / 2.2)).to.equal(14);
    expect(nearestSourceIndex(computeScalesValue(2.2, 16, 35), 33, 16)).to.equal(15);
    // nearest-exact, 16 pixels, factor 1.1: output 16 reads 15, floor(16.5 / 1.1) = 14.
    expect(Math.floor(16.5 / 1.1)).to.equal(14);
    expect(nearestExactSourceIndex(computeScalesValue(1.1, 16, 17), 16, 16)).to.equal(15);
    expect(nearestExactSourceIndex(computeScalesValue(null, 4, 8), 7, 4)).to.equal(3);
  });

  it('axisTable indices lie in the input and weights sum to 1', () => {
    for (const mode of [...MODES, 'bilinear'] as InterpolateMode[]) {
      for (const [inSize, outSize] of [[1, 5], [5, 1], [7, 7], [7, 16], [16, 3], [13, 4]]) {
        for (const alignCorners of [false, true]) {
          for (const antialias of mode === 'bilinear' || mode === 'bicubic' ? [false, true] :
                                                                              [false]) {
            const t = axisTable(mode, inSize, outSize, alignCorners, null, antialias);
            expect(t.index.length).to.equal(outSize * t.taps);
            for (let o = 0; o < outSize; o++) {
              let sum = 0;
              for (let k = 0; k < t.taps; k++) {
                const i = t.index[o * t.taps + k];
                expect(i).to.be.within(0, inSize - 1);
                sum += t.weight[o * t.taps + k];
              }
              expect(sum, `${mode} ${inSize}->${outSize} row ${o}`).to.be.closeTo(1, 1e-6);
            }
          }
        }
      }
    }
  });

  it('transposeTable is the transposed matrix', () => {
    for (const mode of MODES) {
      for (const [inSize, outSize, scale] of [[5, 12, 2.5], [13, 4, null], [6, 6, 1.05]]) {
        const t = axisTable(mode, inSize as number, outSize as number, false,
                            scale as number|null, false);
        const tt = transposeTable(t);
        expect([tt.inSize, tt.outSize]).to.deep.equal([t.outSize, t.inSize]);
        const a = dense(t);
        const b = dense(tt);
        for (let o = 0; o < t.outSize; o++) {
          for (let i = 0; i < t.inSize; i++) expect(b[i][o]).to.be.closeTo(a[o][i], 1e-6);
        }
      }
    }
  });

  it('backwardScales drops the scale only where PyTorch\'s backward shortcuts apply', () => {
    expect(backwardScales('nearest', false, [10, 10, 4], [10, 20, 6], [1.05, 2.05, 1.5]))
        .to.deep.equal([null, null, 1.5]);
    expect(backwardScales('bicubic', false, [10, 7], [10, 7], [1.05, 1]))
        .to.deep.equal([null, null]);
    expect(backwardScales('bicubic', false, [10, 7], [10, 10], [1.05, 1.5]))
        .to.deep.equal([1.05, 1.5]);
    expect(backwardScales('bilinear', false, [10], [10], [1.05])).to.deep.equal([1.05]);
  });
});

describeBackends('interpolate', () => {
  for (const file of FILES) {
    const fixture = loadFixture(file);
    describe(file, () => {
      for (const c of fixture.cases) {
        for (const dataFormat of DATA_FORMATS) {
          const options = {...c.args, dataFormat} as InterpolateOptions;
          if (c.error != null) {
            it(`${c.name} [${dataFormat}] throws (PyTorch: ${c.error.slice(0, 80)})`, () => {
              const x = fromFixture(c.inputs.x, dataFormat);
              const before = tf.memory().numTensors;
              expect(() => interpolate(x, options)).to.throw(expectedError(c));
              expect(tf.memory().numTensors, 'tensors left after the throw').to.equal(before);
              x.dispose();
            });
            continue;
          }
          it(`${c.name} [${dataFormat}]`, async () => {
            const x = fromFixture(c.inputs.x, dataFormat);
            const y = await expectNoLeak([x], () => interpolate(x, options));
            await expectMatches(y, c.outputs[0], dataFormat, 'output');
            y.dispose();
            if (c.grad != null) {
              const dy = fromFixture(c.grad.dy, dataFormat);
              const [dx] = await expectNoLeak(
                  [x, dy], () => tf.grads((t: tf.Tensor) => interpolate(t, options))([x], dy));
              await expectMatches(dx, c.grad.grads.x, dataFormat, 'gradient of x');
              tf.dispose([dx, dy]);
            }
            x.dispose();
          });
        }
      }
    });
  }

  describe('torch.nn.Upsample documentation examples', () => {
    // The values printed in torch.nn.Upsample's docstring (torch/nn/modules/upsampling.py,
    // PyTorch 1.13), to the 4 decimals printed; the fixtures hold PyTorch's full values.
    const PRINTED: Record<string, number[][]> = {
      'doc nearest 2x': [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]],
      'doc bilinear 2x': [
        [1.0000, 1.2500, 1.7500, 2.0000], [1.5000, 1.7500, 2.2500, 2.5000],
        [2.5000, 2.7500, 3.2500, 3.5000], [3.0000, 3.2500, 3.7500, 4.0000],
      ],
      'doc bilinear 2x alignCorners': [
        [1.0000, 1.3333, 1.6667, 2.0000], [1.6667, 2.0000, 2.3333, 2.6667],
        [2.3333, 2.6667, 3.0000, 3.3333], [3.0000, 3.3333, 3.6667, 4.0000],
      ],
      'doc 3x3 bilinear 2x': [
        [1.0000, 1.2500, 1.7500, 1.5000, 0.5000, 0.0000],
        [1.5000, 1.7500, 2.2500, 1.8750, 0.6250, 0.0000],
        [2.5000, 2.7500, 3.2500, 2.6250, 0.8750, 0.0000],
        [2.2500, 2.4375, 2.8125, 2.2500, 0.7500, 0.0000],
        [0.7500, 0.8125, 0.9375, 0.7500, 0.2500, 0.0000],
        [0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000],
      ],
      'doc 3x3 bilinear 2x alignCorners': [
        [1.0000, 1.4000, 1.8000, 1.6000, 0.8000, 0.0000],
        [1.8000, 2.2000, 2.6000, 2.2400, 1.1200, 0.0000],
        [2.6000, 3.0000, 3.4000, 2.8800, 1.4400, 0.0000],
        [2.4000, 2.7200, 3.0400, 2.5600, 1.2800, 0.0000],
        [1.2000, 1.3600, 1.5200, 1.2800, 0.6400, 0.0000],
        [0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000],
      ],
    };
    const cases = loadFixture('interpolate_edge').cases.filter((c) => c.name in PRINTED);

    it('the fixtures hold every documented example', () => {
      expect(cases.map((c) => c.name).sort()).to.deep.equal(Object.keys(PRINTED).sort());
    });

    for (const c of cases) {
      it(`${c.name}: PyTorch's fixture and our result equal the documented values`, async () => {
        const printed = PRINTED[c.name].flat();
        const torchValues = Array.from(fixtureValues(c.outputs[0]));
        torchValues.forEach((v, i) => expect(v, `fixture ${i}`).to.be.closeTo(printed[i], 5e-5));
        for (const dataFormat of DATA_FORMATS) {
          const x = fromFixture(c.inputs.x, dataFormat);
          const y = interpolate(x, {...c.args, dataFormat} as InterpolateOptions);
          const ours = Array.from(await y.data());
          ours.forEach((v, i) => expect(v, `ours ${i}`).to.be.closeTo(printed[i], 5e-5));
          tf.dispose([x, y]);
        }
      });
    }
  });

  describe('second-order gradient', () => {
    // [options, the forward that is the adjoint of the gradient]: the gradient kernel's own
    // gradient must be that forward (for nearest with factor 1.05 on 5 pixels PyTorch's backward
    // copies, Note [backward scales], so the adjoint is the plain copy, size 5).
    const pairs: Array<[InterpolateOptions, InterpolateOptions]> = [
      [{mode: 'bilinear', scaleFactor: [1.5, 0.7]}, {mode: 'bilinear', scaleFactor: [1.5, 0.7]}],
      [{mode: 'nearest', scaleFactor: [1.05, 1.5]}, {mode: 'nearest', scaleFactor: [1, 1.5]}],
      [{mode: 'bicubic', size: [5, 4], alignCorners: true},
       {mode: 'bicubic', size: [5, 4], alignCorners: true}],
      [{mode: 'area', size: [2, 3]}, {mode: 'area', size: [2, 3]}],
    ];
    for (const [options, adjoint] of pairs) {
      it(`grad of the gradient is the forward (${JSON.stringify(options)})`, async () => {
        const x = tf.randomUniform([2, 5, 4, 3], -1, 1, 'float32', 3);
        const attrs = resolveInterpolateAttrs('interpolate', x, options);
        const dy = tf.randomUniform([2, ...attrs.outSize, 3], -1, 1, 'float32', 4);
        const w = tf.randomUniform(x.shape, -1, 1, 'float32', 5);
        // The first-order gradient through the public op is interpolateBackward.
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(interpolate(t, options), dy)))(x);
        const direct = interpolateBackward(dy, attrs);
        expect(Array.from(await dx.data())).to.deep.equal(Array.from(await direct.data()));
        // d/d(dy) of sum(backward(dy) * w) = the adjoint of backward applied to w.
        const g = tf.grad((d: tf.Tensor) => tf.sum(tf.mul(interpolateBackward(d, attrs), w)))(dy);
        const ref = interpolate(w, adjoint);
        const [a, b] = await Promise.all([g.data(), ref.data()]);
        expect(a.length).to.equal(b.length);
        Array.from(a).forEach((v, i) => expect(v).to.be.closeTo(b[i] as number, 1e-5));
        tf.dispose([x, dy, w, dx, direct, g, ref]);
      });
    }
  });

  describe('tfjs built-ins that give PyTorch\'s numbers (the bench\'s pairs)', () => {
    const x = () => tf.randomUniform([2, 7, 5, 3], -1, 1, 'float32', 9) as tf.Tensor4D;

    async function expectClose(a: tf.Tensor, b: tf.Tensor): Promise<void> {
      expect(a.shape).to.deep.equal(b.shape);
      const [av, bv] = await Promise.all([a.data(), b.data()]);
      Array.from(av).forEach((v, i) => expect(v).to.be.closeTo(bv[i] as number, 1e-5));
    }

    it('bilinear 2x, alignCorners false = tf.image.resizeBilinear halfPixelCenters', async () => {
      const t = x();
      const ours = interpolate(t, {mode: 'bilinear', scaleFactor: 2});
      const theirs = tf.image.resizeBilinear(t, [14, 10], false, true);
      await expectClose(ours, theirs);
      tf.dispose([t, ours, theirs]);
    });

    it('bilinear alignCorners true = tf.image.resizeBilinear alignCorners', async () => {
      const t = x();
      const ours = interpolate(t, {mode: 'bilinear', size: [11, 9], alignCorners: true});
      const theirs = tf.image.resizeBilinear(t, [11, 9], true, false);
      await expectClose(ours, theirs);
      tf.dispose([t, ours, theirs]);
    });

    it('nearest 2x = tf.image.resizeNearestNeighbor (no alignCorners, no half-pixel)', async () => {
      const t = x();
      const ours = interpolate(t, {mode: 'nearest', scaleFactor: 2});
      const theirs = tf.image.resizeNearestNeighbor(t, [14, 10], false, false);
      await expectClose(ours, theirs);
      tf.dispose([t, ours, theirs]);
    });
  });

  describe('argument checks', () => {
    const x = () => tf.zeros([1, 4, 4, 2]);
    const bad: Array<[string, InterpolateOptions|undefined, RegExp]> = [
      ['no options', undefined, /^interpolate: argument 'options'/],
      ['unknown mode', {size: 2, mode: 'cubic' as InterpolateMode}, /^interpolate: argument 'mode'/],
      ['bad dataFormat', {size: 2, dataFormat: 'NHWC' as 'channelsLast'},
       /^interpolate: dataFormat/],
      ['fractional size', {size: 2.5}, /^interpolate: argument 'size'/],
      ['NaN scaleFactor', {scaleFactor: NaN}, /^interpolate: argument 'scaleFactor'/],
      ['infinite scaleFactor', {scaleFactor: Infinity}, /^interpolate: argument 'scaleFactor'/],
      ['alignCorners not a boolean', {size: 2, mode: 'bilinear', alignCorners: 1 as unknown as
       boolean}, /^interpolate: argument 'alignCorners'/],
      ['antialias not a boolean', {size: 2, mode: 'bilinear', antialias: 'yes' as unknown as
       boolean}, /^interpolate: argument 'antialias'/],
    ];
    for (const [name, options, re] of bad) {
      it(`${name} throws before any work`, () => {
        const t = x();
        const before = tf.memory().numTensors;
        expect(() => interpolate(t, options as InterpolateOptions)).to.throw(re);
        expect(tf.memory().numTensors).to.equal(before);
        t.dispose();
      });
    }

    it('an empty spatial dim throws', () => {
      const t = tf.zeros([1, 0, 4, 2]);
      expect(() => interpolate(t, {size: 2})).to.throw(/^interpolate: input x must have non-zero/);
      t.dispose();
    });

    it('an empty batch gives an empty result', () => {
      const t = tf.zeros([0, 3, 4, 2]);
      const y = interpolate(t, {scaleFactor: 2, mode: 'bilinear'});
      expect(y.shape).to.deep.equal([0, 6, 8, 2]);
      tf.dispose([t, y]);
    });

    it('takes a nested array as x (and disposes the tensor it makes)', async () => {
      const before = tf.memory().numTensors;
      const y = interpolate([[[1, 2]]], {size: 4, mode: 'linear', dataFormat: 'channelsFirst'});
      expect(tf.memory().numTensors).to.equal(before + 1);
      expect(Array.from(await y.data())).to.deep.equal([1, 1.25, 1.75, 2]);
      y.dispose();
    });
  });
});
