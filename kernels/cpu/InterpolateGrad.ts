// cpu kernel of interpolate's gradient: the transposed resampling, as separable gather passes
// with transposeTable() of each axis's forward table (for each input position, the output
// positions that read it), so the passes are the forward kernel's passes, never a scatter.
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {axisTable, transposeTable} from '../../src/index_math/resize.js';
import {InterpolateGrad} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateGradInputs} from '../../src/kernel_names.js';
import {shapeOf} from '../../src/util/layout.js';
import {resampleSeparable} from './Interpolate.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

export const interpolateGradKernelFunc: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as InterpolateGradInputs;
  const cpu = backend as CpuBackend;
  const a = attrs as unknown as InterpolateAttrs;
  const tables = a.inSize.map((inSize, i) => transposeTable(
      axisTable(a.mode, inSize, a.outSize[i], a.alignCorners, a.scales[i], a.antialias)));
  const values = valuesOf(cpu, dy) as TypedArray as Float32Array;
  const {values: dx} = resampleSeparable(values, dy.shape, a.dataFormat, tables);
  const channels = a.dataFormat === 'channelsLast' ? dy.shape[dy.shape.length - 1] : dy.shape[1];
  return output(cpu, shapeOf(dy.shape[0], channels, a.inSize, a.dataFormat), 'float32', dx);
};

export const interpolateGradConfig: KernelConfig = {
  kernelName: InterpolateGrad,
  backendName: 'cpu',
  kernelFunc: interpolateGradKernelFunc,
};
