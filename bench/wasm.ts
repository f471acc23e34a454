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
//   [1,256,64,64], maxPool2d k2 s2 with PyTorch's indices (also at [1,64,256,256] and, without
//   onnxruntime, whose export has 64 channels, [1,128,128,128]). onnxruntime only takes NCHW: the
//   channelsLast rows time it on the NCHW copy.
// Then the five decoders end to end on wasm against onnxruntime-web (bench/decoders.ts), with
// peak memory. tfjs-backend-wasm runs 1 thread in Node (no SharedArrayBuffer workers there), so
// both sides run one thread. Contenders of a row take turns (bench/node.ts's runRowsInterleaved):
// wall-time and process-CPU-time medians and ratios.
// Read-back (op_rows.ts's TfTiming 'kernel'): tfjs's wasm kernels have finished when they return,
// so tfjs-torch and tfjs's own kernels are timed without reading their outputs (a copy out of
// the heap that costs both the same, as much as the kernel, and far more under load); against
// onnxruntime-web, whose run copies its outputs into JavaScript arrays, a row of its own times
// tfjs-torch with its outputs read (dataSync).
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-web';
import * as path from 'path';
import {maxPool2dWithIndices, pixelShuffle} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {MODELS, ortContender} from './contenders.js';
import {benchDecoders, type OrtSessionLike} from './decoders.js';
import type {Row} from './harness.js';
import {runRowsInterleaved} from './node.js';
import {asNCHW, benchImage, bothLayouts, expectClose, FORMATS, orRows, resizeRows, RESIZES, convTransposeRows,
        tfTimed} from './op_rows.js';
import type {OrtSide} from './op_rows.js';

const ORT = 'onnxruntime-web wasm, 1 thread';

/** Whether a row (or 'decoders') is timed under bench.ts's row arguments (BENCH_ROWS). */
function wanted(label: string): boolean {
  const only = process.env.BENCH_ROWS;
  return only == null || new RegExp(only).test(label);
}

/** onnxruntime-web on its wasm engine with one thread (SIMD: its only build in 1.30). */
function session(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path.isAbsolute(file) ? file : path.join(MODELS, file), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
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

  const side: OrtSide = {
    session: (file) => session(file) as unknown as ReturnType<OrtSide['session']>,
    tensor: (values, shape) => new ort.Tensor('float32', values, shape),
    name: ortName,
  };
  const {img, feeds} = benchImage(side);
  // ---- interpolate 2x of [1,64,128,128] ----
  const resizes = [RESIZES.nearest, RESIZES.bilinear, RESIZES.bilinearAlignCorners, RESIZES.bicubic];
  // ---- convTranspose2d [1,64,32,32] -> 64, k4 s2 p1 ----
  const built = [await resizeRows(resizes, img, feeds, side, 'tfjs wasm ', 'kernel'),
                 await convTransposeRows(side, 'tfjs wasm ', 'kernel')];
  for (const b of built) rows.push(...b.rows);

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
    const ours = () => pixelShuffle(x, 2, {dataFormat: df});
    const contenders = [
      tfTimed('kernel', 'tfjs-torch pixelShuffle', ours),
      tfTimed('kernel', `tfjs wasm tf.depthToSpace (TensorFlow's channel order)${nhwcNote(df)}`,
              () => tf.depthToSpace(px.channelsLast, 2)),
    ];
    rows.push(...orRows(`pixelShuffle(2) ${JSON.stringify(x.shape)} ${df}`, contenders, 'kernel',
                        'tfjs-torch pixelShuffle', ours,
                        ortContender(ortName('DepthToSpace CRD (PyTorch export)', df), shuffleSession, {x: pxOrt})));
  }

  // ---- maxPool2d k2 s2 with indices: [1,64,128,128] and the real sizes [1,64,256,256],
  // [1,128,128,128] (PyTorch's export has dynamic height and width; the channels are 64, so
  // onnxruntime runs only on 64-channel inputs) ----
  const poolSession = await session('pool_maxpool2d_indices.onnx');
  sessions.push(poolSession);
  const poolImages = [img, bothLayouts(tf.randomUniform([1, 64, 256, 256], -1, 1, 'float32', 12) as tf.Tensor4D),
                      bothLayouts(tf.randomUniform([1, 128, 128, 128], -1, 1, 'float32', 13) as tf.Tensor4D)];
  for (const pimg of poolImages) {
    const shape = pimg.channelsFirst.shape;
    if (!FORMATS.some((df) => wanted(`maxPool2dWithIndices k2 s2 ${JSON.stringify(pimg[df].shape)} ${df}`))) continue;
    const pOrt = shape[1] !== 64 ? null :
        new ort.Tensor('float32', pimg.channelsFirst.dataSync() as Float32Array, shape);
    const poolWant = pOrt == null ? null : await poolSession.run({x: pOrt});
    const rawPool = () => tf.maxPool(pimg.channelsLast, 2, 2, 'valid');
    for (const df of FORMATS) {
      const [v, i] = maxPool2dWithIndices(pimg[df], {kernelSize: 2, stride: 2, dataFormat: df});
      if (poolWant != null) {
        expectClose(`maxPool2d ${df} values vs onnxruntime-web`, asNCHW(v, df),
                    poolWant.values.data as Float32Array, true);
        const iFirst = df === 'channelsLast' ? tf.transpose(i, [0, 3, 1, 2]) : i;
        expectClose(`maxPool2d ${df} indices vs onnxruntime-web`, iFirst.dataSync(),
                    Array.from(poolWant.indices.data as BigInt64Array, Number), true);
        if (iFirst !== i) iFirst.dispose();
      }
      const raw = rawPool();
      const vLast = df === 'channelsLast' ? v : tf.transpose(v, [0, 2, 3, 1]);
      expectClose('tf.maxPool values', raw.dataSync(), vLast.dataSync(), true);
      tf.dispose(vLast === v ? [v, i, raw] : [v, i, raw, vLast]);
      const ours = () => maxPool2dWithIndices(pimg[df], {kernelSize: 2, stride: 2, dataFormat: df});
      const contenders = [
        tfTimed('kernel', 'tfjs-torch maxPool2dWithIndices', ours),
        tfTimed('kernel', `tfjs wasm tf.maxPool (values only)${nhwcNote(df)}`, rawPool),
      ];
      rows.push(...orRows(`maxPool2dWithIndices k2 s2 ${JSON.stringify(pimg[df].shape)} ${df}`, contenders,
                          'kernel', 'tfjs-torch maxPool2dWithIndices', ours, pOrt == null ? null :
                          ortContender(ortName('MaxPool with indices (PyTorch export)', df), poolSession, {x: pOrt})));
    }
  }

  await runRowsInterleaved(`wasm backend (tfjs-backend-wasm ${wasmBackend.version_wasm}, SIMD ${
      simd}, ${threads} thread${threads > 1 ? 's' : ''}) vs tfjs's wasm kernels and ${ORT}`, rows,
      20, 6000);
  tf.dispose([img.channelsLast, img.channelsFirst, px.channelsLast, px.channelsFirst,
              ...poolImages.slice(1).flatMap((p) => [p.channelsLast, p.channelsFirst])]);
  for (const s of sessions) await s.release();
  for (const b of built) await b.dispose();

  // Row arguments (BENCH_ROWS) leave the decoders out unless one of them names them.
  if (!wanted('decoders')) {
    await tf.setBackend(previous);
    return;
  }
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
