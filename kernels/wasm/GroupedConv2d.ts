// wasm kernel of the grouped convolution: one tfjs convolution per group inside the kernel
// (perGroupConv2d in src/ops/grouped_conv.ts: a TorchPad per group that pads and crops its
// channels, the group's filter cropped the same way, the outputs concatenated).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {GroupedConv2d} from '../../src/kernel_names.js';
import type {GroupedConv2dAttrs, GroupedConv2dInputs} from '../../src/kernel_names.js';
import {groupBias, groupFilter, kernelInput, perGroupConv2d} from '../../src/ops/grouped_conv.js';

export const groupedConv2d: KernelFunc = ({inputs, attrs}) => {
  const {x, filter, bias} = inputs as GroupedConv2dInputs;
  const a = attrs as unknown as GroupedConv2dAttrs;
  return tf.tidy(() => {
    const f = kernelInput(filter);
    const b = bias == null ? null : kernelInput(bias);
    return perGroupConv2d(kernelInput(x), (g) => groupFilter(f, a.groups, g),
                          (g) => groupBias(b, a.groups, g), a);
  });
};

export const groupedConv2dConfig: KernelConfig = {
  kernelName: GroupedConv2d,
  backendName: 'wasm',
  kernelFunc: groupedConv2d,
};
