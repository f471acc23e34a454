// webgpu kernel of PReLU: y = x > 0 ? x : weight[c] * x in one pass (Note [PReLU at Infinity] in
// src/layers/prelu.ts). The branch is selected per value (WGSL select), never blended: tfjs
// 4.22's vec4 Prelu computes mask * (alpha * x) + (1 - mask) * x and turns +-Infinity into NaN.
// Four values per invocation where the size is a multiple of 4 (vec4 loads and stores, as tfjs's
// elementwise programs), else one. The channel of flat index e is (e / inner) % C, inner the
// product of the dims after the channel axis (1 channels last); inner and C are uniforms, so
// the WGSL names only the form (one weight or per channel, vec4 or scalar; Note [webgpu
// programs] in util.ts).
import {webgpu_util} from '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Prelu} from '../../src/kernel_names.js';
import type {PreluAttrs, PreluInputs} from '../../src/kernel_names.js';
import {channelAxis} from '../../src/util/layout.js';
import {checkFitsBuffer} from './util.js';
import type {WebGPUBackend} from './util.js';

class PreluProgram implements WebGPUProgram {
  variableNames = ['x', 'w'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  outputComponent: number;
  variableComponents: number[];
  uniforms = 'inner : i32, channels : i32, ';
  constructor(shape: number[], private readonly perChannel: boolean) {
    this.outputShape = shape;
    this.outputComponent = shape.reduce((a, b) => a * b, 1) % 4 === 0 ? 4 : 1;
    this.variableComponents = [this.outputComponent, 1];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(
        this.dispatchLayout, shape, this.workgroupSize, [this.outputComponent, 1, 1]);
    this.shaderKey = `tfjsTorchPrelu_${perChannel ? 'channels' : 'one'}_${this.outputComponent}`;
  }
  getUserCode(): string {
    const wAt = (e: string) => this.perChannel ? `w[(${e} / uniforms.inner) % uniforms.channels]` : 'w[0]';
    const vec4 = this.outputComponent === 4;
    const alpha = !vec4 ? wAt('index') : !this.perChannel ? 'vec4<f32>(w[0])' :
        `vec4<f32>(${[0, 1, 2, 3].map((k) => wAt(`(e + ${k})`)).join(', ')})`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let v = x[index];
          ${vec4 ? 'let e = index * 4;' : ''}
          let a = ${alpha};
          result[index] = select(a * v, v, v > ${vec4 ? 'vec4<f32>(0.0)' : '0.0'});
        }
      }
    `;
  }
}

export const prelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight} = inputs as PreluInputs;
  const {dataFormat} = attrs as unknown as PreluAttrs;
  const webgpu = backend as WebGPUBackend;
  checkFitsBuffer(webgpu, 'prelu', 'output', x.shape);
  const rank = x.shape.length;
  const perChannel = weight.shape[0] > 1;
  const axis = perChannel ? channelAxis(rank, dataFormat) : rank - 1;
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const program = new PreluProgram(x.shape, perChannel);
  return webgpu.runWebGPUProgram(program, [x, weight], 'float32', [
    {type: 'int32', data: [Math.max(inner, 1)]},
    {type: 'int32', data: [Math.max(weight.shape[0], 1)]},
  ]);
};

export const preluConfig: KernelConfig = {kernelName: Prelu, backendName: 'webgpu', kernelFunc: prelu};
