// `npm run test:web`: the package in headless Chromium as users load it, against PyTorch's
// numbers (the committed U-Net export and its check.safetensors):
//   umd   the script-tag bundle (dist/tfjs-torch.min.js) after tfjs's tf.min.js and
//         tf-backend-wasm.min.js, through its one global tfjsTorch (test/bundles/umd.html)
//   esm   the ESM build bundled by esbuild through the package's exports map, as a user's bundler
//         does (test/bundles/esm_entry.js)
// each on cpu, webgl and wasm, and
//   app   the web app (examples/web/, npm run web) on webgl, wasm, cpu and webgpu: for each
//         decoder an image is dropped on it (the export's own input.png, the pixels of its
//         check.safetensors input), and its output tensor and the pixels it draws are compared
//         with PyTorch's output stored in check.safetensors; the app's own "difference from
//         PyTorch" must be within tolerance; a screenshot per backend goes to out/web-app-*.png.
// Needs `npm run build` first (npm test builds).
//   node scripts/test-web.mjs [umd|esm|app ...]
import * as esbuild from 'esbuild';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {launchChromium, serveStatic} from './chromium.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.env.TFJS_TORCH_SKIP_BROWSER === '1') {
  console.log('test:web: SKIPPED (TFJS_TORCH_SKIP_BROWSER=1)');
  process.exit(0);
}
if (!existsSync(join(ROOT, 'dist', 'tfjs-torch.min.js'))) {
  console.error('test:web: dist/ is missing: run `npm run build` first (npm test does)');
  process.exit(2);
}

