// `npm run bench -- decoders`: the five decoders ported from PyTorch (examples/decoders) on the
// cpu backend next to onnxruntime-node running PyTorch's ONNX export of the same nets
// (scripts/fixtures/gen_decoders.py, bench/models/decoder_*.onnx) with intraOpNumThreads 1.
// Rows: each net on its fixture input (the sizes the tests use), then ESPCN, SegNet and U-Net on
// a larger image. onnxruntime takes PyTorch's NCHW; the tfjs models take channelsLast (the VAE
// channelsFirst), each fed its own copy of the same values, converted before timing. Both
// results are checked against each other (and, on the fixture inputs, against PyTorch's) before
// anything is timed.
//
// "tfjs-torch kernels %" is the share of the tfjs model's kernel time (tf.profile) spent in
// tfjs-torch's kernels (Torch*): the rest is tfjs's own (Conv2D, BatchNorm, activations).
//
// Times: median wall time per run, and median process CPU time (every thread), which other
// processes on a shared machine disturb less.
//
// Memory: "tfjs peak MB" is tf.profile's peakBytes for one predict (the most tensor memory alive
// at once, weights included); "max RSS MB" is process.resourceUsage().maxRSS after the row's
// runs: the whole process's high-water mark so far, so it only ever grows down the table.
//
// The wasm section (bench/wasm.ts) runs the same table with the decoders on tfjs-backend-wasm
// and onnxruntime-web's wasm engine (1 thread) in place of onnxruntime-node (DecoderBench), and
// adds "wasm heap MB": the size of tfjs-backend-wasm's WebAssembly memory after the row, its
// high-water mark (a WebAssembly memory never shrinks).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'fs';
import * as ortNode from 'onnxruntime-node';
import * as path from 'path';
import {type Decoder, DECODERS, loadDecoder} from '../examples/decoders/models.js';
import {type FixtureFile, fixtureValues} from '../test/util.js';
import {DEFAULT_OPTIONS} from './harness.js';

const ROOT = path.join(__dirname, '..');

