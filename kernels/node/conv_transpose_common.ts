// What the three transposed-convolution kernels of the tensorflow backend share: a plan that
// maps PyTorch's geometry onto TensorFlow's convolution ops, and runners for those ops.
//
// Note [transposed convolution on TensorFlow]
// By the tap relation (Note [transposed convolution tap relation] in src/index_math/conv.ts)
// the three kernels are TensorFlow's three convolution ops with the ROLES of the tensors
// swapped: TensorFlow's plain convolution maps our OUTPUT space (y, size O, outC channels) to our
// INPUT space (x, size in, inC channels) with the same stride, padding and dilation, so
//   ConvTranspose               = Conv2DBackpropInput / Conv3DBackpropInputV2 (input_sizes = y's)
//   ConvTransposeBackpropInput  = Conv2D / Conv3D of dy
//   ConvTransposeBackpropFilter = Conv2DBackpropFilter / Conv3DBackpropFilterV2 (input = dy)
// with the weight [inC, outC/g, ...k] read as TensorFlow's filter [...k, outC/g, inC] (a
// transpose, no flip). Which ops:
// - 1-D runs as 2-D with a unit leading spatial axis.
// - 2-D without dilation uses the Conv2D* ops: they take EXPLICIT padding. Their CPU kernels
//   reject dilation > 1 in the two gradient ops.
// - 3-D without dilation uses the Conv3D* ops: they take only VALID padding, so the padding
//   becomes a Pad of dy or a crop of the result.
// - Any dilation > 1 runs as taps (Note [dilated transposed convolution on TensorFlow]).
// - groups: only Conv2D itself takes them on CPU ("Gradients for grouped convolutions are not
//   supported on CPU"); everywhere else each group runs on its own channel slices.
// - TensorFlow's CPU convolutions are NHWC only: channelsFirst is transposed in and out.
// Padding: TensorFlow's plain convolution over a y of size O with paddings (lo, hi), kernel k,
// stride s, dilation d reads y at i*s - lo + t*d, which is our tap relation for lo = p; it must
// produce exactly `in` positions, floor((O + lo + hi - d(k-1) - 1) / s) + 1 = in. With
// O = (in-1)s - 2p + d(k-1) + outputPadding + 1 (Note [transposed convolution output size]) that
// holds for hi = p - outputPadding. When outputPadding > p, hi would be negative: the last
// outputPadding - p positions of y lie beyond every tap of every input position (the scatter
// form's last target is (in-1)s - p + d(k-1) = O - 1 - (outputPadding - p)), so y there is 0
// (plus bias) and dy there meets no weight: the kernels leave those positions out (`trim`) and
// use hi = 0.
//
// Note [dilated transposed convolution on TensorFlow]
// TensorFlow's CPU convolution kernels take dilation > 1 only where oneDNN runs them, and oneDNN
// is on by default only on some CPUs (AVX-512 ones; TF_ENABLE_ONEDNN_OPTS=1 elsewhere). Without
// it (TensorFlow 2.9's Eigen kernels) Conv2DBackpropInput, Conv2DBackpropFilter, Conv3D,
// Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 all refuse dilation > 1; only Conv2D takes it.
// So the rule: a dilation > 1 on any axis (after unitWhereInert) never reaches a TensorFlow
// convolution op. The three kernels run as taps instead, with the tap relation spelled out: tap
// t (one per kernel position, row-major) joins input position i to y position i*s - p + t*d.
// In dy padded by p before (and padded or cropped after to (in-1)s + d(k-1) + 1, padForValid),
// tap t's positions are a strided slice starting at t*d with step s and `in` entries, so
// - ConvTransposeBackpropInput: the slices of all taps side by side along channels (im2col,
//   [N*in, K*outC/g]) times the weight as a [K*outC/g, inC/g] matrix;
// - ConvTransposeBackpropFilter: x as [N*in, inC/g] transposed times those columns;
// - ConvTranspose: x times the weight gives one column block per tap (col2im), each block
//   spread by s (zeros inserted between entries) and shifted by t*d - p into y, summed.
// Every product is one PyTorch forms too (an x or dy value times a weight; padding zeros of dy
// as PyTorch's im2col has them): no zero stands in for a skipped tap, so a non-finite weight or
// input spreads only where PyTorch's does. Grouped convolutions run per group (perGroup).
// The undilated paths above stay as they are (faster: one TensorFlow op each).
import * as tf from '@tensorflow/tfjs-core';
import {unitWhereInert} from '../../src/index_math/conv.js';
import type {ConvTransposeAttrs} from '../../src/kernel_names.js';
import {padFront} from '../../src/util/layout.js';
import {nodeOf, runOp} from './util.js';

