// Node-only checks of the wasm kernels (`npm run test:wasm` runs them after the shared suites):
// - every tfjs-torch kernel has a wasm kernel;
// - kernels whose outputs are larger than the whole heap (so that allocating them grows the heap
//   and detaches every view taken before, Note [wasm heap views] in kernels/wasm/util.ts) give
//   the cpu kernels' results (which the fixture suites pin to PyTorch), maxPool's two outputs
//   included (test/wasm/heap_growth_child.ts, one fresh process per case);
// - a kernel that throws (maxUnpool's index check) frees what it allocated;
// - the built package's `tfjs-torch/wasm` entry loads through the exports map.
// Run: TFJS_TORCH_BACKENDS=wasm npx mocha test/wasm/wasm_kernels.test.ts
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as pt from '../../src/wasm.js';
import {CASES} from './heap_growth_child.js';

const ROOT = path.join(__dirname, '..', '..');
const CHILD = path.join(__dirname, 'heap_growth_child.ts');

describe('wasm kernels (Node)', function() {
  this.timeout(300000);
  before(async () => {
    expect(await tf.setBackend('wasm')).to.equal(true);
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('every tfjs-torch kernel has a wasm kernel', () => {
    const names = (Object.values(pt.kernelNames) as unknown[]).filter(
        (v): v is string => typeof v === 'string' && v.startsWith('Torch'));
    expect(names.length).to.be.greaterThan(12);
    const missing = names.filter((k) => tf.getKernel(k, 'cpu') != null && tf.getKernel(k, 'wasm') == null);
    expect(missing).to.deep.equal([]);
  });

  // One fresh process per case, so that each starts from the backend's initial 16 MiB heap and
  // its 20 MiB output must grow it.
  for (const name of Object.keys(CASES)) {
    it(`${name}: an output larger than the heap (the heap grows) gives the cpu result`, () => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, name],
                               {cwd: ROOT, encoding: 'utf8'});
      const r = JSON.parse(out.trim().split('\n').pop()!) as
          {before: number, after: number, shapesMatch: boolean, firstDiff: number};
      expect(r.after, `heap grew from ${r.before} bytes`).to.be.greaterThan(r.before);
      expect(r.shapesMatch, 'shapes and dtypes as on cpu').to.equal(true);
      expect(r.firstDiff, 'first element that differs from cpu').to.equal(-1);
    });
  }

  it('a kernel that throws frees its outputs (maxUnpool with an index outside the plane)', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
    const bad = tf.tensor4d([0, 5, 99, 2], [1, 1, 2, 2], 'int32');
    const tensors = tf.memory().numTensors;
    const ids = tf.backend().numDataIds();
    expect(() => pt.maxUnpool2d(x, bad, {kernelSize: 2, dataFormat: 'channelsFirst'}))
        .to.throw(/^maxUnpool2d: indices must lie in \[0, 16\).*found 99/);
    expect(tf.memory().numTensors).to.equal(tensors);
    expect(tf.backend().numDataIds()).to.equal(ids);
    tf.dispose([x, bad]);
  });

  it('the built package\'s tfjs-torch/wasm entry loads through the exports map', function() {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'src', 'wasm.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    }
    const out = execFileSync(process.execPath, ['-e', `
      const tf = require('@tensorflow/tfjs-core');
      const pt = require('tfjs-torch/wasm');
      tf.env().set('IS_TEST', true);
      tf.setBackend('wasm').then(() => {
        const y = pt.interpolate(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), {scaleFactor: 2, mode: 'bilinear'});
        console.log(tf.getBackend(), JSON.stringify(Array.from(y.dataSync()).slice(0, 4)));
      });`], {cwd: ROOT, encoding: 'utf8'});
    expect(out.trim().split('\n').pop()).to.equal('wasm [1,1.25,1.75,2]');
  });
});
