// A direct 2-D convolution on webgpu for few channels (FSRCNN's 1 -> 56 5x5, 56 -> 12 1x1,
// 12 -> 12 3x3, 12 -> 56 1x1 at small images; RRDBNet's up to 192 -> 32 / 64; any channels on
// outputs of at most 16x16 pixels (MiDaS's refinenet and ResNeXt at a small input); the groups of a
// grouped convolution, MiDaS's ResNeXt: the group count is a uniform, each block of output
// channels reads its own group's input channels), with the bias and the activation (linear, relu,
// leaky relu, per-channel or single PReLU) in its epilogue: one pass, where tfjs's FusedConv2D
// runs Conv2DMMProgram (its scalar form for one input channel) or a batch matmul for 1x1.
//
// x is NHWC float32, the filter [kh, kw, in, out] (tfjs's HWIO), the output NHWC. Each
// invocation computes `pixels` adjacent output pixels of one row times `vec4s` blocks of four
// adjacent output channels (an outer product per tap and input channel: one read of four filter
// vec4s feeds every pixel, one read of an input value feeds every channel block), with the input
// channels four at a time (vec4 reads of x) where they divide by 4, else one at a time. Out of
// image taps read a clamped in-bounds address and use 0 in its place (select, never a multiply,
// so a NaN or infinity next to the border does not leak into the pad), rows wholly outside are
// skipped. Every size, stride, dilation and pad is a uniform; only the activation, whether a bias
// is added, the x read width and the block (`pixels`, `vec4s`) make shader variants (Note
// [webgpu programs] in util.ts): a new image size or layer reuses the same pipelines.
//
// The activations keep PyTorch's semantics: relu(x) = x < 0 ? 0 : x, leaky_relu and prelu
// x < 0 ? a * x : x, so a NaN goes through every one of them, and +-Infinity stays itself or
// becomes a * -Infinity.
//
// smallConv2d is a fast path, not a kernel: it returns null where it does not apply (dtypes,
// output channels not a multiple of 4, many channels, empty tensors) or where it is not faster
// than tfjs's FusedConv2D (bench: `npm run bench:webgpu -- smallConv2d`), and the caller then
// runs tfjs's kernel.
import {webgpu_util} from '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from './util.js';

export interface SmallConv2dArgs {
  x: TensorInfo; filter: TensorInfo; bias: TensorInfo|null; preluWeights: TensorInfo|null;
  strides: [number, number]; pad: [number, number, number, number]; dilations: [number, number];
  activation: 'linear'|'relu'|'leakyrelu'|'prelu'; leakyreluAlpha: number;
  /**
   * A grouped convolution's group count (default 1): the filter is then [kh, kw, in / groups,
   * out], and output channel o reads the input channels of its group o / (out / groups).
   */
  groups?: number;
}

type Activation = SmallConv2dArgs['activation'];

/** The shader variant: everything that is compiled in (no size among it). */
export interface SmallConv2dVariant {
  activation: Activation;
  /** PReLU with one weight for every channel (else one per output channel). */
  preluSingle: boolean;
  bias: boolean;
  /** Input channels read four at a time (in % 4 === 0) or one at a time. */
  xVec4: boolean;
  /** Adjacent output pixels of one row per invocation. */
  pixels: number;
  /** Blocks of four adjacent output channels per invocation. */
  vec4s: number;
}

/**
 * The most input / output channels the path claims, per group for a grouped convolution
 * (src/webgpu.ts declares them as the capability groupedConvOnePass). 192 inputs: ESRGAN
 * RRDBNet's dense blocks (64 / 96 / 128 / 160 / 192 -> 32, 192 -> 64, 3x3) ran in 0.07x to 0.22x
 * of tfjs's FusedConv2D at 8x8, 16x16 and 64x64, and two 1x1s (192 -> 64, 128 -> 32) in 0.09x to
 * 0.23x of its batch matmul (`npm run bench:webgpu -- smallConv2dWide`, SwiftShader, 2026-12-07).
 * More than 64 outputs was not measured at those sizes.
 */
export const MAX_IN_CHANNELS = 192;
export const MAX_OUT_CHANNELS = 64;
/**
 * Output pixels (batch x height x width) up to which any channel count is claimed: MiDaS's
 * slowest TorchConv2d calls at a 32x32 input (3x3s 2048 -> 256 at 1x1, 1024 -> 256 at 2x2,
 * 512 -> 256 at 4x4, 256 -> 256 at 8x8, 256 -> 128 at 16x16; 1x1s 2048 -> 2048 at 1x1,
 * 1024 -> 2048 at 2x2) ran in 0.01x to 0.27x of tfjs's FusedConv2D (`npm run bench:webgpu --
 * smallConv2dMidas`, SwiftShader, 2026-12-07): tfjs's matmul tiles have few rows to share there.
 * Larger images with more than 192 / 64 channels were not measured and stay with tfjs.
 */
