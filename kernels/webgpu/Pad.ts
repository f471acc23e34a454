// webgpu kernel of pad (F.pad, every mode): one pass, each output value reads its source position
// (padSourceIndex, Note [pad source index] in src/index_math/pad.ts, written in WGSL below) or
// takes the fill value. The pads, the input sizes and the fill value are uniforms (the output's
// shape and strides are tfjs's own uniforms): the WGSL depends only on the rank, the mode and
// the dtype, so one pipeline serves every size and padding. int32 values are copied bit for bit
// (Note [int32 on webgpu] in util.ts).
import {webgpu_util} from '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import type {PadMode} from '../../src/index_math/pad.js';
import {Pad} from '../../src/kernel_names.js';
import type {PadAttrs, PadInputs} from '../../src/kernel_names.js';
import {padOutputShape} from '../cpu/shared.js';
import {checkFitsBuffer, coord} from './util.js';
import type {WebGPUBackend} from './util.js';

/** WGSL of padSourceIndex for one mode: the source of output position o, -1 for the fill. */
function sourceFunction(mode: PadMode): string {
  let body: string;
  switch (mode) {
    case 'constant':
      body = 'let i = o - b; if (i >= 0 && i < n) { return i; } return -1;';
      break;
    case 'replicate':
      body = 'return clamp(o - b, 0, n - 1);';
      break;
    case 'reflect':
      body = `
        if (n == 1) { return 0; }
        let i = o - b;
        if (i < 0) { return -i; }
        if (i >= n) { return 2 * (n - 1) - i; }
        return i;`;
      break;
    default:  // circular: wraps the cropped tensor (Note [pad source index])
      body = `
        let cropBefore = max(-b, 0);
        let m = n - cropBefore - max(-e, 0);
        let j = o - max(b, 0);
        return cropBefore + ((j % m) + m) % m;`;
  }
  return `fn padSource(o : i32, n : i32, b : i32, e : i32) -> i32 { ${body} }`;
}

export class PadProgram implements WebGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms: string;
  private readonly rank: number;
  private readonly mode: PadMode;
  private readonly int: boolean;

  /** `padded[a]`: axis a has a nonzero pad (structure, not a size; part of the shader key). */
  constructor(outShape: number[], mode: PadMode, int: boolean, private readonly padded: boolean[]) {
    this.outputShape = outShape;
    this.rank = outShape.length;
    this.mode = mode;
    this.int = int;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outShape, this.workgroupSize);
    const axes = Array.from({length: this.rank}, (_, a) => a);
    this.uniforms = axes.map((a) => `padB${a} : i32, padE${a} : i32, padN${a} : i32,`).join(' ') +
        ' padValue : f32,';
    this.shaderKey = `tfjsTorchPad_${mode}_${this.rank}_${int ? 'i32' : 'f32'}_${
        padded.map((p) => (p ? 1 : 0)).join('')}`;
  }

  getUserCode(): string {
    const axes = Array.from({length: this.rank}, (_, a) => a);
    const src = (a: number) => `padSource(${coord(this.rank, a)}, uniforms.padN${a}, uniforms.padB${
        a}, uniforms.padE${a})`;
    const offset = axes.slice(1).reduce(
        (acc, a) => `(${acc}) * uniforms.padN${a} + s${a}`, 's0');
    const fill = this.int ? 'i32(uniforms.padValue)' : 'uniforms.padValue';
    return `
      ${sourceFunction(this.mode)}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          ${axes.map((a) => `let s${a} = ${this.padded[a] ? src(a) : coord(this.rank, a)};`).join('\n          ')}
          if (${axes.filter((a) => this.padded[a]).map((a) => `s${a} < 0`).join(' || ') || 'false'}) {
            result[index] = ${fill};
          } else {
            result[index] = x[${offset}];
          }
        }
      }
    `;
  }
}

export const pad: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PadInputs;
  const a = attrs as unknown as PadAttrs;
  const webgpu = backend as WebGPUBackend;
  const shape = padOutputShape(x.shape, a);
  checkFitsBuffer(webgpu, 'pad', 'output', shape);
  const program = new PadProgram(shape, a.mode, x.dtype === 'int32',
                                 a.pairs.map(([b, e]) => b !== 0 || e !== 0));
  const uniforms = a.pairs.flatMap(([b, e], axis) => [
    {type: 'int32', data: [b]}, {type: 'int32', data: [e]}, {type: 'int32', data: [x.shape[axis]]},
  ]);
  uniforms.push({type: 'float32', data: [a.value]});
  if (shape.every((d) => d > 0) && x.shape.some((d) => d === 0)) {
    // All fill values: WebGPU cannot bind an empty buffer, so one never-read value stands in.
    const stand = webgpu.makeTensorInfo(x.shape.map(() => 1), x.dtype,
                                        x.dtype === 'int32' ? new Int32Array(1) : new Float32Array(1));
    try {
      return webgpu.runWebGPUProgram(program, [stand], x.dtype, uniforms);
    } finally {
      webgpu.disposeData(stand.dataId);
    }
  }
  return webgpu.runWebGPUProgram(program, [x], x.dtype, uniforms);
};

export const padConfig: KernelConfig = {
  kernelName: Pad,
  backendName: 'webgpu',
  kernelFunc: pad,
};
