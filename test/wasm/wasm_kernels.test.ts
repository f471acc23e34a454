// Node-only checks of the wasm kernels (`npm run test:wasm` runs them after the shared suites):
// - every tfjs-torch kernel has a wasm kernel;
// - kernels whose outputs are larger than the whole heap (so that allocating them grows the heap
//   and detaches every view taken before, Note [wasm heap views] in kernels/wasm/util.ts) give
//   the cpu kernels' results (which the fixture suites pin to PyTorch), maxPool's two outputs
//   included (test/wasm/heap_growth_child.ts, one fresh process per case);
// - a kernel that throws (maxUnpool's index check) frees what it allocated;
// - the WebAssembly SIMD loops (kernels/wasm/simd.ts) run on the backend's own heap, and the
//   kernels built on them (maxPool with indices, bilinear and nearest interpolate) give the cpu
//   kernels' results bit for bit on inputs full of ties, NaN and infinities, in shapes whose
//   channels and widths leave partial vectors;
// - the built package's `tfjs-torch/wasm` entry loads through the exports map.
// Run: TFJS_TORCH_BACKENDS=wasm npx mocha test/wasm/wasm_kernels.test.ts
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as pt from '../../src/wasm.js';
import {simdLoops, WASM_SIMD_LOOPS_FLAG} from '../../kernels/wasm/simd.js';
import type {WasmBackend} from '../../kernels/wasm/util.js';
import {CASES} from './heap_growth_child.js';

/** Values with many ties, NaN, -Infinity and Infinity (a fixed sequence). */
function hostile(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const r = s % 100;
    a[i] = r < 3 ? NaN : r < 6 ? -Infinity : r < 8 ? Infinity : r < 40 ? (r % 3) - 1 : (r - 70) / 7;
  }
  return a;
}

