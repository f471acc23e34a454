// MaxUnpool on cpu: x written into a zero output at indices, in x's row-major order per plane
// so the last duplicate wins (Note [unpool writes] in src/index_math/pool.ts). Each index is
// checked as it is written; on error the fresh output buffer is dropped, so nothing observable
// was written (Note [unpool index check]).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {invalidUnpoolIndexMessage} from '../../src/index_math/pool.js';
import {MaxUnpool} from '../../src/kernel_names.js';
import type {DataFormat, MaxUnpoolAttrs, MaxUnpoolInputs} from '../../src/kernel_names.js';
import {layoutOf, planeView, shapeOf, sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * The scatter, as its own function so V8 optimises it once and keeps it. `planes` independent
 * planes of `inPlane` positions x `lanes` values (channelsFirst: batch * C planes, 1 lane;
 * channelsLast: batch planes, C lanes). Returns -1, or the position in x of the first index
 * outside [0, outPlane).
 */
function scatter(
    xv: Float32Array, ind: Int32Array, y: Float32Array, planes: number, inPlane: number,
    outPlane: number, lanes: number): number {
  if (lanes === 1) {
    for (let plane = 0, i = 0; plane < planes; plane++) {
      const base = plane * outPlane;
      for (const end = i + inPlane; i < end; i++) {
        const index = ind[i];
        if ((index >>> 0) >= outPlane) return i;
        y[base + index] = xv[i];
      }
    }
    return -1;
  }
  for (let plane = 0, i = 0; plane < planes; plane++) {
    const base = plane * outPlane * lanes;
    for (let e = 0; e < inPlane; e++) {
      for (let c = 0; c < lanes; c++, i++) {
        const index = ind[i];
        // `>>> 0` makes a negative index huge, so one compare checks both ends.
        if ((index >>> 0) >= outPlane) return i;
        y[base + index * lanes + c] = xv[i];
      }
    }
  }
  return -1;
}

/**
 * Compute core of the MaxUnpool kernel (exported through shared.ts).
 * - x: float32 values of shape `xShape` ([batch, C, ...in] or [batch, ...in, C] per
 *   dataFormat); indices: int32 of the same shape, flat offsets inside one output plane.
 * - y: the caller's float32 view of [batch, C, ...outSize] (or channelsLast) values; it is
 *   zeroed here (unless `yIsZero`: the caller passes a fresh, zero-filled array), then x is
 *   written at the indices (the last duplicate wins).
 * Throws `maxUnpool<n>d: indices must lie in ...` at the first index outside the output plane
 * (unless y is empty);
 * y then holds a partial result and must be discarded (Note [unpool index check]).
 * Any views, not overlapping.
 */
export function maxUnpoolImplCPU(
    x: Float32Array, indices: Int32Array, xShape: readonly number[], outSize: readonly number[],
    dataFormat: DataFormat, y: Float32Array, yIsZero = false): void {
  // Note [plane view] in src/util/layout.ts.
  const {rows, plane, cols} = planeView(xShape, dataFormat);
  const outPlane = sizeOf(outSize);
  // An empty output (an output size of 0): nothing is written, no index checked, as PyTorch.
  if (y.length === 0) return;
  if (!yIsZero) y.fill(0);
  const bad = scatter(x, indices, y, rows, plane, outPlane, cols);
  if (bad >= 0) {
    throw new Error(
        `maxUnpool${xShape.length - 2}d: ${invalidUnpoolIndexMessage(indices[bad], outSize)}`);
  }
}

export function maxUnpool(args: {inputs: MaxUnpoolInputs, backend: CpuBackend, attrs: MaxUnpoolAttrs}):
    TensorInfo {
  const {inputs: {x, indices}, backend, attrs: {outSize, dataFormat}} = args;
  const {batch, channels} = layoutOf(x.shape, dataFormat);
  const yShape = shapeOf(batch, channels, outSize, dataFormat);
  const y = new Float32Array(sizeOf(yShape));
  maxUnpoolImplCPU(
      valuesOf(backend, x) as Float32Array, valuesOf(backend, indices) as Int32Array, x.shape,
      outSize, dataFormat, y, true);
  return output(backend, yShape, 'float32', y);
}

export const maxUnpoolConfig: KernelConfig = {
  kernelName: MaxUnpool,
  backendName: 'cpu',
  kernelFunc: maxUnpool as unknown as KernelFunc,
};
