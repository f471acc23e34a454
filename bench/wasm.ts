// `npm run bench -- wasm`: tfjs-torch's kernels on tfjs-backend-wasm (`import 'tfjs-torch/wasm'`)
// next to
// - tfjs's own wasm kernels where they compute the same thing (checked equal before timing):
//   tf.image.resizeBilinear with halfPixelCenters (PyTorch's align_corners=False) and with
//   alignCorners, tf.image.resizeNearestNeighbor (at exactly 2x, PyTorch's floor rule),
//   tf.conv2dTranspose (no bias; 'same' is padding 1 here), and, for speed only, tf.depthToSpace
//   (the same data movement in TensorFlow's channel order, not PyTorch's) and tf.maxPool (values
//   only: tfjs's wasm maxPoolWithArgmax gets all-negative windows and ties wrong). tfjs's resize,
//   conv and pool kernels take NHWC only: the channelsFirst rows time them on the NHWC copy.
// - onnxruntime-web's wasm engine (in Node, SIMD, 1 thread) running PyTorch's own ONNX export of
//   the same NCHW work (bench/models, scripts/export_onnx_*.py): bilinear / nearest / bicubic 2x
//   of [1,64,128,128], convTranspose2d [1,64,32,32] -> 64 k4 s2 p1 with bias, pixelShuffle(2) of
//   [1,256,64,64], maxPool2d k2 s2 with PyTorch's indices. onnxruntime only takes NCHW: the
//   channelsLast rows time it on the NCHW copy.
// Then the five decoders end to end on wasm against onnxruntime-web (bench/decoders.ts), with
// peak memory. tfjs-backend-wasm runs 1 thread in Node (no SharedArrayBuffer workers there), so
// both sides run one thread. Contenders of a row take turns (bench/node.ts's runRowsInterleaved):
// wall-time and process-CPU-time medians and ratios.
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-web';
import * as path from 'path';
import {convTranspose2d, interpolate, maxPool2dWithIndices, pixelShuffle} from '../src/index.js';
import type {InterpolateOptions} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {MODELS, tfContender} from './contenders.js';
import {benchDecoders, type OrtSessionLike} from './decoders.js';
import type {Contender, Row} from './harness.js';
import {asNCHW, bothLayouts, expectClose, runRowsInterleaved} from './node.js';

const FORMATS: DataFormat[] = ['channelsLast', 'channelsFirst'];
const ORT = 'onnxruntime-web wasm, 1 thread';

