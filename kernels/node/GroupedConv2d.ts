// tensorflow-backend kernel of the grouped convolution: one TensorFlow Conv2D whose filter holds
// inChannels / groups input channels (Note [grouped convolution on TensorFlow] in
// src/ops/grouped_conv.ts), the zero padding as its EXPLICIT paddings (or VALID / SAME where
// TensorFlow's rule gives the same numbers), the bias in the same op or as BiasAdd (kernels/node/conv_bias.ts). TensorFlow's CPU Conv2D is NHWC
// only: channelsFirst is transposed in and out.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {GroupedConv2d} from '../../src/kernel_names.js';
import type {GroupedConv2dAttrs, GroupedConv2dInputs} from '../../src/kernel_names.js';
import {conv2dWithBias} from './conv_bias.js';
import {asTensor} from './util.js';

export const groupedConv2d: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, filter, bias} = inputs as GroupedConv2dInputs;
  const a = attrs as unknown as GroupedConv2dAttrs;
  const first = a.dataFormat === 'channelsFirst';
  const [kh, kw, , cout] = filter.shape;
  const [n, h, w] = first ? [x.shape[0], x.shape[2], x.shape[3]] : x.shape;
  const [top, bottom, left, right] = a.padding;
  const [sh, sw] = a.stride;
  const [dh, dw] = a.dilation;
  const oh = Math.floor((h + top + bottom - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + left + right - dw * (kw - 1) - 1) / sw) + 1;
  // TensorFlow's CPU convolutions reject an empty batch; the result is empty anyway.
  if (n === 0) return tf.zeros(first ? [0, cout, oh, ow] : [0, oh, ow, cout]);
  return tf.tidy(() => {
    const xl = first ? tf.transpose(asTensor(x), [0, 2, 3, 1]) : asTensor(x);
    const padding = convPadding(a, [h, w], [kh, kw], [oh, ow]);
    // Note [conv and bias in one TensorFlow op] (MiDaS's ResNeXt groups: 0.56-0.59x).
    const y = conv2dWithBias(backend, xl, filter, bias ?? null, {
      strides: [sh, sw], dilations: [dh, dw], padding, explicit: [top, bottom, left, right],
    });
    return first ? tf.transpose(y, [0, 3, 1, 2]) : y;
  });
};

/**
 * 'VALID' without padding; 'SAME' where TensorFlow's own split (out = ceil(in / s), the total
 * padding's smaller half first) is exactly the given padding; else 'EXPLICIT'.
 */
function convPadding(a: GroupedConv2dAttrs, inSize: number[], kernel: number[],
                     outSize: number[]): 'VALID'|'SAME'|'EXPLICIT' {
  const p = a.padding;
  if (p.every((v) => v === 0)) return 'VALID';
  const same = inSize.every((s, i) => {
    const total = Math.max(
        (outSize[i] - 1) * a.stride[i] + a.dilation[i] * (kernel[i] - 1) + 1 - s, 0);
    return outSize[i] === Math.ceil(s / a.stride[i]) && p[2 * i] + p[2 * i + 1] === total &&
        p[2 * i] === Math.floor(total / 2);
  });
  return same ? 'SAME' : 'EXPLICIT';
}

export const groupedConv2dConfig: KernelConfig = {
  kernelName: GroupedConv2d,
  backendName: 'tensorflow',
  kernelFunc: groupedConv2d,
};
