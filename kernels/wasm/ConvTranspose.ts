// wasm kernel of convTranspose (1-D to 3-D, groups, dilation, output padding): the cpu compute
// core, whose product runs in the project's own WebAssembly module (kernels/cpu/
// conv_transpose_gemm.ts, SIMD where available) on copies of the operands, reading from and
// writing to views into tfjs-backend-wasm's heap; with up to four output channels and a kernel
// longer than the stride, one plain convolution on tfjs's XNNPACK Conv2D instead, of the phases
// or to every kernel tap followed by the taps' sums (conv_transpose_phases.ts).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {convTransposeShapes} from '../../src/index_math/conv.js';
import {ConvTranspose} from '../../src/kernel_names.js';
import type {ConvTransposeAttrs, ConvTransposeInputs} from '../../src/kernel_names.js';
import {convTransposeImplCPU} from '../cpu/shared.js';
import {convTransposePhases, phasePathApplies} from './conv_transpose_phases.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const convTranspose: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as ConvTransposeInputs;
  const a = attrs as unknown as ConvTransposeAttrs;
  if (phasePathApplies(x.shape, weight.shape, a)) {
    return convTransposePhases(backend as WasmBackend, x, weight, bias, a);
  }
  const {yShape} = convTransposeShapes(x.shape, weight.shape, a);
  const operands: TensorInfo[] = bias == null ? [x, weight] : [x, weight, bias];
  return runOnHeap(backend as WasmBackend, operands, [{shape: yShape, dtype: 'float32'}],
                   ([xv, wv, bv], [yv]) => convTransposeImplCPU(
                       xv as Float32Array, wv as Float32Array, (bv ?? null) as Float32Array|null,
                       x.shape, weight.shape, a, yv as Float32Array))[0];
};

export const convTransposeConfig: KernelConfig = {
  kernelName: ConvTranspose,
  backendName: 'wasm',
  kernelFunc: convTranspose,
};
