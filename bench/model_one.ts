// One model of the `models` bench section (bench/models.ts), in a process of its own:
//   npx tsx bench/model_one.ts NAME     prints one JSON line (the row's figures) last
// Reads .cache/bench-models/NAME/ (scripts/export_bench_models.py): tfjs/ (tfjs_torch.export),
// model.onnx (torch.onnx.export) and tfjs/check.safetensors (the inputs and PyTorch's outputs).
// For each pair, tfjs-torch on wasm vs onnxruntime-web's wasm engine, then tfjs-torch on
// tensorflow (tfjs-node) vs onnxruntime-node: both outputs checked against PyTorch's (max abs
// diff, tfjs-torch's by pt.checkExport's rule), runs of the two taking turns (median wall ms), and tf.profile's kernel times of one
// tfjs-torch run, each kernel's own time (less the kernels it ran inside it): top kernels, the
// share outside the convolutions, counted twice: with what a convolution kernel runs inside it
// (tfjs-node's FusedConv2D: an Add for its bias, its activation) outside, and as part of it;
// and, a third count, the share outside the convolutions and the matrix products (MatMul,
// BatchMatMul, _FusedMatMul, TorchBatchMatMul, TorchLinear: models_common.ts), what either kind
// of kernel runs inside it counted as part of it (as in the second count).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import '../src/index.js';
import {readSafetensors, type SafetensorsEntry} from '../src/weights/safetensors.js';
import {exportDirHandler} from '../scripts/check-export.js';

export const MODELS_DIR = join(__dirname, '..', '.cache', 'bench-models');

import {CONV_KERNELS, isConvKernel, isMatMulKernel} from './models_common.js';

export {CONV_KERNELS};

interface Info {
  name: string; title: string; shapes: number[][]; input_names: string[]; output_names: string[];
  /** PyTorch float32's largest difference from its float64 result (ref64.safetensors). */
  torch_f32_vs_f64?: number;
}

interface OrtTensorLike {data: unknown; dispose(): void}
interface OrtLike {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

interface PairResult {
  threads?: number; backend: string; ort: string; oursMs: number; ortMs: number; runs: number;
  oursDiff: number; ortDiff: number; oursOk: boolean;
  /** Largest differences from PyTorch's float64 result (ref64.safetensors), where exported. */
  vs64?: {ours: number, ort: number, torch32: number};
  top: Array<[string, number]>;
  /** 1 - (the convolution kernels' own ms) / kernelMs: FusedConv2D's bias Add and activation outside. */
  outsideConvShare: number;
  /** The same with what the convolution kernels ran inside them (bias Add, activation) as convolution. */
  outsideConvFusedShare: number;
  /**
   * 1 - (the convolution and matrix product kernels' own ms, and what they ran inside them) /
   * kernelMs: the share outside both (a transformer's products are not overhead).
   */
  outsideConvMatMulShare: number;
  kernelMs: number;
  /**
   * Every kernel of the profiled run: [name, own ms, calls, of the ms inside a convolution kernel,
   * of the ms inside a matrix product kernel], slowest first.
   */
  kernels: Array<[string, number, number, number, number]>;
  error?: string;
}

/** The F64 tensors of a safetensors file as float64 (src/weights/safetensors.ts reads F64 as float32). */
function readFloat64Safetensors(bytes: Uint8Array): Map<string, Float64Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as
      Record<string, {dtype: string, data_offsets: [number, number]}>;
  const out = new Map<string, Float64Array>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__' || e.dtype !== 'F64') continue;
    const [begin, end] = e.data_offsets;
    const values = new Float64Array((end - begin) / 8);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(8 + n + begin + 8 * i, true);
    out.set(name, values);
  }
  return out;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function entryValues(e: SafetensorsEntry): Float32Array {
  const v = (e as unknown as {values?: ArrayLike<number>, data?: ArrayLike<number>});
  return Float32Array.from((v.values ?? v.data)!);
}

