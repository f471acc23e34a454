// `npm run bench -- tensorflow`: tfjs-torch's kernels on tfjs-node's `tensorflow` backend next to
// - the raw TensorFlow op doing the same work through tfjs-node, where one exists:
//   tf.image.resizeNearestNeighbor / resizeBilinear with the flags that give PyTorch's numbers
//   (checked before timing), tf.conv2dTranspose (no bias: the tfjs op has none, so it does
//   slightly less work), tf.depthToSpace (the same data movement in TensorFlow's channel order,
//   not PyTorch's; reshape + transpose with tfjs ops is PyTorch's order, what a user would write),
//   and TensorFlow's MaxPoolWithArgmax run through the backend (tfjs-node has no kernel for
//   tf.maxPoolWithArgmax; its values are checked equal, its indices use TensorFlow's encoding);
// - onnxruntime-node running PyTorch's own ONNX export of the same work (bench/models/, NCHW
//   only: the channelsLast rows time it on the NCHW copy), with the same intra-op thread count.
// Threads: TensorFlow's intra-op pool is sized by TF_NUM_INTRAOP_THREADS when tfjs-node loads;
// this section sets it (default 1, or the value in the environment) before loading tfjs-node
// and gives onnxruntime the same number.
// Shapes: [1,128,128,64] NHWC upsampled 2x (nearest, bilinear, bicubic); convTranspose2d
// [1,32,32,64] -> 64, k4 s2 p1; pixelShuffle(2) on [1,64,64,256]; maxPool2d k2 s2 on
// [1,128,128,64]. Every contender's result is checked against tfjs-torch's before timing.
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import * as os from 'os';
import * as path from 'path';
import {maxPool2dWithIndices, pixelShuffle} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import type {Row} from './harness.js';
import {MODELS, ortContender, tfContender} from './contenders.js';
import {asNCHW, benchImage, convTransposeRows, expectClose, FORMATS, resizeRows, RESIZES} from './op_rows.js';
import type {OrtSide} from './op_rows.js';

/** Every order of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({length: n}, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/** Median of a list. */
function median(xs: number[]): number {
  const sorted = xs.slice().sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

/**
 * Like harness.ts's runRows, but the contenders of a row take turns run by run instead of one
 * after the other: on a shared machine the load drifts over seconds, and turns spread it evenly
 * over the contenders. Next to wall time it reports the
 * process CPU time of each run (user + system, every thread: TensorFlow's and onnxruntime's
 * pools included), which other processes' load disturbs much less.
 */
export async function runRowsInterleaved(title: string, rows: Row[], rounds: number, budgetMs: number) {
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`\n## ${title}\n\nload average (1, 5, 15 min) at the start: ${load()}\n`);
  console.log('| case | contender | median ms | tfjs-torch / contender | median CPU ms | ' +
              'tfjs-torch / contender (CPU) | runs |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  // BENCH_ROWS (bench.ts's row arguments) or TENSORFLOW_BENCH_ROWS: a regular expression to time
  // only some rows.
  const only = process.env.BENCH_ROWS ?? process.env.TENSORFLOW_BENCH_ROWS;
  for (const row of rows) {
    if (only != null && !new RegExp(only).test(row.label)) continue;
    for (const c of row.contenders) for (let i = 0; i < 2; i++) await c.run();
    const wall: number[][] = row.contenders.map(() => []);
    const cpu: number[][] = row.contenders.map(() => []);
    // A run pays for what the run before it left behind (freed buffers come back as page
    // faults, caches hold another's data): the rounds cycle through every order of the
    // contenders, so each one goes first, and follows each other one, equally often.
    const orders = permutations(row.contenders.length);
    const total = Math.ceil(rounds / orders.length) * orders.length;
    const start = performance.now();
    for (let r = 0; r < total || (r < 5 * total && performance.now() - start < budgetMs) ||
         r % orders.length !== 0;
         r++) {
      for (const k of orders[r % orders.length]) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await row.contenders[k].run();
        wall[k].push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[k].push((c.user + c.system) / 1000);
      }
    }
    const w = wall.map(median);
    const u = cpu.map(median);
    row.contenders.forEach((c, i) => {
      const ratio = (m: number[]) => (i === 0 ? '' : (m[0] / m[i]).toFixed(2) + 'x');
      console.log(`| ${row.label} | ${c.name} | ${w[i].toFixed(3)} | ${ratio(w)} | ${
          u[i].toFixed(3)} | ${ratio(u)} | ${wall[i].length} |`);
    });
  }
  console.log(`\nload average at the end: ${load()}`);
}

