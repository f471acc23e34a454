// wasm kernel of group norm (instance norm, layer norm): the cpu compute core on views into the
// wasm heap (Note [group norm numerics] in src/ops/group_norm.ts); a layer norm over rows of a
// multiple of 8 values with weight and bias (the transformers' LayerNorm) runs the WebAssembly
// SIMD loop layerRows (kernels/wasm/simd_math.ts: float32 sums, 8 partial sums per row, where the
// core sums in float64).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {GroupNorm} from '../../src/kernel_names.js';
import type {GroupNormAttrs, GroupNormInputs} from '../../src/kernel_names.js';
import {groupNormImplCPU} from '../cpu/shared.js';
import {normView} from '../../src/index_math/norm.js';
import {simdMath} from './simd_math.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const groupNorm: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as GroupNormInputs;
  const ins: TensorInfo[] = [x];
  if (weight != null) ins.push(weight);
  if (bias != null) ins.push(bias);
  const a = attrs as unknown as GroupNormAttrs;
  const {n, c, p} = normView(x.shape, a.dataFormat, a.trailing);
  const loops = p === 1 && a.numGroups === 1 && c % 8 === 0 && weight != null && bias != null ?
      simdMath(backend as WasmBackend) : null;
  if (loops != null) {
    const epsBits = new Int32Array(new Float32Array([a.eps]).buffer)[0];
    return runOnHeap(backend as WasmBackend, ins, [{shape: x.shape.slice(), dtype: 'float32'}],
                     ([xv, wv, bv], [yv]) => loops.layerRows(xv.byteOffset, yv.byteOffset, n, c,
                                                             wv.byteOffset, bv.byteOffset, epsBits))[0];
  }
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
