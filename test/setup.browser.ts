// Browser (karma) setup, bundled ahead of the same test/*.test.ts files the Node run uses: loads
// the cpu, webgl, webgpu and wasm backends and tfjs-torch's kernels for them, keeps only the run's
// GPU backend registered (none in the wasm run), applies the flags of this run (karma.conf.js
// passes them as client.tfjsTorch), points tfjs-backend-wasm at its .wasm files (served by karma)
// and picks the backends the suites run on.
//
// Flags are set here, before any suite runs, because some are read only when the webgl backend is
// created (WEBGL_FORCE_F16_TEXTURES / WEBGL_RENDER_FLOAT32_ENABLED fix the texture formats then);
// the backend is created lazily by the first tf.setBackend('webgl') in describeBackends.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '../src/webgl.js';
import '../src/webgpu.js';
import '../src/wasm.js';
import {setTestBackends} from './util.js';

/** What karma.conf.js hands the page for one browser run (see RUNS there). */
export interface BrowserRunConfig {
  name: string;
  backends: string[];
  flags: Record<string, boolean|number>;
  /** URL prefix under which karma serves tfjs-backend-wasm's .wasm binaries. */
  wasmUrl?: string;
  /** The GPU backend of the run; the other one is removed from tfjs's registry (both when unset). */
  gpu?: 'webgl'|'webgpu';
}

declare const __karma__: {config?: {tfjsTorch?: BrowserRunConfig}}|undefined;

const config: BrowserRunConfig =
    (typeof __karma__ !== 'undefined' ? __karma__.config?.tfjsTorch : undefined) ??
    {name: 'webgl', backends: ['webgl', 'cpu'], flags: {}, gpu: 'webgl'};

// One GPU backend per run: the GPU-only suites (test/browser) declare themselves where their
// backend is registered, and tf.ready() does not try to start a backend the run does not test
// (webgpu has the higher priority, and in a webgl run's browser it has no adapter).
for (const gpu of ['webgl', 'webgpu']) {
  if (gpu !== config.gpu && tf.findBackendFactory(gpu) != null) tf.removeBackend(gpu);
}

for (const [flag, value] of Object.entries(config.flags)) tf.env().set(flag, value);
// Before any backend starts: tfjs-backend-wasm fetches its binary when it is first initialised.
if (config.wasmUrl != null) setWasmPaths(config.wasmUrl);
// wasm, like the GPU backends, stays registered only in the run about it: backend-specific suites
// (test/browser) are declared only where their backend is registered, and tf.ready()'s default
// backend (wasm and webgl share priority 2) stays the run's own.
if (!config.backends.includes('wasm') && tf.findBackendFactory('wasm') != null) {
  tf.removeBackend('wasm');
}
setTestBackends(config.backends);

const env = tf.env();
if (config.gpu === 'webgl') {
  console.log(`tfjs-torch browser run '${config.name}': backends ${config.backends.join(', ')}; ` +
              `WEBGL_VERSION ${env.getNumber('WEBGL_VERSION')}, WEBGL_PACK ${
                  env.getBool('WEBGL_PACK')}, WEBGL_RENDER_FLOAT32_ENABLED ${
                  env.getBool('WEBGL_RENDER_FLOAT32_ENABLED')}, WEBGL_MAX_TEXTURE_SIZE ${
                  env.getNumber('WEBGL_MAX_TEXTURE_SIZE')}`);
} else if (config.gpu === 'webgpu') {
  console.log(`tfjs-torch browser run '${config.name}': backends ${config.backends.join(', ')}; ` +
              `webgpu backend ${tf.findBackendFactory('webgpu') != null ?
                                    'registered' : 'NOT registered (no navigator.gpu)'}`);
}

// WebGPU reports a shader that does not compile, or any other validation error, on the device
// instead of throwing, and the command buffer it was in does not run: the outputs then hold
// whatever the buffers held before. Such an error fails the root afterEach hook of the test
// during which it arrived, which stops the run there (loudly, naming the test).
const gpuErrors: string[] = [];
if (config.gpu === 'webgpu') {
  before(async () => {
    await tf.ready();
    const previous = tf.getBackend();
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend could not be initialised');
    const backend = tf.backend() as unknown as {device: GPUDevice, adapterInfo?: unknown};
    backend.device.addEventListener('uncapturederror', (e) => {
      gpuErrors.push((e as GPUUncapturedErrorEvent).error.message);
    });
    const info = (backend as {adapterInfo?: {vendor?: string, architecture?: string}}).adapterInfo;
    console.log(`tfjs-torch browser run '${config.name}': WebGPU adapter ${
        info != null ? `${info.vendor ?? '?'} / ${info.architecture ?? '?'}` : '(no info)'}`);
    await tf.setBackend(previous);
  });
  afterEach(async function() {
    // Errors arrive asynchronously: wait for the device's queue first.
    if (tf.findBackend('webgpu') != null) {
      await (tf.findBackend('webgpu') as unknown as {device: GPUDevice}).device.queue
          .onSubmittedWorkDone();
    }
    if (gpuErrors.length > 0) {
      const errors = gpuErrors.splice(0);
      throw new Error(`WebGPU errors during '${this.currentTest?.fullTitle()}':\n${errors.join('\n')}`);
    }
  });
}

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
