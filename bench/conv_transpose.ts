// `npm run bench -- convTranspose`: convTranspose2d on the cpu backend, a DCGAN-like upsampling
// layer ([1, 32, 32, 64] -> 64 channels, kernel 4, stride 2, padding 1, bias), next to
// - tf.conv2dTranspose (tfjs's cpu kernel; NHWC only, filter [kH, kW, outC, inC]) on the same
//   values (no bias: tfjs's op has none, so its row does slightly less work),
// - onnxruntime-node running PyTorch's own ONNX export of the same nn.ConvTranspose2d
//   (scripts/export_onnx_conv_transpose.py), intraOpNumThreads 1 and 2. onnxruntime only takes
//   NCHW: the channelsLast row times it on the NCHW copy of the input.
// and the backward pass (dx and dweight together) next to tf.grads of tf.conv2dTranspose.
// Then FSRCNN's upscaler ([1, 128, 128, 56] -> 1 channel, kernel 9, stride 3, padding 4,
// output padding 2, bias) on cpu, wasm and tensorflow (CONV_TRANSPOSE_BACKENDS), next to
// tf.conv2dTranspose on the same backend, and on wasm next to the same kernel with its phase path
// in its other form (the phases' convolution, not the tap products) and off
// (kernels/wasm/conv_transpose_phases.ts), each 1 thread.
// Every contender's result is checked against tfjs-torch's before timing.
import * as tf from '@tensorflow/tfjs-core';
// tfjs's own gradient of conv2dTranspose, for the backward row.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as ort from 'onnxruntime-node';
import * as path from 'path';

import {gemmKind, WASM_SIMD_FLAG} from '../kernels/cpu/shared.js';
import {WASM_CONV_TRANSPOSE_PHASES_FLAG, WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG} from '../kernels/wasm/conv_transpose_phases.js';
import {convTranspose2d} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';

import {tfContender} from './contenders.js';
import {useBackend} from './decoder_ops.js';
import {runRows} from './harness.js';
import {runRowsInterleaved} from './node.js';
import type {Contender, Row} from './harness.js';

const MODEL = path.join(__dirname, 'models', 'conv_transpose_dcgan.onnx');

/** The weight and bias baked into the ONNX model (see scripts/export_onnx_conv_transpose.py). */
function formula(n: number, f: (v: number) => number, step: number): Float32Array {
  return Float32Array.from({length: n}, (_, i) => f(step * i) / 8);
}

