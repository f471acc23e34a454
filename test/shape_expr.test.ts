// Shape expressions (src/layers/shape_expr.ts, Note [shape expressions are data]): the grammar's
// validation (hostile configs refused with the layer and argument named, before any work), its
// exact integer evaluation with Python's floor semantics, and the layers that take expressions
// (TorchReshape, TorchFill, TorchShapeCheck, TorchSlice, TorchPad, TorchUpsample) in a model
// whose sizes are free, run at two sizes. Exported models checked against PyTorch are in
// python/tests (npm run test:exporter).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {evalExpr, MAX_DEPTH, MAX_NODES, parseExpr, type ShapeExpr} from '../src/layers/shape_expr.js';
import {describeBackends} from './util.js';

const L = 'layers.test';
const ev = (e: unknown, shapes: Array<Array<number|null>> = [[2, 7, 9, 3]]) =>
    evalExpr(L, parseExpr(L, 'e', e), shapes);

describe('shape expressions: grammar', () => {
  it('evaluates with Python\'s integer semantics (floor division and modulo)', () => {
    expect(ev(['floordiv', -7, 2])).to.equal(-4);     // Python: -7 // 2 == -4
    expect(ev(['mod', -7, 2])).to.equal(1);           // Python: -7 % 2 == 1
    expect(ev(['mod', 7, -2])).to.equal(-1);          // Python: 7 % -2 == -1
    expect(ev(['ceildiv', 7, 2])).to.equal(4);
    expect(ev(['ceildiv', -7, 2])).to.equal(-3);
    expect(ev(['sub', ['dim', 0, 2], ['dim', 0, 1]])).to.equal(2);
    expect(ev(['mul', ['dim', 0, 1], ['dim', 0, 2], 2])).to.equal(126);
    expect(ev(['add', 1, 2, 3, 4])).to.equal(10);
    expect(ev(['max', 1, ['dim', 0, 1], 3])).to.equal(7);
    expect(ev(['min', ['neg', 5], 3])).to.equal(-5);
    expect(ev(['eq', ['mod', ['dim', 0, 2], 3], 0])).to.equal(1);
    expect(ev(['and', ['gt', 2, 1], ['le', 3, 2]])).to.equal(0);
    expect(ev(['or', ['ne', 2, 2], ['not', 0]])).to.equal(1);
  });

  it('isqrt: the integer square root (Python\'s math.isqrt), exact up to 2^53', () => {
    // Note [the square root of a size]: DPT's square token grid, int(n ** 0.5)
    const want = [[0, 0], [1, 1], [2, 1], [3, 1], [4, 2], [15, 3], [16, 4], [24, 4], [25, 5],
                  [1023, 31], [1024, 32], [2 ** 52 - 1, 2 ** 26 - 1], [2 ** 52, 2 ** 26],
                  [(2 ** 26 + 1) ** 2 - 1, 2 ** 26], [Number.MAX_SAFE_INTEGER, 94906265]];
    for (const [n, r] of want) expect(ev(['isqrt', n]), String(n)).to.equal(r);
    expect(ev(['isqrt', ['mul', ['floordiv', ['dim', 0, 1], 1], ['dim', 0, 1]]])).to.equal(7);
    expect(() => ev(['isqrt', ['neg', 1]])).to.throw(/^layers\.test: .*square root of -1/);
    expect(() => parseExpr(L, 'e', ['isqrt', 4, 9])).to.throw(/'isqrt' takes 1 operands, got 2/);
    expect(() => parseExpr(L, 'e', ['isqrt'])).to.throw(/'isqrt' takes 1 operands, got 0/);
  });

  it('gives null for a dim not known yet (a free size while the model is built)', () => {
    expect(ev(['add', ['dim', 0, 1], 1], [[null, null, 4]])).to.equal(null);
    expect(ev(['add', ['dim', 0, 2], 1], [[null, null, 4]])).to.equal(5);
  });

  it('refuses what is not the grammar, naming the layer and the argument', () => {
    const bad: unknown[] = [
      'x', null, {}, [], [1, 2], ['pow', 2, 3], ['eval', 'process.exit()'], ['add', 1],
      ['sub', 1, 2, 3], ['neg'], ['dim', 0], ['dim', -1, 0], ['dim', 0, 1.5], ['dim', 1000, 0],
      1.5, NaN, Infinity, 2 ** 60, ['add', 1, '2'], ['add', 1, [1, 2]],
      ['add', 1, 2, 3, 4, 5, 6, 7, 8, 9], ['__proto__', 1, 2], ['constructor', 1],
    ];
    for (const e of bad) {
      expect(() => parseExpr('layers.slice', 'begin[1]', e), JSON.stringify(e))
          .to.throw(/^layers\.slice: begin\[1\]/);
    }
  });

  it('refuses expressions past the depth and size bounds without recursing further', () => {
    let deep: ShapeExpr = 1;
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = ['neg', deep];
    expect(() => parseExpr(L, 'e', deep)).to.throw(/nested deeper/);
    let veryDeep: unknown = 1;
    for (let i = 0; i < 100000; i++) veryDeep = ['neg', veryDeep];
    expect(() => parseExpr(L, 'e', veryDeep)).to.throw(/nested deeper|more than/);
    const wide: unknown[] = ['add'];
    let e: unknown = ['add', 1, 1];
    for (let i = 0; i < MAX_NODES; i++) e = ['add', e, 1];
    wide.push(e, 1);
    expect(() => parseExpr(L, 'e', wide)).to.throw(/nodes|nested/);
  });

  it('fails on division by zero, unsafe integers and dims the inputs do not have', () => {
    expect(() => ev(['floordiv', 4, ['sub', 2, 2]])).to.throw(/divides by zero/);
    expect(() => ev(['mod', 4, 0])).to.throw(/divides by zero/);
    expect(() => ev(['mul', 2 ** 40, 2 ** 40])).to.throw(/not a safe integer/);
    expect(() => ev(['dim', 1, 0])).to.throw(/reads dim 0 of input 1/);
    expect(() => ev(['dim', 0, 9])).to.throw(/reads dim 9 of input 0/);
  });
});

