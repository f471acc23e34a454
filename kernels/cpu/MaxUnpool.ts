// MaxUnpool on cpu: x written into a zero output at indices, in x's row-major order per plane
// so the last duplicate wins (Note [unpool writes] in src/index_math/pool.ts). Each index is
// checked as it is written; on error the fresh output buffer is dropped, so nothing observable
// was written (Note [unpool index check]).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {invalidUnpoolIndexMessage} from '../../src/index_math/pool.js';
import {MaxUnpool} from '../../src/kernel_names.js';
import type {MaxUnpoolAttrs, MaxUnpoolInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
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

function maxUnpool(args: {inputs: MaxUnpoolInputs, backend: CpuBackend, attrs: MaxUnpoolAttrs}):
    TensorInfo {
  const {inputs: {x, indices}, backend, attrs: {outSize, dataFormat}} = args;
  const layout = layoutOf(x.shape, dataFormat);
  const {batch, channels} = layout;
  const channelsLast = dataFormat === 'channelsLast';
  const ind = valuesOf(backend, indices) as Int32Array;
  const outPlane = outSize.reduce((a, b) => a * b, 1);
  const y = new Float32Array(batch * channels * outPlane);
  const bad = scatter(
      valuesOf(backend, x) as Float32Array, ind, y, channelsLast ? batch : batch * channels,
      layout.planeSize, outPlane, channelsLast ? channels : 1);
  if (bad >= 0) {
    throw new Error(
        `maxUnpool${x.shape.length - 2}d: ${invalidUnpoolIndexMessage(ind[bad], outSize)}`);
  }
  return output(backend, shapeOf(batch, channels, outSize, dataFormat), 'float32', y);
}

export const maxUnpoolConfig: KernelConfig = {
  kernelName: MaxUnpool,
  backendName: 'cpu',
  kernelFunc: maxUnpool as unknown as KernelFunc,
};
