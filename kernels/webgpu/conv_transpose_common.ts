// Programs of convTranspose1d/2d/3d and its two gradient kernels on webgpu: one pass each, one
// output value per invocation.
//
// The tap relation is not written in WGSL. It comes from src/index_math/conv_tables.ts (Note
// [transposed convolution tap relation]) as small per-axis int32 tables in one storage buffer:
//  - forward (gather form): for output position o of an axis, the (tap, input position) pairs
//    that reach it, in increasing tap order, padded with tap -1 to the axis's largest count
//    (about kernelSize / stride): convTransposeGatherPairs;
//  - gradient for x (scatter form read as a gather): for input position i, the (tap, output
//    position) pairs inside the output: convTransposeScatterPairs;
//  - gradient for the weight: for each tap, its valid input range and the output position of
//    every input position: convTransposeRangeTargets.
// Shapes, strides and table offsets are uniforms; only the rank, table widths and channel
// blocks are compiled in (Note [webgpu programs] in util.ts).
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {ConvTransposeGeometry} from '../../src/index_math/conv_geometry.js';
import {convTransposeGatherPairs, convTransposeRangeTargets, convTransposeScatterPairs} from '../../src/index_math/conv_tables.js';
import type {ConvTransposeAxis, PairTable} from '../../src/index_math/conv_tables.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {axisNames, dimsOf} from '../../src/util/layout.js';
import {checkFitsBuffer, coord, Ints, run, stridesOf, TorchProgram, withTables} from './util.js';
import type {WebGPUBackend} from './util.js';

/** Strides of batch, channel and spatial dims of a tensor of this shape in a dataFormat. */
function stridesByRole(shape: number[], dataFormat: DataFormat):
    {b: number, c: number, spatial: number[]} {
  const s = stridesOf(shape);
  const d = dimsOf(shape.length - 2, dataFormat);
  return {b: s[d.b], c: s[d.c], spatial: d.spatial.map((k) => s[k])};
}

/** Axis a of the geometry, as the tables of src/index_math/conv_tables.ts take it. */
function axisOf(g: ConvTransposeGeometry, a: number): ConvTransposeAxis {
  return {inSize: g.inSize[a], outSize: g.outSize[a], kernelSize: g.kernelSize[a],
          stride: g.stride[a], padding: g.padding[a], dilation: g.dilation[a]};
}

/** Concatenates per-axis tables into one int32 buffer; returns each table's offset. */
function concatTables(tables: ArrayLike<number>[]): {buffer: Int32Array, offsets: number[]} {
  const offsets: number[] = [];
  let n = 0;
  for (const t of tables) {
    offsets.push(n);
    n += t.length;
  }
  const buffer = new Int32Array(Math.max(n, 1));
  tables.forEach((t, k) => buffer.set(t, offsets[k]));
  return {buffer, offsets};
}

/** Writes a size-dependent integer into WGSL as a uniform (Ints.of). */
type U = (v: number) => string;

/**
 * WGSL: nested loops over the pair tables of each axis (position expression `pos[a]`), binding
 * t<A> (the tap) and q<A> (the paired position); `inner` runs for every combination. The row
 * width (pairs per position, about kernelSize / stride) is compiled in, the offsets are uniforms.
 */
function pairLoops(
    names: string[], tables: PairTable[], offsets: number[], pos: string[], inner: string, u: U):
    string {
  let code = inner;
  for (let a = names.length - 1; a >= 0; a--) {
    const A = names[a];
    const w = tables[a].width;
    code = `
        for (var j${A} = 0; j${A} < ${w}; j${A}++) {
          let e${A} = ${u(offsets[a])} + ((${pos[a]}) * ${w} + j${A}) * 2;
          let t${A} = tab[e${A}];
          if (t${A} < 0) { break; }
          let q${A} = tab[e${A} + 1];
          ${code}
        }`;
  }
  return code;
}

