// Every tensorflow-backend (tfjs-node) kernel of tfjs-torch, registered by src/node.ts.
import type {KernelConfig} from '@tensorflow/tfjs-core';

import {pixelShuffleConfig} from './PixelShuffle.js';
import {pixelUnshuffleConfig} from './PixelUnshuffle.js';
import {normalizeConfig} from './Normalize.js';
import {denormalizeConfig} from './Denormalize.js';

export const nodeKernelConfigs: KernelConfig[] = [
  pixelShuffleConfig,
  pixelUnshuffleConfig,
  normalizeConfig,
  denormalizeConfig,
];
