// webgpu kernel of the grouped convolution: where each group fits the direct convolution of
// small_conv2d.ts (at most MAX_IN_CHANNELS input and MAX_OUT_CHANNELS output channels per group,
// the group's output channels a multiple of 4: ResNeXt's 32 groups of 8 to 64 channels), the whole
// convolution in one dispatch (the group count a uniform; channelsFirst transposed in and out),
// with the bias in its epilogue. Otherwise one tfjs convolution per group (perGroupConv2dKernel in
// src/ops/grouped_conv.ts, shared by the backends whose convolutions take no groups: a TorchPad
// per group that pads and crops its channels, the group's filter cropped the same way, the
// outputs concatenated), which was 2 dispatches per group plus a concat: 1148 in MiDaS's encoder.
// The TorchGroupedConv2d layer calls this kernel for the shapes it claims (the capability
// groupedConvOnePass, declared in src/webgpu.ts) and runs the per-group form with its cached
// filters for the others.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {GroupedConv2d} from '../../src/kernel_names.js';
import type {GroupedConv2dAttrs, GroupedConv2dInputs} from '../../src/kernel_names.js';
import {directOrPerGroup} from '../../src/ops/grouped_conv.js';
import {smallConv2d} from './small_conv2d.js';
import type {WebGPUBackend} from './util.js';

/** The direct convolution on NHWC x, or null where it does not apply. */
function direct(backend: WebGPUBackend, x: TensorInfo, filter: TensorInfo, bias: TensorInfo|null,
                a: GroupedConv2dAttrs): TensorInfo|null {
  const [top, bottom, left, right] = a.padding;
  return smallConv2d(backend, {
    x, filter, bias, preluWeights: null, strides: a.stride as [number, number],
    pad: [top, bottom, left, right], dilations: a.dilation as [number, number],
    activation: 'linear', leakyreluAlpha: 0, groups: a.groups});
}

export const groupedConv2dKernel: KernelFunc = (config) => {
  const {filter, bias} = config.inputs as GroupedConv2dInputs;
  const a = config.attrs as unknown as GroupedConv2dAttrs;
  const b = config.backend as unknown as WebGPUBackend;
  return directOrPerGroup(config, (x) => direct(b, x, filter, bias ?? null, a));
};

export const groupedConv2dConfig: KernelConfig = {
  kernelName: GroupedConv2d,
  backendName: 'webgpu',
  kernelFunc: groupedConv2dKernel,
};
