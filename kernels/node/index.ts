// Every tensorflow-backend (tfjs-node) kernel of tfjs-torch, registered by src/node.ts.
import type {KernelConfig} from '@tensorflow/tfjs-core';

import {interpolateConfig} from './Interpolate.js';
import {interpolateGradConfig} from './InterpolateGrad.js';
import {convTransposeConfig} from './ConvTranspose.js';
import {convTransposeBackpropInputConfig} from './ConvTransposeBackpropInput.js';
import {convTransposeBackpropFilterConfig} from './ConvTransposeBackpropFilter.js';
import {pixelShuffleConfig} from './PixelShuffle.js';
import {pixelUnshuffleConfig} from './PixelUnshuffle.js';
import {maxPoolWithIndicesConfig} from './MaxPoolWithIndices.js';
import {maxPoolWithIndicesGradConfig} from './MaxPoolWithIndicesGrad.js';
import {finiteMaxPoolConfig} from './FiniteMaxPool.js';
import {finiteProbeConfig} from './FiniteProbe.js';
import {maxUnpoolConfig} from './MaxUnpool.js';
import {maxUnpoolGradConfig} from './MaxUnpoolGrad.js';
import {normalizeConfig} from './Normalize.js';
import {denormalizeConfig} from './Denormalize.js';
import {padConfig} from './Pad.js';
import {groupNormConfig} from './GroupNorm.js';
import {geluConfig} from './Gelu.js';
import {siluConfig} from './Silu.js';
import {groupedConv2dConfig} from './GroupedConv2d.js';
import {conv2dConfig} from './Conv2d.js';

export const nodeKernelConfigs: KernelConfig[] = [
  interpolateConfig,
  interpolateGradConfig,
  convTransposeConfig,
  convTransposeBackpropInputConfig,
  convTransposeBackpropFilterConfig,
  pixelShuffleConfig,
  pixelUnshuffleConfig,
  maxPoolWithIndicesConfig,
  maxPoolWithIndicesGradConfig,
  finiteMaxPoolConfig,
  finiteProbeConfig,
  maxUnpoolConfig,
  maxUnpoolGradConfig,
  normalizeConfig,
  denormalizeConfig,
  padConfig,
  groupNormConfig,
  geluConfig,
  siluConfig,
  groupedConv2dConfig,
  conv2dConfig,
];
