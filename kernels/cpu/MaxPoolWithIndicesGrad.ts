// MaxPoolWithIndicesGrad on cpu: dy added into a zero input-shaped tensor at indices (windows
// that overlap add up, in output order as PyTorch). An index outside the input plane comes only
// from an all-padding window and is dropped (Note [all-padding windows] in
// src/index_math/pool.ts).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndicesGrad} from '../../src/kernel_names.js';
import type {DataFormat, MaxPoolWithIndicesGradAttrs, MaxPoolWithIndicesGradInputs} from '../../src/kernel_names.js';
import {layoutOf, planeView, shapeOf, sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * The scatter-add, in its own function so V8 optimises it once and keeps it. `planes`
 * independent planes of `outPlane` dy positions x `lanes` values (channelsFirst: batch * C
 * planes, 1 lane; channelsLast: batch planes, C lanes), into planes of `inPlane` positions.
 */
function scatterAdd(
    dyv: Float32Array, ind: Int32Array, dx: Float32Array, planes: number, outPlane: number,
    inPlane: number, lanes: number): void {
  for (let plane = 0, o = 0; plane < planes; plane++) {
    const base = plane * inPlane * lanes;
    for (let e = 0; e < outPlane; e++) {
      for (let c = 0; c < lanes; c++, o++) {
        const index = ind[o];
        if ((index >>> 0) < inPlane) dx[base + index * lanes + c] += dyv[o];
      }
    }
  }
}

/**
 * Compute core of the MaxPoolWithIndicesGrad kernel (exported through shared.ts).
 * - dy: float32 values of shape `dyShape` (the pooled shape, [batch, C, ...out] or
 *   [batch, ...out, C] per dataFormat); indices: int32 of the same shape (MaxPoolWithIndices's).
 * - dx: the caller's float32 view of [batch, C, ...inSize] (or channelsLast) values; it is
 *   zeroed here (unless `dxIsZero`: the caller passes a fresh, zero-filled array), then dy is
 *   added in at the indices (an index outside the plane is dropped).
 * Any views, not overlapping.
 */
export function maxPoolWithIndicesGradImplCPU(
    dy: Float32Array, indices: Int32Array, dyShape: readonly number[], inSize: readonly number[],
    dataFormat: DataFormat, dx: Float32Array, dxIsZero = false): void {
  // Note [plane view] in src/util/layout.ts.
  const {rows, plane, cols} = planeView(dyShape, dataFormat);
  if (!dxIsZero) dx.fill(0);
  scatterAdd(dy, indices, dx, rows, plane, sizeOf(inSize), cols);
}

export function maxPoolWithIndicesGrad(args: {
  inputs: MaxPoolWithIndicesGradInputs,
  backend: CpuBackend,
  attrs: MaxPoolWithIndicesGradAttrs,
}): TensorInfo {
  const {inputs: {dy, indices}, backend, attrs: {inSize, dataFormat}} = args;
  const {batch, channels} = layoutOf(dy.shape, dataFormat);
  const dxShape = shapeOf(batch, channels, inSize, dataFormat);
  const dx = new Float32Array(sizeOf(dxShape));
  maxPoolWithIndicesGradImplCPU(
      valuesOf(backend, dy) as Float32Array, valuesOf(backend, indices) as Int32Array, dy.shape,
      inSize, dataFormat, dx, true);
  return output(backend, dxShape, 'float32', dx);
}

export const maxPoolWithIndicesGradConfig: KernelConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  backendName: 'cpu',
  kernelFunc: maxPoolWithIndicesGrad as unknown as KernelFunc,
};
