// wasm kernel of interpolate. Where tfjs-backend-wasm's own ResizeBilinear (XNNPACK's SIMD
// bilinear resize) samples as PyTorch does (Note [native resize on TensorFlow] in
// src/index_math/resize.ts: 2-D bilinear, channelsLast, float32, PyTorch's ratio equal to
// TensorFlow's on both axes), that kernel runs on the same heap tensor; everywhere else the cpu
// compute core (separable per-axis tables from src/index_math/resize.ts) runs on views into the
// heap.
import {getKernel} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';
import {nativeResize} from '../../src/index_math/resize.js';
import {Interpolate} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {interpolateImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const interpolate: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as InterpolateInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const native = x.dtype === 'float32' && a.dataFormat === 'channelsLast' && x.shape.length === 4 ?
      nativeResize(a) : null;
  // Only for finite input: on Inf / NaN a native bilinear's arithmetic need not be PyTorch's
  // (Note [native resize and non-finite input] in kernels/node/Interpolate.ts). The input sits in
  // CPU memory here, so the kernel looks itself: no read back, no op-level check.
  if (native != null && native.op === 'Bilinear' &&
      allFinite((backend as WasmBackend).typedArrayFromHeap(x) as Float32Array)) {
    const resize = getKernel('ResizeBilinear', 'wasm')!.kernelFunc;
    const resizeAttrs = {alignCorners: native.alignCorners, halfPixelCenters: native.halfPixelCenters,
                         size: a.outSize} as unknown as NamedAttrMap;
    return resize({inputs: {images: x}, backend, attrs: resizeAttrs}) as TensorInfo;
  }
  const {batch, channels} = layoutOf(x.shape, a.dataFormat);
  const yShape = shapeOf(batch, channels, a.outSize, a.dataFormat);
  return runOnHeap(backend as WasmBackend, [x], [{shape: yShape, dtype: x.dtype}], ([xv], [yv]) =>
      interpolateImplCPU(xv as Float32Array|Int32Array, x.shape, a, yv as Float32Array|Int32Array))[0];
};

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'wasm',
  kernelFunc: interpolate,
};

function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    // x - x is 0 for a finite x and NaN for Inf or NaN.
    if (values[i] - values[i] !== 0) return false;
  }
  return true;
}