export interface ConvPlan {
  /** Spatial dims of the op (1, 2, 3). */
  n: number;
  /** Spatial dims of the TensorFlow op used (2 or 3). */
  m: number;
  /** Whether the Conv2D* ops run it (explicit padding, native groups). */
  explicit: boolean;
  /**
   * Whether it runs as taps: strided slices and matrix products, no convolution op (dilation > 1
   * on some axis, Note [dilated transposed convolution on TensorFlow]). Then m = n.
   */
  taps: boolean;
  groups: number;
  /** Per spatial axis of the TensorFlow op (unit axes first). */
  stride: number[];
  dilation: number[];
  /** Padding before each axis of y: PyTorch's padding. */
  lo: number[];
  /** Padding after each axis of y: max(p - outputPadding, 0). */
  hi: number[];
  /** Positions at the end of each axis of y that no tap reaches: max(outputPadding - p, 0). */
  trim: number[];
  /**
   * How the Conv2D* ops get (lo, hi): as 'SAME' or 'VALID' where TensorFlow's own rule gives
   * exactly those paddings (its CPU kernels run faster paths for them than for 'EXPLICIT').
   */
  padding: 'SAME'|'VALID'|'EXPLICIT';
}

/**
 * The plan for x of spatial size xSize, a kernel of size `kernel` and y of spatial size ySize
 * (PyTorch's output size).
 */
export function convPlan(
    attrs: ConvTransposeAttrs, xSize: number[], kernel: number[], ySize: number[]): ConvPlan {
  const n = xSize.length;
  const {padding: p, outputPadding: op} = attrs;
  // TensorFlow holds strides and dilations as int32 and multiplies them unchecked: 2**31 wraps to
  // "Stride must be > 0, but got -2147483648", larger products crash the process. The size guard
  // bounds every stride and dilation that reaches the output; the others become 1 (Note
  // [strides and dilations that cannot matter] in src/index_math/conv.ts).
  const {stride: s, dilation: d} = unitWhereInert(xSize, kernel, attrs.stride, attrs.dilation);
  const taps = d.some((v) => v !== 1);
  const explicit = n <= 2 && !taps;
  const m = explicit ? 2 : taps ? n : 3;
  const lift = (v: number[], fill: number) => padFront(v, m, fill);
  const lo = p;
  const hi = p.map((pa, a) => Math.max(pa - op[a], 0));
  const trim = p.map((pa, a) => Math.max(op[a] - pa, 0));
  // TensorFlow's SAME for a convolution over y (trimmed) to x: x = ceil(y / s) and the total
  // padding (x-1)*s + d(k-1) + 1 - y split with the smaller half first.
  const same = xSize.every((x, a) => {
    const y = ySize[a] - trim[a];
    const total = Math.max((x - 1) * s[a] + d[a] * (kernel[a] - 1) + 1 - y, 0);
    return Math.ceil(y / s[a]) === x && lo[a] + hi[a] === total && lo[a] === Math.floor(total / 2);
  });
  const valid = lo.every((l, a) => l === 0 && hi[a] === 0);
  return {
    n,
    m,
    explicit,
    taps,
    groups: attrs.groups,
    stride: lift(s, 1),
    dilation: lift(d, 1),
    lo: lift(lo, 0),
    hi: lift(hi, 0),
    trim: lift(trim, 0),
    padding: valid ? 'VALID' : same ? 'SAME' : 'EXPLICIT',
  };
}

/**
 * An activation in channelsLast with the op's rank: [N, ...unit axes, ...spatial, C]. Call inside
 * tidy.
 */
export function toOpLayout(t: tf.Tensor, dataFormat: string, plan: ConvPlan): tf.Tensor {
  const r = t.rank;
  const last = dataFormat === 'channelsLast' ?
      t :
      tf.transpose(t, [0, ...Array.from({length: r - 2}, (_, i) => i + 2), 1]);
  if (plan.m === plan.n) return last;
  const s = last.shape;
  return tf.reshape(last, [s[0], ...new Array<number>(plan.m - plan.n).fill(1), ...s.slice(1)]);
}

