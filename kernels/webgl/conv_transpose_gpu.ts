// Shader programs of convTranspose1d/2d/3d and its two gradient kernels on webgl: one gather
// pass each (one output value per invocation; the packed forward program, one 2 x 2 texel).
//
// The tap relation is not written in GLSL by hand. It is read off the shared rule
// (src/index_math/conv.ts, Note [transposed convolution tap relation]) as small per-axis tables
// that the shader indexes, each checked against the shared functions on every position of the
// axis before it is used:
//  - gather form (ConvTranspose): output o is reached by tap t from input
//    convTransposeInputIndex(o, t, ...). The taps that can reach o depend only on the residue
//    r = (o + padding) mod stride, so the table lists them per residue, with
//    i = (o + padding) div stride - SHIFT. The table is checked against convTransposeInputIndex
//    for every (o, t) of the axis, in-range test included.
//  - scatter form (both gradients): input i reaches output convTransposeOutputIndex(i, t, ...)
//    = i * stride + OFFSET[t], checked for every (i, t) of the axis; the weight gradient walks
//    each tap's valid input range, convTransposeTapRange, taken as is.
// A change of the rule there that these table forms cannot express fails loudly here instead of
// silently computing something else on webgl.
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import {convTransposeInputIndex, convTransposeOutputIndex, convTransposeOutputSize, convTransposeTapRange} from '../../src/index_math/conv.js';
import type {ConvTransposeAttrs, DataFormat} from '../../src/kernel_names.js';
import {coord, coordsType, glslIntArray} from './util.js';

/** The sizes of one transposed convolution, read off x's and the weight's shapes. */
export interface ConvTransposeGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  inPerGroup: number;
  outPerGroup: number;
  /** Spatial sizes, outermost first. */
  inSize: number[];
  outSize: number[];
  kernelSize: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  dataFormat: DataFormat;
  /** Full shapes: x and y in dataFormat, the weight in PyTorch's layout. */
  xShape: number[];
  yShape: number[];
  weightShape: number[];
}

export function convTransposeGeometry(
    xShape: readonly number[], weightShape: readonly number[],
    attrs: ConvTransposeAttrs): ConvTransposeGeometry {
  const {stride, padding, dilation, outputPadding, groups, dataFormat} = attrs;
  const n = xShape.length - 2;
  const channelsLast = dataFormat === 'channelsLast';
  const inChannels = channelsLast ? xShape[n + 1] : xShape[1];
  const inSize = channelsLast ? xShape.slice(1, n + 1) : xShape.slice(2);
  const kernelSize = weightShape.slice(2);
  const outPerGroup = weightShape[1];
  const outChannels = outPerGroup * groups;
  const outSize = inSize.map((s, a) => convTransposeOutputSize(
                                 s, kernelSize[a], stride[a], padding[a], dilation[a],
                                 outputPadding[a]));
  const batch = xShape[0];
  return {
    batch,
    inChannels,
    outChannels,
    groups,
    inPerGroup: inChannels / groups,
    outPerGroup,
    inSize,
    outSize,
    kernelSize,
    stride: stride.slice(),
    padding: padding.slice(),
    dilation: dilation.slice(),
    dataFormat,
    xShape: xShape.slice(),
    yShape: channelsLast ? [batch, ...outSize, outChannels] : [batch, outChannels, ...outSize],
    weightShape: weightShape.slice(),
  };
}

function mismatch(what: string, where: string): never {
  throw new Error(`convTranspose: the webgl kernel's ${what} table does not reproduce ` +
                  `src/index_math/conv.ts at ${where}`);
}

// ---- gather tables (forward) ---------------------------------------------------------------------

/**
 * The gather form along one axis: output o, with r = (o + padding) mod stride and
 * base = (o + padding) div stride, is reached by the taps taps[r * perResidue + j] (j ascending,
 * -1 after the last) from input base - shift[r * perResidue + j] (when inside the input).
 */
export interface GatherTable {
  perResidue: number;
  taps: number[];
  shift: number[];
}

const gatherCache = new Map<string, GatherTable>();

