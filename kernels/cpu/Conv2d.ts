// cpu kernel of TorchConv2d (Note [the conv route] in src/ops/conv2d.ts): tfjs's own cpu
// FusedConv2D kernel with the padding explicit (fusedConv2dKernel).
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {TorchConv2d} from '../../src/kernel_names.js';
import {fusedConv2dKernel} from '../../src/ops/conv2d.js';

export const conv2dConfig: KernelConfig = {
  kernelName: TorchConv2d,
  backendName: 'cpu',
  kernelFunc: fusedConv2dKernel,
};