describe('shape expressions: layers with sizes known only at run time', () => {
  /** x: [N, H, W, C] free; y = layers applied; run at two sizes. */
  function model(build: (x: tfl.SymbolicTensor) => tfl.SymbolicTensor): tfl.LayersModel {
    const x = tfl.input({shape: [null, null, 3]});
    return tfl.model({inputs: x, outputs: build(x)});
  }

  it('TorchReshape: [N, H, W, C] -> [N, H * W, C] at any size', () => {
    const m = model((x) => new pt.layers.TorchReshape(
        {shape: [['mul', ['dim', 0, 1], ['dim', 0, 2]], 3]}).apply([x, x]) as tfl.SymbolicTensor);
    for (const [h, w] of [[4, 5], [7, 3]]) {
      const xs = tf.randomUniform([2, h, w, 3]);
      const y = m.predict(xs) as tf.Tensor;
      expect(y.shape).to.deep.equal([2, h * w, 3]);
      expect(Array.from(y.dataSync())).to.deep.equal(Array.from(xs.dataSync()));
      tf.dispose([xs, y]);
    }
  });

  it('TorchSlice: x[:, :h // 2] with the size an expression', () => {
    const m = model((x) => new pt.layers.TorchSlice({
      begin: [0, 0, 0], size: [['floordiv', ['dim', 0, 1], 2], -1, -1],
    }).apply(x) as tfl.SymbolicTensor);
    const xs = tf.randomUniform([1, 7, 2, 3]);
    const y = m.predict(xs) as tf.Tensor;
    const want = tf.slice(xs, [0, 0, 0, 0], [-1, 3, -1, -1]);
    expect(y.shape).to.deep.equal([1, 3, 2, 3]);
    expect(Array.from(y.dataSync())).to.deep.equal(Array.from(want.dataSync()));
    tf.dispose([xs, y, want]);
  });

  it('TorchSlice with strides: x[:, h // 2::2, 1::3] and x[:, ::2, :w - 1:2], sizes at run time', () => {
    // every step-th element from begin, counted by hand: out[., i, j] = x[., b0 + i * s0, b1 + j * s1]
    const pick = (xs: tf.Tensor, begin: number[], count: number[], step: number[]) =>
      (xs.arraySync() as number[][][][]).map((img) =>
        Array.from({length: count[0]}, (_, i) =>
          Array.from({length: count[1]}, (_, j) => img[begin[0] + i * step[0]][begin[1] + j * step[1]])));
    const x = tfl.input({shape: [null, null, 3]});
    const h = ['dim', 0, 1] as ShapeExpr;
    const w = ['dim', 0, 2] as ShapeExpr;
    const a = new pt.layers.TorchSlice({begin: [['floordiv', h, 2], 1, 0],
                                        size: [['ceildiv', ['sub', h, ['floordiv', h, 2]], 2], -1, -1],
                                        strides: [2, 3, 1]}).apply(x) as tfl.SymbolicTensor;
    const b = new pt.layers.TorchSlice({begin: [0, 0, 0], size: [-1, ['ceildiv', ['sub', w, 1], 2], -1],
                                        strides: [2, 2, 1]}).apply(x) as tfl.SymbolicTensor;
    const m = tfl.model({inputs: x, outputs: [a, b]});
    for (const [hv, wv] of [[7, 8], [10, 11]]) {
      const xs = tf.randomUniform([2, hv, wv, 3]);
      const before = tf.memory().numTensors;
      const [ya, yb] = m.predict(xs) as tf.Tensor[];
      expect(tf.memory().numTensors).to.equal(before + 2);
      const h2 = Math.floor(hv / 2);
      expect(ya.arraySync()).to.deep.equal(pick(xs, [h2, 1], [Math.ceil((hv - h2) / 2), Math.ceil((wv - 1) / 3)], [2, 3]));
      expect(yb.arraySync()).to.deep.equal(pick(xs, [0, 0], [Math.ceil(hv / 2), Math.ceil((wv - 1) / 2)], [2, 2]));
      tf.dispose([xs, ya, yb]);
    }
  });

  it('TorchPad: a pad by a size difference to another input\'s size', () => {
    const x = tfl.input({shape: [null, null, 3]});
    const like = tfl.input({shape: [null, null, 3]});
    const d = (axis: number): ShapeExpr => ['sub', ['dim', 1, axis], ['dim', 0, axis]];
    const y = new pt.layers.TorchPad({
      padding: [['floordiv', d(2), 2], ['sub', d(2), ['floordiv', d(2), 2]],
                ['floordiv', d(1), 2], ['sub', d(1), ['floordiv', d(1), 2]]],
    }).apply([x, like]) as tfl.SymbolicTensor;
    const m = tfl.model({inputs: [x, like], outputs: y});
    const xs = tf.ones([1, 3, 4, 3]);
    const ls = tf.zeros([1, 6, 5, 3]);
    const out = m.predict([xs, ls]) as tf.Tensor;
    expect(out.shape).to.deep.equal([1, 6, 5, 3]);
    // rows 1..3 (pad 1 before, 2 after), cols 0..3 (pad 0 before, 1 after) are ones
    const want = tf.pad(tf.ones([1, 3, 4, 3]), [[0, 0], [1, 2], [0, 1], [0, 0]]);
    expect(Array.from(out.dataSync())).to.deep.equal(Array.from(want.dataSync()));
    tf.dispose([xs, ls, out, want]);
  });

  it('TorchFill: zeros(n, 2, h, w) from an input\'s shape', () => {
    const m = model((x) => new pt.layers.TorchFill(
        {shape: [['dim', 0, 0], ['dim', 0, 1], ['dim', 0, 2], 2], value: 1.5}).apply(x) as tfl.SymbolicTensor);
    const xs = tf.zeros([3, 2, 5, 3]);
    const y = m.predict(xs) as tf.Tensor;
    expect(y.shape).to.deep.equal([3, 2, 5, 2]);
    expect(Array.from(new Set(y.dataSync()))).to.deep.equal([1.5]);
    tf.dispose([xs, y]);
  });

  it('TorchFill with step: an integer arange along the last dim, its length from a shape', () => {
    // torch.arange(3, 3 - 2 * n, -2) for n = x.shape[2] (PyTorch: [3, 1, -1, -3, -5] at n = 5)
    const m = model((x) => new pt.layers.TorchFill(
        {shape: [1, ['dim', 0, 1]], value: 3, step: -2}).apply(x) as tfl.SymbolicTensor);
    const xs = tf.zeros([2, 5, 3, 3]);
    const y = m.predict(xs) as tf.Tensor;
    expect(y.shape).to.deep.equal([1, 5]);
    expect(Array.from(y.dataSync())).to.deep.equal([3, 1, -1, -3, -5]);
    const xs2 = tf.zeros([1, 2, 3, 3]);
    const y2 = m.predict(xs2) as tf.Tensor;
    expect(Array.from(y2.dataSync())).to.deep.equal([3, 1]);
    tf.dispose([xs, y, xs2, y2]);
  });

  it('TorchFill refuses a step that is not an integer, and an arange past 2^24', () => {
    expect(() => new pt.layers.TorchFill({shape: [3], value: 0, step: 0.5}))
        .to.throw(/layers\.fill: argument 'step' must be a nonzero integer/);
    expect(() => new pt.layers.TorchFill({shape: [3], value: 0.5, step: 1}))
        .to.throw(/layers\.fill: argument 'value' must be an integer/);
    const m = model((x) => new pt.layers.TorchFill(
        {shape: [1, ['dim', 0, 1]], value: 2 ** 24 - 2, step: 1}).apply(x) as tfl.SymbolicTensor);
    const xs = tf.zeros([1, 4, 1, 3]);
    expect(() => m.predict(xs)).to.throw(/layers\.fill: arange from 16777214 by 1 to length 4 reaches 16777217/);
    xs.dispose();
  });

  it('TorchFill refuses a size past the size guard before allocating', () => {
    const m = model((x) => new pt.layers.TorchFill(
        {shape: [['dim', 0, 0], ['mul', ['dim', 0, 1], 1000000], 1000, 1]}).apply(x) as tfl.SymbolicTensor);
    const xs = tf.zeros([1, 4, 1, 3]);
    expect(() => m.predict(xs)).to.throw(/layers\.fill: output of shape .* is larger than/);
    xs.dispose();
  });

  it('TorchShapeCheck: a broken rule names the input, the dim, its size and the rule', () => {
    const m = model((x) => new pt.layers.TorchShapeCheck({
      inputNames: ['x'],
      rules: [{rule: ['eq', ['mod', ['dim', 0, 1], 8], 0], text: 'x.shape[2] % 8 == 0',
               dims: [[0, 1, 'x.shape[2]']]}],
    }).apply(x) as tfl.SymbolicTensor);
    const ok = tf.zeros([1, 16, 5, 3]);
    const y = m.predict(ok) as tf.Tensor;
    expect(y.shape).to.deep.equal([1, 16, 5, 3]);
    const bad = tf.zeros([1, 33, 47, 3]);
    expect(() => m.predict(bad)).to.throw(
        /input 'x' of shape \[1, ?33, ?47, ?3\] \(x\.shape\[2\] = 33, in PyTorch's dim order\) breaks the model's size rule x\.shape\[2\] % 8 == 0/);
    tf.dispose([ok, y, bad]);
  });

  it('dim 0 inside a model: the batch merged with heads, transposed, sliced, and back', () => {
    // [N, H, W, 4] -> [N * 2, H * W, 2] (batch merged with 2 heads) -> transposed so that
    // dim 0 is H * W -> a slice of dim 0 -> back to [N, ...] (Note [dim 0 inside a model]).
    const n2 = ['mul', ['dim', 1, 0], 2] as ShapeExpr;
    const hw = ['mul', ['dim', 1, 1], ['dim', 1, 2]] as ShapeExpr;
    const x = tfl.input({shape: [null, null, 4]});
    const m = tfl.model({inputs: x, outputs: (() => {
      const merged = new pt.layers.TorchReshape({shape: [hw, 2], batch: n2}).apply([x, x]) as tfl.SymbolicTensor;
      const t = new pt.layers.TorchPermute({perm: [1, 0, 2]}).apply(merged) as tfl.SymbolicTensor;
      const s = new pt.layers.TorchSlice({begin: [0, 0], size: [-1, -1], batch: [1, ['sub', hw, 1]]})
                    .apply([t, x]) as tfl.SymbolicTensor;
      const back = new pt.layers.TorchPermute({perm: [1, 0, 2]}).apply(s) as tfl.SymbolicTensor;
      return new pt.layers.TorchReshape({shape: [2, ['sub', hw, 1], 2], batch: ['dim', 1, 0]})
          .apply([back, x]) as tfl.SymbolicTensor;
    })()});
    for (const [b, h, w] of [[1, 2, 3], [3, 4, 2]]) {
      const xs = tf.randomUniform([b, h, w, 4]);
      const y = m.predict(xs) as tf.Tensor;
      const want = tf.tidy(() => {
        const t = tf.transpose(tf.reshape(xs, [b * 2, h * w, 2]), [1, 0, 2]);
        const sl = tf.transpose(tf.slice(t, [1, 0, 0], [h * w - 1, -1, -1]), [1, 0, 2]);
        return tf.reshape(sl, [b, 2, h * w - 1, 2]);
      });
      expect(y.shape).to.deep.equal([b, 2, h * w - 1, 2]);
      expect(Array.from(y.dataSync())).to.deep.equal(Array.from(want.dataSync()));
      tf.dispose([xs, y, want]);
    }
    expect(() => new pt.layers.TorchPermute({dims: [1], perm: [0, 1]})).to.throw(/exactly one of 'dims'/);
    expect(() => new pt.layers.TorchPermute({perm: [1, 1]})).to.throw(/'perm' must be a permutation/);
    expect(() => new pt.layers.TorchReshape({shape: [1], batch: ['eval', 1]} as never)).to.throw(/layers\.reshape: batch/);
    expect(() => new pt.layers.TorchSlice({begin: [0], size: [1], batch: [0]} as never)).to.throw(/layers\.slice: argument 'batch'/);
  });

  it('refuses hostile configs of the expression layers', () => {
    expect(() => new pt.layers.TorchReshape({shape: [['eval', 1]]} as never)).to.throw(/layers\.reshape: shape\[0\]/);
    expect(() => new pt.layers.TorchReshape({shape: 'x'} as never)).to.throw(/layers\.reshape/);
    expect(() => new pt.layers.TorchFill({shape: [1, -3]})).to.throw(/layers\.fill: shape\[1\]/);
    expect(() => new pt.layers.TorchShapeCheck({inputNames: ['x'], rules: [
      {rule: ['dim', 5, 0], text: 't', dims: [[3, 0, 'x']]}]} as never)).to.throw(/layers\.shapeCheck: rules\[0\]\.dims/);
    expect(() => new pt.layers.TorchShapeCheck({inputNames: ['x'], rules: new Array(10000).fill(
        {rule: 1, text: 't', dims: []})})).to.throw(/at most 512 rules/);
    expect(() => new pt.layers.TorchSlice({begin: [['floordiv', 1]], size: [1]} as never)).to.throw(/layers\.slice: begin\[0\]/);
    expect(() => new pt.layers.TorchPad({padding: [['add', 1, 'a'], 0]} as never)).to.throw(/layers\.pad: padding\[0\]/);
    expect(() => pt.layers.upsample({size: [['mul', 2], 4]} as never)).to.throw(/layers\.upsample: size\[0\]/);
  });

  it('survive model.json: toJSON and tf.models.modelFromJSON keep the expressions', async () => {
    const m = model((x) => new pt.layers.TorchReshape(
        {shape: [['mul', ['dim', 0, 1], ['dim', 0, 2]], 3]}).apply([x, x]) as tfl.SymbolicTensor);
    const json = m.toJSON(null, false) as object;
    const m2 = await tfl.models.modelFromJSON({modelTopology: json} as never);
    const xs = tf.randomUniform([1, 3, 4, 3]);
    const y = m2.predict(xs) as tf.Tensor;
    expect(y.shape).to.deep.equal([1, 12, 3]);
    tf.dispose([xs, y]);
  });
});

// Values of arithmetic, held exactly to the same ops on the same backend: in describeBackends, so
// not in the browser's webgl-f16 run (karma.conf.js: every stored value there is a half float,
// and tfjs forwards small ops to cpu, so two routes to one number differ in the 11th bit).
describeBackends('shape expressions: a size as an operand', () => {
  /** x: [N, H, W, C] free; y = layers applied; run at two sizes. */
  function model(build: (x: tfl.SymbolicTensor) => tfl.SymbolicTensor): tfl.LayersModel {
    const x = tfl.input({shape: [null, null, 3]});
    return tfl.model({inputs: x, outputs: build(x)});
  }

  it('TorchElementwise: a size as an operand (x / (h * w - 1), h * w - x, ...), either side', () => {
    // Note [a size as an operand]: the size is read at call time from the extra input's shape.
    const hw1: ShapeExpr = ['add', ['mul', ['dim', 1, 1], ['dim', 1, 2]], -1];
    const cases: Array<[pt.layers.TorchElementwiseArgs, (x: tf.Tensor, n: number) => tf.Tensor]> = [
      [{op: 'div', scalarExpr: hw1}, (x, n) => tf.div(x, n)],
      [{op: 'sub', scalarExpr: hw1, reversed: true}, (x, n) => tf.sub(n, x)],
      [{op: 'mul', scalarExpr: hw1}, (x, n) => tf.mul(x, n)],
      [{op: 'add', scalarExpr: hw1}, (x, n) => tf.add(x, n)],
      [{op: 'div', scalarExpr: hw1, reversed: true}, (x, n) => tf.div(n, x)],
      // x ** 2 is x * x, as PyTorch's (Note [pow by 2]); x ** 3 tfjs's pow
      [{op: 'pow', scalarExpr: ['floordiv', ['dim', 1, 1], 2]}, (x, n) => n === 2 ? tf.mul(x, x) : tf.pow(x, n)],
    ];
    for (const [args, want] of cases) {
      const m = model((x) => new pt.layers.TorchElementwise(args).apply([x, x]) as tfl.SymbolicTensor);
      for (const [h, w] of [[4, 5], [7, 3]]) {
        const xs = tf.randomUniform([2, h, w, 3], 0.5, 2);
        const y = m.predict(xs) as tf.Tensor;
        const n = args.scalarExpr === hw1 ? h * w - 1 : Math.floor(h / 2);
        const w2 = want(xs, n);
        expect(y.shape).to.deep.equal([2, h, w, 3]);
        expect(Array.from(y.dataSync()), `${args.op} at ${h}x${w}`).to.deep.equal(Array.from(w2.dataSync()));
        tf.dispose([xs, y, w2]);
      }
    }
  });

  it('TorchElementwise: a comparison with a size (arange(h) >= h - 4, ...), either side, a 0 / 1 mask', () => {
    // Note [a size as an operand]: Swin2SR's shifted-window regions compare an arange with
    // `height - window_size`. Expected values from the integers read back, compared in plain JS.
    const w2: ShapeExpr = ['floordiv', ['dim', 1, 2], 2];   // 2 at W = 5, 1 at W = 3
    const js: Record<string, (a: number, b: number) => boolean> = {
      eq: (a, b) => a === b, ne: (a, b) => a !== b, lt: (a, b) => a < b,
      le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b,
    };
    for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
      for (const reversed of [false, true]) {
        const m = model((x) => new pt.layers.TorchElementwise({op, scalarExpr: w2, reversed}).apply([x, x]) as tfl.SymbolicTensor);
        for (const [h, w] of [[4, 5], [7, 3]]) {
          const xs = tf.tidy(() => tf.floor(tf.randomUniform([2, h, w, 3], 0, 4)));
          const y = m.predict(xs) as tf.Tensor;
          const n = Math.floor(w / 2);
          const want = Array.from(xs.dataSync()).map((v) => (reversed ? js[op](n, v) : js[op](v, n)) ? 1 : 0);
          expect(y.shape).to.deep.equal([2, h, w, 3]);
          expect(y.dtype).to.equal('float32');
          const got = Array.from(y.dataSync());
          expect(got, `${op}${reversed ? ' reversed' : ''} at ${h}x${w}`).to.deep.equal(want);
          expect(new Set(got).size, `${op} at ${h}x${w}: both values occur`).to.equal(2);
          tf.dispose([xs, y]);
        }
      }
    }
  });

  it('TorchElementwise with a size as an operand survives model.json; old configs still load', async () => {
    const m = model((x) => new pt.layers.TorchElementwise(
        {op: 'div', scalarExpr: ['mul', ['dim', 1, 1], ['dim', 1, 2]]}).apply([x, x]) as tfl.SymbolicTensor);
    const m2 = await tfl.models.modelFromJSON({modelTopology: m.toJSON(null, false) as object} as never);
    const xs = tf.ones([1, 3, 4, 3]);
    const y = m2.predict(xs) as tf.Tensor;
    expect(Array.from(new Set(y.dataSync()))).to.deep.equal([Math.fround(1 / 12)]);
    // a config written before scalarExpr existed: no such key, and none written back
    const old = new pt.layers.TorchElementwise({op: 'mul', scalar: 2, reversed: false});
    expect(old.getConfig()).to.not.have.property('scalarExpr');
    tf.dispose([xs, y]);
  });
});