export function gatherTable(
    inSize: number, outSize: number, kernelSize: number, stride: number, padding: number,
    dilation: number): GatherTable {
  const key = [inSize, outSize, kernelSize, stride, padding, dilation].join(',');
  const cached = gatherCache.get(key);
  if (cached != null) return cached;
  // One output position per residue, far enough from 0 that no tap's source is negative: the
  // taps found there (with an unbounded input) are the ones the residue admits.
  const far = Math.ceil(((kernelSize - 1) * dilation + padding) / stride) + 1;
  const lists: Array<Array<[number, number]>> = [];
  for (let r = 0; r < stride; r++) {
    const o = r - padding + stride * far;
    const base = Math.floor((o + padding) / stride);
    const list: Array<[number, number]> = [];
    for (let t = 0; t < kernelSize; t++) {
      const i = convTransposeInputIndex(o, t, stride, padding, dilation, Infinity);
      if (i >= 0) list.push([t, base - i]);
    }
    lists.push(list);
  }
  const perResidue = Math.max(1, ...lists.map((l) => l.length));
  const taps: number[] = [];
  const shift: number[] = [];
  for (const list of lists) {
    for (let j = 0; j < perResidue; j++) {
      taps.push(j < list.length ? list[j][0] : -1);
      shift.push(j < list.length ? list[j][1] : 0);
    }
  }
  // Every (o, t) of the axis, against the shared rule.
  for (let o = 0; o < outSize; o++) {
    const r = (o + padding) % stride;
    const base = Math.floor((o + padding) / stride);
    const fromTable = new Array<number>(kernelSize).fill(-1);
    for (let j = 0; j < perResidue; j++) {
      const t = taps[r * perResidue + j];
      if (t < 0) break;
      const i = base - shift[r * perResidue + j];
      if (i >= 0 && i < inSize) fromTable[t] = i;
    }
    for (let t = 0; t < kernelSize; t++) {
      if (fromTable[t] !== convTransposeInputIndex(o, t, stride, padding, dilation, inSize)) {
        mismatch('gather', `output ${o}, tap ${t}`);
      }
    }
  }
  const table = {perResidue, taps, shift};
  gatherCache.set(key, table);
  return table;
}

// ---- scatter tables (gradients) ------------------------------------------------------------------

/**
 * The scatter form along one axis: input i reaches output i * stride + offset[t] through tap t;
 * [start[t], end[t]) are the inputs whose target lies inside the output (convTransposeTapRange).
 */
export interface ScatterTable {
  offset: number[];
  start: number[];
  end: number[];
}

const scatterCache = new Map<string, ScatterTable>();

export function scatterTable(
    inSize: number, outSize: number, kernelSize: number, stride: number, padding: number,
    dilation: number): ScatterTable {
  const key = [inSize, outSize, kernelSize, stride, padding, dilation].join(',');
  const cached = scatterCache.get(key);
  if (cached != null) return cached;
  const offset: number[] = [];
  const start: number[] = [];
  const end: number[] = [];
  for (let t = 0; t < kernelSize; t++) {
    offset.push(convTransposeOutputIndex(0, t, stride, padding, dilation));
    const [s, e] = convTransposeTapRange(t, inSize, outSize, stride, padding, dilation);
    start.push(s);
    end.push(e);
    for (let i = 0; i < inSize; i++) {
      const o = convTransposeOutputIndex(i, t, stride, padding, dilation);
      if (o !== i * stride + offset[t]) mismatch('scatter', `input ${i}, tap ${t}`);
      // The range must hold exactly the inputs whose target is inside the output.
      if ((o >= 0 && o < outSize) !== (i >= s && i < e)) {
        mismatch('tap range', `input ${i}, tap ${t}`);
      }
    }
  }
  const table = {offset, start, end};
  scatterCache.set(key, table);
  return table;
}

// ---- GLSL helpers --------------------------------------------------------------------------------

const AXIS_NAMES = ['D', 'H', 'W'];

/** Suffixes naming the spatial axes of an n-D op (W for 1-D, H W for 2-D, D H W for 3-D). */
function axisNames(n: number): string[] {
  return AXIS_NAMES.slice(3 - n);
}

/** getName(...) in a tensor's dim order from batch, channel and spatial expressions. */
function sampleAt(
    variable: string, dataFormat: DataFormat, b: string, c: string, spatial: string[]): string {
  const args = dataFormat === 'channelsLast' ? [b, ...spatial, c] : [b, c, ...spatial];
  return `get${variable[0].toUpperCase()}${variable.slice(1)}(${args.join(', ')})`;
}