/** WGSL sum of terms over `count` channels: acc += a(k) * b(k), k an i32 expression. */
function channelLoop(count: number, a: (k: string) => string, b: (k: string) => string): string {
  if (count <= 4) {
    return Array.from({length: count}, (_, k) => `acc += ${a(`${k}`)} * ${b(`${k}`)};`).join('\n');
  }
  return `
          for (var k = 0; k < ${count}; k++) {
            acc += ${a('k')} * ${b('k')};
          }`;
}

/**
 * Sum of `index * stride` terms (skipping zero strides' dims is not needed: sizes are > 0); a
 * stride is a uniform unless it is 1.
 */
function dot(terms: string[], strides: number[], u: U): string {
  const parts = terms.map((t, i) => (strides[i] === 1 ? t : `${t} * ${u(strides[i])}`));
  return parts.length > 0 ? parts.join(' + ') : '0';
}

// ---- forward -------------------------------------------------------------------------------------

/** Output channels one invocation of the forward program computes: 4, 2 or 1 (what divides). */
function channelBlock(outPerGroup: number): number {
  return outPerGroup % 4 === 0 ? 4 : outPerGroup % 2 === 0 ? 2 : 1;
}

/**
 * y = convTranspose(x, weight) (+ bias). The weight is first laid out tap-major,
 * [taps, inC, outC / groups] (a small pass), so that the output channels of one block sit next
 * to each other; then each invocation computes a block of `channelBlock` adjacent output
 * channels at one output position: for each (tap, input position) pair of the position's gather
 * tables and each input channel of the group, one x read feeds the whole block.
 */
