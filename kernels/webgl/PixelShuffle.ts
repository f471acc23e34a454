// webgl kernels of pixelShuffle and pixelUnshuffle (one function, the direction its argument):
// one gather pass (pixel_shuffle_gpu.ts). Every dim before the last three is a batch dim (Note
// [pixel shuffle batch dims and dataFormat]); they are merged into one, without a copy, so the
// program always sees 4-D. int32 values beyond what a float texture holds exactly take the cpu
// loop (Note [int32 beyond float precision] in util.ts).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {pixelShuffleCall} from '../../src/index_math/pixel_shuffle.js';
import type {PixelShuffleDirection} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {pixelShuffleImplCPU, pixelUnshuffleImplCPU} from '../cpu/shared.js';
import {PixelShuffleProgram, PixelUnshuffleProgram} from './pixel_shuffle_gpu.js';
import {checkFitsTexture, collapse, cpuInt32Values, runProgram, sizeOf, withShape} from './util.js';
import type {WebGLBackend} from './util.js';

/** The kernel function of PixelShuffle or PixelUnshuffle on the webgl backend. */
export function shuffleKernel(direction: PixelShuffleDirection): KernelFunc {
  const shuffle = direction === 'shuffle';
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as PixelShuffleInputs;
    const webgl = backend as WebGLBackend;
    const {op, factor: r, dataFormat, outShape, geometry} = pixelShuffleCall(
        direction, x.shape, attrs as unknown as PixelShuffleAttrs|PixelUnshuffleAttrs);
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
      (shuffle ? pixelShuffleImplCPU : pixelUnshuffleImplCPU)(ints, out, geometry);
      return webgl.makeTensorInfo(outShape, 'int32', out);
    }
    checkFitsTexture(op, 'output', outShape);
    checkFitsTexture(op, 'input x', x.shape);
    const lead = x.shape.length - 3;
    const program = shuffle ? new PixelShuffleProgram(collapse(outShape, 0, lead), r, dataFormat) :
                              new PixelUnshuffleProgram(collapse(outShape, 0, lead), r, dataFormat);
    const out = runProgram(webgl, program, [withShape(x, collapse(x.shape, 0, lead))], x.dtype);
    return withShape(out, outShape) as TensorInfo;
  };
}

export const pixelShuffle = shuffleKernel('shuffle');

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'webgl',
  kernelFunc: pixelShuffle,
};
