// The published shape of the package: `npm run build` output loads through package.json's
// exports map, as `require('tfjs-torch')` and `import 'tfjs-torch'`, with its subpath entries,
// and registers its kernels once. Run in child processes so the built copy never meets the
// source copy this test process has loaded.
import {expect} from 'chai';
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, {cwd: ROOT, encoding: 'utf8',
                                               env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2'}});
}

describe('package (built dist, through the exports map)', () => {
  before(function() {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'src', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    }
  });

  const check = `
    const kernels = ['TorchInterpolate', 'TorchConvTranspose', 'TorchMaxUnpool', 'TorchNormalize'];
    const missing = kernels.filter((k) => tf.getKernel(k, 'cpu') == null);
    if (missing.length) throw new Error('cpu kernels missing: ' + missing);
    if (tf.getKernel('TorchInterpolate', 'tensorflow') == null) throw new Error('no node kernels');
    const y = pt.interpolate(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), {scaleFactor: 2, mode: 'bilinear'});
    console.log(JSON.stringify(Array.from(y.dataSync()).slice(0, 4)), typeof pt.layers.upsample,
                typeof pt.loadTorchWeights);`;

  it('require()s the CommonJS build', () => {
    const out = node(['-e', `
      const tf = require('@tensorflow/tfjs-core');
      require('@tensorflow/tfjs-backend-cpu');
      const pt = require('tfjs-torch');
      require('tfjs-torch/node');
      tf.setBackend('cpu');
      ${check}`]);
    expect(out.trim().split('\n').pop()).to.equal('[1,1.25,1.75,2] function function');
  });

  it('imports the ES module build', () => {
    const out = node(['--input-type=module', '-e', `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import * as pt from 'tfjs-torch';
      import 'tfjs-torch/node';
      await tf.setBackend('cpu');
      ${check}`]);
    expect(out.trim().split('\n').pop()).to.equal('[1,1.25,1.75,2] function function');
  });

  it('loads tfjs-torch/webgpu in Node (kernels registered; the backend itself needs navigator.gpu)',
     () => {
       const out = node(['-e', `
         const tf = require('@tensorflow/tfjs-core');
         require('tfjs-torch/webgpu');
         const names = ['TorchInterpolate', 'TorchInterpolateGrad', 'TorchConvTranspose',
                        'TorchConvTransposeBackpropInput', 'TorchConvTransposeBackpropFilter',
                        'TorchPixelShuffle', 'TorchPixelUnshuffle', 'TorchMaxPoolWithIndices',
                        'TorchMaxPoolWithIndicesGrad', 'TorchMaxUnpool', 'TorchMaxUnpoolGrad',
                        'TorchNormalize', 'TorchDenormalize'];
         console.log(names.filter((k) => tf.getKernel(k, 'webgpu') == null).length,
                     tf.findBackendFactory('webgpu') == null);`]);
       expect(out.trim().split('\n').pop()).to.equal('0 true');
     });

  it('ships type declarations for every entry point, for import and for require', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const targets: string[] = [];
    const walk = (entry: string, target: unknown) => {
      if (typeof target === 'string') {
        targets.push(target);
        expect(fs.existsSync(path.join(ROOT, target)), `${entry}: ${target}`).to.equal(true);
      } else if (target != null && typeof target === 'object') {
        for (const v of Object.values(target)) walk(entry, v);
      }
    };
    for (const [entry, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      walk(entry, target);
      if (entry === './package.json') continue;
      const t = target as Record<string, {types: string, default: string}>;
      // Types beside their code: ESM types under dist/esm (type: module), CJS under dist/cjs.
      expect(t.import.types.replace(/\.d\.ts$/, '.js')).to.equal(t.import.default);
      expect(t.require.types.replace(/\.d\.ts$/, '.js')).to.equal(t.require.default);
    }
    expect(targets.length).to.be.greaterThan(20);
  });
});