/** f on cpu and on wasm from the same values: the outputs' bits and shapes. */
async function onBoth(shape: number[], dtype: 'float32'|'int32'|'finite',
                      f: (x: tf.Tensor) => tf.Tensor|tf.Tensor[]): Promise<Array<Array<{shape: number[], bits: number[]}>>> {
  const raw = hostile(shape.reduce((a, b) => a * b, 1), shape.length * 31 + shape[shape.length - 1]);
  // 'finite': float32 without Inf or NaN (wasm's tfjs ResizeBilinear path when SIMD is off).
  const values = dtype === 'finite' ? raw.map((v) => (Number.isFinite(v) ? v : 0.5)) : raw;
  const results = [];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const x = dtype === 'int32' ? tf.tensor(Int32Array.from(values, (v) => (Number.isFinite(v) ? Math.round(v) : 7)), shape, 'int32') :
                                  tf.tensor(values, shape);
    const out = f(x);
    const list = Array.isArray(out) ? out : [out];
    results.push(list.map((t) => {
      const data = t.dataSync();
      return {shape: t.shape, bits: Array.from(new Int32Array(data.buffer, data.byteOffset, data.length))};
    }));
    tf.dispose([x, ...list]);
  }
  await tf.setBackend('wasm');
  return results;
}

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

  it('the WebAssembly SIMD loops run on the backend\'s heap', () => {
    expect(simdLoops(tf.backend() as unknown as WasmBackend)).to.not.equal(null);
  });

  const POOLS: Array<[string, number[], Record<string, unknown>]> = [
    ['maxPool2dWithIndices', [2, 5, 9, 11], {kernelSize: 2, stride: 2, dataFormat: 'channelsFirst'}],
    ['maxPool2dWithIndices', [2, 9, 11, 5], {kernelSize: 2, stride: 2}],
    ['maxPool2dWithIndices', [1, 3, 7, 37], {kernelSize: 2, stride: 2, dataFormat: 'channelsFirst'}],
    ['maxPool2dWithIndices', [2, 2, 9, 27], {kernelSize: 2, stride: [3, 2], dilation: [2, 1], dataFormat: 'channelsFirst'}],
    ['maxPool2dWithIndices', [1, 8, 16, 17], {kernelSize: [3, 2], stride: [1, 2], dilation: [2, 1], dataFormat: 'channelsFirst'}],
    ['maxPool2dWithIndices', [1, 16, 17, 6], {kernelSize: 3, stride: 2, dilation: 2}],
    ['maxPool2dWithIndices', [1, 3, 8, 9], {kernelSize: 2, stride: 2, ceilMode: true, dataFormat: 'channelsFirst'}],
    ['maxPool1dWithIndices', [2, 6, 21], {kernelSize: 2, stride: 2, dataFormat: 'channelsFirst'}],
    ['maxPool1dWithIndices', [2, 21, 7], {kernelSize: 3, stride: 1}],
    ['maxPool3dWithIndices', [1, 3, 6, 7, 10], {kernelSize: 2, stride: 2, dataFormat: 'channelsFirst'}],
    ['maxPool3dWithIndices', [1, 6, 7, 10, 7], {kernelSize: [2, 3, 2], stride: [2, 1, 2]}],
  ];
  // With the loops (SIMD) and without (the fallbacks: cpu cores on heap views, tfjs's
  // ResizeBilinear after a JavaScript finiteness scan).
  for (const simd of [true, false]) {
  describe(simd ? 'with the SIMD loops' : 'with the SIMD loops off', () => {
  before(() => tf.env().set(WASM_SIMD_LOOPS_FLAG, simd));
  after(() => tf.env().set(WASM_SIMD_LOOPS_FLAG, true));
  for (const [op, shape, options] of POOLS) {
    it(`${op} ${JSON.stringify(shape)} ${JSON.stringify(options)}: the cpu kernel's values and indices`, async () => {
      const fn = (pt as unknown as Record<string, (x: tf.Tensor, o: unknown) => tf.Tensor[]>)[op];
      const [cpu, wasm] = await onBoth(shape, 'float32', (x) => fn(x, options));
      expect(wasm).to.deep.equal(cpu);
    });
  }

  const RESIZES: Array<[number[], 'float32'|'int32'|'finite', Record<string, unknown>]> = [
    [[1, 8, 9, 6], 'finite', {mode: 'bilinear', scaleFactor: 2}],
    [[2, 8, 9, 5], 'finite', {mode: 'bilinear', size: [13, 5], alignCorners: true}],
    [[2, 3, 5, 7], 'float32', {mode: 'nearest', scaleFactor: 2, dataFormat: 'channelsFirst'}],
    [[2, 5, 7, 3], 'float32', {mode: 'nearest', scaleFactor: 2}],
    [[1, 6, 5, 7], 'float32', {mode: 'nearest', size: [9, 4], dataFormat: 'channelsFirst'}],
    [[1, 5, 7, 6], 'float32', {mode: 'nearest-exact', scaleFactor: [1.7, 2.3]}],
    [[2, 3, 9], 'float32', {mode: 'nearest', scaleFactor: 2, dataFormat: 'channelsFirst'}],
    [[1, 3, 4, 5, 6], 'float32', {mode: 'nearest', scaleFactor: 2}],
    [[1, 5, 4, 6], 'int32', {mode: 'nearest', scaleFactor: 2, dataFormat: 'channelsFirst'}],
    [[1, 4, 6, 5], 'int32', {mode: 'nearest', scaleFactor: 2}],
    [[1, 8, 9, 6], 'float32', {mode: 'bilinear', scaleFactor: 2}],
    [[2, 8, 9, 5], 'float32', {mode: 'bilinear', size: [13, 5], alignCorners: true}],
    [[1, 7, 6, 9], 'float32', {mode: 'bilinear', size: [7, 6]}],
  ];
  for (const [shape, dtype, options] of RESIZES) {
    it(`interpolate ${JSON.stringify(shape)} ${dtype} ${JSON.stringify(options)}: the cpu kernel's values`, async () => {
      const [cpu, wasm] = await onBoth(shape, dtype, (x) => pt.interpolate(x, options as pt.InterpolateOptions));
      if (options.mode === 'bilinear') {
        // Bilinear in float32 vector steps: the cpu core's numbers within rounding, and its Inf /
        // NaN pattern exactly.
        const a = new Float32Array(Int32Array.from(cpu[0].bits).buffer);
        const b = new Float32Array(Int32Array.from(wasm[0].bits).buffer);
        expect(wasm[0].shape).to.deep.equal(cpu[0].shape);
        expect(Array.from(b, (v) => (Number.isFinite(v) ? 0 : v))).to.deep.equal(Array.from(a, (v) => (Number.isFinite(v) ? 0 : v)));
        for (let i = 0; i < a.length; i++) {
          if (Number.isFinite(a[i])) expect(Math.abs(a[i] - b[i]), `element ${i}`).to.be.at.most(1e-5 * (1 + Math.abs(a[i])));
        }
      } else {
        expect(wasm).to.deep.equal(cpu);
      }
    });
  }
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
