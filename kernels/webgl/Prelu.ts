// webgl kernel of PReLU: y = x > 0 ? x : weight[c] * x in one pass (Note [PReLU at Infinity] in
// src/layers/prelu.ts). The branch is chosen per value, never blended: tfjs 4.22's packed Prelu
// computes mask * (alpha * x) + (1 - mask) * x and turns +-Infinity into NaN (0 * Infinity).
// The weight is the [1] or [C] tensor as it is (a layer's variable: no read-back, no reshape
// program); the shader samples it at each value's channel. Packed under WEBGL_PACK as tfjs's own
// elementwise kernels are. No sizes in the GLSL (Note [webgl programs keyed by code] in util.ts):
// only the rank, where the channel axis sits and whether there is one weight.
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {Prelu} from '../../src/kernel_names.js';
import type {PreluAttrs, PreluInputs} from '../../src/kernel_names.js';
import {channelAxis} from '../../src/util/layout.js';
import {checkFitsTexture, coord, coordsType, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

/** One value per invocation. */
export class PreluProgram implements GPGPUProgram {
  variableNames = ['x', 'w'];
  outputShape: number[];
  userCode: string;
  constructor(shape: number[], axis: number|null) {
    this.outputShape = shape;
    const rank = shape.length;
    this.userCode = `
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        float v = getXAtOutCoords();
        float a = getW(${axis == null ? '0' : coord('coords', rank, axis)});
        setOutput(v > 0.0 ? v : a * v);
      }
    `;
  }
}

/**
 * The packed form: one invocation computes a texel, 2 x 2 values (rows and columns of the last
 * two dims). Each component's channel follows from where the channel axis sits: the last dim
 * (columns), the one before (rows), or an outer dim (one channel for the whole texel). mix with
 * a bool vector selects per component; the value not selected has no effect, even NaN (GLSL ES
 * 3.00, 8.3).
 */
export class PreluPackedProgram implements GPGPUProgram {
  variableNames = ['x', 'w'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  constructor(shape: number[], axis: number|null) {
    this.outputShape = shape;
    const rank = shape.length;
    // The output texel starts at an even row and column, so the weights of its (at most two)
    // channels sit in one texel of the weight: one sample. Its .y past the end of an odd C is
    // padding and lands only in padding components, which are never stored.
    let alpha: string;
    if (axis == null) {
      alpha = 'vec4(getW(0).x)';
    } else if (axis === rank - 1) {
      alpha = `getW(${coord('coords', rank, axis)}).xyxy`;  // columns: (c, c + 1, c, c + 1)
    } else if (axis === rank - 2) {
      alpha = `getW(${coord('coords', rank, axis)}).xxyy`;  // rows: (r, r, r + 1, r + 1)
    } else {
      const c = coord('coords', rank, axis);  // an outer dim: one channel for the texel
      alpha = `vec4(getChannel(getW(${c}), ${c}))`;
    }
    this.userCode = `
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        vec4 v = getXAtOutCoords();
        vec4 a = ${alpha};
        setOutput(mix(a * v, v, greaterThan(v, vec4(0.0))));
      }
    `;
  }
}

export const prelu: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight} = inputs as PreluInputs;
  const {dataFormat} = attrs as unknown as PreluAttrs;
  const rank = x.shape.length;
  // One weight (PReLU() or a single channel): sampled at 0.
  const axis = weight.shape[0] === 1 ? null : channelAxis(rank, dataFormat);
  const packed = tf.env().getBool('WEBGL_PACK');
  checkFitsTexture('prelu', 'output', x.shape, packed);
  const program = packed ? new PreluPackedProgram(x.shape, axis) : new PreluProgram(x.shape, axis);
  return runProgram(backend as WebGLBackend, program, [x, weight], 'float32');
};

export const preluConfig: KernelConfig = {kernelName: Prelu, backendName: 'webgl', kernelFunc: prelu};
