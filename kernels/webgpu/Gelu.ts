// webgpu kernel of gelu: one elementwise pass, erf by the rational approximation every backend
// shares (Note [gelu numerics] in src/ops/gelu.ts). No sizes in the WGSL (one shader per form).
import {webgpu_util} from '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Gelu} from '../../src/kernel_names.js';
import type {GeluAttrs, GeluInputs} from '../../src/kernel_names.js';
import {ERF_COEFFS, GELU_TANH_K} from '../../src/ops/gelu.js';
import {checkFitsBuffer, wgslFloat} from './util.js';
import type {WebGPUBackend} from './util.js';

class GeluProgram implements WebGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  constructor(shape: number[], private readonly approximate: 'none'|'tanh') {
    this.outputShape = shape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
    this.shaderKey = `tfjsTorchGelu_${approximate}`;
  }
  getUserCode(): string {
    const [p, a1, a2, a3, a4, a5] = ERF_COEFFS.map(wgslFloat);
    const body = this.approximate === 'tanh' ?
        `let u = clamp(${wgslFloat(GELU_TANH_K)} * (v + 0.044715 * v * v * v), -15.0, 15.0);
         result[index] = 0.5 * v * (1.0 + tanh(u));` :
        `let s = v * ${wgslFloat(Math.SQRT1_2)};
         let z = abs(s);
         let t = 1.0 / (1.0 + ${p} * z);
         let e = 1.0 - (((((${a5} * t + ${a4}) * t) + ${a3}) * t + ${a2}) * t + ${a1}) * t * exp(-z * z);
         result[index] = 0.5 * v * (1.0 + select(e, -e, s < 0.0));`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let v = x[index];
          ${body}
        }
      }
    `;
  }
}

export const gelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as GeluInputs;
  const webgpu = backend as WebGPUBackend;
  checkFitsBuffer(webgpu, 'gelu', 'output', x.shape);
  return webgpu.runWebGPUProgram(
      new GeluProgram(x.shape, (attrs as unknown as GeluAttrs).approximate), [x], 'float32');
};

export const geluConfig: KernelConfig = {kernelName: Gelu, backendName: 'webgpu', kernelFunc: gelu};
