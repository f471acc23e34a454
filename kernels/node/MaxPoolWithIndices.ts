// tensorflow-backend kernel of maxPool{1,2,3}dWithIndices, composed from TensorFlow ops.
//
// Why not TensorFlow's MaxPoolWithArgmax: it differs from PyTorch where PyTorch's rules matter
// (Note [max and ties] in src/index_math/pool.ts): a NaN wins there only when it is the first
// element of its window; with padding it would report a padding position for a window whose
// elements are all -inf, where PyTorch reports the window's first real element; it has no
// dilation and no 3-D form; and its index encodes channels. On CPU it is also single-threaded
// per image and slower than the composition below.
//
// The composition works on the input viewed as images [B, ...spatial, Cv] (channelsLast:
// [N, ..., C]; channelsFirst: [N*C, ..., 1], a free reshape, so neither layout is transposed):
// 1. the T taps of every window, each tap a tensor [B, ...out, Cv], in row-major window order,
//    from the -inf-padded input. Windows that tile the input (kernel = stride, no dilation: the
//    common case) are a reshape and one Transpose that puts the tap axes first; otherwise
//    ExtractImagePatches / ExtractVolumePatches and the same Transpose, or one strided slice per
//    tap where those ops lack dilation.
// 2. PyTorch's scan (Note [max and ties]) over the taps, with elementwise ops on whole tensors:
//    take = v > max || isNaN(v) against the running max BEFORE the tap, and max = Maximum(max,
//    v), which propagates NaN on TensorFlow's CPU as PyTorch's running max does (a NaN max is
//    then only replaced by a later NaN: v > NaN is false). The scan starts at tap 0 with
//    max = v0, which is PyTorch's start from -infinity (v0 replaces it unless it is -inf).
// 3. the index of the last tap taken, as a running Maximum of take * (offset of the tap): among
//    real elements the plane offset grows with the tap (row-major taps of a window are
//    row-major positions), padding taps (-inf) are never taken, so the largest offset taken is
//    the last one. The running index starts at the offset of the window's first real element,
//    PyTorch's initial index (Note [all-padding windows]): a window that never takes keeps it.
// Offsets are relative to the window's origin o*s - p; the origin's plane index is added at
// the end. All three tables come from the shared index math (poolWindowTable,
// flatPlaneIndex, which is linear), built from shapes and attributes only.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {flatPlaneIndex, poolingOutputSize, poolWindowTable, realTapWindow} from '../../src/index_math/pool.js';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {layoutOf, padFront, shapeOf, sizeOf} from '../../src/util/layout.js';
import {asTensor, nodeOf, runOp} from './util.js';

/** Every position of a grid of the given sizes, row-major, as a callback. */
function forEachPosition(sizes: readonly number[], f: (position: number[], flat: number) => void) {
  const total = sizeOf(sizes);
  const position = new Array<number>(sizes.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    f(position, flat);
    for (let a = sizes.length - 1; a >= 0; a--) {
      if (++position[a] < sizes[a]) break;
      position[a] = 0;
    }
  }
}

/** The index tables of one pooling geometry (shapes and attributes only, no data). */
function indexTables(inSize: number[], outSize: number[], a: MaxPoolWithIndicesAttrs) {
  const {kernelSize: k, stride: s, padding: p, dilation: d} = a;
  /** Plane index of each window's origin o*s - p, [...out]. */
  const origin = new Int32Array(sizeOf(outSize));
  /** Offset from the origin of each window's first real element, [...out]. */
  const first = new Int32Array(sizeOf(outSize));
  const windows = inSize.map((size, i) => poolWindowTable(outSize[i], size, k[i], p[i], s[i], d[i]));
  forEachPosition(outSize, (o, flat) => {
    origin[flat] = flatPlaneIndex(o.map((oi, i) => oi * s[i] - p[i]), inSize);
    first[flat] = flatPlaneIndex(o.map((oi, i) => windows[i].start[oi]), inSize) - origin[flat];
  });
  /** Offset from the origin of each tap t*d, row-major over the window. */
  const tapOffset: number[] = [];
  forEachPosition(k, (t) => tapOffset.push(flatPlaneIndex(t.map((ti, i) => ti * d[i]), inSize)));
  return {origin, first, tapOffset};
}

/** Up to this many taps the patch ops make every tap at once; past it, one slice per tap. */
const PATCH_TAPS = 16;

