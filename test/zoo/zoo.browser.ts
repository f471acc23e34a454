// The zoo's browser check (scripts/test-zoo.mjs, karma with TFJS_TORCH_BROWSER_BUNDLE=zoo): loads
// every exported zoo model that karma serves under /base/out/zoo/<name>/ and runs pt.checkExport
// on each of its check files (the export size and the two other sizes) on the run's GPU backend
// (webgl or webgpu), within checkExport's default tolerance (1e-4 + 1e-4 |torch|). Each result is
// also printed as one `ZOO {...}` console line, which scripts/test-zoo.mjs collects into its table.
// The list of models and check files is globalThis.__ZOO__, written by the bundler from out/zoo.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as pt from '../../src/index.js';
import {type BrowserRunConfig} from '../setup.browser.js';

declare const __karma__: {config?: {tfjsTorch?: BrowserRunConfig}}|undefined;
declare const __ZOO__: Array<{name: string, checks: string[]}>;

const config = (typeof __karma__ !== 'undefined' ? __karma__.config?.tfjsTorch : undefined);
const backend = config?.gpu ?? 'webgl';

describe(`zoo on ${backend}`, () => {
  before(async () => {
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend could not be initialised`);
  });
  for (const {name, checks} of __ZOO__) {
    describe(name, () => {
      let model: tfl.LayersModel|null = null;
      let loadError: Error|null = null;
      before(async () => {
        try {
          model = await tfl.loadLayersModel(`/base/out/zoo/${name}/model.json`);
        } catch (e) {
          loadError = e as Error;
        }
      });
      after(() => model?.dispose());
      for (const check of checks) {
        it(check, async () => {
          const row: Record<string, unknown> = {dir: `out/zoo/${name}`, check, backend};
          try {
            if (model == null) throw loadError ?? new Error('model not loaded');
            const before = tf.memory().numTensors;
            const r = await pt.checkExport(model, `/base/out/zoo/${name}/${check}`);
            Object.assign(row, {ok: r.ok, outputs: r.outputs, leaked: tf.memory().numTensors - before});
          } catch (e) {
            Object.assign(row, {ok: false, error: (e as Error).message});
          }
          console.log(`ZOO ${JSON.stringify(row)}`);
          if (row['ok'] !== true) {
            throw new Error(row['error'] != null ? String(row['error']) :
                            `outputs out of tolerance: ${JSON.stringify(row['outputs'])}`);
          }
        });
      }
    });
  }
});
