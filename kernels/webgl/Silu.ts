// webgl kernel of silu: one elementwise pass of PyTorch's x / (1 + exp(-x)) (Note [silu numerics]
// in src/ops/silu.ts); NaN is passed through explicitly (tfjs's isnan, which a driver cannot
// optimize away). No sizes in the shader (Note [webgl programs keyed by code] in util.ts).
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Silu} from '../../src/kernel_names.js';
import type {SiluInputs} from '../../src/kernel_names.js';
import {checkFitsTexture, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

class SiluProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode = `
    void main() {
      float v = getXAtOutCoords();
      setOutput(isnan(v) ? v : v / (1.0 + exp(-v)));
    }
  `;
  constructor(shape: number[]) {
    this.outputShape = shape;
  }
}

export const silu: KernelFunc = ({inputs, backend}) => {
  const {x} = inputs as SiluInputs;
  checkFitsTexture('silu', 'output', x.shape);
  return runProgram(backend as WebGLBackend, new SiluProgram(x.shape), [x], 'float32');
};

export const siluConfig: KernelConfig = {kernelName: Silu, backendName: 'webgl', kernelFunc: silu};
