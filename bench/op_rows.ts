// Rows shared by the bench sections that put one tfjs backend against tfjs's own kernels and an
// onnxruntime (bench/node.ts: tensorflow vs onnxruntime-node; bench/wasm.ts: wasm vs
// onnxruntime-web): 2x resizes of [1,64,128,128] and convTranspose2d [1,64,32,32] -> 64, k4 s2 p1,
// each in both dataFormats. Every contender's result is checked before anything is timed:
// tfjs-torch's against onnxruntime running PyTorch's ONNX export (NCHW; the channelsLast rows
// time it on the NCHW copy), tfjs's built-in against tfjs-torch's (NHWC; the channelsFirst rows
// time it on the NHWC copy).
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose2d, interpolate} from '../src/index.js';
import type {InterpolateOptions} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {kernelContender, ortContender, tfContender} from './contenders.js';
import type {OrtRunner} from './contenders.js';
import type {Contender, Row} from './harness.js';

export const FORMATS: DataFormat[] = ['channelsLast', 'channelsFirst'];

/** An onnxruntime (node or web) as the rows use it. */
export interface OrtSide {
  /** A session on bench/models/<file>. */
  session(file: string): Promise<OrtRunner<{x: unknown}> & {release(): Promise<void>}>;
  /** An input tensor of that runtime. */
  tensor(values: Float32Array, shape: number[]): unknown;
  /** The contender's name for an ONNX op of PyTorch's export, for a row in dataFormat df. */
  name(what: string, df: DataFormat): string;
}

/**
 * How a section times its tfjs contenders: 'read' reads every output back in each run
 * (tfContender: tfjs-node, where that is how a run ends); 'kernel' frees them unread
 * (kernelContender: wasm, whose kernels have finished when they return), and onnxruntime, whose
 * run copies its outputs out of its own heap into JavaScript arrays as dataSync does, gets a row
 * of its own against tfjs-torch with its outputs read (orRows). Contenders of one row then do
 * the same kind of work: the copies, and the garbage collection they bring, do not fall on the
 * kernels' runs.
 */
export type TfTiming = 'read'|'kernel';

/** A tfjs contender timed as `timing` says. */
export function tfTimed(timing: TfTiming, name: string, fn: () => tf.Tensor|tf.Tensor[]): Contender {
  return timing === 'kernel' ? kernelContender(name, fn) : tfContender(name, fn);
}

/**
 * The row `label` of tfjs-torch (`ours`, run by `fn`, first in `contenders`) and its rivals, with
 * onnxruntime (`ort`, if any) in it under 'read' timing, or under 'kernel' timing in a second row
 * against tfjs-torch with its outputs read.
 */
export function orRows(label: string, contenders: Contender[], timing: TfTiming, ours: string,
                       fn: () => tf.Tensor|tf.Tensor[], ort: Contender|null): Row[] {
  if (ort == null) return [{label, contenders}];
  if (timing === 'read') return [{label, contenders: [...contenders, ort]}];
  const rows = contenders.length > 1 ? [{label, contenders}] : [];
  return [...rows, {label: `${label}, outputs read`, contenders: [tfContender(`${ours}, outputs read`, fn), ort]}];
}

/** Rows, and what to free once they are timed. */
export interface Rows {
  rows: Row[];
  dispose(): Promise<void>;
}

