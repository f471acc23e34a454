// webgpu kernel of denormalize: Normalize.ts's kernel in the other direction.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {Denormalize} from '../../src/kernel_names.js';
import {channelMapKernel} from './Normalize.js';

export const denormalize = channelMapKernel('denormalize');

export const denormalizeConfig: KernelConfig = {
  kernelName: Denormalize,
  backendName: 'webgpu',
  kernelFunc: denormalize,
};
