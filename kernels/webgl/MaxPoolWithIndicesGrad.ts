// webgl kernel of MaxPoolWithIndicesGrad: dy added into zero planes of size inSize at indices
// (windows that picked the same element add up, in dy's row-major order as on cpu). Written as a
// gather in two passes, the reach of the indices and the gather itself (max_pool_gpu.ts, "Scatters
// as gathers"): indices here are any flat plane offsets (this kernel is also the gradient of
// maxUnpool's gradient), an index outside the plane is dropped (Note [all-padding windows]).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndicesGrad} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesGradAttrs, MaxPoolWithIndicesGradInputs} from '../../src/kernel_names.js';
import {layoutOf} from '../../src/util/layout.js';
import {checkExactIndices, IndexReachProgram, reachScale, ScatterGatherProgram} from './max_pool_gpu.js';
import {checkFitsTexture} from './util.js';
import type {WebGLBackend} from './util.js';

export const maxPoolWithIndicesGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxPoolWithIndicesGradInputs;
  const {inSize, dataFormat} = attrs as unknown as MaxPoolWithIndicesGradAttrs;
  const webgl = backend as WebGLBackend;
  const op = `maxPool${dy.shape.length - 2}dWithIndices (gradient)`;
  const scale = reachScale(layoutOf(dy.shape, dataFormat).spatial, inSize);
  const program = new ScatterGatherProgram(dy.shape, dataFormat, inSize, scale, 'sum');
  const reachProgram = new IndexReachProgram(indices.shape, dataFormat, inSize, scale);
  checkFitsTexture(op, 'output', program.outputShape);
  checkFitsTexture(op, 'index reach table', reachProgram.outputShape);
  checkFitsTexture(op, 'input dy', dy.shape);
  checkFitsTexture(op, 'indices', indices.shape);
  checkExactIndices(op, inSize);
  const reach = webgl.runWebGLProgram(reachProgram, [indices], 'float32');
  try {
    return webgl.runWebGLProgram(program, [dy, indices, reach], 'float32') as TensorInfo;
  } finally {
    webgl.disposeIntermediateTensorInfo(reach);
  }
};

export const maxPoolWithIndicesGradConfig: KernelConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  backendName: 'webgl',
  kernelFunc: maxPoolWithIndicesGrad,
};
