// Browser (karma) setup, bundled ahead of the same test/*.test.ts files the Node run uses: loads
// the cpu, webgl and wasm backends and tfjs-torch's kernels for them, applies the webgl flags of
// this run (karma.conf.js passes them as client.tfjsTorch), points tfjs-backend-wasm at its .wasm
// files (served by karma) and picks the backends the suites run on.
//
// Flags are set here, before any suite runs, because some are read only when the webgl backend is
// created (WEBGL_FORCE_F16_TEXTURES / WEBGL_RENDER_FLOAT32_ENABLED fix the texture formats then);
// the backend is created lazily by the first tf.setBackend('webgl') in describeBackends.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '../src/webgl.js';
import '../src/wasm.js';
import {setTestBackends} from './util.js';

/** What karma.conf.js hands the page for one browser run (see RUNS there). */
export interface BrowserRunConfig {
  name: string;
  backends: string[];
  flags: Record<string, boolean|number>;
  /** URL prefix under which karma serves tfjs-backend-wasm's .wasm binaries. */
  wasmUrl?: string;
}

declare const __karma__: {config?: {tfjsTorch?: BrowserRunConfig}}|undefined;

const config: BrowserRunConfig =
    (typeof __karma__ !== 'undefined' ? __karma__.config?.tfjsTorch : undefined) ??
    {name: 'webgl', backends: ['webgl', 'cpu'], flags: {}};

for (const [flag, value] of Object.entries(config.flags)) tf.env().set(flag, value);
// Before any backend starts: tfjs-backend-wasm fetches its binary when it is first initialised.
if (config.wasmUrl != null) setWasmPaths(config.wasmUrl);
// A run keeps only the backends it is about: backend-specific suites (test/browser) are declared
// only where their backend is registered, and tf.ready()'s default backend (wasm and webgl share
// priority 2) stays the run's own. webgl stays in every webgl run (webgl-f16 tests it outside
// the shared suites); wasm only in the wasm run.
if (!config.backends.includes('wasm')) tf.removeBackend('wasm');
if (!config.name.startsWith('webgl')) tf.removeBackend('webgl');
setTestBackends(config.backends);

const env = tf.env();
console.log(`tfjs-torch browser run '${config.name}': backends ${config.backends.join(', ')}; ` +
            `WEBGL_VERSION ${env.getNumber('WEBGL_VERSION')}, WEBGL_PACK ${
                env.getBool('WEBGL_PACK')}, WEBGL_RENDER_FLOAT32_ENABLED ${
                env.getBool('WEBGL_RENDER_FLOAT32_ENABLED')}, WEBGL_MAX_TEXTURE_SIZE ${
                env.getNumber('WEBGL_MAX_TEXTURE_SIZE')}`);

if (config.backends.includes('wasm')) {
  before(async () => {
    const env = tf.env();
    console.log(`tfjs-torch browser run '${config.name}': wasm SIMD ${
        await env.getAsync('WASM_HAS_SIMD_SUPPORT')}, threads ${
        await env.getAsync('WASM_HAS_MULTITHREAD_SUPPORT')}`);
  });
}

// Passed tests per backend (the [backend] tag describeBackends puts in suite titles; tests
// outside such suites count as 'any'), printed at the end of the run.
const passed: Record<string, number> = {};
afterEach(function() {
  const test = this.currentTest;
  if (test == null || test.state !== 'passed') return;
  const tag = test.titlePath().map((t) => /\[(\w+)\]$/.exec(t)?.[1])
                  .find((b) => b != null && config.backends.includes(b)) ?? 'any';
  passed[tag] = (passed[tag] ?? 0) + 1;
});
after(() => {
  console.log(`tfjs-torch browser run '${config.name}': passed per backend: ${
      Object.entries(passed).map(([k, v]) => `${k} ${v}`).join(', ')}`);
});
