// webgpu kernel of PReLU: y = x > 0 ? x : weight[c] * x in one pass (Note [PReLU at Infinity] in
// src/layers/prelu.ts). The branch is selected per value (WGSL select), never blended: tfjs
// 4.22's vec4 Prelu computes mask * (alpha * x) + (1 - mask) * x and turns +-Infinity into NaN.
// Four values per invocation where the size is a multiple of 4 (vec4 loads and stores, as tfjs's
// elementwise programs), else one. The channel of flat index e is (e / inner) % C, inner the
// product of the dims after the channel axis (1 channels last); inner and C are uniforms, so
// the WGSL names only the form (WeightForm, vec4 or scalar; Note [webgpu programs] in
// util.ts). The vec4 shortcuts keep SwiftShader's integer divisions to one or none per four
// values (decoderOps bench: the general form was 1.3-1.75x tfjs's vec4 Prelu).
import {webgpu_util} from '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Prelu} from '../../src/kernel_names.js';
import type {PreluAttrs, PreluInputs} from '../../src/kernel_names.js';
import {channelAxis} from '../../src/util/layout.js';
import {checkFitsBuffer} from './util.js';
import type {WebGPUBackend} from './util.js';

/**
 * How an invocation finds its weights: 'one' weight; per channel in general ('channels': each
 * value's own (e / inner) % C); and two vec4 shortcuts, 'last4' (channels last with C a
 * multiple of 4: the four values are channels c..c+3 of one position) and 'outer4' (inner a
 * multiple of 4: the four values share one channel).
 */
type WeightForm = 'one'|'channels'|'last4'|'outer4';

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
  constructor(shape: number[], vec4: boolean, private readonly form: WeightForm) {
    this.outputShape = shape;
    this.outputComponent = vec4 ? 4 : 1;
    this.variableComponents = [this.outputComponent, 1];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(
        this.dispatchLayout, shape, this.workgroupSize, [this.outputComponent, 1, 1]);
    this.shaderKey = `tfjsTorchPrelu_${form}_${this.outputComponent}`;
  }
  getUserCode(): string {
    const wAt = (e: string) => `w[(${e} / uniforms.inner) % uniforms.channels]`;
    const vec4 = this.outputComponent === 4;
    let alpha: string;
    if (this.form === 'one') {
      alpha = vec4 ? 'vec4<f32>(w[0])' : 'w[0]';
    } else if (!vec4) {
      alpha = wAt('index');
    } else if (this.form === 'last4') {
      alpha = 'vec4<f32>(w[c], w[c + 1], w[c + 2], w[c + 3])';
    } else if (this.form === 'outer4') {
      alpha = `vec4<f32>(${wAt('index * 4')})`;
    } else {
      alpha = `vec4<f32>(${[0, 1, 2, 3].map((k) => wAt(`(index * 4 + ${k})`)).join(', ')})`;
    }
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let v = x[index];
          ${this.form === 'last4' && vec4 ? 'let c = (index * 4) % uniforms.channels;' : ''}
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
  const channels = weight.shape[0];
  const axis = channels > 1 ? channelAxis(rank, dataFormat) : rank - 1;
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const vec4 = x.shape.reduce((a, b) => a * b, 1) % 4 === 0;
  const form: WeightForm = channels === 1      ? 'one' :
      vec4 && inner === 1 && channels % 4 === 0 ? 'last4' :
      vec4 && inner % 4 === 0                   ? 'outer4' :
                                                  'channels';
  const program = new PreluProgram(x.shape, vec4, form);
  return webgpu.runWebGPUProgram(program, [x, weight], 'float32', [
    {type: 'int32', data: [Math.max(inner, 1)]},
    {type: 'int32', data: [Math.max(channels, 1)]},
  ]);
};

export const preluConfig: KernelConfig = {kernelName: Prelu, backendName: 'webgpu', kernelFunc: prelu};
