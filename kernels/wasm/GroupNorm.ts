// wasm kernel of group norm (instance norm, layer norm): the cpu compute core on views into the
// wasm heap (Note [group norm numerics] in src/ops/group_norm.ts).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {GroupNorm} from '../../src/kernel_names.js';
import type {GroupNormAttrs, GroupNormInputs} from '../../src/kernel_names.js';
import {groupNormImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const groupNorm: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as GroupNormInputs;
  const ins: TensorInfo[] = [x];
  if (weight != null) ins.push(weight);
  if (bias != null) ins.push(bias);
  return runOnHeap(backend as WasmBackend, ins, [{shape: x.shape.slice(), dtype: 'float32'}],
                   (views, [yv]) => {
                     const w = weight == null ? null : views[1];
                     const b = bias == null ? null : views[weight == null ? 1 : 2];
                     groupNormImplCPU(views[0], x.shape, w, b, attrs as unknown as GroupNormAttrs, yv);
                   })[0];
};

export const groupNormConfig: KernelConfig = {
  kernelName: GroupNorm,
  backendName: 'wasm',
  kernelFunc: groupNorm,
};
