// Gradients of convTranspose1d/2d/3d, written with runKernel and tfjs ops so that any backend
// that implements the three kernels gets them. By the tap relation (Note [transposed convolution
// tap relation] in src/index_math/conv.ts):
//   dx      = the plain convolution of dy with the weight        (ConvTransposeBackpropInput)
//   dweight = for each tap, x against dy shifted by that tap      (ConvTransposeBackpropFilter)
//   dbias   = dy summed over batch and spatial axes
// The two gradient kernels get gradients of their own (for second derivatives): each of the
// three kernels is bilinear in its two tensor inputs, and the three are the adjoints of one
// another, so every derivative is again one of the three kernels.
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, NamedAttrMap} from '@tensorflow/tfjs-core';

import {asAttrs, ConvTranspose, ConvTransposeBackpropFilter, ConvTransposeBackpropInput} from '../kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeBackpropFilterAttrs, ConvTransposeBackpropInputAttrs} from '../kernel_names.js';
import {channelAxis} from '../util/layout.js';

function baseAttrs(attrs: NamedAttrMap): ConvTransposeAttrs {
  const a = attrs as unknown as ConvTransposeAttrs;
  return {
    stride: a.stride,
    padding: a.padding,
    outputPadding: a.outputPadding,
    dilation: a.dilation,
    groups: a.groups,
    dataFormat: a.dataFormat,
  };
}

/** y = ConvTranspose(x, weight) (+ bias). */
function convTranspose(x: tf.Tensor, weight: tf.Tensor, attrs: ConvTransposeAttrs): tf.Tensor {
  return tf.engine().runKernel(ConvTranspose, {x, weight}, asAttrs(attrs)) as tf.Tensor;
}

/** The gradient with respect to x of ConvTranspose(x, weight) for upstream dy. */
function backpropInput(
    dy: tf.Tensor, weight: tf.Tensor, xShape: number[], attrs: ConvTransposeAttrs): tf.Tensor {
  const a: ConvTransposeBackpropInputAttrs = {...attrs, xShape};
  return tf.engine().runKernel(ConvTransposeBackpropInput, {dy, weight}, asAttrs(a)) as tf.Tensor;
}

/** The gradient with respect to the weight of ConvTranspose(x, weight) for upstream dy. */
function backpropFilter(
    x: tf.Tensor, dy: tf.Tensor, weightShape: number[], attrs: ConvTransposeAttrs): tf.Tensor {
  const a: ConvTransposeBackpropFilterAttrs = {...attrs, weightShape};
  return tf.engine().runKernel(ConvTransposeBackpropFilter, {x, dy}, asAttrs(a)) as tf.Tensor;
}

export const convTransposeGradConfig: GradConfig = {
  kernelName: ConvTranspose,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const [x, weight] = saved;
    const a = baseAttrs(attrs);
    return {
      x: () => backpropInput(g, weight, x.shape, a),
      weight: () => backpropFilter(x, g, weight.shape, a),
      bias: () => {
        const axis = channelAxis(g.rank, a.dataFormat);
        // tfjs's webgl Sum divides by the reduced size, which is 0 for an empty batch.
        if (g.size === 0) return tf.zeros([g.shape[axis]]);
        return tf.sum(g, Array.from({length: g.rank}, (_, i) => i).filter((i) => i !== axis));
      },
    };
  },
};

// dx = BackpropInput(dy, W) is linear in dy and in W:
//   d/d dy: ConvTranspose(ddx, W)      d/dW: BackpropFilter(ddx, dy)
export const convTransposeBackpropInputGradConfig: GradConfig = {
  kernelName: ConvTransposeBackpropInput,
  inputsToSave: ['dy', 'weight'],
  gradFunc: (ddx: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = ddx as tf.Tensor;
    const [dy, weight] = saved;
    const a = baseAttrs(attrs);
    return {
      dy: () => convTranspose(g, weight, a),
      weight: () => backpropFilter(g, dy, weight.shape, a),
    };
  },
};

// dW = BackpropFilter(x, dy) is linear in x and in dy:
//   d/dx: BackpropInput(dy, ddW)       d/d dy: ConvTranspose(x, ddW)
export const convTransposeBackpropFilterGradConfig: GradConfig = {
  kernelName: ConvTransposeBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw: tf.Tensor|tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = ddw as tf.Tensor;
    const [x, dy] = saved;
    const a = baseAttrs(attrs);
    return {
      x: () => backpropInput(dy, g, x.shape, a),
      dy: () => convTranspose(x, g, a),
    };
  },
};

export const convTransposeGradConfigs: GradConfig[] = [
  convTransposeGradConfig,
  convTransposeBackpropInputGradConfig,
  convTransposeBackpropFilterGradConfig,
];
