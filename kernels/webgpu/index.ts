// Every webgpu kernel of tfjs-torch, registered by src/webgpu.ts.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {denormalizeConfig} from './Denormalize.js';
import {normalizeConfig} from './Normalize.js';

export const webgpuKernelConfigs: KernelConfig[] = [
  normalizeConfig,
  denormalizeConfig,
];
