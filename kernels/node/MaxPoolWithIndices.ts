// tensorflow-backend kernel of maxPool{1,2,3}dWithIndices, composed from TensorFlow ops.
//
// Why not TensorFlow's MaxPoolWithArgmax: it differs from PyTorch where PyTorch's rules matter
// (Note [max and ties] in src/index_math/pool.ts): a NaN wins there only when it is the first
// element of its window; with padding it would report a padding position for a window whose
// elements are all -inf, where PyTorch reports the window's first real element; it has no
// dilation and no 3-D form; and its index encodes channels. On CPU it is also single-threaded
// per image and slower than the composition below.
//
// The composition: the -inf-padded input's windows as patches [N, ...out, T, C] (T taps in
// row-major window order; ExtractImagePatches / ExtractVolumePatches, or strided slices where
// those lack dilation), then reductions over the tap axis:
// - value: Max, which propagates NaN on TensorFlow's CPU, as PyTorch's running max does;
// - without NaN, the tap is ArgMax's, which returns the FIRST maximal tap (PyTorch's tie rule);
// - with a NaN, PyTorch's tap is the LAST NaN: ArgMax of (isNaN ? t + 1 : 0), unique per tap;
// - a window whose value is -inf (only -inf elements and padding) gets PyTorch's index of the
//   window's first real element (Note [all-padding windows]): a table from poolWindowTable.
// The tap becomes a plane index through two tables from the shared index math: the index of
// each window's origin o*s - p and the offset of each tap t*d (flatPlaneIndex is linear).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {flatPlaneIndex, poolingOutputSize, poolWindowTable} from '../../src/index_math/pool.js';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {asTensor, nodeOf, runOp, sizeOf} from './util.js';

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
  const n = inSize.length;
  const origin = new Int32Array(sizeOf(outSize));
  const first = new Int32Array(sizeOf(outSize));
  const windows = inSize.map((size, i) => poolWindowTable(outSize[i], size, k[i], p[i], s[i], d[i]));
  forEachPosition(outSize, (o, flat) => {
    origin[flat] = flatPlaneIndex(o.map((oi, i) => oi * s[i] - p[i]), inSize);
    first[flat] = flatPlaneIndex(o.map((oi, i) => windows[i].start[oi]), inSize);
  });
  const tapOffset = new Int32Array(sizeOf(k));
  forEachPosition(k, (t, flat) => {
    tapOffset[flat] = flatPlaneIndex(t.map((ti, i) => ti * d[i]), inSize);
  });
  const gridShape = [...outSize, 1];
  return {origin, first, tapOffset, gridShape, n};
}

