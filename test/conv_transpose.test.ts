// convTranspose1d/2d/3d against PyTorch (test/fixtures/conv_transpose*.json from
// scripts/fixtures/gen_conv_transpose.py): every case in both dataFormats, forward values, the
// gradients for x, weight and bias, second derivatives, no leaked tensors, unchanged inputs, and
// the errors PyTorch raises (with messages naming the op and the argument).
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's own gradients (Add, Mul, Sum, ...), which the second-derivative and loss tests
// differentiate through; the @tensorflow/tfjs union package registers them the same way.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import {expect} from 'chai';

import * as pt from '../src/index.js';
import {resolveConvTransposeArgs} from '../src/ops/conv_transpose.js';
import type {ConvTransposeOptions} from '../src/ops/conv_transpose.js';
import type {DataFormat} from '../src/kernel_names.js';
import {convTransposeInputIndex, phaseConvAxis} from '../src/index_math/conv.js';
import {phasePathApplies, takesTapProducts, WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG} from '../kernels/wasm/conv_transpose_phases.js';
import {WASM_SIMD_LOOPS_FLAG} from '../kernels/wasm/simd.js';

import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, FixtureCase, FixtureTensor, fixtureValues, fromFixture, loadFixture, shapeIn} from './util.js';

// The tfjs flag that picks the cpu product (see kernels/cpu/conv_transpose_gemm.ts).
const WASM_SIMD_FLAG = 'TORCH_CPU_WASM_SIMD';

type ConvTransposeFn = (
    x: tf.Tensor|tf.TensorLike, weight: tf.Tensor|tf.TensorLike,
    bias?: tf.Tensor|tf.TensorLike|null, options?: ConvTransposeOptions) => tf.Tensor;

// The ops with their rank-specific typings relaxed, for tests that feed them any shape.
const ct1 = pt.convTranspose1d as ConvTransposeFn;
const ct2 = pt.convTranspose2d as ConvTransposeFn;
const ct3 = pt.convTranspose3d as ConvTransposeFn;
const OPS: Record<number, [string, ConvTransposeFn]> = {
  1: ['convTranspose1d', ct1],
  2: ['convTranspose2d', ct2],
  3: ['convTranspose3d', ct3],
};

/**
 * The op's options for a fixture case. A full-shape outputSize (PyTorch's N, C, ...spatial, or
 * C, ...spatial unbatched) is given in dataFormat's layout, as a tfjs shape would be.
 */
function optionsOf(args: Record<string, unknown>, dataFormat: DataFormat): ConvTransposeOptions {
  const o: ConvTransposeOptions = {dataFormat};
  for (const key of ['stride', 'padding', 'outputPadding', 'groups', 'dilation', 'outputSize']) {
    if (key in args) (o as Record<string, unknown>)[key] = args[key];
  }
  const size = args.outputSize as number[]|undefined;
  const dims = args.dims as number;
  if (size != null && size.length > dims && dataFormat === 'channelsLast') {
    o.outputSize = args.unbatched === true ? [...size.slice(1), size[0]] : shapeIn(size, dataFormat);
  }
  return o;
}

/**
 * An unbatched fixture tensor [C, ...spatial] seen with a leading batch dim of 1, so that the
 * shared layout helpers (which expect N, C, ...spatial) apply.
 */
function batched(t: FixtureTensor): FixtureTensor {
  return {...t, shape: [1, ...t.shape]};
}

/** x (or another activation) of a case in dataFormat, unbatched ones without their batch dim. */
function activation(t: FixtureTensor, dataFormat: DataFormat, unbatched: boolean): tf.Tensor {
  if (!unbatched) return fromFixture(t, dataFormat);
  return tf.tidy(() => tf.squeeze(fromFixture(batched(t), dataFormat), [0]));
}

async function expectActivation(
    actual: tf.Tensor, expected: FixtureTensor, dataFormat: DataFormat, what: string,
    unbatched: boolean): Promise<void> {
  if (!unbatched) return expectMatches(actual, expected, dataFormat, what);
  const a = tf.expandDims(actual, 0);
  try {
    await expectMatches(a, batched(expected), dataFormat, what);
  } finally {
    a.dispose();
  }
}

