// `npm run bench:webgpu -- smallConv2d`: the few-channel convolution of
// kernels/webgpu/small_conv2d.ts (bias and per-channel PReLU in its epilogue) against tfjs's own
// webgpu FusedConv2D with the same bias and PReLU fused (tf.fused.conv2d, activation 'prelu':
// Conv2DMMProgram, or a fused batch matmul for the 1x1s), on FSRCNN's layers (1 -> 56 5x5,
// 56 -> 12 1x1, 12 -> 12 3x3, 12 -> 56 1x1) at 32x32 and 128x128, and on FSRCNN's seven
// convolutions in a chain (one read-back at the end). The outputs are checked to agree first.
import * as tf from '@tensorflow/tfjs-core';
import {chooseBlock, smallConv2d, smallConv2dWith} from '../../kernels/webgpu/small_conv2d.js';
import type {SmallConv2dArgs} from '../../kernels/webgpu/small_conv2d.js';
import type {WebGPUBackend} from '../../kernels/webgpu/util.js';
import type {GroupedConv2dAttrs} from '../../src/kernel_names.js';
import {groupBias, groupFilter, perGroupConv2d, runGroupedConv2d} from '../../src/ops/grouped_conv.js';
import type {Row} from '../harness.js';
import {contender, expectSame, input} from '../webgl/common.js';

interface Layer {
  name: string; inC: number; outC: number; k: number;
}

const FSRCNN: Layer[] = [
  {name: 'feature 1->56 5x5', inC: 1, outC: 56, k: 5},
  {name: 'shrink 56->12 1x1', inC: 56, outC: 12, k: 1},
  {name: 'map 12->12 3x3', inC: 12, outC: 12, k: 3},
  {name: 'expand 12->56 1x1', inC: 12, outC: 56, k: 1},
];

/** FSRCNN's convolutions in order: feature, shrink, four maps, expand. */
const CHAIN = [FSRCNN[0], FSRCNN[1], FSRCNN[2], FSRCNN[2], FSRCNN[2], FSRCNN[2], FSRCNN[3]];

interface Weights {
  filter: tf.Tensor4D; bias: tf.Tensor1D; alphas: tf.Tensor1D;
}

function weightsOf(l: Layer): Weights {
  const scale = 1 / Math.sqrt(l.k * l.k * l.inC);
  return {
    filter: tf.tidy(() => tf.mul(tf.sub(input([l.k, l.k, l.inC, l.outC]), 0.5), scale)) as tf.Tensor4D,
    bias: tf.tidy(() => tf.sub(input([l.outC]), 0.5)) as tf.Tensor1D,
    alphas: tf.tidy(() => tf.mul(input([l.outC]), 0.25)) as tf.Tensor1D,
  };
}

function ours(backend: WebGPUBackend, x: tf.Tensor4D, l: Layer, w: Weights): tf.Tensor4D {
  const p = (l.k - 1) / 2;
  const args: SmallConv2dArgs = {
    x, filter: w.filter, bias: w.bias, preluWeights: w.alphas, strides: [1, 1], pad: [p, p, p, p],
    dilations: [1, 1], activation: 'prelu', leakyreluAlpha: 0};
  const info = smallConv2d(backend, args);
  if (info == null) throw new Error(`smallConv2d declined ${l.name} on [${x.shape}]`);
  return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor4D;
}

function theirs(x: tf.Tensor4D, l: Layer, w: Weights): tf.Tensor4D {
  const p = (l.k - 1) / 2;
  return tf.fused.conv2d({
    x, filter: w.filter, strides: 1, pad: [[0, 0], [p, p], [p, p], [0, 0]], bias: w.bias,
    activation: 'prelu', preluActivationWeights: w.alphas});
}

