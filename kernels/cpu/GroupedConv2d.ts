// cpu kernel of the grouped convolution: one tfjs convolution per group inside the kernel
// (perGroupConv2dKernel in src/ops/grouped_conv.ts, shared by the backends whose convolutions
// take no groups: a TorchPad per group that pads and crops its channels, the group's filter
// cropped the same way, the outputs concatenated).
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {GroupedConv2d} from '../../src/kernel_names.js';
import {perGroupConv2dKernel} from '../../src/ops/grouped_conv.js';

export const groupedConv2dConfig: KernelConfig = {
  kernelName: GroupedConv2d,
  backendName: 'cpu',
  kernelFunc: perGroupConv2dKernel,
};
