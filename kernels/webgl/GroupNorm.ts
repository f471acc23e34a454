// webgl kernel of group norm (instance norm, layer norm): two programs, no read-back. The first
// computes, per (batch, group), the mean and rstd (two passes over the group: the mean, then the
// squared deviations, each summed in runs of 256 positions) into an [N * G, 2] texture; the second writes y = x * a + s with
// a = rstd * weight[c], s = bias[c] - mean * a (Note [group norm numerics] in
// src/ops/group_norm.ts). x is seen as [N, C, P] or [N, P, C] (src/index_math/norm.ts). Sizes and
// eps are uniforms: the shaders depend only on the layout.
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {normView, normViewShape} from '../../src/index_math/norm.js';
import {GroupNorm} from '../../src/kernel_names.js';
import type {GroupNormAttrs, GroupNormInputs} from '../../src/kernel_names.js';
import {checkFitsTexture, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

type Uniform = {name: string, type: 'int'|'float'};

class GroupStatsProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  customUniforms: Uniform[] = [
    {name: 'gnG', type: 'int'}, {name: 'gnK', type: 'int'}, {name: 'gnP', type: 'int'},
    {name: 'gnEps', type: 'float'},
  ];

  constructor(groups: number, channelsLast: boolean) {
    this.outputShape = [groups, 2];
    const read = channelsLast ? 'getX(n, q, c)' : 'getX(n, c, q)';
    this.userCode = `
      void main() {
        ivec2 rc = getOutputCoords();
        int n = rc.x / gnG;
        int first = (rc.x - n * gnG) * gnK;
        float count = float(gnK * gnP);
        // Sums in three levels (runs of 256 positions, a channel, the group): Note [group norm
        // float32 statistics] in src/gradients/group_norm_grad.ts.
        float sum = 0.0;
        for (int j = 0; j < gnK; j++) {
          int c = first + j;
          float channel = 0.0;
          for (int q0 = 0; q0 < gnP; q0 += 256) {
            float run = 0.0;
            int end = min(q0 + 256, gnP);
            for (int q = q0; q < end; q++) run += ${read};
            channel += run;
          }
          sum += channel;
        }
        float mean = sum / count;
        if (rc.y == 0) {
          setOutput(mean);
          return;
        }
        float squares = 0.0;
        for (int j = 0; j < gnK; j++) {
          int c = first + j;
          float channel = 0.0;
          for (int q0 = 0; q0 < gnP; q0 += 256) {
            float run = 0.0;
            int end = min(q0 + 256, gnP);
            for (int q = q0; q < end; q++) {
              float d = ${read} - mean;
              run += d * d;
            }
            channel += run;
          }
          squares += channel;
        }
        setOutput(inversesqrt(squares / count + gnEps));
      }
    `;
  }
}

class GroupApplyProgram implements GPGPUProgram {
  variableNames = ['x', 'stats', 'weight', 'bias'];
  outputShape: number[];
  userCode: string;
  customUniforms: Uniform[] = [{name: 'gnG', type: 'int'}, {name: 'gnK', type: 'int'}];

  constructor(viewShape: number[], channelsLast: boolean) {
    this.outputShape = viewShape;
    this.userCode = `
      void main() {
        ivec3 co = getOutputCoords();
        int c = ${channelsLast ? 'co.z' : 'co.y'};
        int row = co.x * gnG + c / gnK;
        float mean = getStats(row, 0);
        float a = getStats(row, 1) * getWeight(c);
        float s = getBias(c) - mean * a;
        setOutput(getX(co.x, co.y, co.z) * a + s);
      }
    `;
  }
}

export const groupNorm: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as GroupNormInputs;
  const a = attrs as unknown as GroupNormAttrs;
  const webgl = backend as WebGLBackend;
  const v = normView(x.shape, a.dataFormat, a.trailing);
  checkFitsTexture('groupNorm', 'output', x.shape);
  const view = normViewShape(v);
  if (x.shape.some((d) => d === 0)) return webgl.makeTensorInfo(x.shape.slice(), 'float32', new Float32Array(0));
  const made: tf.Tensor[] = [];
  const reshaped = (t: TensorInfo, shape: number[]) => {
    const r = tf.engine().runKernel('Reshape', {x: t} as unknown as tf.NamedTensorMap, {shape}) as tf.Tensor;
    made.push(r);
    return r;
  };
  try {
    const xv = reshaped(x, view);
    const w = reshaped(weight, [v.c]);
    const b = reshaped(bias, [v.c]);
    const g = a.numGroups;
    const k = v.c / g;
    const stats = runProgram(webgl, new GroupStatsProgram(v.n * g, v.channelsLast), [xv], 'float32',
                                        [[g], [k], [v.p], [a.eps]]);
    try {
      const ins: TensorInfo[] = [xv, stats, w, b];
      const y = runProgram(webgl, new GroupApplyProgram(view, v.channelsLast), ins,
                                      'float32', [[g], [k]]);
      // An unpacked output: the same texture under x's shape.
      return {dataId: y.dataId, shape: x.shape.slice(), dtype: 'float32'};
    } finally {
      webgl.disposeIntermediateTensorInfo(stats);
    }
  } finally {
    for (const t of made) t.dispose();
  }
};

export const groupNormConfig: KernelConfig = {
  kernelName: GroupNorm,
  backendName: 'webgl',
  kernelFunc: groupNorm,
};
