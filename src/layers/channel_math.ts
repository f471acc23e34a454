// Per-channel arithmetic for the norm layers and prelu, written with tfjs ops that are fast on
// every backend.
//
// Note [per-channel ops without slow broadcasting]
// tfjs 4.22's cpu backend runs an elementwise op fast when both tensors have one shape or the
// second repeats along the leading dims (a [C] vector against [..., C]), but through a generic
// index-by-index path when a vector broadcasts along a middle or leading axis ([1, C, 1, 1]
// against N C H W, or [N, 1, C] against [N, P, C]): measured on a 1M-element tensor (2-core
// machine, under load) 30-45 ms same-shape against about 200 ms broadcast. Its reductions over a
// non-last axis are as slow (160 ms), over the last axis fast (6 ms). So every per-channel step
// here uses one of three fast forms, never a middle-axis broadcast:
//   - a [C] vector against x viewed as [N * P, C] (channels last) or, expanded to [C * P] by an
//     outer product (a matMul of [C, 1] by ones [1, P]), against x viewed as [N, C * P]
//     (channels first);
//   - a per-(instance, channel) [N, C] table expanded to x's own view by a (batched) outer
//     product, then a same-shape op;
//   - plane sums as a last-axis sum (channels first, [N * C, P]) or a batched matMul by ones
//     (channels last, ones [N, 1, P] times [N, P, C]).
// An outer product or a matMul by ones costs about one elementwise pass. On webgl and tensorflow
// every form is a plain fast op too, and tfjs's gradients of matMul, reshape, sum and the
// elementwise ops give the training gradients. (This is also why the layers need no kernel of
// their own: Note [norm layers as composed ops] in norm.ts.)
import * as tf from '@tensorflow/tfjs-core';
import type {DataFormat} from '../kernel_names.js';

/**
 * x as N instances of C channels over P positions: channels first is [N, C, P], channels last
 * [N, P, C]. A rank-2 (N, C) input has P = 1 and its channels last whatever the dataFormat.
 */
export interface ChannelView {
  n: number;
  c: number;
  p: number;
  channelsLast: boolean;
}

export function channelView(shape: readonly number[], dataFormat: DataFormat): ChannelView {
  const channelsLast = shape.length === 2 || dataFormat === 'channelsLast';
  const c = channelsLast ? shape[shape.length - 1] : shape[1];
  const n = shape[0];
  const size = shape.reduce((a, b) => a * b, 1);
  return {n, c, p: size / (n * c), channelsLast};
}

/** [R, 1] x ones [1, P]: every row value repeated P times. */
function repeatRows(v: tf.Tensor, rows: number, p: number): tf.Tensor {
  return tf.matMul(tf.reshape(v, [rows, 1]), tf.ones([1, p]));
}

/**
 * x * scale + shift, where scale and shift hold one value per channel ([C]) or per instance and
 * channel ([N, C]), both of one kind; either may be null (1, 0). Note [per-channel ops without
 * slow broadcasting].
 */
export function channelAffine(
    x: tf.Tensor, v: ChannelView, scale: tf.Tensor|null, shift: tf.Tensor|null): tf.Tensor {
  const {n, c, p} = v;
  const perInstance = (scale ?? shift)!.rank === 2;
  let view: tf.Tensor;
  let expand: (t: tf.Tensor) => tf.Tensor;
  if (!perInstance && (v.channelsLast || p === 1)) {
    view = tf.reshape(x, [n * p, c]);
    expand = (t) => t;
  } else if (!perInstance) {
    view = tf.reshape(x, [n, c * p]);
    expand = (t) => tf.reshape(repeatRows(t, c, p), [c * p]);
  } else if (v.channelsLast) {
    // ones [N, P, 1] x [N, 1, C]: the table repeated over the positions of each instance.
    const ones = tf.ones([n, p, 1]);
    view = tf.reshape(x, [n, p, c]);
    expand = (t) => tf.matMul(ones, tf.reshape(t, [n, 1, c]));
  } else {
    view = tf.reshape(x, [n * c, p]);
    expand = (t) => repeatRows(t, n * c, p);
  }
  let y = scale == null ? view : tf.mul(view, expand(scale));
  if (shift != null) y = tf.add(y, expand(shift));
  return tf.reshape(y, x.shape);
}

/** Sums over the positions of each instance and channel: [N, C]. */
export function planeSums(x: tf.Tensor, v: ChannelView): tf.Tensor {
  const {n, c, p} = v;
  if (!v.channelsLast) return tf.reshape(tf.sum(tf.reshape(x, [n * c, p]), 1), [n, c]);
  if (p === 1) return tf.reshape(x, [n, c]);
  return tf.reshape(tf.matMul(tf.ones([n, 1, p]), tf.reshape(x, [n, p, c])), [n, c]);
}