function expectClose(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`bench ${what}: lengths ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-4 + 1e-4 * Math.abs(b[i]))) {
      throw new Error(`bench ${what}: element ${i} is ${a[i]} here and ${b[i]} there`);
    }
  }
}

/**
 * The same rows as process CPU time (user + system, all threads), min and median of up to 25
 * runs (at least 5, about 1.5 s each) after 3 warm-ups: on a machine shared with other work,
 * wall-clock medians include time spent waiting for a core; CPU time does not. (onnxruntime with
 * 2 threads counts both threads' time.)
 */
async function cpuTimeTable(rows: Row[]): Promise<void> {
  console.log('\n### convTranspose, process CPU time\n');
  console.log('| case | contender | min ms | median ms | tfjs-torch / contender (min) |');
  console.log('|---|---|---:|---:|---:|');
  for (const row of rows) {
    const stats: Array<[number, number]> = [];
    for (const c of row.contenders) {
      for (let i = 0; i < 3; i++) await c.run();
      const times: number[] = [];
      const begin = performance.now();
      while (times.length < 5 || (times.length < 25 && performance.now() - begin < 1500)) {
        const start = process.cpuUsage();
        await c.run();
        const used = process.cpuUsage(start);
        times.push((used.user + used.system) / 1000);
      }
      times.sort((a, b) => a - b);
      stats.push([times[0], times[times.length >> 1]]);
    }
    row.contenders.forEach((c, i) => {
      const ratio = i === 0 ? '' : (stats[0][0] / stats[i][0]).toFixed(2) + 'x';
      console.log(`| ${row.label} | ${c.name} | ${stats[i][0].toFixed(3)} | ${
          stats[i][1].toFixed(3)} | ${ratio} |`);
    });
  }
}

export async function benchConvTranspose(): Promise<void> {
  const [N, C, H, W, OC, K] = [1, 64, 32, 32, 64, 4];
  const stride = 2;
  const padding = 1;
  const xFirst = tf.randomUniform([N, C, H, W], -1, 1, 'float32', 11) as tf.Tensor4D;
  const xLast = tf.transpose(xFirst, [0, 2, 3, 1]) as tf.Tensor4D;
  const weight = tf.tensor4d(formula(C * OC * K * K, Math.sin, 0.37), [C, OC, K, K]);
  const bias = tf.tensor1d(formula(OC, Math.cos, 0.91));
  const zeroBias = tf.zeros([OC]) as tf.Tensor1D;
  // tfjs's filter layout is [kH, kW, outC, inC]: the same taps, no flip (both ops are the
  // adjoint of the same cross-correlation).
  const tfFilter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D;
  const outShape: [number, number, number, number] = [N, 2 * H, 2 * W, OC];

  const ours = (dataFormat: DataFormat, b: tf.Tensor1D|null = bias) => convTranspose2d(
      dataFormat === 'channelsLast' ? xLast : xFirst, weight, b, {stride, padding, dataFormat});
  const theirs = () => tf.conv2dTranspose(xLast, tfFilter, outShape, stride, padding);

  // Values agree before anything is timed.
  const yLast = ours('channelsLast');
  const yFirst = ours('channelsFirst');
  const yFirstAsLast = tf.transpose(yFirst, [0, 2, 3, 1]);
  expectClose('channelsFirst vs channelsLast', yFirstAsLast.dataSync(), yLast.dataSync());
  const yNoBias = ours('channelsLast', zeroBias);
  expectClose('tf.conv2dTranspose', theirs().dataSync(), yNoBias.dataSync());

  const sessions = new Map<number, ort.InferenceSession>();
  for (const threads of [1, 2]) {
    sessions.set(threads, await ort.InferenceSession.create(MODEL, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    }));
  }
  const feeds = {x: new ort.Tensor('float32', xFirst.dataSync() as Float32Array, [N, C, H, W])};
  const ortOut = await sessions.get(1)!.run(feeds);
  expectClose('onnxruntime', ortOut.y.data as Float32Array, yFirst.dataSync());
  tf.dispose([yLast, yFirst, yFirstAsLast, yNoBias]);

  const ortContenders = [1, 2].map((threads): Contender => ({
    name: `onnxruntime-node ConvTranspose (PyTorch export), ${threads} thread${
        threads > 1 ? 's' : ''}`,
    run: async () => {
      const out = await sessions.get(threads)!.run(feeds);
      out.y.dispose();
    },
  }));

  // The same kernel with its product in plain JavaScript (what runtimes without WebAssembly
  // SIMD get).
  const withJsProduct = (fn: () => tf.Tensor) => () => {
    const saved = tf.env().getBool(WASM_SIMD_FLAG);
    tf.env().set(WASM_SIMD_FLAG, false);
    try {
      return fn();
    } finally {
      tf.env().set(WASM_SIMD_FLAG, saved);
    }
  };
  console.log(`\ntfjs-torch's cpu product: ${gemmKind()}`);
  const label = (df: DataFormat) => `[1,32,32,64] -> 64, k4 s2 p1, ${df}`;
  const rows: Row[] = (['channelsLast', 'channelsFirst'] as DataFormat[]).map((df) => ({
    label: label(df),
    contenders: [
      tfContender(`tfjs-torch convTranspose2d (${df}, bias)`, () => ours(df)),
      tfContender('tf.conv2dTranspose (NHWC, no bias)', theirs),
      ...ortContenders,
      tfContender(
          'tfjs-torch, product in JavaScript (TORCH_CPU_WASM_SIMD off)',
          withJsProduct(() => ours(df))),
    ],
  }));

  // Backward: dx and dweight for one upstream gradient. tfjs's own backward of conv2dTranspose
  // (its naive Conv2DBackpropFilter) takes seconds per run on this layer, so it is only timed
  // when CONV_TRANSPOSE_BENCH_TF_GRADS=1.
  const dy = tf.randomUniform(outShape, -1, 1, 'float32', 12);
  const gradOurs = tf.grads(
      (x: tf.Tensor, w: tf.Tensor) => convTranspose2d(
          x as tf.Tensor4D, w as tf.Tensor4D, null, {stride, padding}));
  const backward: Contender[] = [tfContender('tfjs-torch grads', () => gradOurs([xLast, weight], dy))];
  if (process.env.CONV_TRANSPOSE_BENCH_TF_GRADS === '1') {
    const gradTheirs = tf.grads(
        (x: tf.Tensor, f: tf.Tensor) =>
            tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, outShape, stride, padding));
    const [dxA, dwA] = gradOurs([xLast, weight], dy);
    const [dxB, dfB] = gradTheirs([xLast, tfFilter], dy);
    const dwB = tf.transpose(dfB, [3, 2, 0, 1]);
    expectClose('tf grads dx', dxB.dataSync(), dxA.dataSync());
    // dweight sums 32*32 products per element: compare at float32 summation accuracy.
    const scale = tf.max(tf.abs(dwA)).dataSync()[0];
    const diff = tf.max(tf.abs(tf.sub(dwA, dwB))).dataSync()[0];
    if (!(diff <= 1e-5 * scale * 32)) throw new Error(`bench tf grads dweight: max diff ${diff}`);
    tf.dispose([dxA, dwA, dxB, dfB, dwB]);
    backward.push(
        tfContender('tf.grads(tf.conv2dTranspose)', () => gradTheirs([xLast, tfFilter], dy)));
  }
  rows.push({
    label: '[1,32,32,64] -> 64, k4 s2 p1, channelsLast: backward (dx + dweight)',
    contenders: backward,
  });

  await runRows('convTranspose', rows);
  await cpuTimeTable(rows);
  tf.dispose([xFirst, xLast, weight, bias, zeroBias, tfFilter, dy]);
  for (const s of sessions.values()) await s.release();
  await benchFsrcnnUpscaler();
}

