// webgl kernel of MaxUnpoolGrad: dy gathered at indices, one pass (max_pool_gpu.ts); every
// duplicate index reads the same dy, as PyTorch's backward.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {MaxUnpoolGrad} from '../../src/kernel_names.js';
import type {MaxUnpoolGradAttrs, MaxUnpoolGradInputs} from '../../src/kernel_names.js';
import {layoutOf} from '../../src/util/layout.js';
import {checkExactIndices, GatherAtIndicesProgram} from './max_pool_gpu.js';
import {checkFitsTexture, runProgram, sizeOf} from './util.js';
import type {WebGLBackend} from './util.js';

export const maxUnpoolGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxUnpoolGradInputs;
  const {dataFormat} = attrs as unknown as MaxUnpoolGradAttrs;
  const op = `maxUnpool${dy.shape.length - 2}d (gradient)`;
  const dySize = layoutOf(dy.shape, dataFormat).spatial;
  // An empty dy (an output size of 0): every index reads nothing, the gradient is 0.
  if (sizeOf(dy.shape) === 0 || sizeOf(indices.shape) === 0) {
    return (backend as WebGLBackend).makeTensorInfo(
        indices.shape.slice(), 'float32', new Float32Array(sizeOf(indices.shape)));
  }
  checkFitsTexture(op, 'output', indices.shape);
  checkFitsTexture(op, 'input dy', dy.shape);
  checkExactIndices(op, dySize);
  const program = new GatherAtIndicesProgram(indices.shape, dataFormat, dySize);
  return runProgram(backend as WebGLBackend, program, [dy, indices], 'float32') as
      TensorInfo;
};

export const maxUnpoolGradConfig: KernelConfig = {
  kernelName: MaxUnpoolGrad,
  backendName: 'webgl',
  kernelFunc: maxUnpoolGrad,
};
