// `npm run bench:webgpu -- models [names...]` (or `npm run bench:webgpu:models -- [names...]`):
// the `models` bench in headless Chromium on WebGPU. Each published decoder exported by
// `npm run bench:models:export` (.cache/bench-models/<name>/) runs as tfjs-torch's export on
// tfjs's webgpu backend against PyTorch's ONNX export on onnxruntime-web's webgpu engine
// (executionProviders ['webgpu']), same input, runs taking turns, one fresh Chromium per model
// (bench/webgpu/models.ts is the page). Times are medians of wall ms per run from the input's
// Float32Array to the output's, read-back included, on both sides. Both outputs are compared with
// PyTorch's. The profile is tf.profile's kernel times of one tfjs-torch run (webgpu timestamp
// queries). Chromium's WebGPU here is Dawn on SwiftShader's Vulkan, on the CPU: only ratios mean
// anything.
//   BENCH_MODELS=a,b (or names as arguments)   only these models (default: every exported one,
//                                             smallest first: realesr_compact, unet, u2netp, ...)
//   BENCH_MODELS_BUDGET_MS (default 60000)     time for the timed pairs of runs, per model
//   BENCH_MODELS_MIN_RUNS (default 3), BENCH_MODELS_MAX_RUNS (default 15)
//   BENCH_MODELS_TIMEOUT_S (default 600)        per model, loading and the first runs included
//   BENCH_MODELS_PROFILE=1                      also print each model's whole per-kernel profile
//   BENCH_MODELS_JSON=file                      also write the raw results (JSON) there
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {bundleModelsBench, OUT_DIR} from './bundle-browser-tests.mjs';
import {launchChromium, serveStatic} from './chromium.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, '.cache', 'bench-models');
// The order models are run in when none are named: the cheap ones first.
const ORDER = ['realesr_compact', 'unet', 'u2netp', 'sam_mask_decoder', 'cyclegan_resnet', 'midas',
               'sd_vae_decoder', 'esrgan_rrdbnet'];

const env = process.env;
const budgetMs = Number(env.BENCH_MODELS_BUDGET_MS ?? '60000');
const minRuns = Number(env.BENCH_MODELS_MIN_RUNS ?? '3');
const maxRuns = Number(env.BENCH_MODELS_MAX_RUNS ?? '15');
const timeoutMs = Number(env.BENCH_MODELS_TIMEOUT_S ?? '600') * 1000;

