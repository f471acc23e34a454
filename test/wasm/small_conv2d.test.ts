// The wasm direct convolution for few channels (kernels/wasm/small_conv2d.ts), called directly on
// the wasm backend, against PyTorch (test/fixtures/small_conv2d.json from
// scripts/fixtures/gen_small_conv2d.py): FSRCNN's layer shapes, strides, dilations, asymmetric
// pads, 1 to 64 channels (1, 2, 3, 5, 7 out: partial vectors), batch 2, NaN and infinities with
// each activation; grouped convolutions (32 groups of 32, 8 of 64, 32 of 8, ...: the wasm
// TorchGroupedConv2d kernel, also through groupedConv2d and the layer, with no per-group kernel
// left); other blockings; no tensor or heap buffer left behind, inputs unchanged; and null for
// what it does not claim.
// Run: TFJS_TORCH_BACKENDS=wasm npx mocha test/wasm/small_conv2d.test.ts
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {expect} from 'chai';
import '../../src/wasm.js';
import {groupedPlanFor, planFor, planOverride, smallConv2d} from '../../kernels/wasm/small_conv2d.js';
import type {SmallConv2dArgs} from '../../kernels/wasm/small_conv2d.js';
import {WASM_SIMD_LOOPS_FLAG} from '../../kernels/wasm/simd.js';
import {expectMatches, expectNoLeak, fixtureValues, fromFixture, loadFixture, permuteValues} from '../util.js';
import type {FixtureTensor} from '../util.js';

const fixture = loadFixture('small_conv2d');

/** A PyTorch weight [out, in, kh, kw] as tfjs's filter [kh, kw, in, out]. */
function filterOf(t: FixtureTensor): tf.Tensor4D {
  const shape = t.shape;
  return tf.tensor(permuteValues(fixtureValues(t) as Float32Array, shape, [2, 3, 1, 0]),
                   [shape[2], shape[3], shape[1], shape[0]]) as tf.Tensor4D;
}

/** smallConv2d as a tensor (null stays null). */
function run(args: SmallConv2dArgs): tf.Tensor|null {
  const y = smallConv2d(tf.backend() as BackendWasm, args);
  return y == null ? null : tf.engine().makeTensorFromTensorInfo(y);
}

function baseArgs(x: tf.Tensor, filter: tf.Tensor): SmallConv2dArgs {
  return {x, filter, bias: null, preluWeights: null, strides: [1, 1], pad: [0, 0, 0, 0], dilations: [1, 1],
          activation: 'linear', leakyreluAlpha: 0};
}

