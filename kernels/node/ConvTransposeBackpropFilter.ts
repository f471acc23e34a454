// tensorflow-backend kernel of the gradient of convTranspose with respect to the weight:
// TensorFlow's filter gradient (Conv2DBackpropFilter with explicit padding, or
// Conv3DBackpropFilterV2 of the padded dy) with dy as the convolution's input and x as its
// output (Note [transposed convolution on TensorFlow] in conv_transpose_common.ts); with dilation
// > 1, taps (Note [dilated transposed convolution on TensorFlow]).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {ConvTransposeBackpropFilter} from '../../src/kernel_names.js';
import type {ConvTransposeBackpropFilterAttrs, ConvTransposeBackpropFilterInputs} from '../../src/kernel_names.js';
import {layoutOf} from '../../src/util/layout.js';
import {convPlan, fromFilter, padForValid, runBackpropFilter, tapsBackpropFilter, toOpLayout, trimForExplicit} from './conv_transpose_common.js';
import {asTensor} from './util.js';

export const convTransposeBackpropFilter: KernelFunc = ({inputs, attrs}) => {
  const {x, dy} = inputs as ConvTransposeBackpropFilterInputs;
  const a = attrs as unknown as ConvTransposeBackpropFilterAttrs;
  const ws = a.weightShape;
  if (layoutOf(x.shape, a.dataFormat).batch === 0) return tf.zeros(ws);
  const n = ws.length - 2;
  const plan = convPlan(a, layoutOf(x.shape, a.dataFormat).spatial, ws.slice(2),
                        layoutOf(dy.shape, a.dataFormat).spatial);
  return tf.tidy(() => {
    const xl = toOpLayout(asTensor(x), a.dataFormat, plan);
    const dyl = toOpLayout(asTensor(dy), a.dataFormat, plan);
    const d = plan.explicit ? trimForExplicit(dyl, plan) : padForValid(dyl, plan);
    // TensorFlow's filter shape [...unit axes, ...k, outC/g, inC].
    const filterShape = [...new Array<number>(plan.m - n).fill(1), ...ws.slice(2), ws[1], ws[0]];
    const g = plan.taps ? tapsBackpropFilter(d, xl, filterShape, plan) :
                          runBackpropFilter(d, xl, filterShape, plan);
    return fromFilter(g, plan);
  });
};

export const convTransposeBackpropFilterConfig: KernelConfig = {
  kernelName: ConvTransposeBackpropFilter,
  backendName: 'tensorflow',
  kernelFunc: convTransposeBackpropFilter,
};
