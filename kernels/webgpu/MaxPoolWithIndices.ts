// webgpu kernel of maxPool{1,2,3}dWithIndices: two passes (pool_common.ts), one scanning the
// windows for the flat plane indices of the maxima (int32), one reading the values there
// (float32). The op has checked every argument; output sizes come from the shared rule.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {poolingOutputSize} from '../../src/index_math/pool.js';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {runMaxPool} from './pool_common.js';
import type {PoolAxis} from './pool_common.js';
import type {WebGPUBackend} from './util.js';

export const maxPoolWithIndices: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as MaxPoolWithIndicesInputs;
  const {kernelSize, stride, padding, dilation, ceilMode, dataFormat} =
      attrs as unknown as MaxPoolWithIndicesAttrs;
  const layout = layoutOf(x.shape, dataFormat);
  const axes: PoolAxis[] = layout.spatial.map((inSize, a) => ({
    inSize,
    outSize: poolingOutputSize(inSize, kernelSize[a], padding[a], stride[a], dilation[a], ceilMode),
    kernelSize: kernelSize[a],
    stride: stride[a],
    padding: padding[a],
    dilation: dilation[a],
  }));
  const outShape = shapeOf(layout.batch, layout.channels, axes.map((a) => a.outSize), dataFormat);
  return runMaxPool(backend as WebGPUBackend, x, axes, outShape, dataFormat,
                    `maxPool${x.shape.length - 2}dWithIndices`);
};

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'webgpu',
  kernelFunc: maxPoolWithIndices,
};
