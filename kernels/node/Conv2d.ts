// tensorflow kernel of TorchConv2d (Note [the conv route] in src/ops/conv2d.ts): tfjs's own tensorflow
// FusedConv2D kernel with the padding explicit (fusedConv2dKernel, shared by cpu, webgl and
// tensorflow).
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {TorchConv2d} from '../../src/kernel_names.js';
import {fusedConv2dKernel} from '../../src/ops/conv2d.js';

export const conv2dConfig: KernelConfig = {
  kernelName: TorchConv2d,
  backendName: 'tensorflow',
  kernelFunc: fusedConv2dKernel,
};