/** onnxruntime-web on its wasm engine with one thread (SIMD: its only build in 1.30). */
function session(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path.isAbsolute(file) ? file : path.join(MODELS, file), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

function ortContender(name: string, s: ort.InferenceSession, x: ort.Tensor): Contender {
  return {
    name,
    run: async () => {
      const out = await s.run({x});
      for (const k of Object.keys(out)) out[k].dispose();
    },
  };
}

/** The size of tfjs-backend-wasm's WebAssembly memory. */
function heapBytes(): number {
  const b = tf.findBackend('wasm') as unknown as {wasm: {HEAPU8: Uint8Array}};
  return b.wasm.HEAPU8.buffer.byteLength;
}

export async function benchWasm(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasmBackend = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../src/wasm.js');
  ort.env.wasm.numThreads = 1;
  const previous = tf.getBackend();
  if (!(await tf.setBackend('wasm'))) throw new Error('bench wasm: the wasm backend did not start');
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = wasmBackend.getThreadsCount();
  const ortName = (what: string, df: DataFormat) =>
      `${ORT} ${what}${df === 'channelsLast' ? ', NCHW copy' : ''}`;
  const nhwcNote = (df: DataFormat) => (df === 'channelsFirst' ? ' (NHWC)' : '');
  const rows: Row[] = [];
  const sessions: ort.InferenceSession[] = [];

  // ---- interpolate 2x of [1,64,128,128] ----
  const img = bothLayouts(tf.randomUniform([1, 64, 128, 128], -1, 1, 'float32', 11) as tf.Tensor4D);
  const imgOrt = new ort.Tensor('float32', img.channelsFirst.dataSync() as Float32Array,
                                img.channelsFirst.shape);
  const resizes: Array<{label: string, options: InterpolateOptions, onnx?: string,
                        raw?: [string, (x: tf.Tensor4D) => tf.Tensor]}> = [
    {
      label: 'nearest 2x', options: {mode: 'nearest', scaleFactor: 2},
      onnx: 'interpolate_nearest2x.onnx',
      raw: ['tf.image.resizeNearestNeighbor', (x) => tf.image.resizeNearestNeighbor(x, [256, 256])],
    },
    {
      label: 'bilinear 2x', options: {mode: 'bilinear', scaleFactor: 2},
      onnx: 'interpolate_bilinear2x.onnx',
      raw: ['tf.image.resizeBilinear halfPixelCenters',
            (x) => tf.image.resizeBilinear(x, [256, 256], false, true)],
    },
    {
      label: 'bilinear alignCorners 2x', options: {mode: 'bilinear', scaleFactor: 2, alignCorners: true},
      raw: ['tf.image.resizeBilinear alignCorners',
            (x) => tf.image.resizeBilinear(x, [256, 256], true, false)],
    },
    {label: 'bicubic 2x', options: {mode: 'bicubic', scaleFactor: 2}, onnx: 'interpolate_bicubic2x.onnx'},
  ];
  for (const r of resizes) {
    let s: ort.InferenceSession|undefined;
    let want: Float32Array|undefined;
    if (r.onnx != null) {
      s = await session(r.onnx);
      sessions.push(s);
      want = (await s.run({x: imgOrt})).y.data as Float32Array;
    }
    for (const df of FORMATS) {
      const x = img[df];
      const y = interpolate(x, {...r.options, dataFormat: df});
      if (want != null) expectClose(`${r.label} ${df} vs onnxruntime-web`, asNCHW(y, df), want);
      const contenders = [tfContender('tfjs-torch interpolate', () => interpolate(x, {...r.options, dataFormat: df}))];
      if (r.raw != null) {
        const [name, fn] = r.raw;
        const raw = fn(img.channelsLast);
        const yLast = df === 'channelsLast' ? y : tf.transpose(y, [0, 2, 3, 1]);
        expectClose(`${r.label} ${name}`, raw.dataSync(), yLast.dataSync());
        tf.dispose(yLast === y ? [raw] : [raw, yLast]);
        contenders.push(tfContender(`tfjs wasm ${name}${nhwcNote(df)}`, () => fn(img.channelsLast)));
      }
      y.dispose();
      if (s != null) contenders.push(ortContender(ortName('Resize (PyTorch export)', df), s, imgOrt));
      rows.push({label: `interpolate ${r.label} ${JSON.stringify(x.shape)} ${df}`, contenders});
    }
  }

  // ---- convTranspose2d [1,64,32,32] -> 64, k4 s2 p1 (weights as scripts/export_onnx_conv_transpose.py) ----
  const formula = (n: number, f: (v: number) => number, step: number) =>
      Float32Array.from({length: n}, (_, i) => f(step * i) / 8);
  const cx = bothLayouts(tf.randomUniform([1, 64, 32, 32], -1, 1, 'float32', 11) as tf.Tensor4D);
  const weight = tf.tensor4d(formula(64 * 64 * 16, Math.sin, 0.37), [64, 64, 4, 4]);
  const bias = tf.tensor1d(formula(64, Math.cos, 0.91));
  const filter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D;
  const convSession = await session('conv_transpose_dcgan.onnx');
  sessions.push(convSession);
  const cxOrt = new ort.Tensor('float32', cx.channelsFirst.dataSync() as Float32Array, cx.channelsFirst.shape);
  const convWant = (await convSession.run({x: cxOrt})).y.data as Float32Array;
  const rawConv = () => tf.conv2dTranspose(cx.channelsLast, filter, [1, 64, 64, 64], 2, 'same');
  for (const df of FORMATS) {
    const ours = () => convTranspose2d(cx[df], weight, bias, {stride: 2, padding: 1, dataFormat: df});
    const y = ours();
    expectClose(`convTranspose2d ${df} vs onnxruntime-web`, asNCHW(y, df), convWant);
    y.dispose();
    const noBias = convTranspose2d(cx.channelsLast, weight, null, {stride: 2, padding: 1});
    const raw = rawConv();
    expectClose('tf.conv2dTranspose', raw.dataSync(), noBias.dataSync());
    tf.dispose([noBias, raw]);
    rows.push({
      label: `convTranspose2d [1,64,32,32] -> 64, k4 s2 p1, no bias, ${df}`,
      contenders: [
        tfContender('tfjs-torch convTranspose2d',
                    () => convTranspose2d(cx[df], weight, null, {stride: 2, padding: 1, dataFormat: df})),
        tfContender(`tfjs wasm tf.conv2dTranspose ('same')${nhwcNote(df)}`, rawConv),
      ],
    });
    rows.push({
      label: `convTranspose2d [1,64,32,32] -> 64, k4 s2 p1, bias, ${df}`,
      contenders: [
        tfContender('tfjs-torch convTranspose2d', ours),
        ortContender(ortName('ConvTranspose (PyTorch export)', df), convSession, cxOrt),
      ],
    });
  }

  // ---- pixelShuffle(2) of [1,256,64,64] ----
  const px = bothLayouts(tf.randomUniform([1, 256, 64, 64], -1, 1, 'float32', 1) as tf.Tensor4D);
  const pxOrt = new ort.Tensor('float32', px.channelsFirst.dataSync() as Float32Array, px.channelsFirst.shape);
  const shuffleSession = await session('pixel_shuffle2x.onnx');
  sessions.push(shuffleSession);
  const shuffleWant = (await shuffleSession.run({x: pxOrt})).y.data as Float32Array;
  for (const df of FORMATS) {
    const x = px[df];
    const y = pixelShuffle(x, 2, {dataFormat: df});
    expectClose(`pixelShuffle ${df} vs onnxruntime-web`, asNCHW(y, df), shuffleWant, true);
    y.dispose();
    rows.push({
      label: `pixelShuffle(2) ${JSON.stringify(x.shape)} ${df}`,
      contenders: [
        tfContender('tfjs-torch pixelShuffle', () => pixelShuffle(x, 2, {dataFormat: df})),
        tfContender(`tfjs wasm tf.depthToSpace (TensorFlow's channel order)${nhwcNote(df)}`,
                    () => tf.depthToSpace(px.channelsLast, 2)),
        ortContender(ortName('DepthToSpace CRD (PyTorch export)', df), shuffleSession, pxOrt),
      ],
    });
  }

  // ---- maxPool2d k2 s2 of [1,64,128,128] with indices ----
  const poolSession = await session('pool_maxpool2d_indices.onnx');
  sessions.push(poolSession);
  const poolWant = await poolSession.run({x: imgOrt});
  const rawPool = () => tf.maxPool(img.channelsLast, 2, 2, 'valid');
  for (const df of FORMATS) {
    const [v, i] = maxPool2dWithIndices(img[df], {kernelSize: 2, stride: 2, dataFormat: df});
    expectClose(`maxPool2d ${df} values vs onnxruntime-web`, asNCHW(v, df),
                poolWant.values.data as Float32Array, true);
    const iFirst = df === 'channelsLast' ? tf.transpose(i, [0, 3, 1, 2]) : i;
    expectClose(`maxPool2d ${df} indices vs onnxruntime-web`, iFirst.dataSync(),
                Array.from(poolWant.indices.data as BigInt64Array, Number), true);
    const raw = rawPool();
    const vLast = df === 'channelsLast' ? v : tf.transpose(v, [0, 2, 3, 1]);
    expectClose('tf.maxPool values', raw.dataSync(), vLast.dataSync(), true);
    tf.dispose([v, i, iFirst, raw, vLast]);
    rows.push({
      label: `maxPool2dWithIndices k2 s2 ${JSON.stringify(img[df].shape)} ${df}`,
      contenders: [
        tfContender('tfjs-torch maxPool2dWithIndices',
                    () => maxPool2dWithIndices(img[df], {kernelSize: 2, stride: 2, dataFormat: df})),
        tfContender(`tfjs wasm tf.maxPool (values only)${nhwcNote(df)}`, rawPool),
        ortContender(ortName('MaxPool with indices (PyTorch export)', df), poolSession, imgOrt),
      ],
    });
  }

  await runRowsInterleaved(`wasm backend (tfjs-backend-wasm ${wasmBackend.version_wasm}, SIMD ${
      simd}, ${threads} thread${threads > 1 ? 's' : ''}) vs tfjs's wasm kernels and ${ORT}`, rows,
      20, 6000);
  tf.dispose([img.channelsLast, img.channelsFirst, cx.channelsLast, cx.channelsFirst, weight, bias,
              filter, px.channelsLast, px.channelsFirst]);
  for (const s of sessions) await s.release();

  await benchDecoders({
    backend: 'wasm',
    title: `decoders (wasm backend vs ${ORT}, on PyTorch's ONNX export)`,
    ortName: 'onnxruntime-web',
    session: (file) => session(file) as unknown as Promise<OrtSessionLike>,
    tensor: (values, shape) => new ort.Tensor('float32', values, shape),
    heapBytes,
  });
  await tf.setBackend(previous);
}
