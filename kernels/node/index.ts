// Every tensorflow-backend (tfjs-node) kernel of tfjs-torch, registered by src/node.ts.
import type {KernelConfig} from '@tensorflow/tfjs-core';

export const nodeKernelConfigs: KernelConfig[] = [
];