export async function benchTensorflow(): Promise<void> {
  const threads = Number(process.env.TF_NUM_INTRAOP_THREADS ?? '1');
  process.env.TF_NUM_INTRAOP_THREADS = String(threads);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-node');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../src/node.js');
  const previous = tf.getBackend();
  await tf.setBackend('tensorflow');
  const backend = tf.backend() as unknown as {
    binding: Record<string, number>,
    executeMultipleOutputs(name: string, attrs: object[], inputs: tf.Tensor[], n: number): tf.Tensor[],
  };
  const plural = threads > 1 ? 's' : '';
  const session = (file: string) => ort.InferenceSession.create(path.join(MODELS, file), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const ortName = (what: string, df: DataFormat) =>
      `onnxruntime-node ${what}, ${threads} thread${plural}${df === 'channelsLast' ? ', NCHW copy' : ''}`;
  const rows: Row[] = [];
  const sessions: ort.InferenceSession[] = [];

  const side: OrtSide = {
    session: (file) => session(file) as unknown as ReturnType<OrtSide['session']>,
    tensor: (values, shape) => new ort.Tensor('float32', values, shape),
    name: ortName,
  };
  const {img, feeds} = benchImage(side);
  const imgOrt = feeds.x as ort.Tensor;
  // ---- interpolate ----
  const resizes = [RESIZES.nearest, RESIZES.bilinear, RESIZES.bicubic];
  const built = [await resizeRows(resizes, img, feeds, side, ''), await convTransposeRows(side, '')];
  for (const b of built) rows.push(...b.rows);

  // ---- pixelShuffle(2) on [1,64,64,256] ----
  const px = {
    channelsLast: tf.randomUniform([1, 64, 64, 256], -1, 1, 'float32', 1) as tf.Tensor4D,
  } as Record<DataFormat, tf.Tensor4D>;
  px.channelsFirst = tf.transpose(px.channelsLast, [0, 3, 1, 2]);
  const pxOrt = new ort.Tensor('float32', px.channelsFirst.dataSync() as Float32Array, px.channelsFirst.shape);
  const shuffleSession = await session('pixel_shuffle2x.onnx');
  sessions.push(shuffleSession);
  const shuffleWant = (await shuffleSession.run({x: pxOrt})).y.data as Float32Array;
  const byTranspose = (x: tf.Tensor, df: DataFormat) => tf.tidy(() => df === 'channelsLast' ?
      tf.reshape(tf.transpose(tf.reshape(x, [1, 64, 64, 64, 2, 2]), [0, 1, 4, 2, 5, 3]), [1, 128, 128, 64]) :
      tf.reshape(tf.transpose(tf.reshape(x, [1, 64, 2, 2, 64, 64]), [0, 1, 4, 2, 5, 3]), [1, 64, 128, 128]));
  for (const df of FORMATS) {
    const x = px[df];
    const y = pixelShuffle(x, 2, {dataFormat: df});
    expectClose(`pixelShuffle ${df} vs onnxruntime`, asNCHW(y, df), shuffleWant, true);
    const t = byTranspose(x, df);
    expectClose(`pixelShuffle ${df} vs reshape + transpose`, t.dataSync(), y.dataSync(), true);
    tf.dispose([y, t]);
    rows.push({
      label: `pixelShuffle(2) ${JSON.stringify(x.shape)} ${df}`,
      contenders: [
        tfContender('tfjs-torch pixelShuffle', () => pixelShuffle(x, 2, {dataFormat: df})),
        tfContender('tf.depthToSpace (NHWC, TensorFlow\'s channel order)',
                    () => tf.depthToSpace(px.channelsLast, 2)),
        tfContender('tf.reshape + tf.transpose (PyTorch\'s order)', () => byTranspose(x, df)),
        ortContender(ortName('DepthToSpace CRD (PyTorch export)', df), shuffleSession, {x: pxOrt}),
      ],
    });
  }

  // ---- maxPool2d k2 s2 on [1,128,128,64] with indices ----
  const b = backend.binding;
  const argmax = () => backend.executeMultipleOutputs('MaxPoolWithArgmax', [
    {name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT},
    {name: 'Targmax', type: b.TF_ATTR_TYPE, value: b.TF_INT32},
    {name: 'ksize', type: b.TF_ATTR_INT, value: [1, 2, 2, 1]},
    {name: 'strides', type: b.TF_ATTR_INT, value: [1, 2, 2, 1]},
    {name: 'padding', type: b.TF_ATTR_STRING, value: 'VALID'},
    {name: 'include_batch_in_index', type: b.TF_ATTR_BOOL, value: false},
  ], [img.channelsLast], 2);
  const poolSession = await session('pool_maxpool2d_indices.onnx');
  sessions.push(poolSession);
  const poolWant = await poolSession.run({x: imgOrt});
  for (const df of FORMATS) {
    const [v, i] = maxPool2dWithIndices(img[df], {kernelSize: 2, stride: 2, dataFormat: df});
    expectClose(`maxPool2d ${df} values vs onnxruntime`, asNCHW(v, df), poolWant.values.data as Float32Array, true);
    const iFirst = df === 'channelsLast' ? tf.transpose(i, [0, 3, 1, 2]) : i;
    expectClose(`maxPool2d ${df} indices vs onnxruntime`, iFirst.dataSync(),
                Array.from(poolWant.indices.data as BigInt64Array, Number), true);
    const [rv, ri] = argmax();
    const vLast = df === 'channelsLast' ? v : tf.transpose(v, [0, 2, 3, 1]);
    expectClose('MaxPoolWithArgmax values', rv.dataSync(), vLast.dataSync(), true);
    tf.dispose([v, i, iFirst, rv, ri, vLast]);
    rows.push({
      label: `maxPool2dWithIndices k2 s2 ${JSON.stringify(img[df].shape)} ${df}`,
      contenders: [
        tfContender('tfjs-torch maxPool2dWithIndices',
                    () => maxPool2dWithIndices(img[df], {kernelSize: 2, stride: 2, dataFormat: df})),
        tfContender(`TensorFlow MaxPoolWithArgmax (NHWC)`, argmax),
        ortContender(ortName('MaxPool with indices (PyTorch export)', df), poolSession, {x: imgOrt}),
      ],
    });
  }

  await runRowsInterleaved(`tensorflow backend (tfjs-node, TensorFlow ${
      (b as unknown as {TF_Version: string}).TF_Version}, ${threads} intra-op thread${plural})`, rows,
      30, 8000);
  tf.dispose([img.channelsLast, img.channelsFirst, px.channelsLast, px.channelsFirst]);
  for (const s of sessions) await s.release();
  for (const b of built) await b.dispose();
  await tf.setBackend(previous);
}