interface CaseTensors {
  x: tf.Tensor;
  weight: tf.Tensor;
  bias: tf.Tensor|null;
}

function tensorsOf(c: FixtureCase, dataFormat: DataFormat): CaseTensors {
  const unbatched = c.args.unbatched === true;
  return {
    x: activation(c.inputs.x, dataFormat, unbatched),
    weight: fromFixture(c.inputs.weight, dataFormat, false),
    bias: c.inputs.bias == null ? null : fromFixture(c.inputs.bias, dataFormat, false),
  };
}

function disposeAll(t: CaseTensors): void {
  t.x.dispose();
  t.weight.dispose();
  t.bias?.dispose();
}

const fixture = loadFixture('conv_transpose');
const valueCases = fixture.cases.filter((c) => c.error == null);
const errorCases = fixture.cases.filter((c) => c.error != null);
const grad2 = loadFixture('conv_transpose_grad2');

describeBackends('convTranspose', () => {
  it(`${WASM_SIMD_FLAG} defaults to on wherever WebAssembly SIMD is supported`, () => {
    // The smallest module using a SIMD opcode: (func (result v128) v128.const 0).
    const simd = new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
    ]);
    const supported = typeof WebAssembly === 'object' && WebAssembly.validate(simd);
    // This runs before the suites below, which set the flag (and restore it afterwards).
    expect(tf.env().getBool(WASM_SIMD_FLAG)).to.equal(supported);
  });

  it('fixtures cover 1-D, 2-D, 3-D and errors', () => {
    for (const dims of [1, 2, 3]) {
      expect(valueCases.filter((c) => c.args.dims === dims).length, `${dims}-D`).to.be.above(5);
    }
    expect(errorCases.length).to.be.above(10);
  });

  // The cpu kernels run their matrix products in WebAssembly SIMD where available and in
  // JavaScript otherwise; the tfjs flag picks one, so both run here (other backends ignore it).
  for (const wasmSimd of [true, false]) {
    describe(wasmSimd ? 'products in WebAssembly SIMD (when available)' : 'products in JavaScript', () => {
      // The wasm kernels' own SIMD loops (kernels/wasm/simd.ts: the tap products' sums) follow.
      let saved: boolean;
      let savedLoops: boolean;
      before(() => {
        saved = tf.env().getBool(WASM_SIMD_FLAG);
        savedLoops = tf.env().getBool(WASM_SIMD_LOOPS_FLAG);
        tf.env().set(WASM_SIMD_FLAG, wasmSimd && saved);
        tf.env().set(WASM_SIMD_LOOPS_FLAG, wasmSimd && savedLoops);
      });
      after(() => {
        tf.env().set(WASM_SIMD_FLAG, saved);
        tf.env().set(WASM_SIMD_LOOPS_FLAG, savedLoops);
      });
    for (const dataFormat of DATA_FORMATS) {
      describe(dataFormat, () => {
        for (const c of valueCases) {
          const [opName, op] = OPS[c.args.dims as number];
          const unbatched = c.args.unbatched === true;
          const opts = optionsOf(c.args, dataFormat);

          it(`${c.name}: forward (${opName})`, async () => {
            const t = tensorsOf(c, dataFormat);
            const inputs = [t.x, t.weight, ...(t.bias ? [t.bias] : [])];
            const y = await expectNoLeak(inputs, () => op(t.x, t.weight, t.bias, opts));
            await expectActivation(y, c.outputs[0], dataFormat, 'y', unbatched);
            y.dispose();
            disposeAll(t);
          });

          it(`${c.name}: gradients`, async () => {
            const t = tensorsOf(c, dataFormat);
            const dy = activation(c.grad!.dy, dataFormat, unbatched);
            const inputs = [t.x, t.weight, ...(t.bias ? [t.bias] : [])];
            const f = t.bias ?
                (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => op(x, w, b, opts) :
                (x: tf.Tensor, w: tf.Tensor) => op(x, w, null, opts);
            const grads = await expectNoLeak(inputs, () => tf.grads(f)(inputs, dy));
            const expected = c.grad!.grads;
            await expectActivation(grads[0], expected.x, dataFormat, 'dx', unbatched);
            await expectMatches(grads[1], expected.weight, dataFormat, 'dweight', false);
            if (t.bias) await expectMatches(grads[2], expected.bias, dataFormat, 'dbias', false);
            tf.dispose(grads);
            dy.dispose();
            disposeAll(t);
          });
        }

        for (const c of errorCases) {
          const [opName, op] = OPS[c.args.dims as number];
          it(`${c.name}: throws as PyTorch does ("${c.error!.slice(0, 60)}")`, () => {
            const t = tensorsOf(c, dataFormat);
            const before = tf.memory().numTensors;
            const argName = c.args.errorArg as string;
            expect(() => op(t.x, t.weight, t.bias, optionsOf(c.args, dataFormat)))
                .to.throw(new RegExp(`^${opName}: .*argument '${argName}'`));
            expect(tf.memory().numTensors, 'tensors left').to.equal(before);
            disposeAll(t);
          });
        }

        for (const c of grad2.cases) {
          const [, op] = OPS[c.args.dims as number];
          it(`${c.name}: second derivatives`, async () => {
            const opts = optionsOf(c.args, dataFormat);
            const x = fromFixture(c.inputs.x, dataFormat);
            const weight = fromFixture(c.inputs.weight, dataFormat, false);
            const dy = fromFixture(c.inputs.dy, dataFormat);
            const u = fromFixture(c.inputs.u, dataFormat);
            const v = fromFixture(c.inputs.v, dataFormat, false);
            // L = sum(dx * u) + sum(dweight * v), (dx, dweight) the gradient for upstream dy.
            const loss = (x: tf.Tensor, w: tf.Tensor, g: tf.Tensor) => {
              const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => op(a, b, null, opts))(
                  [x, w], g);
              return tf.add(tf.sum(tf.mul(gx, u)), tf.sum(tf.mul(gw, v)));
            };
            const l = tf.tidy(() => loss(x, weight, dy));
            await expectMatches(l, c.outputs[0], dataFormat, 'L', false);
            const dl = fromFixture(c.grad!.dy, dataFormat, false);
            const grads = tf.grads(loss)([x, weight, dy], dl);
            await expectMatches(grads[0], c.grad!.grads.x, dataFormat, 'dL/dx');
            await expectMatches(grads[1], c.grad!.grads.weight, dataFormat, 'dL/dweight', false);
            await expectMatches(grads[2], c.grad!.grads.dy, dataFormat, 'dL/ddy');
            tf.dispose([x, weight, dy, u, v, l, dl, ...grads]);
          });
        }
      });
    }
    });
  }

  // wasm's phase path takes the tap-products form by default (the suites above): with it off, the
  // same cases through the phases' convolution.
  describe('phase path as the phases\' convolution (tap products off)', () => {
    let saved: boolean;
    before(() => {
      saved = tf.env().getBool(WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG);
      tf.env().set(WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG, false);
    });
    after(() => {
      tf.env().set(WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG, saved);
    });
    for (const dataFormat of DATA_FORMATS) {
      for (const c of valueCases.filter((k) => k.name.startsWith('2d_phase_'))) {
        it(`${c.name}: forward (${dataFormat})`, async () => {
          const t = tensorsOf(c, dataFormat);
          const inputs = [t.x, t.weight, ...(t.bias ? [t.bias] : [])];
          const y = await expectNoLeak(inputs, () => ct2(t.x, t.weight, t.bias, optionsOf(c.args, dataFormat)));
          await expectActivation(y, c.outputs[0], dataFormat, 'y', c.args.unbatched === true);
          y.dispose();
          disposeAll(t);
        });
      }
    }
  });

  it('PyTorch docs example: Conv2d(16,16,3,s2,p1) halves 12x12 to 6x6, ' +
         'ConvTranspose2d(16,16,3,s2,p1) with outputSize = input shape gives 12x12 back',
     async () => {
       const c = fixture.cases.find((k) => k.name === 'pytorch_docs_example')!;
       expect(c.inputs.x.shape).to.deep.equal([1, 16, 6, 6]);
       for (const dataFormat of DATA_FORMATS) {
         const t = tensorsOf(c, dataFormat);
         // Without outputSize the same layer gives 11x11 (PyTorch's size rule).
         const plain = ct2(t.x, t.weight, t.bias, {stride: 2, padding: 1, dataFormat});
         expect(plain.shape).to.deep.equal(
             dataFormat === 'channelsFirst' ? [1, 16, 11, 11] : [1, 11, 11, 16]);
         // outputSize = the shape of the 12x12 input, in this dataFormat's layout.
         const outputSize = shapeIn([1, 16, 12, 12], dataFormat);
         const y = ct2(t.x, t.weight, t.bias, {stride: 2, padding: 1, outputSize, dataFormat});
         expect(y.shape).to.deep.equal(
             dataFormat === 'channelsFirst' ? [1, 16, 12, 12] : [1, 12, 12, 16]);
         await expectMatches(y, c.outputs[0], dataFormat, 'upsampled');
         tf.dispose([plain, y]);
         disposeAll(t);
       }
     });

  it('takes arrays as well as tensors, and defaults every option', async () => {
    const c = valueCases.find((k) => k.name === '1d_basic')!;
    const nested = (t: FixtureTensor) => tf.tidy(() => tf.tensor(fixtureValues(t), t.shape).arraySync());
    const x = nested(c.inputs.x) as number[][][];
    const w = nested(c.inputs.weight) as number[][][];
    const b = Array.from(fixtureValues(c.inputs.bias));
    const before = tf.memory().numTensors;
    const y = pt.convTranspose1d(x, w, b, {dataFormat: 'channelsFirst'});
    expect(tf.memory().numTensors, 'only the result is left').to.equal(before + 1);
    await expectMatches(y, c.outputs[0], 'channelsFirst', 'y');
    y.dispose();
  });

  describe('argument checks name the op and the argument', () => {
    const x = () => tf.zeros([1, 4, 4, 2]);
    const w = () => tf.zeros([2, 3, 3, 3]);
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['dataFormat', () => ct2(x(), w(), null, {dataFormat: 'NCHW' as DataFormat}),
       /^convTranspose2d: dataFormat/],
      ['x rank', () => ct2(tf.zeros([1, 2, 4, 4, 2]), w()),
       /^convTranspose2d: argument 'x' must have rank 4/],
      ['x rank (1-D)', () => ct1(tf.zeros([4]), tf.zeros([1, 1, 1])),
       /^convTranspose1d: argument 'x' must have rank 3/],
      ['weight rank', () => ct3(tf.zeros([1, 2, 2, 2, 2]), tf.zeros([2, 2, 2, 2])),
       /^convTranspose3d: argument 'weight' must have rank 5/],
      ['weight channels', () => ct2(x(), tf.zeros([3, 3, 3, 3])),
       /^convTranspose2d: argument 'weight' .*expects 3 input channels.*has 2/],
      ['empty weight', () => ct2(x(), tf.zeros([2, 0, 3, 3])),
       /^convTranspose2d: argument 'weight' must not be empty/],
      ['int32 x', () => ct2(tf.zeros([1, 4, 4, 2], 'int32'), w()),
       /^convTranspose2d: argument 'x' must be float32/],
      ['int32 weight', () => ct2(x(), tf.zeros([2, 3, 3, 3], 'int32')),
       /^convTranspose2d: argument 'weight' must be float32/],
      ['int32 bias', () => ct2(x(), w(), tf.zeros([3], 'int32')),
       /^convTranspose2d: argument 'bias' must be float32/],
      ['bias shape', () => ct2(x(), w(), tf.zeros([2])),
       /^convTranspose2d: argument 'bias' must have shape \[3\]/],
      ['stride length', () => ct2(x(), w(), null, {stride: [1, 2, 3]}),
       /^convTranspose2d: argument 'stride' must be a number or an array of 2/],
      ['fractional padding', () => ct2(x(), w(), null, {padding: 0.5}),
       /^convTranspose2d: argument 'padding' must hold integers >= 0/],
      ['groups not integer', () => ct2(x(), w(), null, {groups: 1.5}),
       /^convTranspose2d: argument 'groups' must be an integer >= 1/],
      ['groups', () => ct2(x(), w(), null, {groups: 4}),
       /^convTranspose2d: argument 'groups' \(4\) must divide the 2 input channels/],
      ['outputSize not integers',
       () => ct2(x(), w(), null, {outputSize: [6.5, 6]}),
       /^convTranspose2d: argument 'outputSize' must be an array of integers/],
      ['outputSize length', () => ct2(x(), w(), null, {outputSize: [6, 6, 6]}),
       /^convTranspose2d: argument 'outputSize' must have 2 or 4 elements/],
      ['outputSize range',
       () => ct2(x(), w(), null, {stride: 2, outputSize: [6, 9]}),
       /^convTranspose2d: argument 'outputSize' requested an output size of \[6, 9\], but valid sizes range from \[9, 9\] to \[10, 10\]/],
      ['outputPadding', () => ct2(x(), w(), null, {stride: 2, outputPadding: 2}),
       /^convTranspose2d: argument 'outputPadding' must be smaller than either stride or dilation/],
      ['padding too large', () => ct2(x(), w(), null, {padding: 4}),
       /^convTranspose2d: argument 'padding' \[4, 4\] is too large/],
    ];
    for (const [what, fn, re] of cases) {
      it(what, () => {
        const before = tf.memory().numTensors;
        expect(fn).to.throw(re);
        // The test's own zeros/weights are the only tensors made (2 at most, 3 with a bias).
        expect(tf.memory().numTensors - before).to.be.at.most(3);
      });
    }
  });

  it('outputSize wins over outputPadding, as in torch.nn.ConvTranspose2d.forward', () => {
    const y = tf.tidy(() => pt.convTranspose2d(
                           tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([1, 1, 3, 3]), null,
                           {stride: 3, outputPadding: 2, outputSize: [9, 10]}));
    expect(y.shape).to.deep.equal([1, 9, 10, 1]);
    y.dispose();
  });

  it('runs inside tf.tidy and tf.grad with a loss', () => {
    const c = valueCases.find((k) => k.name === '2d_groups2')!;
    const t = tensorsOf(c, 'channelsLast');
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => tf.grad(
        (w: tf.Tensor) => tf.sum(tf.square(ct2(t.x, w, t.bias, {groups: 2, stride: 2, padding: 1}))))(
        t.weight));
    expect(g.shape).to.deep.equal(t.weight.shape);
    expect(tf.memory().numTensors).to.equal(before + 1);
    g.dispose();
    disposeAll(t);
  });
});

