// Karma config for the browser runs: mocha + chai in headless Chromium, WebGL2 and WebGPU from
// SwiftShader.
//
// The bundle (.cache/browser/tests.js, made by scripts/bundle-browser-tests.mjs) holds the same
// test/*.test.ts files as the Node run. One karma start runs one entry of RUNS, picked by the
// environment variable TFJS_TORCH_BROWSER_RUN (default 'webgl'); scripts/test-browser.mjs runs
// them all in turn (`npm run test:browser`). Each run is a fresh browser, so flags that the
// webgl backend reads only when it is created take effect. TFJS_TORCH_GREP=<regexp> narrows a
// run to the matching tests.
//
// Chromium flags: --disable-gpu turns off the hardware GPU process path only; WebGL2 is then
// served by ANGLE on SwiftShader (Vulkan). --use-angle=swiftshader picks that path explicitly
// and --enable-unsafe-swiftshader keeps it allowed in Chromium versions that no longer fall back
// to SwiftShader for WebGL on their own. Checked with Debian's Chromium 156: WebGL 2.0,
// MAX_TEXTURE_SIZE 8192, EXT_color_buffer_float (float32 render targets) available.
// --remote-debugging-port is not passed (karma's ChromeHeadless launcher would add a fixed 9222,
// which collides when two runs share a machine); karma-chrome-launcher gives every launch a
// fresh temporary --user-data-dir and removes it afterwards.
const path = require('path');

// WebGPU (checked with Debian's Chromium 156): --enable-unsafe-webgpu exposes Dawn's adapters on
// a machine Chromium does not trust for WebGPU; without it navigator.gpu.requestAdapter() gives
// null. The adapter is then Dawn's SwiftShader (Vulkan on the CPU). That is enough for compute,
// but tfjs-backend-webgpu's synchronous read (dataSync, which no op makes but some tests do)
// draws a WebGPU canvas into a 2D canvas, and that needs a GPU process whose compositor runs on
// Vulkan too: with --disable-gpu, or without Vulkan, the read returns zeros and the device is
// lost. So the webgpu run drops --disable-gpu and runs the GPU process on SwiftShader's Vulkan.
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader'];
const WEBGPU_DROPPED_FLAGS = ['--disable-gpu'];

/**
 * The browser runs. `backends`: what describeBackends runs the shared suites on. `flags`: tf.env()
 * flags set before the webgl backend is created. `gpu`: the GPU backend of the run (the page
 * removes the other one from tfjs's registry, so a run exercises, and waits for, one GPU
 * backend; a run without `gpu`, the wasm run, keeps neither). `chromiumFlags`: added to CHROMIUM_FLAGS for this run, `droppedChromiumFlags`: left
 * out of them.
 */
const RUNS = {
  // Defaults on SwiftShader: packed programs, float32 render targets; cpu in the browser too.
  'webgl': {backends: ['webgl', 'cpu'], flags: {}, gpu: 'webgl'},
  // The unpacked code paths of tfjs's own kernels and of ours that have both forms.
  'webgl-unpacked': {backends: ['webgl'], flags: {WEBGL_PACK: false}, gpu: 'webgl'},
  // Half-float textures, as on devices without float32 render targets. Every stored value is
  // rounded to 11 significant bits (inputs included: tfjs uploads them into half floats), so the
  // shared suites, held to 1e-4 and to unchanged inputs, do not run here (no backends);
  // test/browser/webgl_f16.test.ts runs the same fixtures with its own documented tolerance, and
  // test/browser/webgl_kernels.test.ts compares with cpu at float16 precision.
  'webgl-f16': {backends: [], flags: {WEBGL_FORCE_F16_TEXTURES: true}, gpu: 'webgl'},
  // tfjs-backend-webgpu on Dawn's SwiftShader (Vulkan on the CPU) adapter, which Chromium hands out
  // only with --enable-unsafe-webgpu (without it navigator.gpu.requestAdapter() gives null).
  'webgpu': {backends: ['webgpu'], flags: {}, gpu: 'webgpu', chromiumFlags: WEBGPU_FLAGS,
             droppedChromiumFlags: WEBGPU_DROPPED_FLAGS},
  // tfjs-backend-wasm (SIMD, one thread: the page is not cross-origin isolated, so no
  // SharedArrayBuffer) with tfjs-torch's wasm kernels; no GPU backend stays registered. Its .wasm
  // binaries are served from node_modules under WASM_URL (see files and proxies below) and
  // test/setup.browser.ts points setWasmPaths there.
  'wasm': {backends: ['wasm'], flags: {}},
};

