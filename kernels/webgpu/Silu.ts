// webgpu kernel of silu: one elementwise pass of PyTorch's x / (1 + exp(-x)) (Note [silu numerics]
// in src/ops/silu.ts); NaN is passed through explicitly (tfjs's isnan on the bits). No sizes in
// the WGSL (one shader).
import {webgpu_util} from '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Silu} from '../../src/kernel_names.js';
import type {SiluInputs} from '../../src/kernel_names.js';
import {checkFitsBuffer} from './util.js';
import type {WebGPUBackend} from './util.js';

class SiluProgram implements WebGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  shaderKey = 'tfjsTorchSilu';
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
  }
  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let v = x[index];
          result[index] = select(v / (1.0 + exp(-v)), v, isnan(v));
        }
      }
    `;
  }
}

export const silu: KernelFunc = ({inputs, backend}) => {
  const {x} = inputs as SiluInputs;
  const webgpu = backend as WebGPUBackend;
  checkFitsBuffer(webgpu, 'silu', 'output', x.shape);
  return webgpu.runWebGPUProgram(new SiluProgram(x.shape), [x], 'float32');
};

export const siluConfig: KernelConfig = {kernelName: Silu, backendName: 'webgpu', kernelFunc: silu};
