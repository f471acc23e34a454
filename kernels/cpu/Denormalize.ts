// cpu kernel of denormalize: x * std[c] + mean[c] in two rounded float32 steps, as PyTorch's
// `x * std + mean` (Note [normalize arithmetic] in src/ops/normalize.ts). The loop is
// Normalize.ts's, in the other direction (denormalizeImplCPU there).
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {Denormalize} from '../../src/kernel_names.js';
import {channelMapKernel} from './Normalize.js';

export const denormalize = channelMapKernel('denormalize');

export const denormalizeConfig: KernelConfig = {
  kernelName: Denormalize,
  backendName: 'cpu',
  kernelFunc: denormalize,
};
