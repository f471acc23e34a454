// tensorflow-backend kernel of convTranspose1d/2d/3d: TensorFlow's convolution backprop-input op
// (Conv2DBackpropInput with explicit padding, or Conv3DBackpropInputV2), then the bias
// (Note [transposed convolution on TensorFlow] in conv_transpose_common.ts); with dilation > 1,
// taps (Note [dilated transposed convolution on TensorFlow]).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {convTransposeShapes} from '../../src/index_math/conv.js';
import {ConvTranspose} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs} from '../../src/kernel_names.js';
import {convPlan, fromOpLayout, padSpatial, runBackpropInput, tapsForward, toFilter, toOpLayout} from './conv_transpose_common.js';
import {asTensor} from './util.js';

export const convTranspose: KernelFunc = ({inputs, attrs}) => {
  const {x, weight, bias} = inputs as ConvTransposeInputs;
  const a = attrs as unknown as ConvTransposeAttrs;
  const n = x.shape.length - 2;
  const {batch, inSize: spatial, kernelSize: kernel, outSize, outChannels, yShape: outShape} =
      convTransposeShapes(x.shape, weight.shape, a);
  // TensorFlow's CPU convolutions reject an empty batch; the result is empty anyway.
  if (batch === 0) return tf.zeros(outShape);
  const plan = convPlan(a, spatial, kernel, outSize);
  return tf.tidy(() => {
    const xl = toOpLayout(asTensor(x), a.dataFormat, plan);
    const filter = toFilter(asTensor(weight), plan);
    const ySpatial = [...new Array<number>(plan.m - n).fill(1), ...outSize];
    let y: tf.Tensor;
    if (plan.taps) {
      // Dilation > 1 (Note [dilated transposed convolution on TensorFlow]).
      y = tapsForward(xl, filter, outSize, plan);
    } else if (plan.explicit) {
      // Explicit paddings (lo, hi) with the untouched tail left out, then appended as zeros.
      const size = [batch, ...ySpatial.map((o, i) => o - plan.trim[i]), outChannels];
      y = padSpatial(runBackpropInput(xl, filter, size, plan), plan.lo.map(() => 0), plan.trim);
    } else {
      // VALID: the full scatter span O + lo + hi - trim = (in-1)s + d(k-1) + 1, then lo cropped
      // at the start and hi cropped (or the tail appended) at the end.
      const full = ySpatial.map((o, i) => o + plan.lo[i] + plan.hi[i] - plan.trim[i]);
      y = padSpatial(runBackpropInput(xl, filter, [batch, ...full, outChannels], plan),
                     plan.lo.map((l) => -l), plan.trim.map((t, i) => t - plan.hi[i]));
    }
    if (bias != null) y = tf.add(y, asTensor(bias));
    return fromOpLayout(y, a.dataFormat, plan);
  });
};

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'tensorflow',
  kernelFunc: convTranspose,
};