// Note [transposed convolution as phase convolutions] (src/index_math/conv.ts), which wasm's
// ConvTranspose kernel takes for few output channels (kernels/wasm/conv_transpose_phases.ts).
describe('convTranspose as phase convolutions', () => {
  it('every (output, tap) pair of the gather form is one phase tap, and no other', () => {
    let checked = 0;
    for (let inSize = 1; inSize <= 5; inSize++) {
      for (let k = 1; k <= 9; k++) {
        for (let s = 1; s <= 4; s++) {
          for (let p = 0; p <= k; p++) {
            for (let op = 0; op < s; op++) {
              const out = (inSize - 1) * s - 2 * p + k + op;
              if (out < 1) continue;
              const ax = phaseConvAxis(inSize, k, s, p, out);
              // The phases' correlation: interleaved q = o + cropStart = s*j + r reads, through
              // phase tap v, x at j - padBefore + v (before any crop of x), kernel tap taps[v*s + r].
              for (let o = 0; o < out; o++) {
                const q = o + ax.cropStart;
                const j = Math.floor(q / s);
                const r = q % s;
                expect(j).to.be.below(ax.phaseSize);
                const viaPhases = new Map<number, number>();
                for (let v = 0; v < ax.phaseTaps; v++) {
                  const t = ax.taps[v * s + r];
                  const i = j - ax.padBefore + v;
                  if (t >= 0 && i >= 0 && i < inSize) viaPhases.set(t, i);
                }
                const viaGather = new Map<number, number>();
                for (let t = 0; t < k; t++) {
                  const i = convTransposeInputIndex(o, t, s, p, 1, inSize);
                  if (i >= 0) viaGather.set(t, i);
                }
                expect([...viaPhases].sort(), `in ${inSize} k ${k} s ${s} p ${p} op ${op} o ${o}`)
                    .to.deep.equal([...viaGather].sort());
                checked++;
              }
              // The padded input covers every position the phases read.
              expect(inSize + ax.padBefore + ax.padAfter).to.equal(ax.phaseSize + ax.phaseTaps - 1);
            }
          }
        }
      }
    }
    expect(checked).to.be.above(10000);
  });

  it('the 2d_phase_* fixture cases are the shapes wasm\'s phase path takes (not_* are not)', () => {
    const cases = valueCases.filter((c) => c.name.startsWith('2d_phase_'));
    expect(cases.length).to.be.above(8);
    for (const c of cases) {
      const x = c.inputs.x.shape;
      const g = resolveConvTransposeArgs('convTranspose2d', 2, x, c.inputs.weight.shape,
                                         c.inputs.bias?.shape ?? null,
                                         optionsOf(c.args, 'channelsFirst'));
      const xShape = c.args.unbatched === true ? [1, ...x] : x;
      expect(phasePathApplies(xShape, c.inputs.weight.shape, g), c.name)
          .to.equal(!c.name.startsWith('2d_phase_not_'));
    }
  });
});

