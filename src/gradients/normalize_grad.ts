// Gradients of normalize and denormalize with respect to x: dy / std[c] and dy * std[c]
// (mean and std are attributes, not tensors, so they get no gradient). Written with the ops
// themselves: normalize(dy, 0, std) is fround(fround(dy - 0) / std) = fround(dy / std), which is
// what PyTorch's autograd of div_ gives, and denormalize(dy, 0, std) = fround(dy * std) likewise.
import type {GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';
import {Denormalize, Normalize} from '../kernel_names.js';
import type {NormalizeAttrs} from '../kernel_names.js';
import {denormalize, normalize} from '../ops/normalize.js';

export const normalizeGradConfig: GradConfig = {
  kernelName: Normalize,
  gradFunc: (dy: Tensor|Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
    const {std, dataFormat} = attrs as unknown as NormalizeAttrs;
    return {x: () => normalize(dy as Tensor, 0, std, {dataFormat})};
  },
};

export const denormalizeGradConfig: GradConfig = {
  kernelName: Denormalize,
  gradFunc: (dy: Tensor|Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
    const {std, dataFormat} = attrs as unknown as NormalizeAttrs;
    return {x: () => denormalize(dy as Tensor, 0, std, {dataFormat})};
  },
};
