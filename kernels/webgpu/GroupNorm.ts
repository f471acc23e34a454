// webgpu kernel of group norm (instance norm, layer norm): two programs, no read-back. The first
// computes, per (batch, group), the mean and rstd (two passes over the group) into an
// [N * G, 2] buffer; the second writes y = x * a + s with a = rstd * weight[c],
// s = bias[c] - mean * a (Note [group norm numerics] in src/ops/group_norm.ts). x is read as
// its flat buffer in the [N, C, P] or [N, P, C] view (src/index_math/norm.ts). Sizes and eps are
// uniforms: the WGSL depends only on the layout.
import {webgpu_util} from '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {normView} from '../../src/index_math/norm.js';
import {GroupNorm} from '../../src/kernel_names.js';
import type {GroupNormAttrs, GroupNormInputs} from '../../src/kernel_names.js';
import {checkFitsBuffer} from './util.js';
import type {WebGPUBackend} from './util.js';

abstract class FlatProgram implements WebGPUProgram {
  abstract variableNames: string[];
  outputShape: number[];
  abstract shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = 'gnC : i32, gnP : i32, gnG : i32, gnK : i32, gnEps : f32,';

  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  abstract getUserCode(): string;
}

/** Offset of (n, c, q) in the view, as WGSL. */
function offset(channelsLast: boolean): string {
  return channelsLast ? '(n * uniforms.gnP + q) * uniforms.gnC + c' :
                        '(n * uniforms.gnC + c) * uniforms.gnP + q';
}

class GroupStatsProgram extends FlatProgram {
  variableNames = ['x'];
  shaderKey: string;
  constructor(groups: number, private readonly channelsLast: boolean) {
    super([groups, 2]);
    this.shaderKey = `tfjsTorchGroupStats_${channelsLast}`;
  }
  getUserCode(): string {
    const read = `x[${offset(this.channelsLast)}]`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let row = index / 2;
          let n = row / uniforms.gnG;
          let first = (row - n * uniforms.gnG) * uniforms.gnK;
          let count = f32(uniforms.gnK * uniforms.gnP);
          // Sums in three levels (runs of 256 positions, a channel, the group): Note [group
          // norm float32 statistics] in src/gradients/group_norm_grad.ts.
          var sum = 0.0;
          for (var j = 0; j < uniforms.gnK; j++) {
            let c = first + j;
            var channel = 0.0;
            for (var q0 = 0; q0 < uniforms.gnP; q0 += 256) {
              var run = 0.0;
              let end = min(q0 + 256, uniforms.gnP);
              for (var q = q0; q < end; q++) { run += ${read}; }
              channel += run;
            }
            sum += channel;
          }
          let mean = sum / count;
          if (index % 2 == 0) {
            result[index] = mean;
            return;
          }
          var squares = 0.0;
          for (var j = 0; j < uniforms.gnK; j++) {
            let c = first + j;
            var channel = 0.0;
            for (var q0 = 0; q0 < uniforms.gnP; q0 += 256) {
              var run = 0.0;
              let end = min(q0 + 256, uniforms.gnP);
              for (var q = q0; q < end; q++) {
                let d = ${read} - mean;
                run += d * d;
              }
              channel += run;
            }
            squares += channel;
          }
          result[index] = inverseSqrt(squares / count + uniforms.gnEps);
        }
      }
    `;
  }
}

class GroupApplyProgram extends FlatProgram {
  variableNames = ['x', 'stats', 'weight', 'bias'];
  shaderKey: string;
  constructor(shape: number[], private readonly channelsLast: boolean) {
    super(shape);
    this.shaderKey = `tfjsTorchGroupApply_${channelsLast}`;
  }
  getUserCode(): string {
    const nc = this.channelsLast ?
        'let c = index % uniforms.gnC; let n = index / (uniforms.gnP * uniforms.gnC);' :
        'let c = (index / uniforms.gnP) % uniforms.gnC; let n = index / (uniforms.gnC * uniforms.gnP);';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${nc}
          let row = n * uniforms.gnG + c / uniforms.gnK;
          let mean = stats[2 * row];
          let a = stats[2 * row + 1] * weight[c];
          let s = bias[c] - mean * a;
          result[index] = x[index] * a + s;
        }
      }
    `;
  }
}

export const groupNorm: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as GroupNormInputs;
  const a = attrs as unknown as GroupNormAttrs;
  const webgpu = backend as WebGPUBackend;
  checkFitsBuffer(webgpu, 'groupNorm', 'output', x.shape);
  const v = normView(x.shape, a.dataFormat, a.trailing);
  if (x.shape.some((d) => d === 0)) return webgpu.makeTensorInfo(x.shape.slice(), 'float32');
  const g = a.numGroups;
  const uniforms = [
    {type: 'int32', data: [v.c]}, {type: 'int32', data: [v.p]}, {type: 'int32', data: [g]},
    {type: 'int32', data: [v.c / g]}, {type: 'float32', data: [a.eps]},
  ];
  const stats = webgpu.runWebGPUProgram(new GroupStatsProgram(v.n * g, v.channelsLast), [x], 'float32',
                                        uniforms);
  try {
    return webgpu.runWebGPUProgram(new GroupApplyProgram(x.shape.slice(), v.channelsLast),
                                   [x, stats, weight, bias], 'float32', uniforms);
  } finally {
    webgpu.disposeData(stats.dataId);
  }
};

export const groupNormConfig: KernelConfig = {
  kernelName: GroupNorm,
  backendName: 'webgpu',
  kernelFunc: groupNorm,
};