/** The inverse of toOpLayout, for a result of the op's rank. Call inside tidy. */
export function fromOpLayout(t: tf.Tensor, dataFormat: string, plan: ConvPlan): tf.Tensor {
  const s = t.shape;
  const dropped = plan.m === plan.n ? t : tf.reshape(t, [s[0], ...s.slice(1 + plan.m - plan.n)]);
  if (dataFormat === 'channelsLast') return dropped;
  const r = dropped.rank;
  return tf.transpose(dropped, [0, r - 1, ...Array.from({length: r - 2}, (_, i) => i + 1)]);
}

/**
 * PyTorch's weight [inC, outC/g, ...k] as TensorFlow's filter [...unit axes, ...k, outC/g, inC].
 * Call inside tidy.
 */
export function toFilter(weight: tf.Tensor, plan: ConvPlan): tf.Tensor {
  const n = plan.n;
  const f = tf.transpose(weight, [...Array.from({length: n}, (_, i) => i + 2), 1, 0]);
  if (plan.m === n) return f;
  return tf.reshape(f, [...new Array<number>(plan.m - n).fill(1), ...f.shape]);
}

/** The inverse of toFilter, for a filter gradient. Call inside tidy. */
export function fromFilter(filter: tf.Tensor, plan: ConvPlan): tf.Tensor {
  const n = plan.n;
  const f = plan.m === n ? filter : tf.reshape(filter, filter.shape.slice(plan.m - n));
  return tf.transpose(f, [n + 1, n, ...Array.from({length: n}, (_, i) => i)]);
}

/**
 * Pads each spatial axis of an op-layout tensor by (before, after) zeros; a negative amount
 * crops instead. Call inside tidy.
 */
export function padSpatial(t: tf.Tensor, before: number[], after: number[]): tf.Tensor {
  const crop = (v: number) => Math.max(-v, 0);
  let out = t;
  if (before.some((b) => b < 0) || after.some((a) => a < 0)) {
    const begin = [0, ...before.map(crop), 0];
    const size = [-1, ...before.map((b, a) => t.shape[a + 1] - crop(b) - crop(after[a])), -1];
    out = tf.slice(out, begin, size);
  }
  if (before.some((b) => b > 0) || after.some((a) => a > 0)) {
    out = tf.pad(out, [
      [0, 0], ...before.map((b, a): [number, number] => [Math.max(b, 0), Math.max(after[a], 0)]),
      [0, 0],
    ]);
  }
  return out;
}

/** y-space tensor dy (op layout) with the plan's padding applied as data (VALID ops). */
export function padForValid(dy: tf.Tensor, plan: ConvPlan): tf.Tensor {
  return padSpatial(dy, plan.lo, plan.hi.map((h, a) => h - plan.trim[a]));
}

/** y-space tensor dy (op layout) without its unreachable trailing positions (explicit ops). */
export function trimForExplicit(dy: tf.Tensor, plan: ConvPlan): tf.Tensor {
  return padSpatial(dy, plan.lo.map(() => 0), plan.trim.map((t) => -t));
}

function convAttrs(plan: ConvPlan) {
  const {node, attr} = nodeOf(tf.backend());
  const unit = (v: number[]) => [1, ...v, 1];
  const attrs = [
    attr.type('T', 'float32'),
    attr.int('strides', unit(plan.stride)),
    attr.int('dilations', unit(plan.dilation)),
    attr.string('data_format', plan.m === 2 ? 'NHWC' : 'NDHWC'),
  ];
  if (plan.explicit && plan.padding !== 'EXPLICIT') {
    attrs.push(attr.string('padding', plan.padding));
  } else if (plan.explicit) {
    attrs.push(attr.string('padding', 'EXPLICIT'));
    attrs.push(attr.int(
        'explicit_paddings', [0, 0, ...plan.lo.flatMap((l, a) => [l, plan.hi[a]]), 0, 0]));
  } else {
    attrs.push(attr.string('padding', 'VALID'));
  }
  return {node, attr, attrs};
}

/**
 * Runs `op` once per group on the groups' slices of the last axis of each tensor and joins the
 * results along their last axis, in group order (PyTorch's channel order: group g owns channels
 * g*C/groups ...).
 */
function perGroup(groups: number, tensors: tf.Tensor[], op: (parts: tf.Tensor[]) => tf.Tensor):
    tf.Tensor {
  if (groups === 1) return op(tensors);
  const split = tensors.map((t) => tf.split(t, groups, t.rank - 1));
  const results = split[0].map((_, g) => op(split.map((parts) => parts[g])));
  return tf.concat(results, results[0].rank - 1);
}

