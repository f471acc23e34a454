// webgl kernel of maxUnpool{1,2,3}d: x written into zero planes of size outSize at indices, the
// last write winning (Note [unpool writes]), as a gather in two passes: the reach of the indices
// and the gather itself (max_pool_gpu.ts, "Scatters as gathers"). A shader cannot throw, and the
// op reads nothing back: an out-of-plane index is never written (it matches no output position;
// Note [unpool index check]).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxUnpool} from '../../src/kernel_names.js';
import type {MaxUnpoolAttrs, MaxUnpoolInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {runScatterAsGather} from './max_pool_gpu.js';
import {sizeOf} from './util.js';
import type {WebGLBackend} from './util.js';

export const maxUnpool: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, indices} = inputs as MaxUnpoolInputs;
  const {outSize, dataFormat} = attrs as unknown as MaxUnpoolAttrs;
  const webgl = backend as WebGLBackend;
  const op = `maxUnpool${x.shape.length - 2}d`;
  const {batch, channels} = layoutOf(x.shape, dataFormat);
  const outShape = shapeOf(batch, channels, outSize, dataFormat);
  // An empty output (an output size of 0, or an empty batch): nothing to write.
  if (sizeOf(outShape) === 0) return webgl.makeTensorInfo(outShape, 'float32', new Float32Array(0));
  return runScatterAsGather(webgl, op, x, 'input x', indices, dataFormat, outSize, 'last');
};

export const maxUnpoolConfig: KernelConfig = {
  kernelName: MaxUnpool,
  backendName: 'webgl',
  kernelFunc: maxUnpool,
};
