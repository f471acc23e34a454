// `npm run bench -- models`: published decoders from the zoo (python/tests/zoo) at published widths
// and real sizes, exported by tfjs_torch.export and by torch.onnx.export
// (scripts/export_bench_models.py, `npm run bench:models:export`, into .cache/bench-models), each
// timed in a Node process of its own (bench/model_one.ts): tfjs-torch on wasm against
// onnxruntime-web's wasm engine (both 1 thread: tfjs-backend-wasm has no worker threads in Node),
// and tfjs-torch on tensorflow (tfjs-node, TF_NUM_INTRAOP_THREADS, default 1) against
// onnxruntime-node with as many intra-op threads. Runs of the two take turns; medians of wall time.
// Both outputs are checked against PyTorch's (max abs diff; tfjs-torch's with pt.checkExport's
// 1e-4 + 1e-4 |torch| rule), and, where the export has ref64.safetensors, against PyTorch's result
// in float64, beside PyTorch float32's own distance from it (a deep model with large activations
// has float32 results that differ from each other by more than 1e-4 whoever sums them). An
// accuracy table after the main one sets each engine's difference from PyTorch float32 beside
// PyTorch's own: its float32 outputs in channels_last and with mkldnn off against its default
// ones (bench.json's torch_f32_paths), and the output's scale. The profile is tf.profile's kernel times of one tfjs-torch run, each
// kernel's own time (a kernel that runs others inside it, as tfjs-node's FusedConv2D runs an Add
// for its bias, is counted less theirs): the top kernels' shares and the share outside the
// convolutions (every kernel but Conv2D, FusedConv2D, depthwise and transposed ones), given as two
// counts: "A / B" where A counts what a convolution kernel runs inside it (tfjs-node's
// FusedConv2D: an Add for its bias, then its activation) outside the convolutions, and B as part
// of them (as ONNX's Conv and PyTorch's Conv2d include their bias). A further column, "outside
// convs and matmuls", is the share outside the convolutions and the matrix products (MatMul,
// BatchMatMul, _FusedMatMul, TorchBatchMatMul, TorchLinear), what either runs inside it counted
// as part of it, as in B (for a transformer, whose products are its work).
//   BENCH_MODELS=esrgan_rrdbnet,unet   only these; BENCH_MODELS_BUDGET_MS (default 15000) per pair;
//   BENCH_MODELS_MIN_RUNS (default 3); BENCH_MODELS_BACKENDS=wasm,tensorflow; BENCH_MODELS_TIMEOUT_S (default 900) per model;
//   BENCH_MODELS_PROFILE=1 also prints each row's whole per-kernel profile (ms, share, calls).
//   BENCH_MODELS_TFJS_FLAGS='{"TORCH_WASM_CONV_TRANSPOSE_PHASES": false}' sets tfjs flags in each run.
import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

const ROOT = join(__dirname, '..');
const DIR = join(ROOT, '.cache', 'bench-models');