/** esbuild resolves 'tfjs-torch' as a user's bundler does: a package in node_modules. */
async function bundleEsm() {
  const modules = mkdtempSync(join(tmpdir(), 'tfjs-torch-esm-'));
  symlinkSync(ROOT, join(modules, 'tfjs-torch'), 'dir');
  try {
    mkdirSync(join(ROOT, '.cache', 'bundles'), {recursive: true});
    const r = await esbuild.build({
      entryPoints: [join(ROOT, 'test', 'bundles', 'esm_entry.js')],
      bundle: true, format: 'esm', platform: 'browser', target: 'es2020', minify: true,
      outfile: join(ROOT, '.cache', 'bundles', 'esm.js'), nodePaths: [modules],
      define: {global: 'globalThis'}, logLevel: 'warning', metafile: true,
    });
    const inputs = Object.keys(r.metafile.inputs);
    const ours = inputs.filter((i) => /dist\/esm\//.test(i));
    if (ours.length === 0) throw new Error('the ESM bundle took no file of dist/esm');
    const node = inputs.filter((i) => /^(node:|fs$)/.test(i) || /dist\/cjs\//.test(i));
    if (node.length > 0) throw new Error(`the browser bundle took ${node.join(', ')}`);
  } finally {
    rmSync(modules, {recursive: true, force: true});
  }
}

const PAGES = {umd: '/test/bundles/umd.html', esm: '/test/bundles/esm.html'};
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...Object.keys(PAGES), 'app'];
const require = createRequire(import.meta.url);
const {readSafetensors} = require(join(ROOT, 'dist', 'cjs', 'src', 'index.js'));
const PALETTE = [[230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25], [145, 30, 180],
                 [70, 240, 240], [245, 130, 48], [128, 128, 128]];

/** PyTorch's output and input of an export of examples/web/models (check.safetensors). */
/** t (values in row-major order) with its dims permuted: out.shape[j] = t.shape[perm[j]]. */
function permuted(t, perm) {
  const shape = perm.map((p) => t.shape[p]);
  const inStrides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const values = new Float32Array(t.values.length);
  const idx = new Array(shape.length).fill(0);
  for (let o = 0; o < values.length; o++) {
    let src = 0;
    for (let j = 0; j < shape.length; j++) src += idx[j] * inStrides[perm[j]];
    values[o] = t.values[src];
    for (let j = shape.length - 1; j >= 0 && ++idx[j] === shape[j]; j--) idx[j] = 0;
  }
  return {...t, shape, values};
}

/**
 * The stored input and PyTorch's output, in the model's (channels-last) layout: the exporter v2
 * stores them in PyTorch's layout with each one's permutation into the model's (layout 'torch').
 */
function pytorchOf(name) {
  const file = readSafetensors(readFileSync(join(ROOT, 'examples', 'web', 'models', name, 'check.safetensors')));
  const x = file.tensors.get('input_0');
  const y = file.tensors.get('output_0');
  if (file.metadata?.layout !== 'torch') return {x, y};
  const inPerm = JSON.parse(file.metadata.input_perms)[0];
  const outPerm = JSON.parse(file.metadata.output_perms)[0];
  return {x: permuted(x, inPerm), y: permuted(y, outPerm)};
}

/**
 * What the app drew must be PyTorch's output: the image (clamped, 8-bit) within one level, or,
 * for segmentation, the argmax class over the input (pixels where PyTorch's two best classes are
 * within 1e-4 of each other may go either way).
 */
function comparePixels(kind, torch, pixels) {
  const [, h, w, c] = torch.y.shape;  // channelsLast export: [1, H, W, C]
  let bad = 0;
  for (let i = 0; i < h * w; i++) {
    if (kind === 'segmentation') {
      const scores = Array.from(torch.y.values.subarray(i * c, i * c + c));
      const best = scores.indexOf(Math.max(...scores));
      const sorted = [...scores].sort((a, b) => b - a);
      if (sorted[0] - sorted[1] < 1e-4) continue;
      const p = PALETTE[best % PALETTE.length];
      for (let k = 0; k < 3; k++) {
        const under = Math.round(torch.x.values[i * 3 + k] * 255);
        if (pixels[4 * i + k] !== Math.round(0.5 * under + 0.5 * p[k])) { bad++; break; }
      }
    } else {
      for (let k = 0; k < 3; k++) {
        const want = Math.round(Math.min(1, Math.max(0, torch.y.values[i * c + k])) * 255);
        if (Math.abs(pixels[4 * i + k] - want) > 1) { bad++; break; }
      }
    }
  }
  return bad;
}

const DROP = (url) => `(async () => {
  const blob = await (await fetch(${JSON.stringify(url)})).blob();
  const dt = new DataTransfer();
  dt.items.add(new File([blob], 'input.png', {type: 'image/png'}));
  const before = window.tfjsTorchApp.runs;
  document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
  return before;
})()`;

/**
 * An export whose height and width are null (the exporter v2's default, dynamic sizes): the
 * committed ESPCN export, loaded as a folder of the user's own (?export=). The app must run it
 * at the image's own size (64 x 64 gives PyTorch's stored output) and cap a larger image to 256
 * pixels on its longer side.
 */
async function testDynamic(browser) {
  const dir = join(ROOT, '.cache', 'web-dynamic', 'espcn');
  rmSync(dir, {recursive: true, force: true});
  mkdirSync(dir, {recursive: true});
  const src = join(ROOT, 'examples', 'web', 'models', 'espcn');
  for (const f of ['weights.bin', 'check.safetensors', 'input.png', 'meta.json']) {
    writeFileSync(join(dir, f), readFileSync(join(src, f)));
  }
  const model = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  const input = model.modelTopology.config.layers.find((l) => l.class_name === 'InputLayer');
  if (JSON.stringify(input.config.batch_input_shape) !== JSON.stringify([null, null, null, 3])) {
    throw new Error(`examples/web/models/espcn was exported with fixed sizes (${
        JSON.stringify(input.config.batch_input_shape)}): rerun npm run web:export`);
  }
  writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
  const page = await browser.open(`${server.url}/examples/web/?export=/.cache/web-dynamic/espcn/&model=yours&backend=wasm`);
  await page.waitFor('window.tfjsTorchApp.runs > 0 || window.tfjsTorchApp.error');
  const first = await page.evaluate('({out: window.tfjsTorchApp.lastOutput, error: window.tfjsTorchApp.error})');
  const torch = pytorchOf('espcn');
  let maxDiff = Infinity;
  if (first.out != null && JSON.stringify(first.out.shape) === JSON.stringify(torch.y.shape)) {
    maxDiff = 0;
    for (let i = 0; i < torch.y.values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(first.out.values[i] - torch.y.values[i]));
  }
  // A 300 x 200 image, dropped: runs at 256 x 171 (the longer side capped at 256).
  const before = await page.evaluate(`(async () => {
    const c = document.createElement('canvas'); c.width = 300; c.height = 200;
    const g = c.getContext('2d'); g.fillStyle = '#3a7'; g.fillRect(0, 0, 300, 200);
    g.fillStyle = '#e33'; g.beginPath(); g.arc(150, 100, 60, 0, 7); g.fill();
    const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
    const dt = new DataTransfer(); dt.items.add(new File([blob], 'big.png', {type: 'image/png'}));
    const runs = window.tfjsTorchApp.runs;
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    return runs; })()`);
  await page.waitFor(`window.tfjsTorchApp.runs > ${before} || window.tfjsTorchApp.error`);
  const second = await page.evaluate('({size: window.tfjsTorchApp.lastOutput.inputSize, shape: window.tfjsTorchApp.lastOutput.shape, error: window.tfjsTorchApp.error})');
  mkdirSync(join(ROOT, 'out'), {recursive: true});
  await page.screenshot(join(ROOT, 'out', 'web-app-dynamic.png'));
  const ok = first.error == null && maxDiff < 1e-4 && second.error == null &&
      JSON.stringify(second.size) === '[171,256]' && JSON.stringify(second.shape) === '[1,513,768,3]';
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} app dynamic sizes (wasm): 64 x 64 image -> ${JSON.stringify(first.out?.shape)}, ` +
              `max |app - PyTorch| ${maxDiff.toExponential(2)}; 300 x 200 image -> input ${JSON.stringify(second.size)}, ` +
              `output ${JSON.stringify(second.shape)}${first.error || second.error ? `, error ${first.error || second.error}` : ''}`);
}

async function testApp(browser, backend) {
  mkdirSync(join(ROOT, 'out'), {recursive: true});
  const page = await browser.open(`${server.url}/examples/web/?model=espcn&backend=${backend}`);
  for (const name of ['espcn', 'segnet']) {
    if (name !== 'espcn') {
      const runs = await page.evaluate(`(() => { const s = document.getElementById('model'); s.value = '${name}';
                           s.dispatchEvent(new Event('change')); return window.tfjsTorchApp.runs; })()`);
      await page.waitFor(`window.tfjsTorchApp.runs > ${runs} || window.tfjsTorchApp.error`);
    }
    await page.waitFor('window.tfjsTorchApp.runs > 0 || window.tfjsTorchApp.error');
    // The drop's run is the one checked: queued after any run under way, counted when it ends.
    await page.evaluate('window.tfjsTorchApp.busy');
    const before = await page.evaluate(DROP(`/examples/web/models/${name}/input.png`));
    await page.waitFor(`window.tfjsTorchApp.runs > ${before} || window.tfjsTorchApp.error`);
    await page.evaluate('window.tfjsTorchApp.busy');
    const app = await page.evaluate(`(() => { const a = window.tfjsTorchApp;
      const c = document.getElementById('output');
      return {error: a.error, diff: a.diff, out: a.lastOutput, kind: a.meta.kind, ms: a.lastMs,
              progress: document.getElementById('progress').value,
              pixels: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)}; })()`);
    const torch = pytorchOf(name);
    let maxDiff = 0;
    let within = app.out != null && JSON.stringify(app.out.shape) === JSON.stringify(torch.y.shape);
    if (within) {
      for (let i = 0; i < torch.y.values.length; i++) {
        const d = Math.abs(app.out.values[i] - torch.y.values[i]);
        if (!(d <= maxDiff)) maxDiff = d;
        if (!(d <= 1e-4 + 1e-4 * Math.abs(torch.y.values[i]))) within = false;
      }
    }
    const badPixels = app.out == null ? -1 : comparePixels(app.kind, torch, app.pixels);
    const ok = app.error == null && within && badPixels === 0 && app.diff?.ok === true &&
        app.diff?.backend === backend && app.out.backend === backend && app.progress === 1;
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} app ${backend} ${name}: output ${JSON.stringify(app.out?.shape)} ` +
                `max |app - PyTorch| ${maxDiff.toExponential(2)}, pixels off ${badPixels}, app's check ` +
                `${JSON.stringify(app.diff)}, ms ${JSON.stringify(app.ms?.map((t) => +t.toFixed(1)))}` +
                `${app.error ? `, error ${app.error}` : ''}`);
    if (name === 'espcn') await page.screenshot(join(ROOT, 'out', `web-app-${backend}.png`));
  }
  await page.screenshot(join(ROOT, 'out', `web-app-${backend}-segnet.png`));
}

