// Proof that the real tfjs-node (backend 'tensorflow', libtensorflow built by
// scripts/setup-tfjs-node.sh) loads and computes: a hand-checked matMul, and conv2d /
// resizeBilinear compared with tfjs's own cpu backend.
// Run: npx mocha --import=tsx test/node/tfjs_node_smoke.test.ts
import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import * as path from 'path';

// Loaded with require so that a missing build fails with a pointer to the setup script.
let tf: typeof import('@tensorflow/tfjs-node');
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  tf = require('@tensorflow/tfjs-node');
} catch (e) {
  throw new Error(`@tensorflow/tfjs-node does not load; run scripts/setup-tfjs-node.sh\n${e}`);
}

/** Deterministic, non-trivial values. */
function ramp(shape: number[], scale = 1): tfc.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 0.7 + 0.3) * scale;
  return tfc.tensor(v, shape);
}

/** Runs `f` on the given backend and returns its output's shape and values. */
async function runOn(backend: string, f: () => tfc.Tensor): Promise<{shape: number[]; values: Float32Array}> {
  expect(await tfc.setBackend(backend), `setBackend(${backend})`).to.equal(true);
  const out = tfc.tidy(f);
  const values = (await out.data()) as Float32Array;
  const shape = out.shape.slice();
  out.dispose();
  return {shape, values};
}

/** `f` gives the same result, within 1e-4, on 'tensorflow' and on 'cpu'. */
async function expectSameAsCpu(f: () => tfc.Tensor): Promise<void> {
  const want = await runOn('cpu', f);
  const got = await runOn('tensorflow', f);
  expect(got.shape).to.deep.equal(want.shape);
  expect(got.values.length).to.equal(want.values.length);
  for (let i = 0; i < want.values.length; i++) {
    expect(got.values[i], `element ${i}`).to.be.closeTo(want.values[i], 1e-4);
  }
}

describe('tfjs-node (tensorflow backend) smoke', function() {
  this.timeout(60000);

  before(async () => {
    expect(await tfc.setBackend('tensorflow')).to.equal(true);
  });
  after(async () => {
    await tfc.setBackend('cpu');
  });

  it('runs on the tensorflow backend, over the one tfjs-core', () => {
    expect(tf.getBackend()).to.equal('tensorflow');
    expect(tfc.getBackend()).to.equal('tensorflow');
    // tfjs-node's @tensorflow/tfjs must resolve to the same tfjs-core the project uses.
    const tfjsDir = path.dirname(require.resolve('@tensorflow/tfjs/package.json',
                                                 {paths: [require.resolve('@tensorflow/tfjs-node')]}));
    expect(require.resolve('@tensorflow/tfjs-core', {paths: [tfjsDir]}))
        .to.equal(require.resolve('@tensorflow/tfjs-core'));
    const binding = (tfc.backend() as unknown as {binding: {TF_Version: string}}).binding;
    expect(binding.TF_Version).to.equal('2.9.1');
  });

  it('matMul of 2x2 matrices', async () => {
    const {shape, values} = await runOn('tensorflow', () =>
        tfc.matMul(tfc.tensor2d([[1, 2], [3, 4]]), tfc.tensor2d([[5, 6], [7, 8]])));
    expect(shape).to.deep.equal([2, 2]);
    expect(Array.from(values)).to.deep.equal([19, 22, 43, 50]);
  });

  it('conv2d matches the cpu backend', async () => {
    await expectSameAsCpu(() => tfc.conv2d(ramp([2, 7, 6, 3]) as tfc.Tensor4D,
                                           ramp([3, 3, 3, 4], 0.5) as tfc.Tensor4D, 2, 'same'));
    await expectSameAsCpu(() => tfc.conv2d(ramp([1, 6, 6, 2]) as tfc.Tensor4D,
                                           ramp([2, 2, 2, 3], 0.5) as tfc.Tensor4D, 1, 'valid',
                                           'NHWC', 2));
  });

  it('resizeBilinear matches the cpu backend and a hand-checked case', async () => {
    const {values} = await runOn('tensorflow', () =>
        tfc.image.resizeBilinear(tfc.tensor4d([0, 3], [1, 1, 2, 1]), [1, 4], true));
    expect(Array.from(values)).to.deep.equal([0, 1, 2, 3]);
    for (const [alignCorners, halfPixelCenters] of [[false, false], [true, false], [false, true]]) {
      await expectSameAsCpu(() => tfc.image.resizeBilinear(ramp([2, 3, 4, 2]) as tfc.Tensor4D,
                                                           [5, 7], alignCorners, halfPixelCenters));
    }
  });
});