describeBackends('convTranspose phase path limits', () => {
  it('a stride far past the kernel on one axis keeps the per-tap product', async () => {
    // Note [strides and dilations that cannot matter]: stride 2**31 on an axis of one position.
    const a = {stride: [2 ** 31, 2], padding: [0, 1], outputPadding: [0, 0], dilation: [1, 1],
               groups: 1, dataFormat: 'channelsLast' as DataFormat};
    expect(phasePathApplies([1, 1, 4, 3], [3, 1, 3, 4], a)).to.equal(false);
    expect(phasePathApplies([1, 2, 4, 3], [3, 1, 3, 4], {...a, stride: [2, 2]})).to.equal(true);
    const y = tf.tidy(() => ct2(tf.ones([1, 1, 4, 3]), tf.ones([3, 1, 3, 4]), null,
                                {stride: [2 ** 31, 2], padding: [0, 1]}));
    expect(y.shape).to.deep.equal([1, 3, 8, 1]);
    expect(Array.from(await y.data()).every((v) => v === 3 || v === 6)).to.equal(true);
    y.dispose();
  });

  it('the tap-products form holds at most 256 MiB of products, else the phases\' convolution', () => {
    // FSRCNN's upscaler (channelsLast x [N, H, W, 56], weight [56, 1, 9, 9]): 81 floats per pixel.
    const a = {stride: [3, 3], padding: [4, 4], outputPadding: [2, 2], dilation: [1, 1], groups: 1,
               dataFormat: 'channelsLast' as DataFormat};
    expect(takesTapProducts([1, 128, 128, 56], [56, 1, 9, 9], a)).to.equal(true);
    // 4 * 910 * 910 * 81 = 268,304,400 bytes fit in 256 MiB (268,435,456); 911 by 911 do not.
    expect(takesTapProducts([1, 910, 910, 56], [56, 1, 9, 9], a)).to.equal(true);
    expect(takesTapProducts([1, 911, 911, 56], [56, 1, 9, 9], a)).to.equal(false);
    expect(takesTapProducts([2, 2048, 2048, 56], [56, 1, 9, 9], a)).to.equal(false);
  });
});
