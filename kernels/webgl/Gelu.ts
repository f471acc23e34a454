// webgl kernel of gelu: one elementwise pass, erf by the rational approximation every backend
// shares (Note [gelu numerics] in src/ops/gelu.ts). No sizes in the shader (Note [webgl
// programs keyed by code] in util.ts).
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Gelu} from '../../src/kernel_names.js';
import type {GeluAttrs, GeluInputs} from '../../src/kernel_names.js';
import {ERF_COEFFS, GELU_TANH_K} from '../../src/ops/gelu.js';
import {checkFitsTexture, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

const f = (v: number) => v.toPrecision(10);

class GeluProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  constructor(shape: number[], approximate: 'none'|'tanh') {
    this.outputShape = shape;
    const [p, a1, a2, a3, a4, a5] = ERF_COEFFS.map(f);
    const body = approximate === 'tanh' ?
        `float u = clamp(${f(GELU_TANH_K)} * (v + 0.044715 * v * v * v), -15.0, 15.0);
         setOutput(0.5 * v * (1.0 + tanh(u)));` :
        `float s = v * ${f(Math.SQRT1_2)};
         float z = abs(s);
         float t = 1.0 / (1.0 + ${p} * z);
         float e = 1.0 - (((((${a5} * t + ${a4}) * t) + ${a3}) * t + ${a2}) * t + ${a1}) * t * exp(-z * z);
         setOutput(0.5 * v * (1.0 + (s < 0.0 ? -e : e)));`;
    this.userCode = `
      void main() {
        float v = getXAtOutCoords();
        ${body}
      }
    `;
  }
}

export const gelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as GeluInputs;
  checkFitsTexture('gelu', 'output', x.shape);
  return runProgram(
      backend as WebGLBackend, new GeluProgram(x.shape, (attrs as unknown as GeluAttrs).approximate), [x], 'float32');
};

export const geluConfig: KernelConfig = {kernelName: Gelu, backendName: 'webgl', kernelFunc: gelu};