/** Positions of batch, channel and spatial dims in a dataFormat's shape of rank n + 2. */
function dimsOf(n: number, dataFormat: DataFormat): {b: number, c: number, spatial: number[]} {
  return dataFormat === 'channelsLast' ?
      {b: 0, c: n + 1, spatial: Array.from({length: n}, (_, a) => a + 1)} :
      {b: 0, c: 1, spatial: Array.from({length: n}, (_, a) => a + 2)};
}

/**
 * A sum over `count` channels of a product, four at a time: `term(k)` is the GLSL product of
 * channel `k` (an int expression). Four products go through one dot(), the rest one by one.
 */
function channelSum(acc: string, count: number, loopVar: string, term: (k: string) => string[]):
    string {
  const quads = Math.floor(count / 4);
  const lines: string[] = [];
  if (quads > 0) {
    const a = [0, 1, 2, 3].map((q) => term(`${loopVar} + ${q}`)[0]);
    const b = [0, 1, 2, 3].map((q) => term(`${loopVar} + ${q}`)[1]);
    lines.push(`for (int ${loopVar} = 0; ${loopVar} < ${quads * 4}; ${loopVar} += 4) {
          ${acc} += dot(vec4(${a.join(', ')}), vec4(${b.join(', ')}));
        }`);
  }
  for (let k = quads * 4; k < count; k++) {
    const [a, b] = term(`${k}`);
    lines.push(`${acc} += ${a} * ${b};`);
  }
  return lines.join('\n        ');
}

// ---- forward ---------------------------------------------------------------------------------------

/**
 * y = convTranspose(x, weight) (+ bias), one output value per invocation: for each tap that
 * reaches the output position (gather table) and each input channel of the output's group,
 * x * weight.
 */
export class ConvTransposeProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;

  constructor(g: ConvTransposeGeometry, hasBias: boolean) {
    this.variableNames = hasBias ? ['x', 'w', 'bias'] : ['x', 'w'];
    this.outputShape = g.yShape;
    const n = g.inSize.length;
    const rank = n + 2;
    const names = axisNames(n);
    const dims = dimsOf(n, g.dataFormat);
    const decls: string[] = [];
    const open: string[] = [];
    const close: string[] = [];
    for (let a = 0; a < n; a++) {
      const A = names[a];
      const t = gatherTable(g.inSize[a], g.outSize[a], g.kernelSize[a], g.stride[a], g.padding[a],
                            g.dilation[a]);
      decls.push(glslIntArray(`TAPS_${A}`, t.taps), glslIntArray(`SHIFT_${A}`, t.shift));
      const s = g.stride[a];
      open.push(`
      int num${A} = ${coord('coords', rank, dims.spatial[a])} + ${g.padding[a]};
      int r${A} = ${s === 1 ? '0' : `imod(num${A}, ${s})`} * ${t.perResidue};
      int base${A} = num${A} / ${s};
      for (int j${A} = 0; j${A} < ${t.perResidue}; j${A}++) {
        int t${A} = TAPS_${A}[r${A} + j${A}];
        if (t${A} < 0) break;
        int i${A} = base${A} - SHIFT_${A}[r${A} + j${A}];
        if (i${A} < 0 || i${A} >= ${g.inSize[a]}) continue;`);
      close.push('}');
    }
    const is = names.map((A) => `i${A}`);
    const ts = names.map((A) => `t${A}`);
    const sum = channelSum('acc', g.inPerGroup, 'k', (k) => [
      sampleAt('x', g.dataFormat, 'b', `ci0 + ${k}`, is),
      `getW(ci0 + ${k}, ocl, ${ts.join(', ')})`,
    ]);
    this.userCode = `
      ${decls.join('\n      ')}
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int b = ${coord('coords', rank, dims.b)};
        int oc = ${coord('coords', rank, dims.c)};
        int grp = oc / ${g.outPerGroup};
        int ocl = oc - grp * ${g.outPerGroup};
        int ci0 = grp * ${g.inPerGroup};
        float acc = ${hasBias ? 'getBias(oc)' : '0.0'};
        ${open.join('')}
        ${sum}
        ${close.join(' ')}
        setOutput(acc);
      }
    `;
  }
}

// ---- gradient with respect to x -----------------------------------------------------------------

/**
 * dx = the plain convolution of dy with the weight, one dx value per invocation: for each tap
 * whose target (scatter table) lies inside dy and each output channel of the group, dy * weight.
 */
