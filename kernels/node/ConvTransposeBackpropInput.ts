// tensorflow-backend kernel of the gradient of convTranspose with respect to x: TensorFlow's
// plain convolution of dy (Conv2D with explicit padding, or Conv3D of the padded dy) with the
// same weight (Note [transposed convolution on TensorFlow] in conv_transpose_common.ts); with
// dilation > 1, taps (Note [dilated transposed convolution on TensorFlow]).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropInput} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropInputAttrs, ConvTransposeBackpropInputInputs} from '../../src/kernel_names.js';
import {layoutOf} from '../../src/util/layout.js';
import {convPlan, fromOpLayout, padForValid, runConv, tapsBackpropInput, toFilter, toOpLayout, trimForExplicit} from './conv_transpose_common.js';
import {asTensor} from './util.js';

export const convTransposeBackpropInput: KernelFunc = ({inputs, attrs}) => {
  const {dy, weight} = inputs as ConvTransposeBackpropInputInputs;
  const a = attrs as unknown as ConvTransposeBackpropInputAttrs;
  if (layoutOf(a.xShape, a.dataFormat).batch === 0) return tf.zeros(a.xShape);
  const plan = convPlan(a, layoutOf(a.xShape, a.dataFormat).spatial, weight.shape.slice(2),
                        layoutOf(dy.shape, a.dataFormat).spatial);
  return tf.tidy(() => {
    const dyl = toOpLayout(asTensor(dy), a.dataFormat, plan);
    const d = plan.explicit ? trimForExplicit(dyl, plan) : padForValid(dyl, plan);
    const filter = toFilter(asTensor(weight), plan);
    const dx = plan.taps ?
        tapsBackpropInput(d, filter, layoutOf(a.xShape, a.dataFormat).spatial, plan) :
        runConv(d, filter, plan);
    return fromOpLayout(dx, a.dataFormat, plan);
  });
};

export const convTransposeBackpropInputConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropInput,
  backendName: 'tensorflow',
  kernelFunc: convTransposeBackpropInput,
};