function expectClose(what: string, a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`bench ${what}: lengths ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= 1e-4 + 1e-4 * Math.abs(b[i]))) {
      throw new Error(`bench ${what}: element ${i} is ${a[i]} here and ${b[i]} there`);
    }
    worst = Math.max(worst, d);
  }
  return worst;
}

/** NCHW values (PyTorch / onnxruntime) -> the tensor a decoder takes. */
function toTfjs(decoder: Decoder, values: Float32Array, shape: number[]): tf.Tensor {
  const t = tf.tensor(values, shape);
  if (decoder.dataFormat === 'channelsFirst' || shape.length !== 4) return t;
  const y = tf.transpose(t, [0, 2, 3, 1]);
  t.dispose();
  return y;
}

/** A decoder output back in NCHW, as values. */
function fromTfjs(decoder: Decoder, y: tf.Tensor): Float32Array {
  return tf.tidy(() => (decoder.dataFormat === 'channelsLast' && y.rank === 4 ?
                            tf.transpose(y, [0, 3, 1, 2]) : y).dataSync() as Float32Array);
}

/** The part of an onnxruntime session (onnxruntime-node or onnxruntime-web) the table uses. */
export interface OrtSessionLike {
  run(feeds: Record<string, unknown>): Promise<Record<string, {data: unknown, dispose(): void}>>;
  release(): Promise<void>;
}

/** Which tfjs backend and which onnxruntime a decoders table compares. */
export interface DecoderBench {
  /** tfjs backend the decoders run on. */
  backend: string;
  /** Table title. */
  title: string;
  /** onnxruntime's column name. */
  ortName: string;
  session(file: string): Promise<OrtSessionLike>;
  tensor(values: Float32Array, shape: number[]): unknown;
  /** Bytes of the backend's own memory (a WebAssembly heap), printed as an extra column. */
  heapBytes?: () => number;
}

/** The cpu section: tfjs's cpu backend against onnxruntime-node, both on 1 thread. */
export const CPU_VS_ORT_NODE: DecoderBench = {
  backend: 'cpu',
  title: 'decoders (cpu backend vs onnxruntime-node on PyTorch\'s ONNX export, 1 thread)',
  ortName: 'onnxruntime',
  session: (file) => ortNode.InferenceSession.create(file, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all'}) as Promise<OrtSessionLike>,
  tensor: (values, shape) => new ortNode.Tensor('float32', values, shape),
};

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median wall time and median process CPU time (user + system, every thread) of `run`, in ms,
 * after 3 warm-up runs: at least 10 runs, then until budgetMs. On a shared machine CPU time is
 * the less disturbed of the two.
 */
async function timeWallAndCpu(run: () => Promise<void>, budgetMs: number): Promise<[number, number]> {
  for (let i = 0; i < 3; i++) await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  const start = performance.now();
  while (wall.length < 10 || (performance.now() - start < budgetMs && wall.length < 1000)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return [median(wall), median(cpu)];
}

interface Case {
  decoder: Decoder;
  shape: number[];
  values: Float32Array;
  /** PyTorch's output on these values, when they are the fixture's. */
  expected?: Float32Array;
}

export async function benchDecoders(on: DecoderBench = CPU_VS_ORT_NODE): Promise<void> {
  const previous = tf.getBackend();
  await tf.setBackend(on.backend);
  const reference = JSON.parse(fs.readFileSync(
      path.join(ROOT, 'test', 'fixtures', 'decoders.json'), 'utf8')) as FixtureFile;
  const cases: Case[] = DECODERS.map((decoder) => {
    const c = reference.cases.find((k) => k.name === decoder.name)!;
    return {decoder, shape: c.inputs.x.shape, values: fixtureValues(c.inputs.x) as Float32Array,
            expected: fixtureValues(c.outputs[0]) as Float32Array};
  });
  const larger: Array<[Decoder['name'], number[]]> =
      [['espcn', [1, 3, 96, 96]], ['segnet', [1, 3, 96, 96]], ['unet', [1, 3, 96, 96]]];
  for (const [name, shape] of larger) {
    const values = tf.tidy(() => tf.randomUniform(shape, 0, 1, 'float32', 7).dataSync()) as Float32Array;
    cases.push({decoder: DECODERS.find((d) => d.name === name)!, shape, values});
  }

  const heap = on.heapBytes != null;
  console.log(`\n## ${on.title}\n`);
  console.log(`| decoder | input (NCHW) | tfjs-torch ms | ${on.ortName} ms | tfjs-torch / ${
      on.ortName} | CPU ms, tfjs-torch / ${on.ortName} (ratio) | max diff vs ORT | ${
      ''}tfjs-torch kernels % | tfjs peak MB | ${heap ? 'wasm heap MB | ' : ''}max RSS MB |`);
  console.log(`|---|---|---:|---:|---:|---:|---:|---:|---:|${heap ? '---:|' : ''}---:|`);
  const models = new Map<string, tfl.LayersModel>();
  const sessions = new Map<string, OrtSessionLike>();
  const opts = {...DEFAULT_OPTIONS, budgetMs: 1000};
  for (const c of cases) {
    const name = c.decoder.name;
    if (!models.has(name)) {
      models.set(name, await loadDecoder(
          c.decoder, path.join(ROOT, 'examples', 'decoders', 'assets', `${name}.safetensors`)));
      sessions.set(name, await on.session(path.join(ROOT, 'bench', 'models', `decoder_${name}.onnx`)));
    }
    const model = models.get(name)!;
    const session = sessions.get(name)!;
    const x = toTfjs(c.decoder, c.values, c.shape);
    const feeds = {x: on.tensor(c.values, c.shape)};

    const y = model.predict(x) as tf.Tensor;
    const ours = fromTfjs(c.decoder, y);
    y.dispose();
    const ortOut = await session.run(feeds);
    const theirs = ortOut.y.data as Float32Array;
    if (c.expected != null) {
      expectClose(`${name} vs PyTorch`, ours, c.expected);
      expectClose(`onnxruntime ${name} vs PyTorch`, theirs, c.expected);
    }
    const diff = expectClose(`${name} vs onnxruntime`, ours, theirs);
    ortOut.y.dispose();

    const profile = await tf.profile(() => model.predict(x) as tf.Tensor);
    tf.dispose(profile.result as tf.Tensor);
    // Entries named '<op>__op' are op scopes around kernels already listed: skipped.
    let kernelMs = 0;
    let torchMs = 0;
    for (const k of profile.kernels) {
      if (k.name.endsWith('__op')) continue;
      const ms = Number(k.kernelTimeMs) || 0;
      kernelMs += ms;
      if (k.name.startsWith('Torch')) torchMs += ms;
    }
    const [msOurs, cpuOurs] = await timeWallAndCpu(async () => {
      const r = model.predict(x) as tf.Tensor;
      await r.data();
      r.dispose();
    }, opts.budgetMs);
    const [msOrt, cpuOrt] = await timeWallAndCpu(async () => {
      const out = await session.run(feeds);
      out.y.dispose();
    }, opts.budgetMs);
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(`| ${c.decoder.title} | ${c.shape.join('x')} | ${msOurs.toFixed(2)} | ${
        msOrt.toFixed(2)} | ${(msOurs / msOrt).toFixed(2)}x | ${cpuOurs.toFixed(2)} / ${
        cpuOrt.toFixed(2)} (${(cpuOurs / cpuOrt).toFixed(2)}x) | ${diff.toExponential(1)} | ${
        (100 * torchMs / kernelMs).toFixed(0)} | ${(profile.peakBytes / 2 ** 20).toFixed(1)} | ${
        heap ? `${(on.heapBytes!() / 2 ** 20).toFixed(0)} | ` : ''}${rss.toFixed(0)} |`);
    x.dispose();
  }
  for (const m of models.values()) m.dispose();
  for (const s of sessions.values()) await s.release();
  await tf.setBackend(previous);
}