export function runConvTranspose(
    backend: WebGPUBackend, x: TensorInfo, weight: TensorInfo, bias: TensorInfo|undefined,
    g: ConvTransposeGeometry, op: string): TensorInfo {
  checkFitsBuffer(backend, op, 'output', g.yShape);
  const n = g.inSize.length;
  const names = axisNames(n);
  const yDims = dimsOf(n, g.dataFormat);
  const xs = stridesByRole(g.xShape, g.dataFormat);
  const ys = stridesByRole(g.yShape, g.dataFormat);
  const taps = g.kernelSize.reduce((a, b) => a * b, 1);
  const kStrides = stridesOf(g.kernelSize);
  const block = channelBlock(g.outPerGroup);
  const vec = block === 1 ? 'f32' : `vec${block}<f32>`;
  // The invocations: the output's shape with the channel dim counted in blocks.
  const domain = g.yShape.slice();
  domain[yDims.c] = g.outChannels / block;
  const ds = stridesOf(domain);
  // Weight [inC, outC / groups, ...kernel] -> [taps, inC, outC / groups].
  // (No image size in it: channel counts and taps are compiled in.)
  const pack = new TorchProgram('ConvTransposeWeightByTap', [taps, g.inChannels, g.outPerGroup],
                                ['w'], `
          let t = index / ${g.inChannels * g.outPerGroup};
          let ci = (index / ${g.outPerGroup}) % ${g.inChannels};
          let ocl = index % ${g.outPerGroup};
          result[index] = w[(ci * ${g.outPerGroup} + ocl) * ${taps} + t];`);
  // Sizes, spatial strides and table offsets are uniforms; the rank, channel counts, the channel
  // block and the pair-table widths are compiled in (Note [webgpu programs]).
  const ints = new Ints();
  const u = ints.of;
  const last = g.dataFormat === 'channelsLast';
  const tables = names.map((_, a) => convTransposeGatherPairs(axisOf(g, a)));
  const {buffer, offsets} = concatTables(tables.map((t) => t.values));
  const decode = [
    `let b = index / ${u(ds[yDims.b])};`,
    `let oc = ((index / ${ints.or(ds[yDims.c], last)}) % ${domain[yDims.c]}) * ${block};`,
    ...names.map((A, a) => `let o${A} = (index / ${u(ds[yDims.spatial[a]])}) % ${
        u(domain[yDims.spatial[a]])};`),
  ];
  const wRead = (at: string) => (block === 1 ? `wt[${at}]` :
      `${vec}(${Array.from({length: block}, (_, j) => `wt[${at} + ${j}]`).join(', ')})`);
  // The input channels four at a time where they divide by 4 (FSRCNN's 56 -> 1: 14 steps of
  // four products instead of 56 of one; with one output channel, one dot of two vec4s).
  const xc = ints.or(xs.c, last);
  const unroll = g.inPerGroup % 4 === 0 ? 4 : 1;
  const xRead = (k: string) => `x[xo + (${k}) * ${xc}]`;
  const step = unroll === 1 ? `acc += ${xRead('k')} * ${wRead(`wo + k * ${g.outPerGroup}`)};` :
      block === 1 ?
      `acc += dot(vec4<f32>(${[0, 1, 2, 3].map((j) => xRead(`k + ${j}`)).join(', ')}),
                      vec4<f32>(${[0, 1, 2, 3].map((j) => `wt[wo + (k + ${j}) * ${g.outPerGroup}]`).join(', ')}));` :
      [0, 1, 2, 3].map((j) => `acc += ${xRead(`k + ${j}`)} * ${wRead(`wo + (k + ${j}) * ${g.outPerGroup}`)};`)
          .join('\n            ');
  const inner = `
          let xo = xb + ${dot(names.map((A) => `q${A}`), xs.spatial, u)};
          let wo = ocl + (${dot(names.map((A) => `t${A}`), kStrides, (v) => `${v}`)}) * ${g.inChannels * g.outPerGroup} + ci0 * ${g.outPerGroup};
          for (var k = 0; k < ${g.inPerGroup}; k += ${unroll}) {
            ${step}
          }`;
  const yo = `b * ${u(ys.b)} + oc * ycStride + ${dot(names.map((A) => `o${A}`), ys.spatial, u)}`;
  const writes = block === 1 ? ['result[yo] = acc;'] :
      Array.from({length: block}, (_, j) => `result[yo + ${j} * ycStride] = acc[${j}];`);
  const program = new TorchProgram('ConvTranspose', domain,
                                   bias != null ? ['x', 'wt', 'tab', 'bias'] : ['x', 'wt', 'tab'], `
          ${decode.join('\n          ')}
          let ycStride = ${ints.or(ys.c, last)};
          let grp = oc / ${g.outPerGroup};
          let ocl = oc - grp * ${g.outPerGroup};
          let ci0 = grp * ${g.inPerGroup};
          let xb = b * ${u(xs.b)} + ci0 * ${xc};
          var acc = ${bias != null ? (block === 1 ? 'bias[oc]' :
              `${vec}(${Array.from({length: block}, (_, j) => `bias[oc + ${j}]`).join(', ')})`) :
              `${vec}(0.0f)`};
          ${pairLoops(names, tables, offsets, names.map((A) => `o${A}`), inner, u)}
          let yo = ${yo};
          ${writes.join('\n          ')}`, '', {domain: true, ints});
  const wt = run(backend, pack, [weight], 'float32');
  try {
    return withTables(backend, [buffer], ([tab]) => {
      const y = backend.makeTensorInfo(g.yShape, 'float32');
      return run(backend, program, bias != null ? [x, wt, tab, bias] : [x, wt, tab], 'float32', y);
    });
  } finally {
    backend.disposeData(wt.dataId);
  }
}

// ---- gradient with respect to x ------------------------------------------------------------------

