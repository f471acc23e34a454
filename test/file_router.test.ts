// tf.loadLayersModel('file://...') in Node without tfjs-node (Note [file:// without tfjs-node] in
// src/weights/router.ts): the committed U-Net export loads by absolute and relative file:// URL
// on every Node backend of the run and gives PyTorch's numbers (its check.safetensors, written
// by PyTorch); the router steps aside for any other router of the URL (tfjs-node's in the
// tensorflow run); a hostile or broken export is refused naming the file. Browser runs skip it.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {fileHandler, fileRouter} from '../src/weights/router.js';
import {describeBackends} from './util.js';

const inNode = typeof process !== 'undefined' && process.versions?.node != null &&
    typeof window === 'undefined';

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  return 'resolved';
}

if (inNode) {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require('fs') as typeof import('fs');
  const os = require('os') as typeof import('os');
  const path = require('path') as typeof import('path');
  const url = require('url') as typeof import('url');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const ROOT = path.join(__dirname, '..');
  const UNET = path.join(ROOT, 'examples', 'decoders', 'exported', 'unet');

  describeBackends('tf.loadLayersModel(\'file://...\') in Node', (backend) => {
    it('loads the exported U-Net by absolute file:// URL and matches PyTorch', async () => {
      const model = await tfl.loadLayersModel(url.pathToFileURL(path.join(UNET, 'model.json')).href);
      const r = await pt.checkExport(model, url.pathToFileURL(path.join(UNET, 'check.safetensors')));
      model.dispose();
      expect(r.outputs.map((o) => o.shape)).to.deep.equal([[1, 24, 24, 2]]);
      expect(r.ok, JSON.stringify(r.outputs)).to.equal(true);
      expect(r.outputs[0].maxAbsDiff).to.be.below(1e-4);
    });

    it('loads by relative file:// URL (from the working directory, as tfjs-node reads it)',
       async () => {
         const cwd = process.cwd();
         process.chdir(ROOT);
         try {
           const model = await tfl.loadLayersModel('file://examples/decoders/exported/unet/model.json');
           const r = await pt.checkExport(model, 'examples/decoders/exported/unet/check.safetensors');
           model.dispose();
           expect(r.ok).to.equal(true);
         } finally {
           process.chdir(cwd);
         }
       });

    it(backend === 'tensorflow' ? 'leaves file:// to tfjs-node\'s router' :
                                  'is the one file:// handler', () => {
      const handlers = tf.io.getLoadHandlers('file:///some/model.json');
      expect(handlers.length).to.equal(1);
      const ours = fileRouter('file:///some/model.json');
      expect(ours == null).to.equal(backend === 'tensorflow');
    });
  });

  describe('the file:// handler refuses broken exports, naming the file', () => {
    let dir = '';
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-torch-router-'));
    });
    after(() => fs.rmSync(dir, {recursive: true, force: true}));

    const modelJSON = JSON.parse(fs.readFileSync(path.join(UNET, 'model.json'), 'utf8'));
    const write = (name: string, json: unknown, weights?: Uint8Array) => {
      fs.mkdirSync(path.join(dir, name));
      fs.writeFileSync(path.join(dir, name, 'model.json'),
                       typeof json === 'string' ? json : JSON.stringify(json));
      if (weights != null) fs.writeFileSync(path.join(dir, name, 'weights.bin'), weights);
      return url.pathToFileURL(path.join(dir, name, 'model.json')).href;
    };
    // The handler itself (in the tensorflow run, tfjs-node's router takes file:// URLs).
    const load = (href: string) => rejection(tfl.loadLayersModel(fileHandler(href)));

    it('steps aside for another router of the URL', () => {
      const other: tf.io.IOHandler = {load: async () => ({})};
      tf.io.registerLoadRouter(((u: string) =>
          u === 'file:///__tfjs_torch_other__/model.json' ? other : null) as never);
      const handlers = tf.io.getLoadHandlers('file:///__tfjs_torch_other__/model.json');
      expect(handlers).to.include(other);
      expect(fileRouter('file:///__tfjs_torch_other__/model.json')).to.equal(null);
    });

    it('a missing model.json', async () => {
      expect(await load(url.pathToFileURL(path.join(dir, 'none', 'model.json')).href))
          .to.match(/^loadLayersModel: cannot read 'file:\/\/.*none\/model\.json': ENOENT/);
    });

    it('not JSON, not a model', async () => {
      expect(await load(write('notjson', '{"modelTopology": ')))
          .to.match(/^loadLayersModel: '.*notjson\/model\.json' is not a JSON file/);
      expect(await load(write('nomodel', {weightsManifest: []})))
          .to.match(/^loadLayersModel: '.*nomodel\/model\.json' is not a model\.json/);
    });

    it('a weight path outside the folder', async () => {
      const bad = {...modelJSON, weightsManifest: [{...modelJSON.weightsManifest[0], paths: ['/etc/passwd']}]};
      expect(await load(write('abs', bad)))
          .to.match(/weight path '\/etc\/passwd' must be relative to the model\.json's folder/);
    });

    it('weight files shorter than the manifest', async () => {
      const bytes = fs.readFileSync(path.join(UNET, 'weights.bin'));
      expect(await load(write('short', modelJSON, bytes.subarray(0, bytes.length - 4))))
          .to.match(new RegExp(`its weight files hold ${bytes.length - 4} bytes, its manifest's weights ${bytes.length}`));
    });
  });
}