describe('smallConv2d (wasm direct convolution for few channels)', () => {
  let previous: string;
  before(async () => {
    previous = tf.getBackend();
    expect(await tf.setBackend('wasm')).to.equal(true);
  });
  after(async () => {
    if (previous != null) await tf.setBackend(previous);
  });

  for (const c of fixture.cases) {
    it(c.name, async () => {
      const a = c.args as {stride: [number, number], pad: [number, number, number, number],
                           dilation: [number, number], activation: SmallConv2dArgs['activation'], alpha: number,
                           groups?: number};
      const groups = a.groups ?? 1;
      const x = fromFixture(c.inputs.x, 'channelsLast');
      const filter = filterOf(c.inputs.weight);
      const bias = c.inputs.bias == null ? null : fromFixture(c.inputs.bias, 'channelsLast', false);
      const prelu = c.inputs.prelu == null ? null : fromFixture(c.inputs.prelu, 'channelsLast', false);
      const inputs = [x, filter, ...(bias == null ? [] : [bias]), ...(prelu == null ? [] : [prelu])];
      const backend = tf.backend() as BackendWasm;
      const ids = backend.numDataIds();
      // Out channels planFor refuses (5, 7: more than 4, not a multiple of 4) run the partial
      // vector path through the blocking override (as the bench does), 1 vector x 4 pixels.
      const [cout, cin, kh, kw] = c.inputs.weight.shape;
      const claimed = (groups > 1 ? groupedPlanFor(cin, kh, kw, cout / groups) : planFor(cin, kh, kw, cout)) != null;
      expect(claimed, 'planFor claims every case but 5 and 7 out channels').to.equal(cout <= 4 || cout % 4 === 0);
      const y = await expectNoLeak(inputs, () => {
        planOverride.plan = claimed ? null : {vb: 1, pb: 4, u: 1};
        try {
          const out = run({x, filter, bias, preluWeights: prelu, strides: a.stride, pad: a.pad, dilations: a.dilation,
                           activation: a.activation, leakyreluAlpha: a.alpha, groups});
          expect(out, 'smallConv2d claims this shape').to.not.equal(null);
          return out!;
        } finally {
          planOverride.plan = null;
        }
      });
      expect(backend.numDataIds(), 'heap buffers left (the scratch freed)').to.equal(ids + 1);
      await expectMatches(y, c.outputs[0], 'channelsLast', 'output');
      tf.dispose([y, ...inputs]);
    });
  }

  it('other blockings (bench overrides: 3 vectors, 6 pixels, 2 or 3 in channels a step) match PyTorch too', async () => {
    let ran = 0;
    for (const c of fixture.cases) {
      const a = c.args as {stride: [number, number], pad: [number, number, number, number],
                           dilation: [number, number], activation: SmallConv2dArgs['activation'], alpha: number,
                           groups?: number};
      const groups = a.groups ?? 1;
      const [coutAll, cin] = c.inputs.weight.shape;
      const cout = coutAll / groups;
      for (const plan of [{vb: 3, pb: 3, u: 2}, {vb: 1, pb: 6, u: 3}, {vb: 2, pb: 5, u: 2}]) {
        if ((cout % 4 === 0 ? (cout / 4) % plan.vb !== 0 : plan.vb !== 1) || cin % plan.u !== 0) continue;
        const x = fromFixture(c.inputs.x, 'channelsLast');
        const filter = filterOf(c.inputs.weight);
        const bias = c.inputs.bias == null ? null : fromFixture(c.inputs.bias, 'channelsLast', false);
        const prelu = c.inputs.prelu == null ? null : fromFixture(c.inputs.prelu, 'channelsLast', false);
        planOverride.plan = plan;
        let y: tf.Tensor|null;
        try {
          y = run({x, filter, bias, preluWeights: prelu, strides: a.stride, pad: a.pad, dilations: a.dilation,
                   activation: a.activation, leakyreluAlpha: a.alpha, groups});
        } finally {
          planOverride.plan = null;
        }
        expect(y, `${c.name} with ${JSON.stringify(plan)}`).to.not.equal(null);
        await expectMatches(y!, c.outputs[0], 'channelsLast', `${c.name} with ${JSON.stringify(plan)}`);
        tf.dispose([x, filter, y!, ...(bias == null ? [] : [bias]), ...(prelu == null ? [] : [prelu])]);
        ran++;
      }
    }
    expect(ran).to.be.at.least(10);
  });

  it('gives the same values for one shape class at other sizes (no per-size module)', async () => {
    const filter = tf.randomNormal([3, 3, 12, 12], 0, 0.2, 'float32', 5);
    const bias = tf.randomUniform([12], -1, 1, 'float32', 6);
    for (const [h, w] of [[5, 3], [17, 31], [1, 1]]) {
      const x = tf.randomUniform([1, h, w, 12], -1, 1, 'float32', h * w);
      const y = run({...baseArgs(x, filter), bias, pad: [1, 1, 1, 1], activation: 'relu'})!;
      const ref = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]), bias));
      const [yv, rv] = [await y.data(), await ref.data()];
      expect(y.shape).to.deep.equal(ref.shape);
      for (let i = 0; i < rv.length; i++) expect(Math.abs(yv[i] - rv[i])).to.be.at.most(1e-5 + 1e-5 * Math.abs(rv[i]));
      tf.dispose([x, y, ref]);
    }
    tf.dispose([filter, bias]);
  });

  it('returns null (and allocates nothing) for what it does not claim', () => {
    const backend = tf.backend() as BackendWasm;
    const made: tf.Tensor[] = [];
    const t = (shape: number[], dtype: 'float32'|'int32' = 'float32') => {
      const r = tf.zeros(shape, dtype);
      made.push(r);
      return r;
    };
    const ids = backend.numDataIds();
    const before = tf.memory().numTensors;
    const x12 = t([1, 8, 8, 12]);
    const refused: Array<[string, SmallConv2dArgs]> = [
      ['72 out channels', baseArgs(x12, t([1, 1, 12, 72]))],
      ['5 out channels', baseArgs(x12, t([3, 3, 12, 5]))],
      ['7 out channels', baseArgs(x12, t([1, 1, 12, 7]))],
      ['too many taps (17 in, 3x3)', baseArgs(t([1, 8, 8, 17]), t([3, 3, 17, 8]))],
      ['int32 input', baseArgs(t([1, 8, 8, 12], 'int32'), t([3, 3, 12, 12]))],
      ['filter in channels differ', baseArgs(x12, t([3, 3, 8, 12]))],
      ['prelu without weights', {...baseArgs(x12, t([3, 3, 12, 12])), activation: 'prelu'}],
      ['prelu weights of another length', {...baseArgs(x12, t([3, 3, 12, 12])), activation: 'prelu', preluWeights: t([5])}],
      ['bias of another length', {...baseArgs(x12, t([3, 3, 12, 12])), bias: t([8])}],
      ['empty output', baseArgs(t([1, 2, 2, 12]), t([3, 3, 12, 12]))],
      ['grouped: 6 out channels per group', {...baseArgs(t([1, 8, 8, 16]), t([3, 3, 4, 24])), groups: 4}],
      ['grouped: 72 in channels per group', {...baseArgs(t([1, 4, 4, 144]), t([3, 3, 72, 32])), groups: 2}],
      ['grouped: 68 out channels per group', {...baseArgs(t([1, 4, 4, 16]), t([3, 3, 8, 136])), groups: 2}],
      ['grouped: groups do not divide the out channels', {...baseArgs(x12, t([3, 3, 4, 8])), groups: 3}],
      ['grouped: filter in channels times groups differ', {...baseArgs(x12, t([3, 3, 4, 8])), groups: 2}],
      ['grouped: groups 0', {...baseArgs(x12, t([3, 3, 12, 8])), groups: 0}],
      ['grouped: groups 2.5', {...baseArgs(x12, t([3, 3, 12, 8])), groups: 2.5}],
    ];
    const idsMade = backend.numDataIds();
    for (const [what, args] of refused) expect(smallConv2d(backend, args), what).to.equal(null);
    expect(backend.numDataIds()).to.equal(idsMade);
    const saved = tf.env().getBool(WASM_SIMD_LOOPS_FLAG);
    tf.env().set(WASM_SIMD_LOOPS_FLAG, false);
    try {
      expect(smallConv2d(backend, baseArgs(x12, t([3, 3, 12, 12]))), 'SIMD loops off').to.equal(null);
    } finally {
      tf.env().set(WASM_SIMD_LOOPS_FLAG, saved);
    }
    // A threaded backend (XNNPACK on more than one thread): left to XNNPACK.
    const tfjs = (backend as unknown as {wasm: {tfjs: {getThreadsCount: () => number}}}).wasm.tfjs;
    const threads = tfjs.getThreadsCount;
    expect(threads.call(tfjs)).to.equal(1);
    tfjs.getThreadsCount = () => 2;
    try {
      expect(smallConv2d(backend, baseArgs(x12, t([3, 3, 12, 12]))), 'XNNPACK on 2 threads').to.equal(null);
    } finally {
      tfjs.getThreadsCount = threads;
    }
    const y = smallConv2d(backend, baseArgs(x12, t([3, 3, 12, 12])));
    expect(y, 'claimed on 1 thread').to.not.equal(null);
    backend.disposeData(y!.dataId);
    tf.dispose(made);
    expect(tf.memory().numTensors).to.equal(before);
    expect(backend.numDataIds()).to.equal(ids);
  });
});