/** Throws unless a and b agree within the project's tolerance (exactly for integers). */
export function expectClose(what: string, a: ArrayLike<number>, b: ArrayLike<number>, exact = false) {
  if (a.length !== b.length) throw new Error(`bench ${what}: lengths ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const limit = exact ? 0 : 1e-4 + 1e-4 * Math.abs(b[i]);
    if (!(Math.abs(a[i] - b[i]) <= limit)) {
      throw new Error(`bench ${what}: element ${i} is ${a[i]} here and ${b[i]} there`);
    }
  }
}

/** x (NCHW data) as a channelsLast tensor too. */
export function bothLayouts(first: tf.Tensor4D): Record<DataFormat, tf.Tensor4D> {
  return {channelsFirst: first, channelsLast: tf.transpose(first, [0, 2, 3, 1])};
}

/** Result of f in channelsFirst order, for comparison with onnxruntime's NCHW output. */
export function asNCHW(y: tf.Tensor, df: DataFormat): Float32Array {
  const t = df === 'channelsLast' ? tf.transpose(y, [0, 3, 1, 2]) : y;
  const v = t.dataSync() as Float32Array;
  if (t !== y) t.dispose();
  return v;
}

/** A resize row family: tfjs-torch's options, PyTorch's export and tfjs's equivalent if any. */
export interface Resize {
  label: string;
  options: InterpolateOptions;
  onnx?: string;
  raw?: [string, (x: tf.Tensor4D) => tf.Tensor];
}

/** The 2x resizes of [1,64,128,128] (PyTorch's exports from scripts/export_onnx_interpolate.py). */
export const RESIZES: Record<'nearest'|'bilinear'|'bilinearAlignCorners'|'bicubic', Resize> = {
  nearest: {
    label: 'nearest 2x', options: {mode: 'nearest', scaleFactor: 2},
    onnx: 'interpolate_nearest2x.onnx',
    raw: ['tf.image.resizeNearestNeighbor', (x) => tf.image.resizeNearestNeighbor(x, [256, 256])],
  },
  bilinear: {
    label: 'bilinear 2x', options: {mode: 'bilinear', scaleFactor: 2},
    onnx: 'interpolate_bilinear2x.onnx',
    raw: ['tf.image.resizeBilinear halfPixelCenters',
          (x) => tf.image.resizeBilinear(x, [256, 256], false, true)],
  },
  // No ONNX model: the ORT rows are the three others.
  bilinearAlignCorners: {
    label: 'bilinear alignCorners 2x', options: {mode: 'bilinear', scaleFactor: 2, alignCorners: true},
    raw: ['tf.image.resizeBilinear alignCorners',
          (x) => tf.image.resizeBilinear(x, [256, 256], true, false)],
  },
  bicubic: {label: 'bicubic 2x', options: {mode: 'bicubic', scaleFactor: 2}, onnx: 'interpolate_bicubic2x.onnx'},
};

/** The [1,64,128,128] image the resize and pool rows take, in both layouts and as ORT's input. */
export function benchImage(ort: OrtSide): {img: Record<DataFormat, tf.Tensor4D>, feeds: {x: unknown}} {
  const img = bothLayouts(tf.randomUniform([1, 64, 128, 128], -1, 1, 'float32', 11) as tf.Tensor4D);
  return {img, feeds: {x: ort.tensor(img.channelsFirst.dataSync() as Float32Array, img.channelsFirst.shape)}};
}

/**
 * One row per resize and dataFormat of `img` (benchImage; the caller frees it); `tfPrefix` names
 * tfjs's contenders.
 */
export async function resizeRows(
    resizes: Resize[], img: Record<DataFormat, tf.Tensor4D>, feeds: {x: unknown}, ort: OrtSide,
    tfPrefix: string, timing: TfTiming = 'read'): Promise<Rows> {
  const sessions: Array<{release(): Promise<void>}> = [];
  const rows: Row[] = [];
  for (const r of resizes) {
    const s = r.onnx == null ? null : await ort.session(r.onnx);
    if (s != null) sessions.push(s);
    const want = s == null ? null :
        ((await s.run(feeds)) as unknown as {y: {data: Float32Array}}).y.data;
    for (const df of FORMATS) {
      const x = img[df];
      const y = interpolate(x, {...r.options, dataFormat: df});
      if (want != null) expectClose(`${r.label} ${df} vs onnxruntime`, asNCHW(y, df), want);
      const ours = () => interpolate(x, {...r.options, dataFormat: df});
      const contenders = [tfTimed(timing, 'tfjs-torch interpolate', ours)];
      if (r.raw != null) {
        const [name, fn] = r.raw;
        const raw = fn(img.channelsLast);
        const yLast = df === 'channelsLast' ? y : tf.transpose(y, [0, 2, 3, 1]);
        expectClose(`${r.label} ${name}`, raw.dataSync(), yLast.dataSync());
        tf.dispose(yLast === y ? [raw] : [raw, yLast]);
        contenders.push(tfTimed(timing, `${tfPrefix}${name}${df === 'channelsFirst' ? ' (NHWC)' : ''}`,
                                () => fn(img.channelsLast)));
      }
      y.dispose();
      rows.push(...orRows(`interpolate ${r.label} ${JSON.stringify(x.shape)} ${df}`, contenders, timing,
                          'tfjs-torch interpolate', ours,
                          s == null ? null : ortContender(ort.name('Resize (PyTorch export)', df), s, feeds)));
    }
  }
  return {
    rows,
    dispose: async () => {
      for (const s of sessions) await s.release();
    },
  };
}

/**
 * convTranspose2d [1,64,32,32] -> 64, k4 s2 p1 with the weights baked into
 * bench/models/conv_transpose_dcgan.onnx (a formula, scripts/export_onnx_conv_transpose.py): per
 * dataFormat one row without bias against tfjs's tf.conv2dTranspose (which has none; 'same' is
 * padding 1 here) and one with bias against onnxruntime, so each does the same work as its rival.
 */
export async function convTransposeRows(ort: OrtSide, tfPrefix: string,
                                        timing: TfTiming = 'read'): Promise<Rows> {
  const formula = (n: number, f: (v: number) => number, step: number) =>
      Float32Array.from({length: n}, (_, i) => f(step * i) / 8);
  const cx = bothLayouts(tf.randomUniform([1, 64, 32, 32], -1, 1, 'float32', 11) as tf.Tensor4D);
  const weight = tf.tensor4d(formula(64 * 64 * 16, Math.sin, 0.37), [64, 64, 4, 4]);
  const bias = tf.tensor1d(formula(64, Math.cos, 0.91));
  const filter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D;
  const s = await ort.session('conv_transpose_dcgan.onnx');
  const feeds = {x: ort.tensor(cx.channelsFirst.dataSync() as Float32Array, cx.channelsFirst.shape)};
  const want = ((await s.run(feeds)) as unknown as {y: {data: Float32Array}}).y.data;
  const rawConv = () => tf.conv2dTranspose(cx.channelsLast, filter, [1, 64, 64, 64], 2, 'same');
  const rows: Row[] = [];
  for (const df of FORMATS) {
    const ours = () => convTranspose2d(cx[df], weight, bias, {stride: 2, padding: 1, dataFormat: df});
    const y = ours();
    expectClose(`convTranspose2d ${df} vs onnxruntime`, asNCHW(y, df), want);
    y.dispose();
    const noBias = convTranspose2d(cx.channelsLast, weight, null, {stride: 2, padding: 1});
    const raw = rawConv();
    expectClose('tf.conv2dTranspose', raw.dataSync(), noBias.dataSync());
    tf.dispose([noBias, raw]);
    rows.push({
      label: `convTranspose2d [1,64,32,32] -> 64, k4 s2 p1, no bias, ${df}`,
      contenders: [
        tfTimed(timing, 'tfjs-torch convTranspose2d',
                () => convTranspose2d(cx[df], weight, null, {stride: 2, padding: 1, dataFormat: df})),
        tfTimed(timing, `${tfPrefix}tf.conv2dTranspose ('same')${df === 'channelsFirst' ? ' (NHWC)' : ''}`,
                rawConv),
      ],
    });
    // Against onnxruntime only: tfjs-torch reads its output back as onnxruntime's run does.
    rows.push({
      label: `convTranspose2d [1,64,32,32] -> 64, k4 s2 p1, bias, ${df}${timing === 'kernel' ? ', outputs read' : ''}`,
      contenders: [
        tfContender(`tfjs-torch convTranspose2d${timing === 'kernel' ? ', outputs read' : ''}`, ours),
        ortContender(ort.name('ConvTranspose (PyTorch export)', df), s, feeds),
      ],
    });
  }
  return {
    rows,
    dispose: async () => {
      tf.dispose([cx.channelsFirst, cx.channelsLast, weight, bias, filter]);
      await s.release();
    },
  };
}
