// groupNorm / instanceNorm / layerNorm (one TorchGroupNorm kernel) against PyTorch
// (test/fixtures/group_norm.json from scripts/fixtures/gen_group_norm.py): forward values and
// autograd gradients of x, weight and bias, groupNorm and instanceNorm in both dataFormats,
// layerNorm over the trailing dims of the tensor as given, PyTorch's error cases and argument
// checks, on every test backend.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {groupNorm, instanceNorm, layerNorm} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fromFixture, loadFixture} from './util.js';
import type {FixtureCase} from './util.js';

const fixture = loadFixture('group_norm');

interface Args {
  op: 'groupNorm'|'instanceNorm'|'layerNorm';
  numGroups?: number;
  normalizedShape?: number[];
  eps?: number;
  affine: boolean;
}

type Op = (x: tf.Tensor, w: tf.Tensor|null, b: tf.Tensor|null, df: DataFormat) => tf.Tensor;

function opOf(c: FixtureCase): Op {
  const a = c.args as unknown as Args;
  switch (a.op) {
    case 'groupNorm':
      return (x, weight, bias, dataFormat) =>
          groupNorm(x, a.numGroups!, {weight, bias, eps: a.eps, dataFormat});
    case 'instanceNorm':
      return (x, weight, bias, dataFormat) => instanceNorm(x, {weight, bias, eps: a.eps, dataFormat});
    default:
      return (x, weight, bias) => layerNorm(x, a.normalizedShape!, {weight, bias, eps: a.eps});
  }
}

function expectedError(c: FixtureCase): RegExp {
  if (/divisible by num_groups/.test(c.error!)) {
    return /^groupNorm: argument 'numGroups' must be a positive integer dividing the 6 channels, got 4/;
  }
  if (/expected input with shape/.test(c.error!)) {
    return /^layerNorm: input x of shape \[2, 3, 4\] does not end in normalizedShape \[5\]/;
  }
  throw new Error(`no expected message for PyTorch error: ${c.error}`);
}

describeBackends('groupNorm / instanceNorm / layerNorm (one kernel)', (backend) => {
  for (const c of fixture.cases) {
    const a = c.args as unknown as Args;
    // layerNorm normalizes the trailing dims of the tensor as given: one layout.
    const formats: DataFormat[] = a.op === 'layerNorm' ? ['channelsFirst'] : DATA_FORMATS;
    for (const dataFormat of formats) {
      const op = opOf(c);
      const layout = a.op !== 'layerNorm';
      if (c.error != null) {
        it(`${c.name} [${dataFormat}] throws (PyTorch: ${c.error})`, () => {
          const x = fromFixture(c.inputs.x, dataFormat, layout);
          const before = tf.memory().numTensors;
          expect(() => op(x, null, null, dataFormat)).to.throw(expectedError(c));
          expect(tf.memory().numTensors, 'tensors left after the throw').to.equal(before);
          x.dispose();
        });
        continue;
      }
      it(`${c.name} [${a.op === 'layerNorm' ? 'as given' : dataFormat}]`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat, layout);
        const w = a.affine ? fromFixture(c.inputs.weight, dataFormat, false) : null;
        const b = a.affine ? fromFixture(c.inputs.bias, dataFormat, false) : null;
        const given = [x, ...(w == null ? [] : [w, b!])];
        const y = await expectNoLeak(given, () => op(x, w, b, dataFormat));
        await expectMatches(y, c.outputs[0], dataFormat, 'output', layout);
        y.dispose();
        const dy = fromFixture(c.grad!.dy, dataFormat, layout);
        const grads = await expectNoLeak([...given, dy], () => tf.grads(
            (...ts: tf.Tensor[]) => op(ts[0], ts[1] ?? null, ts[2] ?? null, dataFormat))(given, dy));
        await expectMatches(grads[0], c.grad!.grads.x, dataFormat, 'gradient of x', layout);
        if (a.affine) {
          await expectMatches(grads[1], c.grad!.grads.weight, dataFormat, 'gradient of weight', false);
          await expectMatches(grads[2], c.grad!.grads.bias, dataFormat, 'gradient of bias', false);
        }
        tf.dispose([...grads, ...given, dy]);
      });
    }
  }

  // wasm: the layer norms above ran the SIMD loop layerRows (kernels/wasm/simd_math.ts); with the
  // loops off they run the cpu core on heap views. Values against PyTorch's again.
  if (backend === 'wasm') {
    describe('with the wasm SIMD loops off', () => {
      before(() => tf.env().set('TORCH_WASM_SIMD_LOOPS', false));
      after(() => tf.env().set('TORCH_WASM_SIMD_LOOPS', true));
      for (const c of fixture.cases.filter((k) => k.error == null && (k.args as unknown as Args).op === 'layerNorm')) {
        it(`${c.name} [as given]`, async () => {
          const a = c.args as unknown as Args;
          const x = fromFixture(c.inputs.x, 'channelsFirst', false);
          const w = a.affine ? fromFixture(c.inputs.weight, 'channelsFirst', false) : null;
          const b = a.affine ? fromFixture(c.inputs.bias, 'channelsFirst', false) : null;
          const y = opOf(c)(x, w, b, 'channelsFirst');
          await expectMatches(y, c.outputs[0], 'channelsFirst', 'output', false);
          tf.dispose([x, y, ...(w == null ? [] : [w, b!])]);
        });
      }
    });
  }

  it('rejects bad arguments before any work, naming the argument', () => {
    const x = tf.zeros([1, 4, 4, 6]);
    const small = [tf.zeros([4]), tf.zeros([2, 3]), tf.zeros([1, 2, 2], 'int32')];
    const before = tf.memory().numTensors;
    expect(() => groupNorm(x, 0)).to.throw(/^groupNorm: argument 'numGroups' must be a positive integer dividing the 6 channels/);
    expect(() => groupNorm(x, 2, {weight: [1, 2]})).to.throw(/^groupNorm: argument 'weight' must have shape \[6\], got \[2\]/);
    expect(() => groupNorm(x, 2, {eps: -1})).to.throw(/^groupNorm: argument 'eps' must be a finite number >= 0/);
    expect(() => groupNorm(small[0], 1)).to.throw(/^groupNorm: input x must have rank 2 or more/);
    expect(() => groupNorm(x, 2, {weights: [1]} as object)).to.throw(/^groupNorm: unknown option 'weights'/);
    expect(() => instanceNorm(small[1])).to.throw(/^instanceNorm: input x must have rank 3 or more/);
    expect(() => layerNorm(x, [])).to.throw(/^layerNorm: argument 'normalizedShape' must be a positive integer or a non-empty array/);
    expect(() => layerNorm(x, 6, {bias: [1, 2, 3]})).to.throw(/^layerNorm: argument 'bias' must have shape \[6\], got \[3\]/);
    expect(() => groupNorm(small[2], 1)).to.throw(/^groupNorm: argument 'x' must be float32/);
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose([x, ...small]);
  });
});
