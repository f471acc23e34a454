// What Interpolate and InterpolateGrad share on the tensorflow backend: TensorFlow's native
// resize ops where their sampling equals PyTorch's, and separable gather passes over the shared
// per-axis tables (src/index_math/resize.ts) everywhere else.
//
// Note [native resize on TensorFlow] (src/index_math/resize.ts) says when TensorFlow's
// ResizeBilinear / ResizeNearestNeighbor sample as PyTorch does (nativeResize there).
// The ops are 2-D and NHWC: channelsFirst runs as [N*C, ...spatial, 1] (a free reshape), 1-D as
// 2-D with a unit height, 3-D as two 2-D resizes, one of depth (with H*W as an untouched width)
// and one of (H, W) (with depth folded into the batch): a resize whose size does not change
// copies on both libraries.
import * as tf from '@tensorflow/tfjs-core';
import {COMPOSED_PASS_LIMITS, planPasses} from '../../src/index_math/plan.js';
import {hasPaddingTaps, isGatherTable, isIdentityTable, isPaddingTap, nativeResize} from '../../src/index_math/resize.js';
import type {AxisTable} from '../../src/index_math/resize.js';
import type {DataFormat, InterpolateAttrs} from '../../src/kernel_names.js';
import {firstSpatialAxis, spatialAxes} from '../../src/util/layout.js';
import {nodeOf, runOp} from './util.js';

export {nativeResize};

/**
 * Resizes x (shape from inSize to outSize on its spatial axes) with TensorFlow's resize op, or
 * (grad) applies that op's gradient to dy (x is then dy, from outSize back to inSize).
 * Call inside tidy.
 */
export function resampleNative(
    x: tf.Tensor, a: InterpolateAttrs, fromSize: number[], toSize: number[], grad: boolean,
    op: NonNullable<ReturnType<typeof nativeResize>>): tf.Tensor {
  const {node, attr} = nodeOf(tf.backend());
  const dtype = x.dtype;
  const attrs = [
    attr.type('T', dtype), attr.bool('align_corners', op.alignCorners),
    attr.bool('half_pixel_centers', op.halfPixelCenters),
  ];
  // [B, ...spatial, Cv]: channelsFirst planes as a batch of one-channel images.
  const channelsLast = a.dataFormat === 'channelsLast';
  const shape = x.shape as number[];
  const batch = channelsLast ? shape[0] : shape[0] * shape[1];
  const cv = channelsLast ? shape[shape.length - 1] : 1;
  // One 2-D resize of images [B, h, w, Cv] from (h, w) to `to`.
  const resize2d = (images: tf.Tensor, to: [number, number]): tf.Tensor => {
    if (!grad) {
      return runOp(node, `Resize${op.op}`, attrs, [images, to]);
    }
    if (op.op === 'NearestNeighbor') {
      return runOp(node, 'ResizeNearestNeighborGrad', attrs, [images, to]);
    }
    // ResizeBilinearGrad reads only the shape of its original_image input.
    const original = tf.zeros([images.shape[0], to[0], to[1], cv]);
    return runOp(node, 'ResizeBilinearGrad', attrs, [images, original]);
  };
  const n = fromSize.length;
  let y: tf.Tensor;
  if (n <= 2) {
    const from = n === 1 ? [1, fromSize[0]] : fromSize;
    const to: [number, number] = n === 1 ? [1, toSize[0]] : [toSize[0], toSize[1]];
    y = resize2d(reshapeIfNeeded(x, [batch, from[0], from[1], cv]), to);
  } else {
    const [d0, h0, w0] = fromSize;
    const [d1, h1, w1] = toSize;
    // Depth first or (H, W) first: whichever makes the smaller intermediate.
    if (d1 * h0 * w0 <= d0 * h1 * w1) {
      const depth = resize2d(tf.reshape(x, [batch, d0, h0 * w0, cv]), [d1, h0 * w0]);
      y = resize2d(tf.reshape(depth, [batch * d1, h0, w0, cv]), [h1, w1]);
    } else {
      const plane = resize2d(tf.reshape(x, [batch * d0, h0, w0, cv]), [h1, w1]);
      y = resize2d(tf.reshape(plane, [batch, d0, h1 * w1, cv]), [d1, h1 * w1]);
    }
  }
  const outShape = x.shape.slice();
  spatialAxes(x.rank, a.dataFormat).forEach((axis, i) => outShape[axis] = toSize[i]);
  return reshapeIfNeeded(y, outShape);
}

/**
 * x in the given shape: x itself where it already has it (2-D channelsLast, the usual case),
 * else a reshape. On this backend every reshape is an eager TensorFlow op of its own: U^2-Net's
 * 38 resizes were 76 of its 77 Reshapes, 2.2 ms in the bench's profile.
 */
function reshapeIfNeeded(x: tf.Tensor, shape: number[]): tf.Tensor {
  return x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i]) ? x : tf.reshape(x, shape);
}

