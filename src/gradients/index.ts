// Every gradient of tfjs-torch, registered by the main entry point (src/index.ts). A gradient is
// written with ops, so it runs on any backend that has the kernels those ops use.
import type {GradConfig} from '@tensorflow/tfjs-core';

export const gradConfigs: GradConfig[] = [
];