/** A shape with its last entry divided by the group count. */
function groupShape(shape: number[], groups: number): number[] {
  return [...shape.slice(0, -1), shape[shape.length - 1] / groups];
}

/**
 * TensorFlow's convolution backprop-input: y (shape ySize, op layout) from x through the filter.
 * TensorFlow's CPU gradient ops take no groups: one op per group.
 */
export function runBackpropInput(
    x: tf.Tensor, filter: tf.Tensor, ySize: number[], plan: ConvPlan): tf.Tensor {
  const {node, attr, attrs} = convAttrs(plan);
  const size = groupShape(ySize, plan.groups);
  if (plan.explicit) {
    const a = [...attrs, attr.bool('use_cudnn_on_gpu', true)];
    return perGroup(plan.groups, [x, filter],
                    ([xg, fg]) => runOp(node, 'Conv2DBackpropInput', a, [size, fg, xg]));
  }
  const a = [...attrs, attr.type('Tshape', 'int32')];
  return perGroup(plan.groups, [x, filter],
                  ([xg, fg]) => runOp(node, 'Conv3DBackpropInputV2', a, [size, fg, xg]));
}

/**
 * TensorFlow's plain convolution of the y-space tensor dy (op layout, padding applied for
 * VALID). Conv2D takes groups on CPU (a filter with inC/groups input channels); Conv3D does not.
 */
export function runConv(dy: tf.Tensor, filter: tf.Tensor, plan: ConvPlan): tf.Tensor {
  const {node, attrs} = convAttrs(plan);
  if (plan.explicit) return runOp(node, 'Conv2D', attrs, [dy, filter]);
  return perGroup(plan.groups, [dy, filter], ([d, f]) => runOp(node, 'Conv3D', attrs, [d, f]));
}

/**
 * TensorFlow's filter gradient: y-space dy (input of the plain convolution, padding applied for
 * VALID) against x (its output space). filterShape is TensorFlow's full filter shape.
 */
export function runBackpropFilter(
    dy: tf.Tensor, x: tf.Tensor, filterShape: number[], plan: ConvPlan): tf.Tensor {
  const {node, attrs} = convAttrs(plan);
  const name = plan.explicit ? 'Conv2DBackpropFilter' : 'Conv3DBackpropFilterV2';
  const size = groupShape(filterShape, plan.groups);
  return perGroup(plan.groups, [dy, x], ([d, xg]) => runOp(node, name, attrs, [d, size, xg]));
}

/** The number of kernel taps and each tap's per-axis index, row-major. */
function tapIndices(kernel: number[]): number[][] {
  let out: number[][] = [[]];
  for (const k of kernel) out = out.flatMap((t) => Array.from({length: k}, (_, j) => [...t, j]));
  return out;
}

/**
 * im2col of the padded y-space tensor dp (padForValid, channels-last [N, ...L, C]): for each tap
 * the strided slice of the positions it meets, joined along channels: [N, ...xSize, K*C].
 */
function im2col(dp: tf.Tensor, xSize: number[], kernel: number[], plan: ConvPlan): tf.Tensor {
  const [batch, c] = [dp.shape[0], dp.shape[dp.rank - 1]];
  const slices = tapIndices(kernel).map((t) => {
    const start = t.map((ta, a) => ta * plan.dilation[a]);
    return tf.stridedSlice(dp, [0, ...start, 0],
                           [batch, ...start.map((b, a) => b + (xSize[a] - 1) * plan.stride[a] + 1), c],
                           [1, ...plan.stride, 1]);
  });
  return slices.length === 1 ? slices[0] : tf.concat(slices, dp.rank - 1);
}

/** [N, ...spatial, C] as [N*prod(spatial), C]. */
function rows(t: tf.Tensor): tf.Tensor2D {
  return tf.reshape(t, [-1, t.shape[t.rank - 1]]);
}

/**
 * ConvTransposeBackpropInput as taps: dx [N, ...xSize, inC] from the padded dp (padForValid) and
 * TensorFlow's filter [...k, outC/g, inC] (toFilter). Call inside tidy.
 */
export function tapsBackpropInput(
    dp: tf.Tensor, filter: tf.Tensor, xSize: number[], plan: ConvPlan): tf.Tensor {
  const kernel = filter.shape.slice(0, plan.n);
  return perGroup(plan.groups, [dp, filter], ([d, f]) => {
    const cols = rows(im2col(d, xSize, kernel, plan));
    const inC = f.shape[f.rank - 1];
    return tf.reshape(tf.matMul(cols, tf.reshape(f, [-1, inC])), [d.shape[0], ...xSize, inC]);
  });
}

