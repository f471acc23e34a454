// webgl kernel of maxPool{1,2,3}dWithIndices: two passes (max_pool_gpu.ts), one scanning the
// windows for the flat plane indices of the maxima (int32), one reading the values there
// (float32). The op has checked every argument; output sizes come from the shared rule.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {poolingOutputSize, realTapWindow} from '../../src/index_math/pool.js';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {checkExactIndices, MaxPoolIndicesProgram, MaxPoolValuesProgram} from './max_pool_gpu.js';
import type {PoolAxis} from './max_pool_gpu.js';
import {checkFitsTexture, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

export const maxPoolWithIndices: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as MaxPoolWithIndicesInputs;
  const {kernelSize, stride, padding, dilation, ceilMode, dataFormat} =
      attrs as unknown as MaxPoolWithIndicesAttrs;
  const webgl = backend as WebGLBackend;
  const op = `maxPool${x.shape.length - 2}dWithIndices`;
  const layout = layoutOf(x.shape, dataFormat);
  const axes: PoolAxis[] = layout.spatial.map((inSize, a) => {
    const outSize =
        poolingOutputSize(inSize, kernelSize[a], padding[a], stride[a], dilation[a], ceilMode);
    // Note [taps that can be real]: the shader's tap loops run over the taps that can be real.
    const real = realTapWindow(inSize, outSize, kernelSize[a], padding[a], stride[a], dilation[a]);
    return {
      inSize,
      outSize,
      kernelSize: real.kernelSize,
      stride: stride[a],
      padding: real.padding,
      dilation: dilation[a],
    };
  });
  const outShape = shapeOf(layout.batch, layout.channels, axes.map((a) => a.outSize), dataFormat);
  checkFitsTexture(op, 'output', outShape);
  checkFitsTexture(op, 'input x', x.shape);
  checkExactIndices(op, layout.spatial);
  const indices =
      runProgram(webgl, new MaxPoolIndicesProgram(outShape, axes, dataFormat), [x], 'int32');
  const values = runProgram(
      webgl, new MaxPoolValuesProgram(outShape, axes, dataFormat), [x, indices], 'float32');
  return [values, indices] as TensorInfo[];
};

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'webgl',
  kernelFunc: maxPoolWithIndices,
};