// Note [nearest by an integer factor]
// The nearest modes with an integer upscaling factor f on an axis (the table reads input
// floor(o / f) at output o: `nearest` with ratio 1/f, and `nearest-exact`, whose
// floor((o + 0.5) / f) is the same index) repeat every input f times. That is a broadcast of
// [..., L, 1, ...] to [..., L, f, ...] and a free reshape, in any layout and dtype: one copy.
// Used for channelsFirst, where TensorFlow's ResizeNearestNeighbor would see one-channel images
// and cost several times more, and wherever that op's ratio differs from PyTorch's. Its
// gradient sums each group of f, a reshape and a Sum. The check reads the shared table, so the
// rule stays the table's.
/** Per axis the repeat factor (1 for an identity axis), or null unless every axis repeats. */
export function repeatFactors(tables: AxisTable[]): number[]|null {
  const factors: number[] = [];
  for (const t of tables) {
    if (t.taps !== 1 || t.outSize % t.inSize !== 0) return null;
    const f = t.outSize / t.inSize;
    for (let o = 0; o < t.outSize; o++) {
      if (t.weight[o] !== 1 || t.index[o] !== Math.floor(o / f)) return null;
    }
    factors.push(f);
  }
  return factors;
}

/** Shape with a repeat axis after each spatial axis: [..., L1, f1, L2, f2, ..., (C)]. */
function withRepeatAxes(shape: number[], dataFormat: DataFormat, sizes: number[], factors: number[]):
    number[] {
  const first = firstSpatialAxis(dataFormat);
  const n = factors.length;
  return [
    ...shape.slice(0, first), ...sizes.flatMap((l, i) => [l, factors[i]]),
    ...shape.slice(first + n),
  ];
}

/** x with every spatial axis i repeated factors[i] times (Note [nearest by an integer factor]). */
export function repeatNearest(x: tf.Tensor, dataFormat: DataFormat, inSize: number[],
                              factors: number[]): tf.Tensor {
  const first = firstSpatialAxis(dataFormat);
  const ones = factors.map(() => 1);
  const from = withRepeatAxes(x.shape, dataFormat, inSize, ones);
  const to = withRepeatAxes(x.shape, dataFormat, inSize, factors);
  const outShape = x.shape.slice();
  inSize.forEach((l, i) => outShape[first + i] = l * factors[i]);
  return tf.reshape(tf.broadcastTo(tf.reshape(x, from), to), outShape);
}

/** The adjoint of repeatNearest: dy summed over each group of repeats. */
export function sumRepeats(dy: tf.Tensor, dataFormat: DataFormat, inSize: number[],
                           factors: number[]): tf.Tensor {
  const first = firstSpatialAxis(dataFormat);
  const split = tf.reshape(dy, withRepeatAxes(dy.shape, dataFormat, inSize, factors));
  const summed = tf.sum(split, factors.map((_, i) => first + 2 * i + 1));
  const dxShape = dy.shape.slice();
  inSize.forEach((l, i) => dxShape[first + i] = l);
  return tf.reshape(summed, dxShape);
}

/**
 * Applies tables[i] along spatial dim i of x (in dataFormat), axis after axis: per axis one
 * GatherV2 of the table's source indices, then, unless the table is a pure copy, a multiply by
 * its weights and a sum over the taps. `maskZeroTaps`: the tables may hold padding taps (weight
 * -0: area, antialias, transposed tables), which must add nothing even where the value they read
 * is Inf or NaN (Note [taps PyTorch evaluates]). Call inside tidy.
 */
export function resampleComposed(
    x: tf.Tensor, dataFormat: DataFormat, tables: AxisTable[], maskZeroTaps: boolean): tf.Tensor {
  const axes = spatialAxes(x.rank, dataFormat);
  // One op chain per axis, in the order of Note [pass planning] (src/index_math/plan.ts).
  const order = planPasses(x.shape, tables.map((table, i) => ({dim: axes[i], table, i}))
                                        .filter(({table}) => !isIdentityTable(table)),
                           COMPOSED_PASS_LIMITS).flat().map(({i}) => i);
  let t = x;
  for (const i of order) {
    const table = tables[i];
    const axis = axes[i];
    if (isGatherTable(table)) {
      const first = Int32Array.from({length: table.outSize}, (_, o) => table.index[o * table.taps]);
      t = tf.gather(t, tf.tensor1d(first, 'int32'), axis);
      continue;
    }
    const s = t.shape;
    const gathered = tf.reshape(tf.gather(t, tf.tensor1d(table.index, 'int32'), axis),
                                [...s.slice(0, axis), table.outSize, table.taps, ...s.slice(axis + 1)]);
    const wShape = [table.outSize, table.taps, ...new Array<number>(s.length - axis - 1).fill(1)];
    let terms = tf.mul(gathered, tf.tensor(table.weight, wShape, 'float32'));
    if (maskZeroTaps && hasPaddingTaps(table)) {
      const {node, attr} = nodeOf(tf.backend());
      const pad = tf.tensor(Uint8Array.from(table.weight, (w) => (isPaddingTap(w) ? 1 : 0)), wShape, 'bool');
      terms = runOp(node, 'SelectV2', [attr.type('T', 'float32')], [pad, tf.scalar(0), terms]);
    }
    t = tf.sum(terms, axis + 1);
  }
  // Every axis was an identity: the output still needs a tensor of its own.
  return t === x ? tf.clone(x) : t;
}

/** Whether zero-weight taps of a mode's forward tables are padding (see resampleComposed). */
export function forwardHasPaddingTaps(a: InterpolateAttrs): boolean {
  return a.antialias || a.mode === 'area';
}
