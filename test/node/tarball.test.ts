// The package as an npm user gets it: `npm pack` of the built tree, installed with npm into an
// empty project in a temporary folder together with only @tensorflow/tfjs-core and
// @tensorflow/tfjs-backend-cpu (tfjs-layers, tfjs-node and the webgl backend are optional peers
// and stay out). Then `require('tfjs-torch')` and `import 'tfjs-torch'` must run an op, the
// layers must say clearly that they need tfjs-layers, the files the README and the porting
// guide link to must be in the package, and after `npm install @tensorflow/tfjs-layers` the
// same package must build, run and reload a model with its layers (CommonJS and ES modules).
// A second empty project installs the tarball beside @tensorflow/tfjs alone (and
// @tensorflow/tfjs-backend-wasm): a plain Node script loads the committed U-Net export with
// tf.loadLayersModel('file://...') on cpu and on wasm, no tfjs-node, and gets PyTorch's numbers
// (its check.safetensors, written by PyTorch). A third compiles the package's types under strict
// TypeScript without skipLibCheck with tfjs-core alone (Note [types without tfjs-layers]).
// Needs the npm registry (or npm's cache) and about a minute; packs with --ignore-scripts (the
// build is npm test's; prepack builds for a real `npm pack`).
import {expect} from 'chai';
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const TFJS = '4.22.0';

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2', npm_config_audit: 'false',
          npm_config_fund: 'false', npm_config_update_notifier: 'false'},
  });
}

function nodeIn(dir: string, args: string[]): string {
  return run(process.execPath, args, dir).trim().split('\n').pop()!;
}

/** `npm pack` of the built tree into dir; the tarball's file name. */
function pack(dir: string): string {
  return run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], ROOT).trim()
      .split('\n').pop()!;
}

function emptyProject(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, 'package.json'),
                   JSON.stringify({name: 'empty-app', version: '1.0.0', private: true}) + '\n');
  return dir;
}

/** Relative link targets of a markdown file (no URLs, no in-page anchors). */
function links(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1].split('#')[0])
      .filter((l) => l !== '' && !/^[a-z]+:/i.test(l));
}