export class ConvTransposeBackpropInputProgram implements GPGPUProgram {
  variableNames = ['dy', 'w'];
  outputShape: number[];
  userCode: string;

  constructor(g: ConvTransposeGeometry) {
    this.outputShape = g.xShape;
    const n = g.inSize.length;
    const rank = n + 2;
    const names = axisNames(n);
    const dims = dimsOf(n, g.dataFormat);
    const decls: string[] = [];
    const open: string[] = [];
    const close: string[] = [];
    for (let a = 0; a < n; a++) {
      const A = names[a];
      const t = scatterTable(g.inSize[a], g.outSize[a], g.kernelSize[a], g.stride[a], g.padding[a],
                             g.dilation[a]);
      decls.push(glslIntArray(`OFFSET_${A}`, t.offset));
      open.push(`
      int i${A} = ${coord('coords', rank, dims.spatial[a])};
      for (int t${A} = 0; t${A} < ${g.kernelSize[a]}; t${A}++) {
        int o${A} = i${A} * ${g.stride[a]} + OFFSET_${A}[t${A}];
        if (o${A} < 0 || o${A} >= ${g.outSize[a]}) continue;`);
      close.push('}');
    }
    const os = names.map((A) => `o${A}`);
    const ts = names.map((A) => `t${A}`);
    const sum = channelSum('acc', g.outPerGroup, 'k', (k) => [
      sampleAt('dy', g.dataFormat, 'b', `oc0 + ${k}`, os),
      `getW(ci, ${k}, ${ts.join(', ')})`,
    ]);
    this.userCode = `
      ${decls.join('\n      ')}
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int b = ${coord('coords', rank, dims.b)};
        int ci = ${coord('coords', rank, dims.c)};
        int oc0 = (ci / ${g.inPerGroup}) * ${g.outPerGroup};
        float acc = 0.0;
        ${open.join('')}
        ${sum}
        ${close.join(' ')}
        setOutput(acc);
      }
    `;
  }
}

// ---- gradient with respect to the weight ----------------------------------------------------------

/**
 * dweight[ci, ocl, t] = sum over the batch and the tap's valid input positions i of
 * x[i, ci] * dy[i * stride + offset[t], oc], one weight value per invocation.
 */
export class ConvTransposeBackpropFilterProgram implements GPGPUProgram {
  variableNames = ['x', 'dy'];
  outputShape: number[];
  userCode: string;

  constructor(g: ConvTransposeGeometry) {
    this.outputShape = g.weightShape;
    const n = g.inSize.length;
    const rank = n + 2;
    const names = axisNames(n);
    const decls: string[] = [];
    const open: string[] = [];
    const close: string[] = [];
    for (let a = 0; a < n; a++) {
      const A = names[a];
      const t = scatterTable(g.inSize[a], g.outSize[a], g.kernelSize[a], g.stride[a], g.padding[a],
                             g.dilation[a]);
      decls.push(glslIntArray(`OFFSET_${A}`, t.offset), glslIntArray(`START_${A}`, t.start),
                 glslIntArray(`END_${A}`, t.end));
      // Weight dims: [inC, outC / groups, ...kernel]; tap a sits at dim 2 + a.
      open.push(`
      int t${A} = ${coord('coords', rank, 2 + a)};
      int off${A} = OFFSET_${A}[t${A}];
      int end${A} = END_${A}[t${A}];
      for (int i${A} = START_${A}[t${A}]; i${A} < end${A}; i${A}++) {
        int o${A} = i${A} * ${g.stride[a]} + off${A};`);
      close.push('}');
    }
    const is = names.map((A) => `i${A}`);
    const os = names.map((A) => `o${A}`);
    this.userCode = `
      ${decls.join('\n      ')}
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int ci = ${coord('coords', rank, 0)};
        int oc = (ci / ${g.inPerGroup}) * ${g.outPerGroup} + ${coord('coords', rank, 1)};
        float acc = 0.0;
        for (int b = 0; b < ${g.batch}; b++) {
          ${open.join('')}
          acc += ${sampleAt('x', g.dataFormat, 'b', 'ci', is)} *
                 ${sampleAt('dy', g.dataFormat, 'b', 'oc', os)};
          ${close.join(' ')}
        }
        setOutput(acc);
      }
    `;
  }
}