export async function smallConv2dRows(): Promise<Row[]> {
  const backend = tf.backend() as unknown as WebGPUBackend;
  const rows: Row[] = [];
  const weights = new Map(FSRCNN.map((l) => [l, weightsOf(l)]));
  for (const size of [32, 128]) {
    for (const l of FSRCNN) {
      const x = tf.tidy(() => tf.sub(input([1, size, size, l.inC]), 0.5)) as tf.Tensor4D;
      const w = weights.get(l)!;
      const a = ours(backend, x, l, w);
      const b = theirs(x, l, w);
      await expectSame(a, b, `${l.name} ${size}x${size}`, 1e-5);
      tf.dispose([a, b]);
      rows.push({
        label: `FSRCNN ${l.name} + bias + PReLU, [1, ${size}, ${size}, ${l.inC}]`,
        contenders: [contender('tfjs-torch smallConv2d', () => ours(backend, x, l, w)),
                     contender('tfjs fused.conv2d (prelu fused)', () => theirs(x, l, w))],
      });
    }
    const x = tf.tidy(() => tf.sub(input([1, size, size, 1]), 0.5)) as tf.Tensor4D;
    const chain = (f: (t: tf.Tensor4D, l: Layer) => tf.Tensor4D) => () => tf.tidy(() => {
      let t = x;
      for (const l of CHAIN) t = f(t, l);
      return t;
    });
    const chainOurs = chain((t, l) => ours(backend, t, l, weights.get(l)!));
    const chainTheirs = chain((t, l) => theirs(t, l, weights.get(l)!));
    const a = chainOurs();
    const b = chainTheirs();
    await expectSame(a, b, `FSRCNN chain ${size}x${size}`, 1e-4);
    tf.dispose([a, b]);
    rows.push({
      label: `FSRCNN's 7 convolutions + PReLUs in a chain, [1, ${size}, ${size}, 1]`,
      contenders: [contender('tfjs-torch smallConv2d', chainOurs),
                   contender('tfjs fused.conv2d (prelu fused)', chainTheirs)],
    });
  }
  return rows;
}

/**
 * `npm run bench:webgpu -- smallConv2dClaims`: the shapes at the edge of what smallConv2d
 * claims (up to 64 channels in and out), against tfjs's FusedConv2D, and the blocks an
 * invocation computes (pixels x channel vec4s) on FSRCNN's layers at 128x128, the first
 * contender being the block smallConv2d picks.
 */
export async function smallConv2dClaimsRows(): Promise<Row[]> {
  const backend = tf.backend() as unknown as WebGPUBackend;
  const rows: Row[] = [];
  const edge: Array<Layer & {size: number}> = [
    {name: '3->64 3x3', inC: 3, outC: 64, k: 3, size: 64},
    {name: '64->64 3x3', inC: 64, outC: 64, k: 3, size: 32},
    {name: '64->48 3x3', inC: 64, outC: 48, k: 3, size: 32},
    {name: '32->32 3x3', inC: 32, outC: 32, k: 3, size: 64},
    {name: '16->16 3x3', inC: 16, outC: 16, k: 3, size: 64},
    {name: '64->64 1x1', inC: 64, outC: 64, k: 1, size: 64},
  ];
  for (const l of edge) {
    const x = tf.tidy(() => tf.sub(input([1, l.size, l.size, l.inC]), 0.5)) as tf.Tensor4D;
    const w = weightsOf(l);
    const a = ours(backend, x, l, w);
    const b = theirs(x, l, w);
    await expectSame(a, b, `${l.name} ${l.size}x${l.size}`, 1e-5);
    tf.dispose([a, b]);
    rows.push({
      label: `${l.name} + bias + PReLU, [1, ${l.size}, ${l.size}, ${l.inC}]`,
      contenders: [contender('tfjs-torch smallConv2d', () => ours(backend, x, l, w)),
                   contender('tfjs fused.conv2d (prelu fused)', () => theirs(x, l, w))],
    });
  }
  const blocks = [{pixels: 4, vec4s: 1}, {pixels: 4, vec4s: 2}, {pixels: 2, vec4s: 1},
                  {pixels: 8, vec4s: 1}, {pixels: 8, vec4s: 2}, {pixels: 1, vec4s: 1}];
  for (const l of FSRCNN) {
    const x = tf.tidy(() => tf.sub(input([1, 128, 128, l.inC]), 0.5)) as tf.Tensor4D;
    const w = weightsOf(l);
    const p = (l.k - 1) / 2;
    const chosen = chooseBlock(l.inC, l.outC, 128);
    const run = (block: {pixels: number, vec4s: number}) => () => {
      const info = smallConv2dWith(backend, {
        x, filter: w.filter, bias: w.bias, preluWeights: w.alphas, strides: [1, 1],
        pad: [p, p, p, p], dilations: [1, 1], activation: 'prelu', leakyreluAlpha: 0}, block);
      return tf.engine().makeTensorFromTensorInfo(info!, backend);
    };
    const others = blocks.filter((b) => (l.outC / 4) % b.vec4s === 0 &&
                                        !(b.pixels === chosen.pixels && b.vec4s === chosen.vec4s));
    rows.push({
      label: `blocks: FSRCNN ${l.name}, [1, 128, 128, ${l.inC}]`,
      contenders: [chosen, ...others].map((b, i) => contender(
          `${i === 0 ? 'picked: ' : ''}${b.pixels} px x ${b.vec4s} vec4`, run(b))),
    });
  }
  return rows;
}

interface GroupedLayer {
  name: string; c: number; groups: number; size: number; stride: number;
}