describe('packed tarball in an empty project (npm pack, npm install)', function() {
  this.timeout(600000);
  let dir = '';
  let pkgDir = '';

  before(function() {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'src', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-torch-tarball-'));
    const tarball = pack(dir);
    fs.writeFileSync(path.join(dir, 'package.json'),
                     JSON.stringify({name: 'empty-app', version: '1.0.0', private: true}) + '\n');
    run('npm', ['install', '--prefer-offline', '--no-package-lock', path.join(dir, tarball),
                `@tensorflow/tfjs-core@${TFJS}`, `@tensorflow/tfjs-backend-cpu@${TFJS}`], dir);
    pkgDir = path.join(dir, 'node_modules', 'tfjs-torch');
  });

  after(() => {
    if (dir !== '') fs.rmSync(dir, {recursive: true, force: true});
  });

  it('installs tfjs-torch with tfjs-core and backend-cpu only', () => {
    const modules = fs.readdirSync(path.join(dir, 'node_modules', '@tensorflow')).sort();
    expect(modules).to.deep.equal(['tfjs-backend-cpu', 'tfjs-core']);
    expect(fs.existsSync(pkgDir)).to.equal(true);
  });

  const opCheck = `
    const y = pt.interpolate(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), {scaleFactor: 2, mode: 'bilinear'});
    let layersError = '';
    try { pt.layers.batchNorm({numFeatures: 3}); } catch (e) { layersError = e.message; }
    console.log(JSON.stringify([Array.from(y.dataSync()).slice(0, 4), tf.getBackend(),
                                typeof pt.loadTorchWeights, layersError]));`;
  const expectOps = (out: string) => {
    const [row, backend, loader, layersError] = JSON.parse(out);
    expect(row).to.deep.equal([1, 1.25, 1.75, 2]);
    expect(backend).to.equal('cpu');
    expect(loader).to.equal('function');
    expect(layersError).to.match(/^tfjs-torch: pt\.layers need @tensorflow\/tfjs-layers: install it/);
  };

  it('require(\'tfjs-torch\') runs an op with tfjs-core alone (CommonJS)', () => {
    expectOps(nodeIn(dir, ['-e', `
      const tf = require('@tensorflow/tfjs-core');
      require('@tensorflow/tfjs-backend-cpu');
      let resolved = true;
      try { require.resolve('@tensorflow/tfjs-layers'); } catch (e) { resolved = false; }
      if (resolved) throw new Error('tfjs-layers is installed: the test proves nothing');
      const pt = require('tfjs-torch');
      ${opCheck}`]));
  });

  it('import \'tfjs-torch\' runs an op with tfjs-core alone (ES modules)', () => {
    expectOps(nodeIn(dir, ['--input-type=module', '-e', `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import * as pt from 'tfjs-torch';
      await tf.ready();
      ${opCheck}`]));
  });

  it('ships LICENSE and every file the README and docs/porting.md link to', () => {
    expect(fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8')).to.contain('Apache License');
    for (const doc of ['README.md', path.join('docs', 'porting.md')]) {
      const file = path.join(pkgDir, doc);
      const targets = links(file);
      expect(targets.length, `${doc} has links`).to.be.greaterThan(0);
      for (const target of targets) {
        const resolved = path.resolve(path.dirname(file), target);
        expect(fs.existsSync(resolved), `${doc} links to ${target}: not in the package`).to.equal(true);
      }
    }
  });

  describe('with @tensorflow/tfjs-layers installed too', () => {
    before(() => {
      run('npm', ['install', '--prefer-offline', '--no-package-lock', `@tensorflow/tfjs-layers@${TFJS}`], dir);
    });

    const layersCheck = `
      const x = tf.tensor4d([1, -2, 3, -4, 5, -6, 7, -8], [1, 2, 2, 2]);
      const model = tfl.sequential({layers: [
        pt.layers.pad({padding: [1, 1, 1, 1], mode: 'reflect', inputShape: [2, 2, 2], dataFormat: 'channelsFirst'}),
        pt.layers.batchNorm({numFeatures: 2, dataFormat: 'channelsFirst'}),
        pt.layers.prelu({numParameters: 2, dataFormat: 'channelsFirst'}),
        pt.layers.upsample({scaleFactor: 2, mode: 'bilinear', dataFormat: 'channelsFirst'}),
      ]});
      const a = model.predict(x);
      let saved;
      await model.save(tf.io.withSaveHandler(async (m) => { saved = m; return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}}; }));
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved));
      const b = loaded.predict(x);
      const same = Array.from(a.dataSync()).every((v, i) => v === b.dataSync()[i]);
      console.log(JSON.stringify([a.shape, same, model.layers[1] instanceof tfl.layers.Layer,
                                  loaded.layers.map((l) => l.getClassName())]));`;
    const expectLayers = (out: string) => {
      const [shape, same, isLayer, classes] = JSON.parse(out);
      expect(shape).to.deep.equal([1, 2, 8, 8]);
      expect(same).to.equal(true);
      expect(isLayer).to.equal(true);
      expect(classes).to.deep.equal(['TorchPad', 'TorchBatchNorm', 'TorchPReLU', 'TorchUpsample']);
    };

    it('pt.layers build, run and reload a model (CommonJS)', () => {
      expectLayers(nodeIn(dir, ['-e', `
        (async () => {
          const tf = require('@tensorflow/tfjs-core');
          require('@tensorflow/tfjs-backend-cpu');
          const pt = require('tfjs-torch');
          const tfl = require('@tensorflow/tfjs-layers');
          ${layersCheck}
        })().catch((e) => { console.error(e); process.exit(1); });`]));
    });

    it('pt.layers build, run and reload a model (ES modules, tfjs-torch imported first)', () => {
      expectLayers(nodeIn(dir, ['--input-type=module', '-e', `
        import * as pt from 'tfjs-torch';
        import * as tf from '@tensorflow/tfjs-core';
        import '@tensorflow/tfjs-backend-cpu';
        import * as tfl from '@tensorflow/tfjs-layers';
        await tf.ready();
        ${layersCheck}`]));
    });

    it('import \'tfjs-torch/layers\' gives the same layers through its static import', () => {
      expectLayers(nodeIn(dir, ['--input-type=module', '-e', `
        import * as tf from '@tensorflow/tfjs-core';
        import '@tensorflow/tfjs-backend-cpu';
        import * as tfl from '@tensorflow/tfjs-layers';
        import * as layers from 'tfjs-torch/layers';
        import * as main from 'tfjs-torch';
        if (layers.batchNorm !== main.layers.batchNorm) throw new Error('two copies of the layers');
        const pt = {layers};
        await tf.ready();
        ${layersCheck}`]));
    });
  });
});

describe('packed tarball beside @tensorflow/tfjs alone: file:// export on cpu and wasm', function() {
  this.timeout(600000);
  let dir = '';
  const UNET = path.join(ROOT, 'examples', 'decoders', 'exported', 'unet');

  before(function() {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'src', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    }
    dir = emptyProject('tfjs-torch-tfjs-');
    const tarball = pack(dir);
    run('npm', ['install', '--prefer-offline', '--no-package-lock', path.join(dir, tarball),
                `@tensorflow/tfjs@${TFJS}`, `@tensorflow/tfjs-backend-wasm@${TFJS}`], dir);
    // The export as a user has it: a folder of their own, beside the script.
    fs.cpSync(UNET, path.join(dir, 'web', 'unet'), {recursive: true});
    fs.writeFileSync(path.join(dir, 'check.mjs'), `
      import * as tf from '@tensorflow/tfjs';
      import '@tensorflow/tfjs-backend-wasm';
      import * as pt from 'tfjs-torch';
      import 'tfjs-torch/wasm';
      const backend = process.argv[2];
      if (!(await tf.setBackend(backend))) throw new Error('no backend ' + backend);
      const model = await tf.loadLayersModel('file://web/unet/model.json');
      const check = await pt.checkExport(model, 'web/unet/check.safetensors');
      const abs = await tf.loadLayersModel(new URL('web/unet/model.json', import.meta.url).href);
      console.log(JSON.stringify({backend: tf.getBackend(), ok: check.ok, outputs: check.outputs,
                                  same: abs.layers.length === model.layers.length}));
    `);
  });

  after(() => {
    if (dir !== '') fs.rmSync(dir, {recursive: true, force: true});
  });

  it('installs no tfjs-node', () => {
    expect(fs.existsSync(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node'))).to.equal(false);
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`loads file://web/unet/model.json on ${backend} and matches PyTorch`, () => {
      const r = JSON.parse(nodeIn(dir, ['check.mjs', backend]));
      expect(r.backend).to.equal(backend);
      expect(r.outputs.map((o: {shape: number[]}) => o.shape)).to.deep.equal([[1, 24, 24, 2]]);
      expect(r.outputs[0].maxAbsDiff).to.be.below(1e-4);
      expect(r.ok).to.equal(true);
      expect(r.same).to.equal(true);
    });
  }
});

describe('packed types under strict TypeScript with tfjs-core alone (no skipLibCheck)', function() {
  this.timeout(600000);
  let dir = '';

  before(function() {
    dir = emptyProject('tfjs-torch-types-');
    const tarball = pack(dir);
    run('npm', ['install', '--prefer-offline', '--no-package-lock', path.join(dir, tarball),
                `@tensorflow/tfjs-core@${TFJS}`], dir);
  });

  after(() => {
    if (dir !== '') fs.rmSync(dir, {recursive: true, force: true});
  });

  for (const [resolution, module] of [['bundler', 'ES2022'], ['node16', 'node16'], ['node10', 'commonjs']]) {
    it(`compiles the ops' types (moduleResolution ${resolution})`, () => {
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({compilerOptions: {
        strict: true, skipLibCheck: false, noEmit: true, target: 'ES2020', lib: ['ES2020', 'DOM'],
        module, moduleResolution: resolution,
      }, files: ['main.ts']}));
      fs.writeFileSync(path.join(dir, 'main.ts'), `
        import * as tf from '@tensorflow/tfjs-core';
        import * as pt from 'tfjs-torch';
        import 'tfjs-torch/webgl';
        const y: tf.Tensor4D = pt.interpolate(tf.ones([1, 4, 4, 3]) as tf.Tensor4D, {scaleFactor: 2, mode: 'bicubic'});
        const [v, i] = pt.maxPool2dWithIndices(y, {kernelSize: 2});
        const opts: pt.LoadTorchWeightsOptions = {strict: false};
        export const all = [v, i, opts, pt.checkExport, pt.loadTorchWeights, pt.layers.upsample];
      `);
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      let out = '';
      try {
        run(process.execPath, [tsc, '-p', '.'], dir);
      } catch (e) {
        out = String((e as {stdout?: string}).stdout ?? e);
      }
      expect(out).to.equal('');
    });
  }
});