/** Where the page finds tfjs-backend-wasm's .wasm files (a karma proxy into node_modules). */
const WASM_URL = '/tfjs-backend-wasm/';
const WASM_DIR = 'node_modules/@tensorflow/tfjs-backend-wasm/dist/';

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--mute-audio',
];

/** The Chromium flags of one entry of RUNS. */
function chromiumFlagsOf(run) {
  const dropped = new Set(run.droppedChromiumFlags ?? []);
  return [...CHROMIUM_FLAGS.filter((f) => !dropped.has(f)), ...(run.chromiumFlags ?? [])];
}

function karmaConfig(config) {
  const name = process.env.TFJS_TORCH_BROWSER_RUN || 'webgl';
  const run = RUNS[name];
  if (run == null) {
    throw new Error(`karma.conf.js: unknown TFJS_TORCH_BROWSER_RUN '${name}' (known: ${
        Object.keys(RUNS).join(', ')})`);
  }
  if (!process.env.CHROME_BIN) process.env.CHROME_BIN = '/usr/bin/chromium';
  const bench = process.env.TFJS_TORCH_BROWSER_BUNDLE === 'bench';
  // TFJS_TORCH_BROWSER_BUNDLE=zoo: the zoo's check (scripts/test-zoo.mjs), with the exports in
  // out/zoo served to the page.
  const zoo = process.env.TFJS_TORCH_BROWSER_BUNDLE === 'zoo';
  const dir = path.join(__dirname, '.cache', 'browser');
  config.set({
    basePath: __dirname,
    frameworks: ['mocha'],
    files: [
      ...(bench ? [path.join(dir, 'bench.js')] :
          zoo ? [path.join(dir, 'zoo-index.js'), path.join(dir, 'zoo.js'),
                 {pattern: 'out/zoo/**/*', included: false, served: true, watched: false, nocache: true}] :
                  [path.join(dir, 'fixtures.js'), path.join(dir, 'tests.js')]),
      // Served, not loaded as scripts: tfjs-backend-wasm fetches them when the backend starts.
      {pattern: `${WASM_DIR}*.wasm`, included: false, served: true, watched: false, nocache: true},
    ],
    proxies: {[WASM_URL]: `/base/${WASM_DIR}`},
    mime: {'application/wasm': ['wasm']},
    reporters: ['mocha'],
    mochaReporter: {output: 'minimal'},
    browsers: ['ChromiumSwiftShader'],
    customLaunchers: {
      ChromiumSwiftShader: {base: 'Chrome', flags: chromiumFlagsOf(run)},
    },
    client: {
      // TFJS_TORCH_GREP=<regexp> runs only the tests whose full title matches (mocha's grep).
      mocha: {timeout: 300000, reporter: 'html', grep: process.env.TFJS_TORCH_GREP || undefined},
      captureConsole: true,
      tfjsTorch: {name, wasmUrl: WASM_URL, ...run},
    },
    browserConsoleLogOptions: {level: 'log', terminal: true},
    // SwiftShader compiles every new shader on a shared 2-core machine: generous timeouts.
    browserNoActivityTimeout: 600000,
    browserDisconnectTimeout: 60000,
    browserDisconnectTolerance: 0,
    captureTimeout: 120000,
    singleRun: true,
    autoWatch: false,
    logLevel: config.LOG_WARN,
  });
}

module.exports = karmaConfig;
module.exports.RUNS = RUNS;
module.exports.CHROMIUM_FLAGS = CHROMIUM_FLAGS;
module.exports.chromiumFlagsOf = chromiumFlagsOf;
