// The page side of the webgpu `models` bench (scripts/bench-webgpu-models.mjs serves the
// repository, loads onnxruntime-web's webgpu build as the global `ort`, then this bundle, and
// calls globalThis.benchModel(name, options) once per model, one fresh Chromium per model).
//
// For .cache/bench-models/<name>/ (scripts/export_bench_models.py): tfjs-torch's export
// (tfjs/model.json, tfjs_torch.export) on tfjs's webgpu backend against PyTorch's ONNX export
// (model.onnx) on onnxruntime-web with executionProviders ['webgpu'], the same input, runs taking
// turns. A run is timed from the input's Float32Array to the output's Float32Array on both sides:
// upload, the model, and the read-back (tfjs-torch: tf.tensor, model.predict, await data();
// onnxruntime-web: new ort.Tensor, await session.run with its default 'cpu' output location).
// Both outputs are compared with PyTorch's (tfjs/check.safetensors) before timing. The profile
// is tf.profile of one tfjs-torch run: on webgpu its kernel times come from the backend's
// timestamp queries (one compute pass per kernel while profiling) where the adapter offers
// 'timestamp-query'; without it tfjs reports 0 for every kernel and the summary says so.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../../src/webgpu.js';
import {readSafetensors, type SafetensorsEntry} from '../../src/weights/safetensors.js';
import {compareWithTorch, median, summarizeProfile, type ProfileSummary} from '../models_common.js';

interface OrtTensor {data: Float32Array; dispose?(): void}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtGlobal {
  env: {wasm: {wasmPaths?: string, numThreads?: number}, versions?: Record<string, string>};
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
  InferenceSession: {create(url: string, options: Record<string, unknown>): Promise<OrtSession>};
}
declare const ort: OrtGlobal;

interface Info {
  name: string; title: string; shapes: number[][]; input_names: string[]; output_names: string[];
}

export interface BenchOptions {
  /** Time spent on timed pairs of runs after the warm-up (ms). */
  budgetMs: number;
  minRuns: number;
  maxRuns: number;
  /** Where the repository is served ('' = the page's origin root). */
  base?: string;
}

export interface ModelResult extends Partial<ProfileSummary> {
  /** The slowest single kernel calls of the profile: [kernel, input shapes (JSON), ms]. */
  slowCalls?: Array<[string, string, number]>;
  name: string; title: string; shapes: number[][];
  oursMs?: number; ortMs?: number; runs?: number; oursRunsMs?: number[]; ortRunsMs?: number[];
  oursDiff?: number; oursOk?: boolean; ortDiff?: number; ortOk?: boolean;
  /** Which clock the profile's kernel times come from. */
  profileClock?: string;
  firstRunMs?: {ours: number, ort: number};
  adapter?: string; ortVersion?: string;
  /** The step that failed and its message. */
  error?: string;
}

const firstRows = (e: SafetensorsEntry, batch: number) => {
  const shape = [batch, ...e.shape.slice(1)];
  return {values: Float32Array.from(e.values.subarray(0, shape.reduce((a, b) => a * b, 1))), shape};
};

/** `values` (shape `shape`) permuted by `perm` (null: as is), computed on the cpu backend. */
async function permuted(values: Float32Array, shape: number[], perm: number[]|null):
    Promise<{values: Float32Array, shape: number[]}> {
  if (perm == null) return {values, shape};
  const t = tf.tidy(() => tf.transpose(tf.tensor(values, shape), perm));
  const out = {values: (await t.data()) as Float32Array, shape: t.shape};
  t.dispose();
  return out;
}

