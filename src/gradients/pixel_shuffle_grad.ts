// Gradients of pixelShuffle and pixelUnshuffle. Both ops only move values, each to exactly one
// place, so the gradient of one is the other applied to dy (what PyTorch's autograd computes
// for pixel_shuffle too); no extra kernel.
import type {GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';
import {PixelShuffle, PixelUnshuffle} from '../kernel_names.js';
import type {PixelShuffleAttrs, PixelUnshuffleAttrs} from '../kernel_names.js';
import {pixelShuffle, pixelUnshuffle} from '../ops/pixel_shuffle.js';

export const pixelShuffleGradConfig: GradConfig = {
  kernelName: PixelShuffle,
  gradFunc: (dy: Tensor|Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
    const {upscaleFactor, dataFormat} = attrs as unknown as PixelShuffleAttrs;
    return {x: () => pixelUnshuffle(dy as Tensor, upscaleFactor, {dataFormat})};
  },
};

export const pixelUnshuffleGradConfig: GradConfig = {
  kernelName: PixelUnshuffle,
  gradFunc: (dy: Tensor|Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
    const {downscaleFactor, dataFormat} = attrs as unknown as PixelUnshuffleAttrs;
    return {x: () => pixelShuffle(dy as Tensor, downscaleFactor, {dataFormat})};
  },
};
