// kernels/webgpu/small_conv2d.ts (the few-channel convolution with its activation in the
// epilogue) called directly on the webgpu backend, against PyTorch
// (test/fixtures/small_conv2d_webgpu.json from scripts/fixtures/gen_small_conv2d_webgpu.py):
// FSRCNN's layers, strides, dilations, asymmetric pads, batch 2, NaN / +-Infinity through each
// activation, grouped convolutions (MiDaS's ResNeXt shapes at small images, groups of 3 to 64
// channels: the one-dispatch TorchGroupedConv2d kernel), with the block smallConv2d picks and with
// every other block (pixels x channel vec4s per invocation); where the path declines (null); no
// leak, inputs unchanged, and one
// pipeline per variant whatever the sizes. Declared where the webgpu backend is registered (the
// browser run 'webgpu').
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {smallConv2d, smallConv2dWith} from '../../kernels/webgpu/small_conv2d.js';
import type {SmallConv2dArgs} from '../../kernels/webgpu/small_conv2d.js';
import type {WebGPUBackend} from '../../kernels/webgpu/util.js';
import {ATOL, fixtureValues, loadFixture, permuteValues, RTOL} from '../util.js';
import type {FixtureTensor} from '../util.js';

const hasWebGPU = tf.findBackendFactory('webgpu') != null;
const fixture = loadFixture('small_conv2d_webgpu');

/** A fixture tensor permuted (NCHW -> NHWC: [0, 2, 3, 1]; OIHW -> HWIO: [2, 3, 1, 0]). */
function permuted(t: FixtureTensor, perm: number[]|null): tf.Tensor {
  const v = fixtureValues(t) as Float32Array;
  if (perm == null) return tf.tensor(v, t.shape);
  return tf.tensor(permuteValues(v, t.shape, perm), perm.map((a) => t.shape[a]));
}

/**
 * got (NHWC values) against PyTorch's y (NCHW): NaN where PyTorch has NaN, the same infinity
 * where it has one, else within the project's tolerance.
 */
function expectClose(got: Float32Array, gotShape: number[], want: FixtureTensor, what: string) {
  expect(gotShape, `${what}: shape`).to.deep.equal([0, 2, 3, 1].map((a) => want.shape[a]));
  const e = permuteValues(fixtureValues(want) as Float32Array, want.shape, [0, 2, 3, 1]);
  for (let i = 0; i < e.length; i++) {
    const ev = e[i];
    const av = got[i];
    const ok = Number.isNaN(ev) ? Number.isNaN(av) :
        !Number.isFinite(ev)    ? av === ev :
                                  Math.abs(av - ev) <= ATOL + RTOL * Math.abs(ev);
    if (!ok) expect.fail(`${what}: ${av} at NHWC flat index ${i}, PyTorch gives ${ev}`);
  }
}

interface Made {
  args: SmallConv2dArgs;
  tensors: tf.Tensor[];
}

function argsOf(c: (typeof fixture.cases)[number]): Made {
  const a = c.args as {strides: [number, number], pad: [number, number, number, number],
                       dilations: [number, number], activation: SmallConv2dArgs['activation'],
                       alpha: number, groups?: number};
  const x = permuted(c.inputs.x, [0, 2, 3, 1]);
  const filter = permuted(c.inputs.weight, [2, 3, 1, 0]);
  const bias = c.inputs.bias != null ? permuted(c.inputs.bias, null) : null;
  const preluWeights = c.inputs.prelu != null ? permuted(c.inputs.prelu, null) : null;
  const tensors = [x, filter, ...(bias ? [bias] : []), ...(preluWeights ? [preluWeights] : [])];
  return {args: {x, filter, bias, preluWeights, strides: a.strides, pad: a.pad,
                 dilations: a.dilations, activation: a.activation, leakyreluAlpha: a.alpha,
                 groups: a.groups ?? 1},
          tensors};
}

/** Runs the path and returns the output's values and shape (the output disposed). */
async function runIt(backend: WebGPUBackend, run: () => tf.TensorInfo|null):
    Promise<{values: Float32Array, shape: number[]}> {
  const info = run();
  expect(info, 'smallConv2d declined').to.not.equal(null);
  const y = tf.engine().makeTensorFromTensorInfo(info!, backend);
  const values = (await y.data()) as Float32Array;
  const shape = y.shape;
  y.dispose();
  return {values, shape};
}

const BLOCKS = [{pixels: 1, vec4s: 1}, {pixels: 2, vec4s: 1}, {pixels: 4, vec4s: 1},
                {pixels: 4, vec4s: 2}, {pixels: 8, vec4s: 2}];

