// cpu kernel of interpolate's gradient: the transposed resampling, as separable gather passes
// with the transposed tables (interpolateTables(attrs, {transposed: true}): for each input
// position, the output positions that read it), so the passes are the forward kernel's passes
// (resampleImplCPU in Interpolate.ts), never a scatter.
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {interpolateTables} from '../../src/index_math/resize.js';
import {InterpolateGrad} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateGradInputs} from '../../src/kernel_names.js';
import {sizeOf} from '../../src/util/layout.js';
import {resampledShape, resampleImplCPU} from './Interpolate.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * Compute core of the InterpolateGrad kernel: `resampleImplCPU` with interpolateTables(attrs,
 * {transposed: true}). dy: float32 [batch, ...attrs.outSize, C] or [batch, C, ...attrs.outSize]
 * per attrs.dataFormat; dx: float32, the same with attrs.inSize; every value written.
 */
export function interpolateGradImplCPU(
    dy: Float32Array, dyShape: readonly number[], attrs: InterpolateAttrs,
    dx: Float32Array): void {
  resampleImplCPU(dy, dyShape, attrs.dataFormat, interpolateTables(attrs, {transposed: true}), dx);
}

export const interpolateGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as InterpolateGradInputs;
  const cpu = backend as CpuBackend;
  const a = attrs as unknown as InterpolateAttrs;
  const tables = interpolateTables(a, {transposed: true});
  const dxShape = resampledShape(dy.shape, a.dataFormat, tables);
  const dx = new Float32Array(sizeOf(dxShape));
  resampleImplCPU(valuesOf(cpu, dy) as TypedArray as Float32Array, dy.shape, a.dataFormat, tables, dx);
  return output(cpu, dxShape, 'float32', dx);
};

export const interpolateGradConfig: KernelConfig = {
  kernelName: InterpolateGrad,
  backendName: 'cpu',
  kernelFunc: interpolateGrad,
};