export const maxPoolWithIndices: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as MaxPoolWithIndicesInputs;
  const a = attrs as unknown as MaxPoolWithIndicesAttrs;
  const {kernelSize, stride, padding, dilation, ceilMode, dataFormat} = a;
  const {batch, channels, spatial: inSize} = layoutOf(x.shape, dataFormat);
  const n = inSize.length;
  const outSize = inSize.map(
      (s, i) => poolingOutputSize(s, kernelSize[i], padding[i], stride[i], dilation[i], ceilMode));
  const outShape = shapeOf(batch, channels, outSize, dataFormat);
  if (batch === 0) return [tf.zeros(outShape), tf.zeros(outShape, 'int32')];
  const {node, attr} = nodeOf(backend);
  const tables = indexTables(inSize, outSize, a);
  const taps = tables.tapOffset.length;

  return tf.tidy(() => {
    // channelsLast, 1-D as 2-D with a unit first axis: [N, ...in, C] of rank m + 2.
    const m = n === 1 ? 2 : n;
    const lift = (v: number[], fill: number) => [...new Array<number>(m - n).fill(fill), ...v];
    let xl = asTensor(x);
    if (dataFormat === 'channelsFirst') {
      xl = tf.transpose(xl, [0, ...Array.from({length: n}, (_, i) => i + 2), 1]);
    }
    if (m !== n) xl = tf.reshape(xl, [batch, 1, ...inSize, channels]);
    const k = lift(kernelSize, 1);
    const s = lift(stride, 1);
    const d = lift(dilation, 1);
    const p = lift(padding, 0);
    const inM = lift(inSize, 1);
    const outM = lift(outSize, 1);

    // -inf padding so that every window lies inside: p before, and after whatever the last
    // window needs (ceilMode may need more than p; with floor rounding a surplus is cropped).
    const after = outM.map((o, i) => (o - 1) * s[i] + d[i] * (k[i] - 1) + 1 - inM[i] - p[i]);
    if (after.some((v) => v < 0)) {
      xl = tf.slice(xl, new Array<number>(m + 2).fill(0),
                    [-1, ...inM.map((size, i) => size + Math.min(after[i], 0)), -1]);
    }
    if (p.some((v) => v > 0) || after.some((v) => v > 0)) {
      xl = tf.pad(xl, [[0, 0], ...p.map((v, i): [number, number] => [v, Math.max(after[i], 0)]),
                       [0, 0]], -Infinity);
    }

    // Patches [N, ...out, T, C], taps in row-major window order.
    const unit = (v: number[]) => [1, ...v, 1];
    let patches: tf.Tensor;
    if (m === 2) {
      patches = runOp(node, 'ExtractImagePatches', [
        attr.type('T', 'float32'), attr.int('ksizes', unit(k)), attr.int('strides', unit(s)),
        attr.int('rates', unit(d)), attr.string('padding', 'VALID'),
      ], [xl]);
    } else if (d.every((v) => v === 1)) {
      patches = runOp(node, 'ExtractVolumePatches', [
        attr.type('T', 'float32'), attr.int('ksizes', unit(k)), attr.int('strides', unit(s)),
        attr.string('padding', 'VALID'),
      ], [xl]);
    } else {
      // ExtractVolumePatches has no dilation: one strided slice per tap.
      const slices: tf.Tensor[] = [];
      const t = [0, 0, 0];
      for (t[0] = 0; t[0] < k[0]; t[0]++) {
        for (t[1] = 0; t[1] < k[1]; t[1]++) {
          for (t[2] = 0; t[2] < k[2]; t[2]++) {
            const begin = [0, ...t.map((ti, i) => ti * d[i]), 0];
            const end = [batch, ...outM.map((o, i) => begin[i + 1] + (o - 1) * s[i] + 1), channels];
            slices.push(tf.stridedSlice(xl, begin, end, unit(s)));
          }
        }
      }
      patches = tf.stack(slices, m + 1);
    }
    patches = tf.reshape(patches, [batch, ...outM, taps, channels]);
    const tapAxis = m + 1;

    const values = tf.max(patches, tapAxis);
    const firstMax = tf.argMax(patches, tapAxis);
    const rank = tf.tensor2d(Array.from({length: taps}, (_, i) => i + 1), [taps, 1], 'float32');
    const nanKey = runOp(node, 'SelectV2', [attr.type('T', 'float32')],
                         [tf.isNaN(patches), rank, tf.scalar(0)]);
    const lastNaN = tf.argMax(nanKey, tapAxis);
    const tap = runOp(node, 'SelectV2', [attr.type('T', 'int32')],
                      [tf.isNaN(values), lastNaN, firstMax]);
    // Grids [...out, 1] broadcast over batch and channels (m - n unit axes for 1-D).
    const grid = (v: Int32Array) => tf.tensor(v, [...lift([], 1), ...tables.gridShape], 'int32');
    const index = tf.add(tf.gather(tf.tensor1d(tables.tapOffset, 'int32'), tap), grid(tables.origin));
    let indices = runOp(node, 'SelectV2', [attr.type('T', 'int32')],
                        [tf.equal(values, tf.scalar(-Infinity)), grid(tables.first), index]);

    let out = values;
    if (m !== n) {
      out = tf.reshape(out, [batch, ...outSize, channels]);
      indices = tf.reshape(indices, [batch, ...outSize, channels]);
    }
    if (dataFormat === 'channelsFirst') {
      const perm = [0, n + 1, ...Array.from({length: n}, (_, i) => i + 1)];
      out = tf.transpose(out, perm);
      indices = tf.transpose(indices, perm);
    }
    return [out, indices];
  });
};

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'tensorflow',
  kernelFunc: maxPoolWithIndices,
};
