// webgl kernel of pad (F.pad, every mode): one pass, each output value reads its source position
// (padSourceIndex, Note [pad source index] in src/index_math/pad.ts, written in GLSL below) or
// takes the fill value. The pads, the input sizes and the fill value are uniforms: the shader
// depends only on the rank and the mode, so one compiled program serves every size and padding.
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {PadMode} from '../../src/index_math/pad.js';
import {Pad} from '../../src/kernel_names.js';
import type {PadAttrs, PadInputs} from '../../src/kernel_names.js';
import {padImplCPU, padOutputShape} from '../cpu/shared.js';
import {checkFitsTexture, coord, coordsType, cpuInt32Values, runProgram, sizeOf} from './util.js';
import type {WebGLBackend} from './util.js';

/** GLSL of padSourceIndex for one mode: the source of output position o, -1 for the fill. */
function sourceFunction(mode: PadMode): string {
  let body: string;
  switch (mode) {
    case 'constant':
      body = 'int i = o - b; return (i >= 0 && i < n) ? i : -1;';
      break;
    case 'replicate':
      body = 'return clamp(o - b, 0, n - 1);';
      break;
    case 'reflect':
      body = `
        if (n == 1) return 0;
        int i = o - b;
        if (i < 0) return -i;
        if (i >= n) return 2 * (n - 1) - i;
        return i;`;
      break;
    default:  // circular: wraps the cropped tensor (Note [pad source index])
      body = `
        int cropBefore = max(-b, 0);
        int m = n - cropBefore - max(-e, 0);
        int j = o - max(b, 0);
        return cropBefore + imod(imod(j, m) + m, m);`;
  }
  return `int padSource(int o, int n, int b, int e) { ${body} }`;
}

export class PadProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  customUniforms: Array<{name: string, arrayIndex: number, type: 'int'}|{name: string, type: 'float'}>;

  /**
   * `padded[a]`: whether axis a has a nonzero pad. That is structure, not a size: an unpadded
   * axis reads its coordinate as is, and the shader is one per (rank, mode, padded axes).
   */
  constructor(outShape: number[], mode: PadMode, padded: boolean[]) {
    this.outputShape = outShape;
    const rank = outShape.length;
    this.customUniforms = [
      {name: 'padBefore', arrayIndex: rank, type: 'int'},
      {name: 'padAfter', arrayIndex: rank, type: 'int'},
      {name: 'padIn', arrayIndex: rank, type: 'int'},
      {name: 'padValue', type: 'float'},
    ];
    const axes = Array.from({length: rank}, (_, a) => a);
    this.userCode = `
      ${sourceFunction(mode)}
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        ${axes.map((a) => padded[a] ?
            `int s${a} = padSource(${coord('coords', rank, a)}, padIn[${a}], padBefore[${a}], padAfter[${a}]);` :
            `int s${a} = ${coord('coords', rank, a)};`).join('\n        ')}
        if (${axes.filter((a) => padded[a]).map((a) => `s${a} < 0`).join(' || ') || 'false'}) {
          setOutput(padValue);
        } else {
          setOutput(getX(${axes.map((a) => `s${a}`).join(', ')}));
        }
      }
    `;
  }
}

export const pad: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PadInputs;
  const a = attrs as unknown as PadAttrs;
  const webgl = backend as WebGLBackend;
  const shape = padOutputShape(x.shape, a);
  checkFitsTexture('pad', 'output', shape);
  const exact = cpuInt32Values(webgl, x);
  if (exact != null || sizeOf(shape) === 0 || sizeOf(x.shape) === 0) {
    // Note [int32 beyond float precision] in util.ts; an empty output needs no program, and the
    // output of an empty input is all fill values: no texture to read either way.
    const out = x.dtype === 'int32' ? new Int32Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
    padImplCPU(exact ?? out.subarray(0, 0), x.shape, a, out);
    return webgl.makeTensorInfo(shape, x.dtype, out);
  }
  const program = new PadProgram(shape, a.mode, a.pairs.map(([b, e]) => b !== 0 || e !== 0));
  return runProgram(webgl, program, [x], x.dtype, [
    a.pairs.map(([b]) => b), a.pairs.map(([, e]) => e), x.shape.slice(), [a.value],
  ]) as TensorInfo;
};

export const padConfig: KernelConfig = {
  kernelName: Pad,
  backendName: 'webgl',
  kernelFunc: pad,
};