if (hasWebGPU) describe('smallConv2d (webgpu few-channel convolution) against PyTorch', () => {
  let saved: string;
  let backend: WebGPUBackend;
  before(async () => {
    saved = tf.getBackend();
    await tf.setBackend('webgpu');
    backend = tf.backend() as unknown as WebGPUBackend;
  });
  after(async () => {
    await tf.setBackend(saved);
  });

  for (const c of fixture.cases) {
    it(c.name, async () => {
      const {args, tensors} = argsOf(c);
      const snapshot = await Promise.all(tensors.map((t) => t.data()));
      const before = tf.memory().numTensors;
      const got = await runIt(backend, () => smallConv2d(backend, args));
      expect(tf.memory().numTensors, 'tensors left').to.equal(before);
      expectClose(got.values, got.shape, c.outputs![0], 'smallConv2d');
      const outG = args.filter.shape[3] / args.groups!;
      for (const block of BLOCKS) {
        if ((outG / 4) % block.vec4s !== 0) continue;
        const other = await runIt(backend, () => smallConv2dWith(backend, args, block));
        expectClose(other.values, other.shape, c.outputs![0],
                    `${block.pixels} pixels x ${block.vec4s} vec4s`);
      }
      const after = await Promise.all(tensors.map((t) => t.data()));
      after.forEach((v, i) => expect(Array.from(v), `input ${i} changed`).to.deep.equal(Array.from(snapshot[i])));
      tf.dispose(tensors);
    });
  }

  it('declines what it does not claim (null, nothing allocated)', () => {
    const base = (xShape: number[], fShape: number[], dtype: 'float32'|'int32' = 'float32', groups = 1) => {
      const x = tf.zeros(xShape, dtype);
      const filter = tf.zeros(fShape, dtype);
      return {x, filter, args: {x, filter, bias: null, preluWeights: null, strides: [1, 1] as [number, number],
                                pad: [0, 0, 0, 0] as [number, number, number, number],
                                dilations: [1, 1] as [number, number], activation: 'linear' as const,
                                leakyreluAlpha: 0, groups}};
    };
    const cases: Array<[string, ReturnType<typeof base>]> = [
      ['6 output channels', base([1, 4, 4, 4], [3, 3, 4, 6])],
      ['int32', base([1, 4, 4, 4], [3, 3, 4, 4], 'int32')],
      ['256 input channels on 17x16 outputs', base([1, 17, 16, 256], [1, 1, 256, 8])],
      ['128 output channels on 16x17 outputs', base([1, 16, 17, 8], [1, 1, 8, 128])],
      ['an empty batch', base([0, 4, 4, 4], [1, 1, 4, 4])],
      ['a kernel larger than the padded image', base([1, 2, 2, 4], [3, 3, 4, 4])],
      ['4 groups of 6 output channels', base([1, 4, 4, 16], [3, 3, 4, 24], 'float32', 4)],
      ['2 groups of 256 input channels on 18x18 outputs', base([1, 20, 20, 512], [3, 3, 256, 32], 'float32', 2)],
      ['2 groups of 128 output channels on 18x18 outputs', base([1, 20, 20, 16], [3, 3, 8, 256], 'float32', 2)],
      ['groups not dividing the input channels', base([1, 4, 4, 16], [3, 3, 4, 24], 'float32', 3)],
      ['a filter of 4 input channels for 2 groups of 16', base([1, 4, 4, 32], [3, 3, 4, 8], 'float32', 2)],
    ];
    for (const [what, {x, filter, args}] of cases) {
      const before = tf.memory().numTensors;
      expect(smallConv2d(backend, args), what).to.equal(null);
      expect(tf.memory().numTensors, what).to.equal(before);
      tf.dispose([x, filter]);
    }
    const x = tf.zeros([1, 4, 4, 4]);
    const filter = tf.zeros([1, 1, 4, 4]);
    const prelu3 = tf.zeros([3]);
    expect(smallConv2d(backend, {x, filter, bias: null, preluWeights: prelu3, strides: [1, 1],
                                 pad: [0, 0, 0, 0], dilations: [1, 1], activation: 'prelu',
                                 leakyreluAlpha: 0}), 'prelu with 3 weights for 4 channels').to.equal(null);
    expect(smallConv2d(backend, {x, filter, bias: null, preluWeights: null, strides: [1, 1],
                                 pad: [0, 0, 0, 0], dilations: [1, 1], activation: 'prelu',
                                 leakyreluAlpha: 0}), 'prelu without weights').to.equal(null);
    tf.dispose([x, filter, prelu3]);
  });

  it('compiles one pipeline per variant, whatever the sizes (no size in the WGSL)', async () => {
    const cache = (backend as unknown as {pipelineCache: Record<string, unknown>}).pipelineCache;
    const keys = () => Object.keys(cache).filter((k) => k.startsWith('tfjsTorchSmallConv2d')).length;
    const runAt = async (h: number, w: number, inC: number, outC: number, k: number, s: number) => {
      const x = tf.randomUniform([1, h, w, inC]);
      const filter = tf.randomUniform([k, k, inC, outC]);
      const bias = tf.randomUniform([outC]);
      const alphas = tf.randomUniform([outC]);
      await runIt(backend, () => smallConv2dWith(backend, {
        x, filter, bias, preluWeights: alphas, strides: [s, s], pad: [1, 0, 1, 0], dilations: [1, 1],
        activation: 'prelu', leakyreluAlpha: 0}, {pixels: 4, vec4s: 1}));
      tf.dispose([x, filter, bias, alphas]);
    };
    await runAt(9, 10, 12, 12, 3, 1);
    const n = keys();
    await runAt(17, 6, 12, 12, 3, 1);
    await runAt(5, 23, 16, 8, 2, 2);
    await runAt(31, 32, 8, 20, 5, 3);
    expect(keys(), 'pipelines after three more sizes').to.equal(n);
  });
});