/**
 * `npm run bench:webgpu -- groupedConv2d`: the webgpu TorchGroupedConv2d kernel (one dispatch of
 * the direct convolution, bias in its epilogue) against the per-group form it replaces where the
 * groups fit (the TorchGroupedConv2d layer's: per group a TorchPad crop of x and a tfjs
 * fused.conv2d with the group's filter and bias cut once beforehand, then a concat), on MiDaS's
 * ResNeXt-101 32x8d grouped 3x3s (32 groups of 8, 16, 32, 64 channels, stride 1 and 2) at the
 * sizes MiDaS's 32x32 and 128x128 inputs give them. The outputs are checked to agree first.
 */
export async function groupedConv2dRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const layers: GroupedLayer[] = [];
  // Input 32x32: layer1 at 8x8, layer2's first (stride 2) from 8x8, layer3 at 2x2, layer4 at 1x1;
  // input 128x128: four times larger on each side.
  for (const scale of [1, 4]) {
    layers.push({name: 'layer1 256, 32 groups of 8', c: 256, groups: 32, size: 8 * scale, stride: 1},
                {name: 'layer2 first 512, 32 groups of 16, stride 2', c: 512, groups: 32, size: 8 * scale, stride: 2},
                {name: 'layer2 512, 32 groups of 16', c: 512, groups: 32, size: 4 * scale, stride: 1},
                {name: 'layer3 1024, 32 groups of 32', c: 1024, groups: 32, size: 2 * scale, stride: 1},
                {name: 'layer4 2048, 32 groups of 64', c: 2048, groups: 32, size: 1 * scale, stride: 1});
  }
  for (const l of layers) {
    const ig = l.c / l.groups;
    const x = tf.tidy(() => tf.sub(input([1, l.size, l.size, l.c]), 0.5)) as tf.Tensor4D;
    const scale = 1 / Math.sqrt(9 * ig);
    const filter = tf.tidy(() => tf.mul(tf.sub(input([3, 3, ig, l.c]), 0.5), scale));
    const bias = tf.tidy(() => tf.sub(input([l.c]), 0.5));
    const attrs: GroupedConv2dAttrs = {stride: [l.stride, l.stride], padding: [1, 1, 1, 1],
                                       dilation: [1, 1], groups: l.groups, dataFormat: 'channelsLast'};
    const filters = Array.from({length: l.groups}, (_, g) => groupFilter(filter, l.groups, g));
    const biases = Array.from({length: l.groups}, (_, g) => groupBias(bias, l.groups, g)!);
    const ours = () => runGroupedConv2d(x, filter, bias, attrs);
    const perGroup = () => perGroupConv2d(x, (g) => filters[g], (g) => biases[g], attrs);
    const a = ours();
    const b = perGroup();
    await expectSame(a, b, `${l.name} ${l.size}x${l.size}`, 1e-5);
    tf.dispose([a, b]);
    rows.push({
      label: `MiDaS ${l.name} 3x3 + bias, [1, ${l.size}, ${l.size}, ${l.c}]`,
      contenders: [contender('tfjs-torch one dispatch', ours),
                   contender('per-group form (cut filters)', perGroup)],
    });
  }
  return rows;
}

/**
 * `npm run bench:webgpu -- smallConv2dWide`: the direct convolution beyond its claim of 64 input
 * channels (smallConv2dWith with a wider claim), on ESRGAN RRDBNet's dense-block convolutions
 * (3x3, 64 / 96 / 128 / 160 / 192 -> 32 with leaky relu 0.2, 192 -> 64 linear; and two 1x1s,
 * 192 -> 64 and 128 -> 32, where tfjs runs a batch matmul) at 8x8, 16x16 and 64x64,
 * against tfjs's FusedConv2D (Conv2DMMProgram) with the same bias and activation, with the block
 * chooseBlock picks and with fewer pixels per invocation (more invocations on a small image).
 */
