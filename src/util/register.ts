// Registration that is safe to run more than once (the ESM and CommonJS builds may both be
// loaded, or an entry imported twice): a kernel or gradient already in tfjs's registry is left as
// it is instead of being registered again.
import {getGradient, getKernel, registerGradient, registerKernel} from '@tensorflow/tfjs-core';
import type {GradConfig, KernelConfig} from '@tensorflow/tfjs-core';

export function registerKernelsOnce(configs: KernelConfig[]): void {
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
}

export function registerGradientsOnce(configs: GradConfig[]): void {
  for (const config of configs) {
    if (getGradient(config.kernelName) == null) registerGradient(config);
  }
}