export function runConvTransposeBackpropInput(
    backend: WebGPUBackend, dy: TensorInfo, weight: TensorInfo, g: ConvTransposeGeometry,
    op: string): TensorInfo {
  checkFitsBuffer(backend, op, 'output', g.xShape);
  const n = g.inSize.length;
  const names = axisNames(n);
  const xRank = n + 2;
  const xDims = dimsOf(n, g.dataFormat);
  const ys = stridesByRole(g.yShape, g.dataFormat);
  const kStrides = stridesOf(g.kernelSize);
  const taps = g.kernelSize.reduce((a, b) => a * b, 1);
  const tables = names.map((_, a) => convTransposeScatterPairs(axisOf(g, a)));
  const {buffer, offsets} = concatTables(tables.map((t) => t.values));
  const pos = names.map((_, a) => coord(xRank, xDims.spatial[a]));
  // Sizes and strides are uniforms; the rank, the pair-table widths and the number of output
  // channels per group (unrolled up to 4) are compiled in (Note [webgpu programs]).
  const ints = new Ints();
  const u = ints.of;
  const last = g.dataFormat === 'channelsLast';
  const inner = `
          let yo = yb + ${dot(names.map((A) => `q${A}`), ys.spatial, u)};
          let wo = wb + ${dot(names.map((A) => `t${A}`), kStrides, (v) => `${v}`)};
          ${channelLoop(g.outPerGroup, (k) => `dy[yo + (${k}) * ycStride]`,
                        (k) => `w[wo + (${k}) * ${taps}]`)}`;
  const program = new TorchProgram('ConvTransposeBackpropInput', g.xShape, ['dy', 'w', 'tab'], `
          let b = ${coord(xRank, xDims.b)};
          let ci = ${coord(xRank, xDims.c)};
          let oc0 = (ci / ${g.inPerGroup}) * ${g.outPerGroup};
          let ycStride = ${ints.or(ys.c, last)};
          let yb = b * ${u(ys.b)} + oc0 * ycStride;
          let wb = ci * ${g.outPerGroup * taps};
          var acc = 0.0f;
          ${pairLoops(names, tables, offsets, pos, inner, u)}
          result[index] = acc;`, '', {ints});
  return withTables(backend, [buffer], ([tab]) => run(backend, program, [dy, weight, tab], 'float32'));
}

// ---- gradient with respect to the weight -----------------------------------------------------------

export function runConvTransposeBackpropFilter(
    backend: WebGPUBackend, x: TensorInfo, dy: TensorInfo, g: ConvTransposeGeometry,
    op: string): TensorInfo {
  checkFitsBuffer(backend, op, 'output', g.weightShape);
  const n = g.inSize.length;
  const names = axisNames(n);
  const xs = stridesByRole(g.xShape, g.dataFormat);
  const ys = stridesByRole(g.yShape, g.dataFormat);
  // Per axis: [start, end] per tap, then the output position of every (tap, input position).
  const tables = names.map((_, a) => convTransposeRangeTargets(axisOf(g, a)));
  const {buffer, offsets} = concatTables(tables);
  // Sizes, spatial strides, the batch and the table offsets are uniforms; the rank and the
  // channel counts are compiled in (Note [webgpu programs]).
  const ints = new Ints();
  const u = ints.of;
  const last = g.dataFormat === 'channelsLast';
  let body = `
            acc += x[xb + ${dot(names.map((A) => `i${A}`), xs.spatial, u)}] *
                   dy[yb + ${dot(names.map((A) => `o${A}`), ys.spatial, u)}];`;
  for (let a = n - 1; a >= 0; a--) {
    const A = names[a];
    const k = g.kernelSize[a];
    body = `
          let r${A} = ${u(offsets[a])} + t${A} * 2;
          for (var i${A} = tab[r${A}]; i${A} < tab[r${A} + 1]; i${A}++) {
            let o${A} = tab[${u(offsets[a] + 2 * k)} + t${A} * ${u(g.inSize[a])} + i${A}];
            ${body}
          }`;
  }
  // Weight dims: [inC, outC / groups, ...kernel]; tap a sits at dim 2 + a.
  const program = new TorchProgram('ConvTransposeBackpropFilter', g.weightShape, ['x', 'dy', 'tab'], `
          let ci = ${coord(n + 2, 0)};
          let oc = (ci / ${g.inPerGroup}) * ${g.outPerGroup} + ${coord(n + 2, 1)};
          ${names.map((A, a) => `let t${A} = ${coord(n + 2, 2 + a)};`).join('\n          ')}
          var acc = 0.0f;
          for (var b = 0; b < ${u(g.batch)}; b++) {
            let xb = b * ${u(xs.b)} + ci * ${ints.or(xs.c, last)};
            let yb = b * ${u(ys.b)} + oc * ${ints.or(ys.c, last)};
            ${body}
          }
          result[index] = acc;`, '', {ints});
  return withTables(backend, [buffer], ([tab]) => run(backend, program, [x, dy, tab], 'float32'));
}