async function benchModel(name: string, options: BenchOptions): Promise<ModelResult> {
  const base = `${options.base ?? ''}/.cache/bench-models/${name}`;
  const info = (await (await fetch(`${base}/bench.json`)).json()) as Info;
  const result: ModelResult = {name, title: info.title, shapes: info.shapes};
  let step = 'start';
  const t00 = performance.now();
  const at = (s: string) => {
    step = s;
    console.log(`benchModel ${name}: ${s} at ${((performance.now() - t00) / 1000).toFixed(1)} s`);
  };
  try {
    at('webgpu backend');
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
    const backend = tf.backend() as unknown as {
      adapterInfo?: {vendor?: string, architecture?: string}, supportTimestampQuery?: boolean};
    result.adapter = `${backend.adapterInfo?.vendor ?? '?'} / ${backend.adapterInfo?.architecture ?? '?'}`;
    result.ortVersion = ort.env.versions?.['web'];

    at('check.safetensors');
    const check = readSafetensors(new Uint8Array(await (await fetch(`${base}/tfjs/check.safetensors`)).arrayBuffer()));
    const perms = JSON.parse(check.metadata['input_perms'] ?? '[]') as Array<number[]|null>;
    const outPerms = JSON.parse(check.metadata['output_perms'] ?? '[]') as Array<number[]|null>;
    // The exporter may have checked at another batch: the bench's batch is the first rows.
    const batch = info.shapes[0][0];
    const get = (k: string) => {
      const e = check.tensors.get(k);
      if (e == null) throw new Error(`check.safetensors has no ${k}`);
      return e;
    };
    const torchIn = info.input_names.map((_, i) => firstRows(get(`input_${i}`), batch));
    const torchOut = info.output_names.map((_, i) => firstRows(get(`output_${i}`), batch));
    // The inputs and outputs in the tfjs model's layout (channelsLast), prepared on the cpu.
    await tf.setBackend('cpu');
    const oursIn = await Promise.all(torchIn.map((e, i) => permuted(e.values, e.shape, perms[i] ?? null)));
    const oursWant = await Promise.all(torchOut.map((e, i) => permuted(e.values, e.shape, outPerms[i] ?? null)));
    await tf.setBackend('webgpu');

    at('tfjs-torch load');
    const model = await tfl.loadLayersModel(`${base}/tfjs/model.json`);
    const runOurs = async () => {
      const xs = oursIn.map((e) => tf.tensor(e.values, e.shape));
      const y = model.predict(xs.length === 1 ? xs[0] : xs);
      const ys = Array.isArray(y) ? y : [y];
      const data = [];
      for (const t of ys) data.push((await t.data()) as Float32Array);
      tf.dispose([...xs, ...ys]);
      return data;
    };
    at('onnxruntime-web webgpu session');
    const session = await ort.InferenceSession.create(`${base}/model.onnx`, {
      executionProviders: ['webgpu'], graphOptimizationLevel: 'all'});
    const runOrt = async () => {
      const feeds: Record<string, unknown> = {};
      info.input_names.forEach((n, i) => (feeds[n] = new ort.Tensor('float32', torchIn[i].values, torchIn[i].shape)));
      const out = await session.run(feeds);
      const data = info.output_names.map((n) => out[n].data);
      for (const k of Object.keys(out)) out[k].dispose?.();
      return data;
    };

    // The first run of each (pipelines compiled, buffers allocated) is the check against PyTorch.
    at('tfjs-torch first run');
    let t0 = performance.now();
    const ours = await runOurs();
    const oursFirst = performance.now() - t0;
    at('onnxruntime-web first run');
    t0 = performance.now();
    const theirs = await runOrt();
    result.firstRunMs = {ours: oursFirst, ort: performance.now() - t0};
    let oursDiff = 0;
    let oursOk = ours.length === oursWant.length;
    ours.forEach((got, i) => {
      const c = compareWithTorch(got, oursWant[i].values);
      oursDiff = Math.max(oursDiff, c.maxDiff);
      oursOk &&= c.ok;
    });
    let ortDiff = 0;
    let ortOk = true;
    theirs.forEach((got, i) => {
      const c = compareWithTorch(got, torchOut[i].values);
      ortDiff = Math.max(ortDiff, c.maxDiff);
      ortOk &&= c.ok;
    });
    Object.assign(result, {oursDiff, oursOk, ortDiff, ortOk});

    at('timing');
    const oursMs: number[] = [];
    const ortMs: number[] = [];
    const start = performance.now();
    while (oursMs.length < options.minRuns ||
           (performance.now() - start < options.budgetMs && oursMs.length < options.maxRuns)) {
      t0 = performance.now();
      await runOurs();
      oursMs.push(performance.now() - t0);
      t0 = performance.now();
      await runOrt();
      ortMs.push(performance.now() - t0);
    }
    Object.assign(result, {oursMs: median(oursMs), ortMs: median(ortMs), runs: oursMs.length,
                           oursRunsMs: oursMs, ortRunsMs: ortMs});

    at('tf.profile');
    const xs = oursIn.map((e) => tf.tensor(e.values, e.shape));
    const profile = await tf.profile(() => {
      const y = model.predict(xs.length === 1 ? xs[0] : xs);
      return Array.isArray(y) ? y : [y];
    });
    tf.dispose([...xs, ...(profile.result as tf.Tensor[])]);
    Object.assign(result, summarizeProfile(profile.kernels));
    // The slowest single calls with their input shapes (which convolution carries the time).
    result.slowCalls = profile.kernels.filter((k) => !k.name.endsWith('__op'))
        .map((k) => [k.name, JSON.stringify(k.inputShapes), Number(k.kernelTimeMs) || 0] as [string, string, number])
        .sort((a, b) => b[2] - a[2]).slice(0, 12);
    result.profileClock = backend.supportTimestampQuery ?
        'webgpu timestamp queries (one compute pass per kernel)' :
        'none: the adapter has no timestamp-query, tfjs reports 0 ms per kernel';
    model.dispose();
    await session.release();
  } catch (e) {
    result.error = `${step}: ${((e as Error).message ?? String(e)).split('\n')[0].slice(0, 400)}`;
  }
  return result;
}

(globalThis as unknown as {benchModel: typeof benchModel}).benchModel = benchModel;