export const SMALL_OUTPUT_PIXELS = 16 * 16;
const WORKGROUP: [number, number, number] = [64, 1, 1];

const UNIFORMS = [
  'count', 'inH', 'inW', 'inC', 'inG', 'outG4', 'outH', 'outW', 'outC4', 'wBlocks', 'chanBlocks',
  'kH', 'kW', 'sH', 'sW', 'dH', 'dW', 'padT', 'padL'];

class SmallConv2dProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize = WORKGROUP;
  outputComponent = 4;
  variableComponents: number[];
  uniforms = `${UNIFORMS.map((u) => `${u} : i32, `).join('')}alpha : f32, `;

  constructor(readonly variant: SmallConv2dVariant, count: number) {
    const v = variant;
    this.variableNames = ['x', 'w'];
    this.variableComponents = [v.xVec4 ? 4 : 1, 4];
    if (v.bias) {
      this.variableNames.push('bias');
      this.variableComponents.push(4);
    }
    if (v.activation === 'prelu') {
      this.variableNames.push('alphas');
      this.variableComponents.push(1);
    }
    // The invocations; the output itself is handed to runWebGPUProgram.
    this.outputShape = [count];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, this.outputShape, WORKGROUP);
    this.shaderKey = `tfjsTorchSmallConv2d_${v.activation}_${v.preluSingle ? 1 : 'c'}_${
        v.bias ? 'b' : 'nb'}_${v.xVec4 ? 4 : 1}_${v.pixels}_${v.vec4s}`;
  }

  getUserCode(): string {
    const {pixels: P, vec4s: B, xVec4, activation, bias, preluSingle} = this.variant;
    const ps = Array.from({length: P}, (_, p) => p);
    const bs = Array.from({length: B}, (_, b) => b);
    const zero = 'vec4<f32>(0.0)';
    const init = bs.map((b) => `let init${b} = ${bias ? `bias[oc4 + ${b}]` : zero};`);
    const accs = ps.flatMap((p) => bs.map((b) => `var acc${p}_${b} = init${b};`));
    // Per pixel of the block: its input column, whether it is inside, and a clamped column.
    const cols = ps.map((p) => `
            let ix${p} = ixk + ${p} * uniforms.sW;
            let in${p} = ix${p} >= 0 && ix${p} < uniforms.inW;
            let xo${p} = (xRow + clamp(ix${p}, 0, uniforms.inW - 1)) * xPix + xGroup;`);
    let inner: string;
    if (xVec4) {
      // Four input channels: filter rows ci..ci+3, each a vec4 per channel block.
      const wReads = bs.flatMap((b) => [0, 1, 2, 3].map(
          (j) => `let w${j}_${b} = w[wo + ${j} * uniforms.outC4 + ${b}];`));
      const steps = ps.map((p) => `
              let v${p} = select(${zero}, x[xo${p} + ci], in${p});
              ${bs.map((b) => `acc${p}_${b} = acc${p}_${b} + v${p}.x * w0_${b} + v${p}.y * w1_${b} + v${p}.z * w2_${b} + v${p}.w * w3_${b};`).join('\n              ')}`);
      inner = `
            for (var ci = 0; ci < xStep; ci++) {
              let wo = wk + ci * 4 * uniforms.outC4;
              ${wReads.join('\n              ')}
              ${steps.join('')}
            }`;
    } else {
      const wReads = bs.map((b) => `let w0_${b} = w[wo + ${b}];`);
      const steps = ps.map((p) => `
              let v${p} = select(0.0, x[xo${p} + ci], in${p});
              ${bs.map((b) => `acc${p}_${b} = acc${p}_${b} + v${p} * w0_${b};`).join('\n              ')}`);
      inner = `
            for (var ci = 0; ci < xStep; ci++) {
              let wo = wk + ci * uniforms.outC4;
              ${wReads.join('\n              ')}
              ${steps.join('')}
            }`;
    }
    const alphaOf = (b: number) => activation === 'leakyrelu' ? 'vec4<f32>(uniforms.alpha)' :
        preluSingle ? 'vec4<f32>(alphas[0])' :
        `vec4<f32>(alphas[oc + ${4 * b}], alphas[oc + ${4 * b + 1}], alphas[oc + ${
            4 * b + 2}], alphas[oc + ${4 * b + 3}])`;
    const act = (v: string, b: number) => activation === 'linear' ? v :
        activation === 'relu' ? `select(${v}, ${zero}, ${v} < ${zero})` :
        `select(${v}, a${b} * ${v}, ${v} < ${zero})`;
    const alphas = activation === 'leakyrelu' || activation === 'prelu' ?
        bs.map((b) => `let a${b} = ${alphaOf(b)};`) : [];
    const writes = ps.map((p) => `
          if (ox0 + ${p} < uniforms.outW) {
            ${bs.map((b) => `result[yo + ${p} * uniforms.outC4 + ${b}] = ${act(`acc${p}_${b}`, b)};`).join('\n            ')}
          }`);
    return `
      fn main(index : i32) {
        if (index >= uniforms.count) { return; }
        let cb = index % uniforms.chanBlocks;
        var t = index / uniforms.chanBlocks;
        let owb = t % uniforms.wBlocks;
        t = t / uniforms.wBlocks;
        let oy = t % uniforms.outH;
        let n = t / uniforms.outH;
        let oc4 = cb * ${B};
        let oc = oc4 * 4;
        let ox0 = owb * ${P};
        // x elements per pixel, per step of the channel loop, and the block's group's first one.
        let xPix = ${xVec4 ? 'uniforms.inC / 4' : 'uniforms.inC'};
        let xStep = ${xVec4 ? 'uniforms.inG / 4' : 'uniforms.inG'};
        let xGroup = (oc4 / uniforms.outG4) * xStep;
        ${init.join('\n        ')}
        ${accs.join('\n        ')}
        let iy0 = oy * uniforms.sH - uniforms.padT;
        let ix0 = ox0 * uniforms.sW - uniforms.padL;
        for (var ky = 0; ky < uniforms.kH; ky++) {
          let iy = iy0 + ky * uniforms.dH;
          if (iy < 0 || iy >= uniforms.inH) { continue; }
          let xRow = (n * uniforms.inH + iy) * uniforms.inW;
          for (var kx = 0; kx < uniforms.kW; kx++) {
            let ixk = ix0 + kx * uniforms.dW;
            let wk = (ky * uniforms.kW + kx) * uniforms.inG * uniforms.outC4 + oc4;
            ${cols.join('')}
            ${inner}
          }
        }
        ${alphas.join('\n        ')}
        let yo = ((n * uniforms.outH + oy) * uniforms.outW + ox0) * uniforms.outC4 + oc4;
        ${writes.join('')}
      }
    `;
  }
}