/**
 * ConvTransposeBackpropFilter as taps: TensorFlow's filter gradient [...k, outC/g, inC] from the
 * padded dp (padForValid) and x [N, ...xSize, inC]. Call inside tidy.
 */
export function tapsBackpropFilter(
    dp: tf.Tensor, x: tf.Tensor, filterShape: number[], plan: ConvPlan): tf.Tensor {
  const kernel = filterShape.slice(0, plan.n);
  const xSize = x.shape.slice(1, -1);
  const n = plan.n;
  return perGroup(plan.groups, [dp, x], ([d, xg]) => {
    const cols = rows(im2col(d, xSize, kernel, plan));
    const inC = xg.shape[xg.rank - 1];
    // [inC/g, K*outC/g] -> [inC/g, ...k, outC/g] -> [...k, outC/g, inC/g].
    const g = tf.reshape(tf.matMul(rows(xg), cols, true, false),
                         [inC, ...kernel, d.shape[d.rank - 1]]);
    return tf.transpose(g, [...Array.from({length: n}, (_, i) => i + 1), n + 1, 0]);
  });
}

/**
 * ConvTranspose as taps: y [N, ...ySize, outC] (PyTorch's full size, no bias) from x
 * [N, ...xSize, inC] and TensorFlow's filter [...k, outC/g, inC] (toFilter). Call inside tidy.
 */
export function tapsForward(
    x: tf.Tensor, filter: tf.Tensor, ySize: number[], plan: ConvPlan): tf.Tensor {
  const n = plan.n;
  const kernel = filter.shape.slice(0, n);
  const taps = tapIndices(kernel);
  const [batch, xSize] = [x.shape[0], x.shape.slice(1, -1)];
  return perGroup(plan.groups, [x, filter], ([xg, f]) => {
    const outC = f.shape[n];
    const w = tf.reshape(f, [-1, f.shape[f.rank - 1]]);
    // col2im: one block of outC/g columns per tap, [N, ...xSize, K*outC/g].
    let cols: tf.Tensor = tf.reshape(tf.matMul(rows(xg), w, false, true),
                                     [batch, ...xSize, taps.length * outC]);
    // Spread by the stride: s - 1 zeros after each entry, then the trailing ones dropped, so
    // entry i sits at i*s of an axis of (in-1)s + 1.
    for (let a = 0; a < n; a++) {
      const s = plan.stride[a];
      if (s === 1) continue;
      const shape = cols.shape;
      const split = [...shape.slice(0, a + 2), 1, ...shape.slice(a + 2)];
      const pads = split.map((_, i): [number, number] => i === a + 2 ? [0, s - 1] : [0, 0]);
      const spread = tf.reshape(tf.pad(tf.reshape(cols, split), pads),
                                [...shape.slice(0, a + 1), shape[a + 1] * s, ...shape.slice(a + 2)]);
      const size = spread.shape.map((v, i) => i === a + 1 ? (xSize[a] - 1) * s + 1 : v);
      cols = tf.slice(spread, spread.shape.map(() => 0), size);
    }
    const span = xSize.map((v, a) => (v - 1) * plan.stride[a] + 1);
    // Tap j's block lands at t*d - p on each axis; only its part inside [0, ySize) is kept (a
    // block can lie wholly outside y when p is large: it adds nothing).
    const parts: tf.Tensor[] = [];
    taps.forEach((t, j) => {
      const at = t.map((ta, a) => ta * plan.dilation[a] - plan.lo[a]);
      const from = at.map((b) => Math.max(-b, 0));
      const to = at.map((b, a) => Math.min(span[a], ySize[a] - b));
      if (from.some((v, a) => to[a] <= v)) return;
      const block = tf.slice(cols, [0, ...from, j * outC], [-1, ...to.map((v, a) => v - from[a]), outC]);
      parts.push(tf.pad(block, [
        [0, 0],
        ...at.map((b, a): [number, number] =>
                      [Math.max(b, 0), ySize[a] - Math.max(b, 0) - (to[a] - from[a])]),
        [0, 0],
      ]));
    });
    if (parts.length === 0) return tf.zeros([batch, ...ySize, outC]);
    return parts.length === 1 ? parts[0] : tf.addN(parts);
  });
}
