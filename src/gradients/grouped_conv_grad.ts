// Gradient of the grouped convolution, on the transposed convolution's kernels (every backend has
// them, with gradients of their own, so second derivatives come too). The convolution
// y = conv(x, W) with PyTorch's weight W [outC, inC / groups, kH, kW] and the transposed
// convolution with the same W read as [inChannels = outC, outChannels / groups = inC / groups,
// ...k] are adjoints (Note [transposed convolution tap relation] in src/index_math/conv.ts: the
// same taps join x position i*s - p + t*d to y position i), so
//   dx = ConvTranspose(dy, W)                   (padding p, output padding: what reaches x's size)
//   dW = ConvTransposeBackpropFilter(dy, x)     (x in the role of the transposed conv's output)
//   db = dy summed over batch and spatial axes
// The transposed convolution pads both ends of an axis alike. With uneven padding (PyTorch's
// 'same' on an even kernel) the gradients run on the padded frame: padding 0, x padded by its
// (top, bottom) and cut or extended to the span the taps reach, dx cropped back.
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap} from '@tensorflow/tfjs-core';

import {asAttrs, ConvTranspose, ConvTransposeBackpropFilter, GroupedConv2d} from '../kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeBackpropFilterAttrs, GroupedConv2dAttrs} from '../kernel_names.js';
import {channelAxis} from '../util/layout.js';

interface Frame {
  /** The transposed convolution's attributes. */
  attrs: ConvTransposeAttrs;
  /** Per spatial axis (before, after) of x in the frame (negative: cut); null when x is the frame. */
  pads: Array<[number, number]>|null;
}

function frameOf(a: GroupedConv2dAttrs, inSize: number[], kernel: number[], outSize: number[]):
    Frame {
  const even = [0, 1].every((i) => a.padding[2 * i] === a.padding[2 * i + 1]);
  const span = (i: number) => (outSize[i] - 1) * a.stride[i] + a.dilation[i] * (kernel[i] - 1) + 1;
  const base = {stride: a.stride, dilation: a.dilation, groups: a.groups, dataFormat: a.dataFormat};
  if (even) {
    // (out - 1) s - 2p + d (k - 1) + 1 + outputPadding = in, with 0 <= outputPadding < s.
    const padding = [a.padding[0], a.padding[2]];
    const outputPadding = inSize.map((s, i) => s - (span(i) - 2 * padding[i]));
    return {attrs: {...base, padding, outputPadding}, pads: null};
  }
  const pads = inSize.map((s, i): [number, number] => {
    const before = a.padding[2 * i];
    return [before, span(i) - before - s];
  });
  return {attrs: {...base, padding: [0, 0], outputPadding: [0, 0]}, pads};
}

/** Pads (or cuts, for negative amounts) the spatial axes of t. */
function padSpatial(t: tf.Tensor, pads: Array<[number, number]>, dataFormat: string): tf.Tensor {
  const first = dataFormat === 'channelsFirst';
  const axes = first ? [2, 3] : [1, 2];
  const begin = [0, 0, 0, 0];
  const size = t.shape.slice();
  const grow: Array<[number, number]> = [[0, 0], [0, 0], [0, 0], [0, 0]];
  pads.forEach(([b, e], i) => {
    const ax = axes[i];
    begin[ax] = Math.max(-b, 0);
    size[ax] = t.shape[ax] - Math.max(-b, 0) - Math.max(-e, 0);
    grow[ax] = [Math.max(b, 0), Math.max(e, 0)];
  });
  const cut = pads.some(([b, e]) => b < 0 || e < 0) ? tf.slice(t, begin, size) : t;
  return grow.some(([b, e]) => b > 0 || e > 0) ? tf.pad(cut, grow) : cut;
}

export const groupedConv2dGradConfig: GradConfig = {
  kernelName: GroupedConv2d,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const [x, filter] = saved;
    const a = attrs as unknown as GroupedConv2dAttrs;
    const first = a.dataFormat === 'channelsFirst';
    const spatial = (s: number[]) => first ? s.slice(2) : s.slice(1, 3);
    const frame = frameOf(a, spatial(x.shape), filter.shape.slice(0, 2), spatial(g.shape));
    return {
      x: () => tf.tidy(() => {
        const weight = tf.transpose(filter, [3, 2, 0, 1]);
        const dx = tf.engine().runKernel(ConvTranspose, {x: g, weight}, asAttrs(frame.attrs)) as
            tf.Tensor;
        if (frame.pads == null) return dx;
        return padSpatial(dx, frame.pads.map(([b, e]): [number, number] => [-b, -e]), a.dataFormat);
      }),
      filter: () => tf.tidy(() => {
        const xf = frame.pads == null ? x : padSpatial(x, frame.pads, a.dataFormat);
        const [kh, kw, ig, cout] = filter.shape;
        const fa: ConvTransposeBackpropFilterAttrs = {...frame.attrs, weightShape: [cout, ig, kh, kw]};
        const dw = tf.engine().runKernel(ConvTransposeBackpropFilter, {x: g, dy: xf}, asAttrs(fa)) as
            tf.Tensor;
        return tf.transpose(dw, [2, 3, 1, 0]);
      }),
      bias: () => {
        const axis = channelAxis(g.rank, a.dataFormat);
        // tfjs's webgl Sum divides by the reduced size, which is 0 for an empty batch.
        if (g.size === 0) return tf.zeros([g.shape[axis]]);
        return tf.sum(g, [0, 1, 2, 3].filter((i) => i !== axis));
      },
    };
  },
};
