// Loads models written by tfjs_torch.export (python/) and compares them with PyTorch through
// pt.checkExport, on the Node backend named by TFJS_TORCH_BACKEND (cpu by default, tensorflow or
// wasm). Used by the exporter's own tests (python/tests) to check fresh exports end to end.
//
//   npx tsx scripts/check-export.ts DIR [DIR ...]       prints one JSON line per DIR; exit 1 if any fails
//   npx tsx scripts/check-export.ts --all-checks DIR ... every check*.safetensors of each DIR (the zoo's
//                                                        other sizes: check_1, check_2, ...), one JSON
//                                                        line per file, the model loaded once per DIR
//   TFJS_TORCH_PREDICT_SHAPES='[[1,18,12,3]]' npx tsx scripts/check-export.ts DIR
//       runs the model on zeros of those (model-layout) shapes instead and prints the output shapes
//       or the error (the input size rules checked at predict time)
import {readFileSync, readdirSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import * as pt from '../src/index.js';

/** A tf.io handler for an export folder (model.json + its weight files), no tfjs-node needed. */
export function exportDirHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
      const weightSpecs = model.weightsManifest.flatMap((g) => g.weights);
      const buffers = model.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
      const total = buffers.reduce((n, b) => n + b.byteLength, 0);
      const weightData = new Uint8Array(total);
      let offset = 0;
      for (const b of buffers) {
        weightData.set(b, offset);
        offset += b.byteLength;
      }
      return {modelTopology: model.modelTopology, weightSpecs, weightData: weightData.buffer,
              format: model.format, generatedBy: model.generatedBy, convertedBy: model.convertedBy};
    },
  };
}

/** The check files of an export folder: check.safetensors first, then check_<i>.safetensors by i. */
export function checkFiles(dir: string): string[] {
  const rank = (f: string) => (f === 'check.safetensors' ? 0 : Number(/^check_(\d+)\.safetensors$/.exec(f)![1]));
  return readdirSync(dir).filter((f) => /^check(_\d+)?\.safetensors$/.test(f))
      .sort((a, b) => rank(a) - rank(b));
}

async function main(args: string[]): Promise<number> {
  const all = args.includes('--all-checks');
  const dirs = args.filter((a) => a !== '--all-checks');
  const backend = process.env['TFJS_TORCH_BACKEND'] ?? 'cpu';
  if (backend === 'tensorflow') {
    await import('@tensorflow/tfjs-node');
    await import('../src/node.js');
  } else if (backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    await import('../src/wasm.js');
  }
  await tf.setBackend(backend);
  let failed = 0;
  for (const dir of dirs) {
    try {
      const model = await tfl.loadLayersModel(exportDirHandler(dir));
      const predictShapes = process.env['TFJS_TORCH_PREDICT_SHAPES'];
      if (predictShapes != null) {
        const xs = (JSON.parse(predictShapes) as number[][]).map((s) => tf.zeros(s));
        try {
          const ys = model.predict(xs.length === 1 ? xs[0] : xs);
          const list = Array.isArray(ys) ? ys : [ys];
          console.log(JSON.stringify({dir, backend, ok: true, shapes: list.map((y) => y.shape)}));
          tf.dispose(list);
        } catch (e) {
          console.log(JSON.stringify({dir, backend, ok: false, error: (e as Error).message}));
        } finally {
          tf.dispose(xs);
          model.dispose();
        }
        continue;
      }
      for (const check of all ? checkFiles(dir) : ['check.safetensors']) {
        try {
          const r = await pt.checkExport(model, join(dir, check));
          if (!r.ok) failed++;
          console.log(JSON.stringify({dir, ...(all ? {check} : {}), backend, ok: r.ok, outputs: r.outputs,
                                      firstDeparting: r.firstDeparting ?? null}));
        } catch (e) {
          failed++;
          console.log(JSON.stringify({dir, check, backend, ok: false, error: (e as Error).message}));
        }
      }
      model.dispose();
    } catch (e) {
      failed++;
      console.log(JSON.stringify({dir, backend, ok: false, error: (e as Error).message}));
    }
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(e);
    process.exit(2);
  });
}
