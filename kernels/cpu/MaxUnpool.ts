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

function invalidIndex(rank: number, index: number, outSize: number[]): never {
  throw new Error(`maxUnpool${rank - 2}d: ${invalidUnpoolIndexMessage(index, outSize)}`);
}

function maxUnpool(args: {inputs: MaxUnpoolInputs, backend: CpuBackend, attrs: MaxUnpoolAttrs}):
    TensorInfo {
  const {inputs: {x, indices}, backend, attrs: {outSize, dataFormat}} = args;
  const layout = layoutOf(x.shape, dataFormat);
  const {batch, channels} = layout;
  const inPlane = layout.planeSize;
  const outPlane = outSize.reduce((a, b) => a * b, 1);
  const xv = valuesOf(backend, x);
  const ind = valuesOf(backend, indices) as Int32Array;
  const y = new Float32Array(batch * channels * outPlane);
  if (dataFormat === 'channelsFirst') {
    for (let plane = 0, i = 0; plane < batch * channels; plane++) {
      const base = plane * outPlane;
      for (let e = 0; e < inPlane; e++, i++) {
        const index = ind[i];
        // `>>> 0` makes a negative index huge, so one compare checks both ends.
        if ((index >>> 0) >= outPlane) invalidIndex(x.shape.length, index, outSize);
        y[base + index] = xv[i];
      }
    }
  } else {
    const C = channels;
    for (let n = 0, i = 0; n < batch; n++) {
      const base = n * outPlane;
      for (let e = 0; e < inPlane; e++) {
        for (let c = 0; c < C; c++, i++) {
          const index = ind[i];
          if ((index >>> 0) >= outPlane) invalidIndex(x.shape.length, index, outSize);
          y[(base + index) * C + c] = xv[i];
        }
      }
    }
  }
  return output(backend, shapeOf(batch, channels, outSize, dataFormat), 'float32', y);
}

export const maxUnpoolConfig: KernelConfig = {
  kernelName: MaxUnpool,
  backendName: 'cpu',
  kernelFunc: maxUnpool as unknown as KernelFunc,
};