/** FSRCNN's last layer, nn.ConvTranspose2d(56, 1, 9, 3, 4, 2), on each backend. */
async function benchFsrcnnUpscaler(): Promise<void> {
  const previous = tf.getBackend();
  const [C, H, K, S, P, OP] = [56, 128, 9, 3, 4, 2];
  const out = (H - 1) * S - 2 * P + K + OP;
  const opts = {stride: S, padding: P, outputPadding: OP};
  for (const name of (process.env.CONV_TRANSPOSE_BACKENDS ?? 'cpu,wasm,tensorflow').split(',')) {
    if (!(await useBackend(name))) throw new Error(`bench convTranspose: backend ${name} did not start`);
    const xFirst = tf.randomUniform([1, C, H, H], -1, 1, 'float32', 21) as tf.Tensor4D;
    const xLast = tf.transpose(xFirst, [0, 2, 3, 1]) as tf.Tensor4D;
    const weight = tf.randomNormal([C, 1, K, K], 0, 0.05, 'float32', 22) as tf.Tensor4D;
    const bias = tf.tensor1d([0.125]);
    const zeroBias = tf.zeros([1]) as tf.Tensor1D;
    const tfFilter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D;
    const ours = (df: DataFormat, b: tf.Tensor1D = bias) =>
        convTranspose2d(df === 'channelsLast' ? xLast : xFirst, weight, b, {...opts, dataFormat: df});
    // tfjs-node's Conv2DBackpropInput takes only 'valid' and 'same': the full 'valid' output
    // ((H - 1) * S + K = 390), then the crop, on every backend alike.
    const full = (H - 1) * S + K;
    const theirs = () => tf.tidy(() => tf.slice(
        tf.conv2dTranspose(xLast, tfFilter, [1, full, full, 1], S, 'valid'), [0, P, P, 0],
        [1, out, out, 1]));
    const flagOff = (flag: string) => (fn: () => tf.Tensor) => () => {
      const saved = tf.env().getBool(flag);
      tf.env().set(flag, false);
      try {
        return fn();
      } finally {
        tf.env().set(flag, saved);
      }
    };
    const phasesOff = flagOff(WASM_CONV_TRANSPOSE_PHASES_FLAG);
    const tapProductsOff = flagOff(WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG);
    const yLast = ours('channelsLast', zeroBias);
    expectClose(`FSRCNN upscaler on ${name}: tf.conv2dTranspose`, theirs().dataSync(), yLast.dataSync());
    const yFirst = ours('channelsFirst', zeroBias);
    expectClose(`FSRCNN upscaler on ${name}: channelsFirst`, yFirst.dataSync(), yLast.dataSync());
    if (name === 'wasm') {
      const yOff = phasesOff(() => ours('channelsLast', zeroBias))();
      expectClose('FSRCNN upscaler on wasm: per-tap product', yOff.dataSync(), yLast.dataSync());
      yOff.dispose();
      const yPhases = tapProductsOff(() => ours('channelsLast', zeroBias))();
      expectClose('FSRCNN upscaler on wasm: phases\' convolution', yPhases.dataSync(), yLast.dataSync());
      yPhases.dispose();
    }
    tf.dispose([yLast, yFirst]);
    const rows: Row[] = (['channelsLast', 'channelsFirst'] as DataFormat[]).map((df) => ({
      label: `FSRCNN upscaler [1,128,128,56] -> 1, k9 s3 p4 op2, ${df}`,
      contenders: [
        tfContender(`tfjs-torch convTranspose2d (${df}, bias)`, () => ours(df)),
        ...(name === 'wasm' ? [
          tfContender('the same, tap products off (phases\' convolution)', tapProductsOff(() => ours(df))),
          tfContender('the same, phase path off (per-tap product)', phasesOff(() => ours(df))),
        ] : []),
        tfContender('tf.conv2dTranspose \'valid\' + tf.slice (NHWC, no bias)', theirs),
      ],
    }));
    await runRowsInterleaved(`convTranspose, FSRCNN's upscaler on ${name} (1 thread)`, rows, 6, 1500);
    tf.dispose([xFirst, xLast, weight, bias, zeroBias, tfFilter]);
  }
  await tf.setBackend(previous);
}