let failed = 0;
const server = await serveStatic(ROOT);
const browser = await launchChromium();
try {
  if (wanted.includes('esm')) await bundleEsm();
  for (const name of wanted.filter((w) => w in PAGES)) {
    const page = await browser.open(`${server.url}${PAGES[name]}`);
    await page.waitFor('window.bundleResult !== undefined', 60000).catch(() => {
      throw new Error(`${name}: the page set no result\n${page.console.join('\n')}`);
    });
    const result = await page.evaluate('window.bundleResult');
    for (const backend of ['cpu', 'webgl', 'wasm']) {
      const r = result[backend];
      const ok = r != null && r.error == null && r.backend === backend && r.ok === true &&
          JSON.stringify(r.row) === JSON.stringify([1, 1.25, 1.75, 2]) && r.maxAbsDiff < 1e-4;
      if (!ok) failed++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${backend}: ${JSON.stringify(r)}`);
    }
    const globals = name === 'umd' ? ['tf', 'tfjsTorch'] : ['tf'];
    const extra = result.globals.filter((g) => !globals.includes(g) && g !== 'tf');
    if (name === 'umd' && !result.globals.includes('tfjsTorch')) {
      failed++;
      console.log('FAIL umd: no global tfjsTorch');
    }
    if (extra.length > 0) {
      failed++;
      console.log(`FAIL ${name}: unexpected globals ${extra.join(', ')}`);
    }
    if (page.console.some((l) => l.startsWith('exception'))) {
      console.log(page.console.join('\n'));
    }
  }
  if (wanted.includes('app')) {
    for (const backend of ['webgl', 'wasm', 'cpu']) await testApp(browser, backend);
    await testDynamic(browser);
  }
} finally {
  await browser.close();
}
try {
  if (wanted.includes('app')) {
    // WebGPU needs Chromium's GPU process on SwiftShader's Vulkan (karma.conf.js's notes).
    const gpuBrowser = await launchChromium({webgpu: true});
    try {
      await testApp(gpuBrowser, 'webgpu');
    } finally {
      await gpuBrowser.close();
    }
  }
} finally {
  await server.close();
}
console.log(failed === 0 ? 'test:web: all passed' : `test:web: ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