async function pair(info: Info, dir: string, backend: string, ortName: string,
                    session: () => Promise<OrtLike>, ortTensor: (v: Float32Array, s: number[]) => unknown,
                    budgetMs: number): Promise<PairResult> {
  await tf.setBackend(backend);
  // BENCH_MODELS_TFJS_FLAGS='{"FLAG": value}': tfjs flags for this run (say, a kernel path off to
  // time the model before and after it).
  const flags = JSON.parse(process.env.BENCH_MODELS_TFJS_FLAGS ?? '{}') as Record<string, number|boolean|string>;
  for (const [flag, value] of Object.entries(flags)) tf.env().set(flag, value);
  const check = readSafetensors(readFileSync(join(dir, 'tfjs', 'check.safetensors')));
  const meta = check.metadata;
  const perms = JSON.parse(meta['input_perms'] ?? '[]') as Array<number[]|null>;
  const outPerms = JSON.parse(meta['output_perms'] ?? '[]') as Array<number[]|null>;
  // The exporter may have checked at another batch (a batch of 1 exported as 2, torch.export's
  // 0/1 rule): the bench's batch is the first rows of its inputs and PyTorch's outputs.
  const batch = info.shapes[0][0];
  const firstRows = (e: SafetensorsEntry): {values: Float32Array, shape: number[]} => {
    const all = entryValues(e);
    const shape = [batch, ...e.shape.slice(1)];
    return {values: all.subarray(0, shape.reduce((a, b) => a * b, 1)), shape};
  };
  const get = (k: string) => check.tensors.get(k)!;
  const torchInputs = info.input_names.map((_, i) => firstRows(get(`input_${i}`)));
  const torchOutputs = info.output_names.map((_, i) => firstRows(get(`output_${i}`)));
  const expected = torchOutputs.map((o) => o.values);

  const model = await tfl.loadLayersModel(exportDirHandler(join(dir, 'tfjs')));
  const inModel = (e: {values: Float32Array, shape: number[]}, p: number[]|null) => tf.tidy(() => {
    const t = tf.tensor(e.values, e.shape);
    return p == null ? t : tf.transpose(t, p);
  });
  const xs = torchInputs.map((e, i) => inModel(e, perms[i]));
  const input = xs.length === 1 ? xs[0] : xs;
  // tfjs-torch's outputs against PyTorch's in the model's layout, pt.checkExport's rule
  // (|ours - torch| <= 1e-4 + 1e-4 |torch|).
  let oursDiff = 0;
  let oursOk = true;
  // PyTorch's result in float64 (scripts/export_bench_models.py's ref64.safetensors): how far
  // each engine's float32 result is from the exact one, beside PyTorch float32's own distance.
  const ref64Path = join(dir, 'ref64.safetensors');
  const ref64 = existsSync(ref64Path) ? readFloat64Safetensors(readFileSync(ref64Path)) : null;
  const exact = ref64 == null ? null : info.output_names.map((_, i) => {
    const v = ref64.get(`output_${i}`);
    if (v == null) throw new Error(`${ref64Path}: no output_${i}`);
    return v.subarray(0, expected[i].length);
  });
  const maxDiff64 = (got: ArrayLike<number>, want: Float64Array) => {
    if (got.length !== want.length) return Infinity;
    let m = 0;
    for (let j = 0; j < got.length; j++) {
      const d = Math.abs(got[j] - want[j]);
      if (!(d <= m)) m = d;
    }
    return m;
  };
  let ours64 = 0;
  {
    const y = model.predict(input);
    const ys = Array.isArray(y) ? y : [y];
    for (let i = 0; i < ys.length; i++) {
      if (exact != null) {
        const p = outPerms[i] ?? null;
        const inv = p == null ? null : p.map((_, k) => p.indexOf(k));
        const back = inv == null ? ys[i] : tf.transpose(ys[i], inv);
        ours64 = Math.max(ours64, maxDiff64(await back.data(), exact[i]));
        if (back !== ys[i]) back.dispose();
      }
      const want = inModel(torchOutputs[i], outPerms[i] ?? null);
      const a = await ys[i].data();
      const b = await want.data();
      if (a.length !== b.length) throw new Error(`output ${i}: shape ${ys[i].shape} vs ${want.shape}`);
      for (let j = 0; j < a.length; j++) {
        const d = Math.abs(a[j] - b[j]);
        if (!(d <= oursDiff)) oursDiff = d;
        if (!(d <= 1e-4 + 1e-4 * Math.abs(b[j]))) oursOk = false;
      }
      want.dispose();
    }
    tf.dispose(ys);
  }

  const s = await session();
  const feeds: Record<string, unknown> = {};
  info.input_names.forEach((n, i) => {
    feeds[n] = ortTensor(torchInputs[i].values.slice(), torchInputs[i].shape);
  });
  const out = await s.run(feeds);
  let ortDiff = 0;
  let ort64 = 0;
  info.output_names.forEach((n, i) => {
    const got = out[n].data as Float32Array;
    if (exact != null) ort64 = Math.max(ort64, maxDiff64(got, exact[i]));
    for (let j = 0; j < got.length; j++) ortDiff = Math.max(ortDiff, Math.abs(got[j] - expected[i][j]));
    if (got.length !== expected[i].length) ortDiff = Infinity;
  });
  for (const k of Object.keys(out)) out[k].dispose();

  const runOurs = async () => {
    const y = model.predict(input);
    const ys = Array.isArray(y) ? y : [y];
    for (const t of ys) await t.data();
    tf.dispose(ys);
  };
  const runOrt = async () => {
    const o = await s.run(feeds);
    for (const k of Object.keys(o)) o[k].dispose();
  };
  // The checks above were each side's first (warm-up) run.
  const minRuns = Number(process.env.BENCH_MODELS_MIN_RUNS ?? '3');
  const ours: number[] = [];
  const theirs: number[] = [];
  const start = performance.now();
  while (ours.length < minRuns || (performance.now() - start < budgetMs && ours.length < 30)) {
    let t0 = performance.now();
    await runOurs();
    ours.push(performance.now() - t0);
    t0 = performance.now();
    await runOrt();
    theirs.push(performance.now() - t0);
  }

  // Each kernel's own time: tf.profile lists a kernel that runs other kernels inside it
  // (tfjs-node's FusedConv2D adds its bias with an Add, its Prelu is six ops) as well as those
  // kernels, and the outer one's time includes theirs. Summing both counted the inner time
  // twice, once under the outer kernel's name (a bias Add inside FusedConv2D counted as
  // convolution). The nesting depth is recorded as each kernel is listed (tfjs lists a kernel
  // after the kernels it ran, at its own depth), and a kernel's time less its direct children's
  // is its own: what the model spends in that TensorFlow op and tfjs's code around it.
  const engineState = (tf.engine() as unknown as {state: {kernelDepth: number,
    activeProfile: {kernels: Array<{depth?: number}>}}}).state;
  const profile = await tf.profile(() => {
    const listed = engineState.activeProfile.kernels;
    listed.push = (...items: Array<{depth?: number}>) => {
      for (const item of items) item.depth = engineState.kernelDepth;
      return Array.prototype.push.apply(listed, items);
    };
    const y = model.predict(input);
    return Array.isArray(y) ? y : [y];
  });
  tf.dispose(profile.result as tf.Tensor[]);
  const byKernel = new Map<string, number>();
  const calls = new Map<string, number>();
  /** Of each kernel's own time, what ran inside a convolution kernel (FusedConv2D's bias Add). */
  const insideConv = new Map<string, number>();
  /** The same for matrix product kernels (tfjs-node's _FusedMatMul: its bias Add, activation). */
  const insideMatMul = new Map<string, number>();
  let kernelMs = 0;
  /** Time of the kernels listed at each depth not yet claimed by their parent. */
  const pending: number[] = [];
  /** The same kernels' subtrees: [name, own ms] of each kernel in them, for a parent to claim. */
  const pendingTree: Array<Array<[string, number]>> = [];
  for (const k of profile.kernels) {
    const depth = (k as {depth?: number}).depth ?? 0;
    const ms = Number(k.kernelTimeMs) || 0;
    const inner = pending[depth + 1] ?? 0;
    pending[depth + 1] = 0;
    pending[depth] = (pending[depth] ?? 0) + ms;
    const children = pendingTree[depth + 1] ?? [];
    pendingTree[depth + 1] = [];
    const subtree = (pendingTree[depth] ??= []);
    if (k.name.endsWith('__op')) {
      for (const c of children) subtree.push(c);
      continue;
    }
    const own = Math.max(ms - inner, 0);
    kernelMs += own;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + own);
    calls.set(k.name, (calls.get(k.name) ?? 0) + 1);
    if (isConvKernel(k.name)) {
      // What a convolution kernel ran inside it (tfjs-node's FusedConv2D: Conv2D, then an Add for
      // its bias and its activation) counts as that convolution in the second count.
      // Claimed here once: a convolution inside another passes only itself up.
      for (const [name, t] of children) {
        if (!isConvKernel(name)) insideConv.set(name, (insideConv.get(name) ?? 0) + t);
      }
    } else if (isMatMulKernel(k.name)) {
      // The same for a matrix product kernel (the third count): tfjs-node's _FusedMatMul runs
      // BatchMatMul, then an Add for its bias and its activation.
      for (const [name, t] of children) {
        if (!isConvKernel(name) && !isMatMulKernel(name)) {
          insideMatMul.set(name, (insideMatMul.get(name) ?? 0) + t);
        }
      }
    } else {
      for (const c of children) subtree.push(c);
    }
    subtree.push([k.name, own]);
  }
  let convMs = 0;
  let matMulMs = 0;
  for (const [k, ms] of byKernel) {
    if (isConvKernel(k)) convMs += ms;
    else if (isMatMulKernel(k)) matMulMs += ms;
  }
  let insideConvMs = 0;
  for (const ms of insideConv.values()) insideConvMs += ms;
  let insideMatMulMs = 0;
  for (const ms of insideMatMul.values()) insideMatMulMs += ms;
  const top = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 6)
      .map(([k, ms]) => [k, ms / kernelMs] as [string, number]);
  tf.dispose(xs);
  model.dispose();
  await s.release();
  // tfjs-backend-wasm's thread count (1 in Node: no worker threads there).
  const threads = backend === 'wasm' ?
      (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : undefined;
  return {threads, backend, ort: ortName, oursMs: median(ours), ortMs: median(theirs), runs: ours.length,
          oursDiff, ortDiff, oursOk,
          vs64: exact == null ? undefined : {ours: ours64, ort: ort64, torch32: info.torch_f32_vs_f64 ?? NaN},
          top, outsideConvShare: 1 - convMs / kernelMs,
          outsideConvFusedShare: 1 - (convMs + insideConvMs) / kernelMs,
          outsideConvMatMulShare: 1 - (convMs + insideConvMs + matMulMs + insideMatMulMs) / kernelMs, kernelMs,
          kernels: [...byKernel].sort((a, b) => b[1] - a[1])
              .map(([k, ms]) => [k, ms, calls.get(k)!, insideConv.get(k) ?? 0, insideMatMul.get(k) ?? 0])};
}