/** Output size of one axis (PyTorch's formula; explicit pads). */
function outSize(inSize: number, k: number, s: number, d: number, before: number, after: number) {
  return Math.floor((inSize + before + after - d * (k - 1) - 1) / s) + 1;
}

/**
 * The block an invocation computes for a layer: eight output pixels of a row (fewer on narrower
 * outputs) times one vec4 of output channels; two vec4s where the input channels are read one at
 * a time (in % 4 !== 0: only one filter vec4 per channel block is live) and the channel blocks
 * pair up. With four input channels per step, 8 pixels x 2 vec4s keeps 16 accumulators and 8
 * filter vec4s live, and was slower. (`npm run bench:webgpu -- smallConv2dClaims`, FSRCNN's
 * layers at 128x128 on SwiftShader: 1 -> 56 5x5 8x2 147 ms, 4x2 204, 8x1 220; 56 -> 12 1x1 8x1
 * 26.5, 4x1 33.4; 12 -> 12 3x3 8x1 67, 4x1 78; 12 -> 56 1x1 8x1 54, 4x2 54, 8x2 97.)
 */
export function chooseBlock(inC: number, outC: number, outW: number): {pixels: number, vec4s: number} {
  const vec4s = inC % 4 !== 0 && (outC / 4) % 2 === 0 ? 2 : 1;
  const pixels = outW >= 8 ? 8 : outW >= 4 ? 4 : outW >= 2 ? 2 : 1;
  return {pixels, vec4s};
}

/**
 * Runs the convolution with a given block (the bench and the tests call this to reach every
 * variant); smallConv2d picks the block. Returns null where the path does not apply. `claim` (the
 * most input / output channels per group) is given only by the bench's rows beyond the claim;
 * by default MAX_IN_CHANNELS / MAX_OUT_CHANNELS, or any count up to SMALL_OUTPUT_PIXELS outputs.
 */