interface Pair {
  threads?: number; backend: string; ort: string; oursMs: number; ortMs: number; runs: number; oursDiff: number;
  ortDiff: number; oursOk: boolean; vs64?: {ours: number, ort: number, torch32: number}; top: Array<[string, number]>; outsideConvShare: number;
  outsideConvFusedShare?: number; outsideConvMatMulShare?: number; kernelMs: number;
  kernels?: Array<[string, number, number, number?, number?]>;
  error?: string;
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
// null: a JSON NaN (an export written before its field existed).
const diff = (x: number|null) => (x == null || Number.isNaN(x) ? '-' : x === 0 ? '0' : x.toExponential(1));

/**
 * One row of the accuracy table: a float32 result's distance from PyTorch's float32 result
 * means little without the spread of float32 results PyTorch itself gives for the same module
 * (bench.json's torch_f32_paths: channels_last and mkldnn off, scripts/export_bench_models.py's
 * other_paths) and the output's scale (output_absmax).
 */
function accuracyRow(info: {title: string, output_absmax?: number,
                            torch_f32_paths?: {channels_last?: number, no_mkldnn?: number}},
                     p: Pair): string {
  const paths = info.torch_f32_paths;
  const scale = info.output_absmax;
  return `| ${info.title} | ${p.backend} | ${scale == null ? '-' : scale.toPrecision(3)} | ${diff(p.oursDiff)} | ${
      diff(p.ortDiff)} | ${paths == null ? 'not exported' :
      `${diff(paths.channels_last ?? null)} / ${diff(paths.no_mkldnn ?? null)}`} | ${
      scale == null || scale === 0 ? '-' : diff(p.oursDiff / scale)} |`;
}

export async function benchModels(): Promise<void> {
  if (!existsSync(DIR)) {
    throw new Error(`bench models: ${DIR} is missing: run npm run bench:models:export first`);
  }
  const wanted = process.env.BENCH_MODELS?.split(',');
  // Entries exported at SwiftShader sizes (bench.json "swiftshader") are the webgpu bench's only.
  const names = readdirSync(DIR).filter((n) => existsSync(join(DIR, n, 'bench.json')) &&
                                               (wanted == null || wanted.includes(n)) &&
                                               !JSON.parse(readFileSync(join(DIR, n, 'bench.json'), 'utf8')).swiftshader)
                    .sort();
  const timeout = Number(process.env.BENCH_MODELS_TIMEOUT_S ?? '900') * 1000;
  console.log('\n## models (published decoders, real sizes; tfjs-torch / onnxruntime, one process per model)\n');
  console.log('| model | input (PyTorch) | backend | tfjs-torch ms | onnxruntime ms | ratio | runs | ' +
              'max diff ours / ORT vs PyTorch | vs PyTorch in float64: ours / ORT / PyTorch float32 | outside convs (bias Add, activation of a fused conv outside / ' +
              'inside it) | outside convs and matmuls | top kernels |');
  console.log('|---|---|---|---:|---:|---:|---:|---|---|---:|---:|---|');
  const missing: string[] = [];
  const profiles: string[] = [];
  const accuracy: string[] = [];
  for (const name of names) {
    const info = JSON.parse(readFileSync(join(DIR, name, 'bench.json'), 'utf8'));
    const shapes = (info.shapes as number[][]).map((s) => s.join('x')).join(', ');
    if (info.status !== 'ok') {
      missing.push(`${name}: ${JSON.stringify(info.exports)}`);
      continue;
    }
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(__dirname, 'model_one.ts'), name],
                        {cwd: ROOT, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024});
    const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    let results: Pair[];
    try {
      results = (JSON.parse(last) as {results: Pair[]}).results;
    } catch {
      missing.push(`${name}: the bench process failed (${r.signal ?? `exit ${r.status}`}): ${
          (r.stderr ?? '').trim().split('\n').slice(-3).join(' / ').slice(0, 400)}`);
      continue;
    }
    for (const p of results) {
      if (p.error != null) {
        console.log(`| ${info.title} | ${shapes} | ${p.backend} vs ${p.ort} | failed: ${p.error} |||||||||`);
        continue;
      }
      const top = p.top.map(([k, s]) => `${k} ${pct(s)}`).join(', ');
      console.log(`| ${info.title} | ${shapes} | ${p.backend}${p.threads != null ? ` (${p.threads} thread${p.threads > 1 ? 's' : ''})` : ''} vs ${p.ort} | ${p.oursMs.toFixed(1)} | ${
          p.ortMs.toFixed(1)} | ${(p.oursMs / p.ortMs).toFixed(2)}x | ${p.runs} | ${diff(p.oursDiff)}${
          p.oursOk ? '' : ' (over 1e-4)'} / ${diff(p.ortDiff)} | ${p.vs64 == null ? 'not exported' :
          `${diff(p.vs64.ours)} / ${diff(p.vs64.ort)} / ${diff(p.vs64.torch32)}`} | ${pct(p.outsideConvShare)}${
          p.outsideConvFusedShare == null ? '' : ` / ${pct(p.outsideConvFusedShare)}`} | ${
          p.outsideConvMatMulShare == null ? '-' : pct(p.outsideConvMatMulShare)} | ${top} |`);
      accuracy.push(accuracyRow(info, p));
      if (p.kernels != null) {
        profiles.push(`\n### ${info.title}, ${p.backend}: tf.profile, ${p.kernelMs.toFixed(0)} ms of kernels\n`,
                      '| kernel | ms | share | calls | of the ms, inside a convolution kernel | ' +
                          'of the ms, inside a matrix product kernel |',
                      '|---|---:|---:|---:|---:|---:|',
                      ...p.kernels.map(([k, ms, n, inside, insideMm]) => `| ${k} | ${ms.toFixed(1)} | ${
                          (100 * ms / p.kernelMs).toFixed(1)}% | ${n} | ${(inside ?? 0).toFixed(1)} | ${
                          (insideMm ?? 0).toFixed(1)} |`));
      }
    }
  }
  if (accuracy.length > 0) {
    console.log('\n### Accuracy: each engine\'s largest difference from PyTorch float32, beside PyTorch\'s ' +
                'own other float32 paths\n');
    console.log('| model | backend | largest \\|PyTorch\\| | ours vs PyTorch | ORT vs PyTorch | PyTorch channels_last / ' +
                'mkldnn off vs PyTorch | ours vs PyTorch / largest \\|PyTorch\\| |');
    console.log('|---|---|---:|---:|---:|---:|---:|');
    for (const line of accuracy) console.log(line);
  }
  if (process.env.BENCH_MODELS_PROFILE === '1') {
    for (const line of profiles) console.log(line);
  }
  if (missing.length > 0) {
    console.log('\nNot exported or not run:\n');
    for (const m of missing) console.log(`- ${m}`);
  }
}
