// Note [file:// without tfjs-node]
// tf.loadLayersModel('file://...') needs a load router for 'file://', and only tfjs-node
// registers one: with tfjs-core, tfjs or any backend but `tensorflow`, Node then fails with
// "fetch failed ... not implemented". `import 'tfjs-torch'` in Node registers fileRouter below,
// which reads model.json and its weight files through readSource (sources.ts, the reader
// loadTorchWeights and pt.checkExport use). It steps aside whenever another router takes the
// URL (tfjs-node's, imported before or after tfjs-torch), so tfjs-node stays in charge where it
// is installed and tf.io never sees two handlers for one URL. In browsers nothing is registered.
import * as tf from '@tensorflow/tfjs-core';
import {fail} from './errors.js';
import {isNode, readSource, resolveBeside} from './sources.js';

const WHO = 'loadLayersModel';

/** The largest model.json the router reads (its topology and manifest; weights are apart). */
export const MAX_MODEL_JSON_BYTES = 256 * 2 ** 20;

function parseModelJSON(where: string, bytes: Uint8Array): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(bytes));
  } catch (e) {
    fail(WHO, `'${where}' is not a JSON file: ${(e as Error).message}`);
  }
  const m = json as {modelTopology?: unknown, weightsManifest?: unknown};
  if (m == null || typeof m !== 'object' || m.modelTopology == null) {
    fail(WHO, `'${where}' is not a model.json (it has no 'modelTopology')`);
  }
  const manifest = m.weightsManifest ?? [];
  if (!Array.isArray(manifest) || !manifest.every((g) =>
      g != null && Array.isArray(g.paths) && g.paths.every((p: unknown) => typeof p === 'string') &&
      Array.isArray(g.weights))) {
    fail(WHO, `'${where}': 'weightsManifest' must be a list of {paths: [string], weights: [...]}`);
  }
  return json as tf.io.ModelJSON;
}

/** Bytes of every weight the specs name (as tfjs's decodeWeights will read them). */
function specBytes(specs: tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const s of specs) {
    const count = (s.shape ?? []).reduce((a, b) => a * b, 1);
    const per = s.quantization != null ?
        ({uint8: 1, uint16: 2, float16: 2} as Record<string, number>)[s.quantization.dtype] ?? NaN :
        ({float32: 4, int32: 4, bool: 1, complex64: 8} as Record<string, number>)[s.dtype] ?? NaN;
    total += count * per;
  }
  return total;
}

/** A load handler for a model.json at a file:// URL (Note [file:// without tfjs-node]). */
export function fileHandler(url: string, options?: tf.io.LoadOptions): tf.io.IOHandler {
  return {
    load: async () => {
      const modelJSON = parseModelJSON(
          url, await readSource(WHO, url, {maxBytes: MAX_MODEL_JSON_BYTES}));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const paths = manifest.flatMap((g) => g.paths);
        for (const p of paths) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(p) || p.startsWith('/') || p.startsWith('\\')) {
            fail(WHO, `'${url}': weight path '${p}' must be relative to the model.json's folder`);
          }
        }
        const parts: Uint8Array[] = [];
        for (let i = 0; i < paths.length; i++) {
          parts.push(await readSource(WHO, resolveBeside(url, paths[i])));
          options?.onProgress?.((i + 1) / paths.length);
        }
        const total = parts.reduce((n, b) => n + b.byteLength, 0);
        const needed = specBytes(specs);
        if (Number.isFinite(needed) && total !== needed) {  // NaN: a dtype of variable size
          fail(WHO, `'${url}': its weight files hold ${total} bytes, its manifest's weights ${
              needed}`);
        }
        const data = new Uint8Array(total);
        let at = 0;
        for (const b of parts) {
          data.set(b, at);
          at += b.byteLength;
        }
        return [specs, data.buffer];
      });
    },
  };
}

let asking = false;

/**
 * The 'file://' load router: a handler for a file:// URL in Node unless another router (tfjs-node)
 * takes the URL.
 */
export function fileRouter(url: string|string[], options?: tf.io.LoadOptions): tf.io.IOHandler|null {
  if (asking || typeof url !== 'string' || !/^file:\/\//i.test(url) || !isNode()) return null;
  asking = true;
  let others: tf.io.IOHandler[];
  try {
    others = tf.io.getLoadHandlers(url, options);
  } finally {
    asking = false;
  }
  return others.length > 0 ? null : fileHandler(url, options);
}

let registered = false;

/** Registers fileRouter once, in Node only. */
export function registerFileRouterOnce(): void {
  if (registered || !isNode()) return;
  registered = true;
  // tf.io.IORouter's type says IOHandler, but every router answers null for URLs it leaves.
  tf.io.registerLoadRouter(fileRouter as Parameters<typeof tf.io.registerLoadRouter>[0]);
}
