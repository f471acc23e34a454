// wasm kernel of TorchConv2d (Note [the conv route] in src/ops/conv2d.ts): a kernel of this
// backend's own for the shapes it is faster on, else tfjs's own wasm FusedConv2D kernel with the
// padding explicit (fusedConv2dFallback).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {TorchConv2d} from '../../src/kernel_names.js';
import {conv2dKernelArgs, fusedConv2dFallback} from '../../src/ops/conv2d.js';
import {smallConv2d} from './small_conv2d.js';

export const conv2d: KernelFunc = ({inputs, backend, attrs}) => {
  const args = conv2dKernelArgs(inputs, attrs);
  const fast = smallConv2d(backend as Parameters<typeof smallConv2d>[0], args);
  if (fast != null) return fast;
  return fusedConv2dFallback(backend, args);
};

export const conv2dConfig: KernelConfig = {
  kernelName: TorchConv2d,
  backendName: 'wasm',
  kernelFunc: conv2d,
};
