// Every webgpu kernel of tfjs-torch, registered by src/webgpu.ts.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {denormalizeConfig} from './Denormalize.js';
import {interpolateConfig} from './Interpolate.js';
import {interpolateGradConfig} from './InterpolateGrad.js';
import {normalizeConfig} from './Normalize.js';
import {pixelShuffleConfig} from './PixelShuffle.js';
import {pixelUnshuffleConfig} from './PixelUnshuffle.js';

export const webgpuKernelConfigs: KernelConfig[] = [
  interpolateConfig,
  interpolateGradConfig,
  pixelShuffleConfig,
  pixelUnshuffleConfig,
  normalizeConfig,
  denormalizeConfig,
];