export async function benchWebgpuModels(names) {
  if (!existsSync(DIR)) {
    throw new Error(`bench models: ${DIR} is missing: run npm run bench:models:export first`);
  }
  const wanted = names.length > 0 ? names : env.BENCH_MODELS?.split(',') ?? null;
  const rank = (n) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  const all = readdirSync(DIR).filter((n) => existsSync(join(DIR, n, 'bench.json')))
                  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const unknown = (wanted ?? []).filter((n) => !all.includes(n));
  if (unknown.length > 0) throw new Error(`bench models: not exported: ${unknown.join(', ')}`);
  const selected = all.filter((n) => wanted == null || wanted.includes(n));

  await bundleModelsBench();
  const page = join(OUT_DIR, 'bench-models.html');
  writeFileSync(page, '<!doctype html><meta charset="utf-8"><title>tfjs-torch webgpu models bench</title>\n' +
      '<script src="/node_modules/onnxruntime-web/dist/ort.webgpu.min.js"></script>\n' +
      '<script>ort.env.wasm.wasmPaths = "/node_modules/onnxruntime-web/dist/";</script>\n' +
      '<script src="/.cache/browser/bench-models.js"></script>\n');
  const server = await serveStatic(ROOT);
  const chromiumVersion = (() => {
    try {
      return readFileSync('/usr/lib/chromium/VERSION', 'utf8').trim();
    } catch {
      return null;
    }
  })();

  console.log('\n## models on webgpu (headless Chromium, SwiftShader; tfjs-torch on tfjs webgpu / ' +
              'onnxruntime-web webgpu, one Chromium per model)\n');
  console.log(`median wall ms per run, upload + model + read-back of the output on both sides; ` +
              `runs take turns, >= ${minRuns} and up to ${maxRuns} pairs in ${budgetMs} ms after one warm-up each` +
              (chromiumVersion ? `; ${chromiumVersion}` : ''));
  const results = [];
  const missing = [];
  for (const name of selected) {
    const info = JSON.parse(readFileSync(join(DIR, name, 'bench.json'), 'utf8'));
    if (info.status !== 'ok') {
      missing.push(`${name}: ${JSON.stringify(info.exports)}`);
      continue;
    }
    const browser = await launchChromium({webgpu: true});
    let r;
    try {
      const p = await browser.open(`${server.url}/.cache/browser/bench-models.html`);
      const call = `benchModel(${JSON.stringify(name)}, ${JSON.stringify({budgetMs, minRuns, maxRuns})})`;
      let timer;
      r = await Promise.race([
        p.evaluate(call, timeoutMs),
        new Promise((resolve) => (timer = setTimeout(() => resolve(
            {name, title: info.title, shapes: info.shapes, error: `no result after ${timeoutMs / 1000} s`}),
            timeoutMs))),
      ]);
      clearTimeout(timer);
      const noise = (l) => /Timestamp query|timestamp-query|dbus/i.test(l);
      r.console = p.console.filter((l) => !noise(l)).slice(-20);
    } catch (e) {
      r = {name, title: info.title, shapes: info.shapes, error: `page: ${e.message.split('\n')[0]}`};
    } finally {
      await browser.close();
    }
    results.push(r);
    printRow(r, results.length === 1);
  }
  await server.close();
  const profiled = results.filter((r) => r.kernels != null);
  if (profiled.length > 0) {
    console.log(`\nProfile clock: ${profiled[0].profileClock}; adapter ${profiled[0].adapter}; ` +
                `onnxruntime-web ${profiled[0].ortVersion}.`);
  }
  if (env.BENCH_MODELS_PROFILE === '1') {
    for (const r of profiled) {
      console.log(`\n### ${r.title}, webgpu: tf.profile, ${r.kernelMs.toFixed(0)} ms of kernels\n`);
      console.log('| kernel | ms | share | calls |\n|---|---:|---:|---:|');
      for (const [k, ms, n] of r.kernels) {
        console.log(`| ${k} | ${ms.toFixed(1)} | ${(100 * ms / r.kernelMs).toFixed(1)}% | ${n} |`);
      }
      if (r.slowCalls?.length) {
        console.log('\nSlowest calls:\n\n| kernel | input shapes | ms |\n|---|---|---:|');
        for (const [k, shapes, ms] of r.slowCalls) console.log(`| ${k} | ${shapes} | ${ms.toFixed(1)} |`);
      }
    }
  }
  for (const r of results.filter((x) => x.error != null && x.console?.length)) {
    console.log(`\n${r.name}: the page's last console lines:\n${r.console.map((l) => `  ${l}`).join('\n')}`);
  }
  if (missing.length > 0) {
    console.log('\nNot exported:\n');
    for (const m of missing) console.log(`- ${m}`);
  }
  if (env.BENCH_MODELS_JSON) writeFileSync(env.BENCH_MODELS_JSON, JSON.stringify(results, null, 1));
  return results;
}

const pct = (x) => `${(100 * x).toFixed(0)}%`;
const diff = (x) => (x == null ? '?' : x === 0 ? '0' : x.toExponential(1));

function printRow(r, header) {
  if (header) {
    console.log('\n| model | input (PyTorch) | tfjs-torch ms | ORT-webgpu ms | ratio | runs | ' +
                'max diff vs PyTorch: ours / ORT | outside convs | outside convs and matmuls | top kernels (tfjs-torch) |');
    console.log('|---|---|---:|---:|---:|---:|---|---:|---:|---|');
  }
  const shapes = r.shapes.map((s) => s.join('x')).join(', ');
  const partial = r.oursDiff != null ?
      ` (checked: ${diff(r.oursDiff)}${r.oursOk ? '' : ' over 1e-4'} / ${diff(r.ortDiff)}${r.ortOk ? '' : ' over 1e-4'})` : '';
  if (r.error != null) {
    console.log(`| ${r.title} | ${shapes} | failed: ${r.error}${partial} ||||||||`);
    return;
  }
  const top = r.top.filter(([, s]) => s > 0).map(([k, s]) => `${k} ${pct(s)}`).join(', ');
  console.log(`| ${r.title} | ${shapes} | ${r.oursMs.toFixed(0)} | ${r.ortMs.toFixed(0)} | ${
      (r.oursMs / r.ortMs).toFixed(2)}x | ${r.runs} | ${diff(r.oursDiff)}${r.oursOk ? '' : ' (over 1e-4)'} / ${
      diff(r.ortDiff)}${r.ortOk ? '' : ' (over 1e-4)'} | ${
      Number.isNaN(r.outsideConvShare) ? '?' : pct(r.outsideConvShare)} | ${
      r.outsideConvMatMulShare == null || Number.isNaN(r.outsideConvMatMulShare) ? '?' :
      pct(r.outsideConvMatMulShare)} | ${top} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchWebgpuModels(process.argv.slice(2)).then(
      (results) => process.exit(results.some((r) => r.error != null) ? 1 : 0),
      (e) => {
        console.error(e);
        process.exit(2);
      });
}
