// webgl kernel of pixelUnshuffle: one gather pass (pixel_shuffle_gpu.ts), leading dims merged
// into one batch dim, large int32 values on the cpu loop, as in PixelShuffle.ts.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {geometryFromSpatial, pixelUnshuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import {PixelUnshuffle} from '../../src/kernel_names.js';
import type {PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {pixelUnshuffleImplCPU} from '../cpu/shared.js';
import {PixelUnshuffleProgram} from './pixel_shuffle_gpu.js';
import {checkFitsTexture, collapse, cpuInt32Values, runProgram, sizeOf, withShape} from './util.js';
import type {WebGLBackend} from './util.js';

export const pixelUnshuffle: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {downscaleFactor: r, dataFormat} = attrs as unknown as PixelUnshuffleAttrs;
  const webgl = backend as WebGLBackend;
  const outShape = pixelUnshuffleOutputShape(x.shape, r, dataFormat);
  // An empty input has an empty output; no table is built (a huge factor's r * r would be a
  // long loop, and the sizes may be past what a texture or an int holds).
  if (sizeOf(x.shape) === 0) {
    return webgl.makeTensorInfo(outShape, x.dtype,
                                x.dtype === 'int32' ? new Int32Array(0) : new Float32Array(0));
  }
  const ints = cpuInt32Values(webgl, x);
  if (ints != null) {
    // Note [int32 beyond float precision] in util.ts.
    const out = new Int32Array(ints.length);
    pixelUnshuffleImplCPU(ints, out, geometryFromSpatial(x.shape, r, dataFormat));
    return webgl.makeTensorInfo(outShape, 'int32', out);
  }
  checkFitsTexture('pixelUnshuffle', 'output', outShape);
  checkFitsTexture('pixelUnshuffle', 'input x', x.shape);
  const lead = x.shape.length - 3;
  const program = new PixelUnshuffleProgram(collapse(outShape, 0, lead), r, dataFormat);
  const out = runProgram(webgl, program, [withShape(x, collapse(x.shape, 0, lead))], x.dtype);
  return withShape(out, outShape) as TensorInfo;
};

export const pixelUnshuffleConfig: KernelConfig = {
  kernelName: PixelUnshuffle,
  backendName: 'webgl',
  kernelFunc: pixelUnshuffle,
};
