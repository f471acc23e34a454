// MaxUnpoolGrad on cpu: dx = dy gathered at indices from each output plane (every duplicate
// index reads the same dy, as PyTorch's backward). Indices were range-checked by the forward op;
// one outside the plane (a direct kernel call) reads 0.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {MaxUnpoolGrad} from '../../src/kernel_names.js';
import type {DataFormat, MaxUnpoolGradAttrs, MaxUnpoolGradInputs} from '../../src/kernel_names.js';
import {planeView, sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/** The gather, in its own function (see MaxUnpool.ts); planes and lanes as there. */
function gather(
    dyv: Float32Array, ind: Int32Array, dx: Float32Array, planes: number, inPlane: number,
    outPlane: number, lanes: number): void {
  for (let plane = 0, i = 0; plane < planes; plane++) {
    const base = plane * outPlane * lanes;
    for (let e = 0; e < inPlane; e++) {
      for (let c = 0; c < lanes; c++, i++) {
        const index = ind[i];
        dx[i] = (index >>> 0) < outPlane ? dyv[base + index * lanes + c] : 0;
      }
    }
  }
}

/**
 * Compute core of the MaxUnpoolGrad kernel (exported through shared.ts).
 * - dy: float32 values of shape `dyShape` (MaxUnpool's output shape, in dataFormat);
 *   indices: int32 of shape `indicesShape` (MaxUnpool's input shape).
 * - dx: the caller's float32 view of indicesShape values; every value is written (dy at the
 *   index, 0 for an index outside the output plane). Any views, not overlapping.
 */
export function maxUnpoolGradImplCPU(
    dy: Float32Array, indices: Int32Array, dyShape: readonly number[],
    indicesShape: readonly number[], dataFormat: DataFormat, dx: Float32Array): void {
  // Note [plane view] in src/util/layout.ts.
  const {rows, plane, cols} = planeView(indicesShape, dataFormat);
  gather(dy, indices, dx, rows, plane, planeView(dyShape, dataFormat).plane, cols);
}

export function maxUnpoolGrad(
    args: {inputs: MaxUnpoolGradInputs, backend: CpuBackend, attrs: MaxUnpoolGradAttrs}):
    TensorInfo {
  const {inputs: {dy, indices}, backend, attrs: {dataFormat}} = args;
  const dx = new Float32Array(sizeOf(indices.shape));
  maxUnpoolGradImplCPU(
      valuesOf(backend, dy) as Float32Array, valuesOf(backend, indices) as Int32Array, dy.shape,
      indices.shape, dataFormat, dx);
  return output(backend, indices.shape.slice(), 'float32', dx);
}

export const maxUnpoolGradConfig: KernelConfig = {
  kernelName: MaxUnpoolGrad,
  backendName: 'cpu',
  kernelFunc: maxUnpoolGrad as unknown as KernelFunc,
};
