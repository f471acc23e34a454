// Every gradient of tfjs-torch, registered by the main entry point (src/index.ts). A gradient is
// written with ops, so it runs on any backend that has the kernels those ops use.
import type {GradConfig} from '@tensorflow/tfjs-core';
import {pixelShuffleGradConfig, pixelUnshuffleGradConfig} from './pixel_shuffle_grad.js';
import {denormalizeGradConfig, normalizeGradConfig} from './normalize_grad.js';
import {finiteMaxPoolGradConfig, maxPoolWithIndicesGradConfig, maxPoolWithIndicesGradGradConfig} from './max_pool_grad.js';
import {maxUnpoolGradConfig, maxUnpoolGradGradConfig} from './max_unpool_grad.js';
import {convTransposeGradConfigs} from './conv_transpose_grad.js';
import {interpolateGradConfig, interpolateGradGradConfig} from './interpolate_grad.js';
import {padGradConfig} from './pad_grad.js';
import {groupNormGradConfig} from './group_norm_grad.js';
import {geluGradConfig} from './gelu_grad.js';
import {siluGradConfig} from './silu_grad.js';
import {preluGradConfig} from './prelu_grad.js';
import {batchMatMulGradConfig} from './batch_mat_mul_grad.js';
import {groupedConv2dGradConfig} from './grouped_conv_grad.js';

export const gradConfigs: GradConfig[] = [
  pixelShuffleGradConfig,
  pixelUnshuffleGradConfig,
  normalizeGradConfig,
  denormalizeGradConfig,
  maxPoolWithIndicesGradConfig,
  maxPoolWithIndicesGradGradConfig,
  finiteMaxPoolGradConfig,
  maxUnpoolGradConfig,
  maxUnpoolGradGradConfig,
  ...convTransposeGradConfigs,
  interpolateGradConfig,
  interpolateGradGradConfig,
  padGradConfig,
  groupNormGradConfig,
  geluGradConfig,
  siluGradConfig,
  preluGradConfig,
  batchMatMulGradConfig,
  groupedConv2dGradConfig,
];