async function main(name: string): Promise<void> {
  const dir = join(MODELS_DIR, name);
  const info = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as Info;
  const budgetMs = Number(process.env.BENCH_MODELS_BUDGET_MS ?? '15000');
  const which = (process.env.BENCH_MODELS_BACKENDS ?? 'wasm,tensorflow').split(',');
  const results: PairResult[] = [];
  const guard = async (backend: string, ort: string, f: () => Promise<PairResult>) => {
    try {
      results.push(await f());
    } catch (e) {
      results.push({backend, ort, error: (e as Error).message.split('\n')[0].slice(0, 300)} as PairResult);
    }
    console.error(JSON.stringify(results[results.length - 1]));
  };
  const onnx = join(dir, 'model.onnx');
  if (which.includes('wasm')) {
    await import('@tensorflow/tfjs-backend-wasm');
    await import('../src/wasm.js');
    const ortWeb = await import('onnxruntime-web');
    ortWeb.env.wasm.numThreads = 1;
    await guard('wasm', 'onnxruntime-web wasm, 1 thread', () => pair(info, dir, 'wasm', 'onnxruntime-web wasm, 1 thread',
        () => ortWeb.InferenceSession.create(onnx, {executionProviders: ['wasm'], graphOptimizationLevel: 'all',
                                                     executionMode: 'sequential'}) as unknown as Promise<OrtLike>,
        (v, s) => new ortWeb.Tensor('float32', v, s), budgetMs));
  }
  if (which.includes('tensorflow')) {
    process.env.TF_NUM_INTRAOP_THREADS = process.env.TF_NUM_INTRAOP_THREADS ?? '1';
    await import('@tensorflow/tfjs-node');
    await import('../src/node.js');
    const ortNode = await import('onnxruntime-node');
    const threads = Number(process.env.TF_NUM_INTRAOP_THREADS);
    const ortName = `onnxruntime-node, ${threads} thread${threads > 1 ? 's' : ''}`;
    await guard('tensorflow', ortName, () => pair(info, dir, 'tensorflow', ortName,
        () => ortNode.InferenceSession.create(onnx, {intraOpNumThreads: threads, interOpNumThreads: 1,
                                                      executionMode: 'sequential', graphOptimizationLevel: 'all'}) as
            unknown as Promise<OrtLike>,
        (v, s) => new ortNode.Tensor('float32', v, s), budgetMs));
  }
  console.log(JSON.stringify({name, results}));
}

if (require.main === module) {
  main(process.argv[2]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