export const maxPoolWithIndices: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as MaxPoolWithIndicesInputs;
  const given = attrs as unknown as MaxPoolWithIndicesAttrs;
  const {stride, dilation, ceilMode, dataFormat} = given;
  const {batch, channels, spatial: inSize} = layoutOf(x.shape, dataFormat);
  const n = inSize.length;
  const outSize = inSize.map((s, i) => poolingOutputSize(
      s, given.kernelSize[i], given.padding[i], stride[i], dilation[i], ceilMode));
  // Note [taps that can be real]: one tensor per tap that can be real, not per tap of the kernel.
  const real = inSize.map((s, i) => realTapWindow(
      s, outSize[i], given.kernelSize[i], given.padding[i], stride[i], dilation[i]));
  const kernelSize = real.map((r) => r.kernelSize);
  const padding = real.map((r) => r.padding);
  const a: MaxPoolWithIndicesAttrs = {...given, kernelSize, padding};
  const outShape = shapeOf(batch, channels, outSize, dataFormat);
  if (batch === 0) return [tf.zeros(outShape), tf.zeros(outShape, 'int32')];
  const {node, attr} = nodeOf(backend);
  const tables = indexTables(inSize, outSize, a);
  const taps = tables.tapOffset.length;

  return tf.tidy(() => {
    // Images [B, ...in, Cv] of rank m + 2; 1-D as 2-D with a unit first axis.
    const m = n === 1 ? 2 : n;
    const lift = (v: number[], fill: number) => padFront(v, m, fill);
    const B = dataFormat === 'channelsLast' ? batch : batch * channels;
    const cv = dataFormat === 'channelsLast' ? channels : 1;
    const k = lift(kernelSize, 1);
    const s = lift(stride, 1);
    const d = lift(dilation, 1);
    const p = lift(padding, 0);
    const inM = lift(inSize, 1);
    const outM = lift(outSize, 1);
    let images = tf.reshape(asTensor(x), [B, ...inM, cv]);

    // -inf padding so that every window lies inside: p before, and after whatever the last
    // window needs (ceilMode may need more than p; a surplus is cropped).
    const span = outM.map((o, i) => (o - 1) * s[i] + d[i] * (k[i] - 1) + 1);
    const after = span.map((l, i) => l - inM[i] - p[i]);
    if (after.some((v) => v < 0)) {
      images = tf.slice(images, new Array<number>(m + 2).fill(0),
                        [-1, ...inM.map((size, i) => size + Math.min(after[i], 0)), -1]);
    }
    if (p.some((v) => v > 0) || after.some((v) => v > 0)) {
      images = tf.pad(images, [[0, 0], ...p.map((v, i): [number, number] => [v, Math.max(after[i], 0)]),
                               [0, 0]], -Infinity);
    }

    const unit = (v: number[]) => [1, ...v, 1];
    const tapsFirst = (t: tf.Tensor) => tf.unstack(tf.reshape(t, [taps, B, ...outM, cv]));
    // Every tap as a tensor [B, ...out, Cv], in row-major window order. The tiling split and
    // the patch ops make all of them at once (T times the output: the input's size for tiling
    // windows, and few taps for the patch path); past PATCH_TAPS taps each tap is one strided
    // slice, made when the scan reaches it and disposed after, so memory stays a few outputs
    // whatever the kernel (Note [taps that can be real] already left out the taps that are
    // padding everywhere).
    let tapValues: tf.Tensor[]|null = null;
    if (k.every((ki, i) => ki === s[i] && d[i] === 1)) {
      // Tiling windows: [B, o1, k1, o2, k2, (o3, k3,) Cv] -> [k1, k2, (k3,) B, o1, o2, (o3,) Cv].
      const split = tf.reshape(images, [B, ...outM.flatMap((o, i) => [o, k[i]]), cv]);
      tapValues = tapsFirst(tf.transpose(split, [
        ...outM.map((_, i) => 2 + 2 * i), 0, ...outM.map((_, i) => 1 + 2 * i), 2 * m + 1,
      ]));
    } else if (taps <= PATCH_TAPS && (m === 2 || d.every((v) => v === 1))) {
      // [B, ...out, T*Cv] with taps (row-major) outside channels -> [T, B, ...out, Cv].
      const patches = m === 2 ?
          runOp(node, 'ExtractImagePatches', [
            attr.type('T', 'float32'), attr.int('ksizes', unit(k)), attr.int('strides', unit(s)),
            attr.int('rates', unit(d)), attr.string('padding', 'VALID'),
          ], [images]) :
          runOp(node, 'ExtractVolumePatches', [
            attr.type('T', 'float32'), attr.int('ksizes', unit(k)), attr.int('strides', unit(s)),
            attr.string('padding', 'VALID'),
          ], [images]);
      tapValues = tapsFirst(tf.transpose(
          tf.reshape(patches, [B, ...outM, taps, cv]),
          [m + 1, ...Array.from({length: m + 1}, (_, i) => i), m + 2]));
    }
    const k3 = [...new Array<number>(3 - m).fill(1), ...k];
    /** Tap t (row-major over the window) as one strided slice of the padded images. */
    const slice = (t: number) => {
      const pos = [Math.floor(t / (k3[1] * k3[2])), Math.floor(t / k3[2]) % k3[1], t % k3[2]]
                      .slice(3 - m);
      const begin = [0, ...pos.map((ti, i) => ti * d[i]), 0];
      const end = [B, ...outM.map((o, i) => begin[i + 1] + (o - 1) * s[i] + 1), cv];
      return tf.stridedSlice(images, begin, end, unit(s));
    };
    const tapAt = (t: number) => tapValues != null ? tapValues[t] : slice(t);

    // Grids [...out, 1] broadcast over the image batch and channels.
    const grid = (v: Int32Array) => tf.tensor(v, [...outM, 1], 'int32');
    let max = tapAt(0);
    // [...out, 1] until the first Maximum broadcasts it to the full shape.
    let offset = grid(tables.first);
    for (let t = 1; t < taps; t++) {
      const previous = [max, offset];
      [max, offset] = tf.tidy(() => {
        const v = tapAt(t);
        const take = tf.logicalOr(tf.greater(v, max), tf.isNaN(v));
        const taken = tf.mul(tf.cast(take, 'int32'), tf.scalar(tables.tapOffset[t], 'int32'));
        const next = [tf.maximum(max, v), tf.maximum(offset, taken)];
        if (tapValues != null) v.dispose();
        return next;
      });
      tf.dispose(previous);
    }
    let indices = tf.add(offset, grid(tables.origin));
    if (taps === 1) indices = tf.broadcastTo(indices, max.shape);
    return [tf.reshape(max, outShape), tf.reshape(indices, outShape)];
  });
};

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'tensorflow',
  kernelFunc: maxPoolWithIndices,
};
