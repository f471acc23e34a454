// Every webgl kernel of tfjs-torch, registered by src/webgl.ts.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {denormalizeConfig} from './Denormalize.js';
import {normalizeConfig} from './Normalize.js';
import {pixelShuffleConfig} from './PixelShuffle.js';
import {pixelUnshuffleConfig} from './PixelUnshuffle.js';

export const webglKernelConfigs: KernelConfig[] = [
  pixelShuffleConfig,
  pixelUnshuffleConfig,
  normalizeConfig,
  denormalizeConfig,
];
