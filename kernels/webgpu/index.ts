// Every webgpu kernel of tfjs-torch, registered by src/webgpu.ts.
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {convTransposeConfig} from './ConvTranspose.js';
import {convTransposeBackpropFilterConfig} from './ConvTransposeBackpropFilter.js';
import {convTransposeBackpropInputConfig} from './ConvTransposeBackpropInput.js';
import {denormalizeConfig} from './Denormalize.js';
import {padConfig} from './Pad.js';
import {groupNormConfig} from './GroupNorm.js';
import {geluConfig} from './Gelu.js';
import {siluConfig} from './Silu.js';
import {groupedConv2dConfig} from './GroupedConv2d.js';
import {conv2dConfig} from './Conv2d.js';
import {preluConfig} from './Prelu.js';
import {interpolateConfig} from './Interpolate.js';
import {interpolateGradConfig} from './InterpolateGrad.js';
import {maxPoolWithIndicesConfig} from './MaxPoolWithIndices.js';
import {maxPoolWithIndicesGradConfig} from './MaxPoolWithIndicesGrad.js';
import {maxUnpoolConfig} from './MaxUnpool.js';
import {maxUnpoolGradConfig} from './MaxUnpoolGrad.js';
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
  convTransposeConfig,
  convTransposeBackpropInputConfig,
  convTransposeBackpropFilterConfig,
  maxPoolWithIndicesConfig,
  maxPoolWithIndicesGradConfig,
  maxUnpoolConfig,
  maxUnpoolGradConfig,
  padConfig,
  groupNormConfig,
  geluConfig,
  siluConfig,
  groupedConv2dConfig,
  conv2dConfig,
  preluConfig,
];