export function smallConv2dWith(
    backend: WebGPUBackend, args: SmallConv2dArgs, block: {pixels: number, vec4s: number},
    claim?: {maxIn: number, maxOut: number}): TensorInfo|null {
  const {x, filter, bias, preluWeights, strides, pad, dilations, activation} = args;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const [batch, inH, inW, inC] = x.shape;
  const [kH, kW, inG, outC] = filter.shape;
  const groups = args.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || inG * groups !== inC || outC % groups !== 0) {
    return null;
  }
  const outG = outC / groups;
  if (outG % 4 !== 0) return null;
  if (bias != null && (bias.dtype !== 'float32' || bias.shape.reduce((a, b) => a * b, 1) !== outC)) {
    return null;
  }
  let preluSingle = false;
  if (activation === 'prelu') {
    if (preluWeights == null || preluWeights.dtype !== 'float32') return null;
    const n = preluWeights.shape.reduce((a, b) => a * b, 1);
    if (n !== 1 && n !== outC) return null;
    preluSingle = n === 1;
  } else if (activation !== 'linear' && activation !== 'relu' && activation !== 'leakyrelu') {
    return null;
  }
  const [sH, sW] = strides;
  const [dH, dW] = dilations;
  const [padT, padB, padL, padR] = pad;
  if ([sH, sW, dH, dW].some((v) => !Number.isInteger(v) || v < 1) ||
      pad.some((v) => !Number.isInteger(v) || v < 0)) {
    return null;
  }
  const outH = outSize(inH, kH, sH, dH, padT, padB);
  const outW = outSize(inW, kW, sW, dW, padL, padR);
  if (batch === 0 || inH === 0 || inW === 0 || inC === 0 || kH === 0 || kW === 0 || outH <= 0 ||
      outW <= 0) {
    return null;
  }
  const {maxIn, maxOut} = claim ?? (batch * outH * outW <= SMALL_OUTPUT_PIXELS ?
      {maxIn: Infinity, maxOut: Infinity} : {maxIn: MAX_IN_CHANNELS, maxOut: MAX_OUT_CHANNELS});
  if (inG > maxIn || outG > maxOut) return null;
  const outShape = [batch, outH, outW, outC];
  const outSizeTotal = batch * outH * outW * outC;
  const limit = backend.device.limits.maxStorageBufferBindingSize;
  if (outSizeTotal * 4 > limit || x.shape.reduce((a, b) => a * b, 1) * 4 > limit) return null;
  const {pixels, vec4s} = block;
  // A block of channel vec4s lies inside one group.
  if ((outG / 4) % vec4s !== 0) return null;
  const variant: SmallConv2dVariant = {
    activation, preluSingle, bias: bias != null, xVec4: inG % 4 === 0, pixels, vec4s};
  const chanBlocks = outC / 4 / vec4s;
  const wBlocks = Math.ceil(outW / pixels);
  const count = batch * outH * wBlocks * chanBlocks;
  const program = new SmallConv2dProgram(variant, count);
  const ints = [count, inH, inW, inC, inG, outG / 4, outH, outW, outC / 4, wBlocks, chanBlocks, kH,
                kW, sH, sW, dH, dW, padT, padL];
  const uniforms = [
    ...ints.map((v) => ({type: 'int32', data: [v]})),
    {type: 'float32', data: [activation === 'leakyrelu' ? args.leakyreluAlpha : 0]},
  ];
  const inputs = [x, filter];
  if (bias != null) inputs.push(bias);
  if (activation === 'prelu') inputs.push(preluWeights!);
  const out = backend.makeTensorInfo(outShape, 'float32');
  return backend.runWebGPUProgram(program, inputs, 'float32', uniforms, out);
}

/**
 * The output (NHWC), or null where this path does not apply or would not be faster (the caller
 * falls back to tfjs's FusedConv2D).
 */
export function smallConv2d(backend: WebGPUBackend, args: SmallConv2dArgs): TensorInfo|null {
  if (args.x.shape.length !== 4 || args.filter.shape.length !== 4) return null;
  const {strides: [, sW], dilations: [, dW], pad: [, , padL, padR]} = args;
  const outW = outSize(args.x.shape[2], args.filter.shape[1], sW, dW, padL, padR);
  const groups = args.groups ?? 1;
  return smallConv2dWith(
      backend, args, chooseBlock(args.filter.shape[2], args.filter.shape[3] / groups, outW));
}