export async function smallConv2dWideRows(): Promise<Row[]> {
  const backend = tf.backend() as unknown as WebGPUBackend;
  const rows: Row[] = [];
  const wide = {maxIn: 1024, maxOut: 1024};
  const shapes: Array<{inC: number, outC: number, act: 'leakyrelu'|'linear', k?: number}> = [
    {inC: 64, outC: 32, act: 'leakyrelu'}, {inC: 96, outC: 32, act: 'leakyrelu'},
    {inC: 128, outC: 32, act: 'leakyrelu'}, {inC: 160, outC: 32, act: 'leakyrelu'},
    {inC: 192, outC: 64, act: 'linear'}, {inC: 64, outC: 64, act: 'linear'},
    {inC: 192, outC: 64, act: 'linear', k: 1}, {inC: 128, outC: 32, act: 'linear', k: 1}];
  for (const size of [8, 16, 64]) {
    for (const s of shapes) {
      const k = s.k ?? 3;
      const p = (k - 1) / 2;
      const l: Layer = {name: `${s.inC}->${s.outC} ${k}x${k}`, inC: s.inC, outC: s.outC, k};
      const w = weightsOf(l);
      const x = tf.tidy(() => tf.sub(input([1, size, size, s.inC]), 0.5)) as tf.Tensor4D;
      const run = (block: {pixels: number, vec4s: number}) => () => {
        const info = smallConv2dWith(backend, {
          x, filter: w.filter, bias: w.bias, preluWeights: null, strides: [1, 1], pad: [p, p, p, p],
          dilations: [1, 1], activation: s.act, leakyreluAlpha: 0.2}, block, wide);
        return tf.engine().makeTensorFromTensorInfo(info!, backend);
      };
      const theirs = () => tf.fused.conv2d({
        x, filter: w.filter, strides: 1, pad: [[0, 0], [p, p], [p, p], [0, 0]], bias: w.bias,
        activation: s.act, leakyreluAlpha: 0.2});
      const picked = chooseBlock(s.inC, s.outC, size);
      const blocks = [picked, {pixels: 4, vec4s: 1}, {pixels: 2, vec4s: 1}, {pixels: 1, vec4s: 1}]
                         .filter((b, i) => i === 0 || b.pixels !== picked.pixels || b.vec4s !== picked.vec4s);
      const a = run(picked)();
      const b = theirs();
      await expectSame(a, b, `${l.name} ${size}x${size}`, 1e-4);
      tf.dispose([a, b]);
      rows.push({
        label: `RRDBNet ${l.name} + bias + ${s.act}, [1, ${size}, ${size}, ${s.inC}]`,
        contenders: [...blocks.map((bl, i) => contender(
                         `${i === 0 ? 'picked: ' : ''}direct ${bl.pixels} px x ${bl.vec4s} vec4`, run(bl))),
                     contender('tfjs fused.conv2d', theirs)],
      });
    }
  }
  return rows;
}

/**
 * `npm run bench:webgpu -- smallConv2dMidas`: the direct convolution beyond its claim (wider
 * claim) on the slowest TorchConv2d calls of MiDaS at a 32x32 input (its refinenet's 3x3s from
 * 2048 / 1024 / 512 / 256 channels, ResNeXt's 1x1s of 1024 / 2048 channels at 1x1 and 2x2),
 * against tfjs's FusedConv2D, to see whether a claim by output size would pay.
 */
export async function smallConv2dMidasRows(): Promise<Row[]> {
  const backend = tf.backend() as unknown as WebGPUBackend;
  const rows: Row[] = [];
  const wide = {maxIn: 4096, maxOut: 4096};
  const shapes = [
    {size: 1, inC: 2048, outC: 256, k: 3}, {size: 2, inC: 1024, outC: 256, k: 3},
    {size: 1, inC: 2048, outC: 2048, k: 1}, {size: 2, inC: 1024, outC: 2048, k: 1},
    {size: 16, inC: 256, outC: 128, k: 3}, {size: 8, inC: 256, outC: 256, k: 3},
    {size: 4, inC: 512, outC: 256, k: 3}];
  for (const s of shapes) {
    const p = (s.k - 1) / 2;
    const l: Layer = {name: `${s.inC}->${s.outC} ${s.k}x${s.k}`, inC: s.inC, outC: s.outC, k: s.k};
    const w = weightsOf(l);
    const x = tf.tidy(() => tf.sub(input([1, s.size, s.size, s.inC]), 0.5)) as tf.Tensor4D;
    const ours = () => {
      const info = smallConv2dWith(backend, {
        x, filter: w.filter, bias: w.bias, preluWeights: null, strides: [1, 1], pad: [p, p, p, p],
        dilations: [1, 1], activation: 'linear', leakyreluAlpha: 0},
        chooseBlock(s.inC, s.outC, s.size), wide);
      return tf.engine().makeTensorFromTensorInfo(info!, backend);
    };
    const theirs = () => tf.fused.conv2d({
      x, filter: w.filter, strides: 1, pad: [[0, 0], [p, p], [p, p], [0, 0]], bias: w.bias});
    const a = ours();
    const b = theirs();
    await expectSame(a, b, `${l.name} ${s.size}x${s.size}`, 1e-3);
    tf.dispose([a, b]);
    rows.push({
      label: `MiDaS ${l.name} + bias, [1, ${s.size}, ${s.size}, ${s.inC}]`,
      contenders: [contender('direct (wide claim)', ours), contender('tfjs fused.conv2d', theirs)],
    });
  }
  return rows;
}
