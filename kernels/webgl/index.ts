// Every webgl kernel of tfjs-torch, registered by src/webgl.ts.
import type {KernelConfig} from '@tensorflow/tfjs-core';

export const webglKernelConfigs: KernelConfig[] = [
];
