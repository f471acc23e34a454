// webgpu kernel of TorchConv2d (Note [the conv route] in src/ops/conv2d.ts): a kernel of this
// backend's own for the shapes it is faster on, else tfjs's own webgpu FusedConv2D kernel with the
// padding explicit (fusedConv2dFallback).
import type {WebGPUBackend} from './util.js';
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {TorchConv2d} from '../../src/kernel_names.js';
import {conv2dKernelWith} from '../../src/ops/conv2d.js';
import {smallConv2d} from './small_conv2d.js';

export const conv2dConfig: KernelConfig = {
  kernelName: TorchConv2d,
  backendName: 'webgpu',
  kernelFunc: conv2dKernelWith((backend, args) => smallConv2d(backend as WebGPUBackend, args)),
};
