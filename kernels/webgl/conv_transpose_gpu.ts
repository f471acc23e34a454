// Shader programs of convTranspose1d/2d/3d and its two gradient kernels on webgl: one gather
// pass each (one output value per invocation; the packed forward program, one 2 x 2 texel, after
// a small pass laying the weight out in channel-pair texels).
//
// The tap relation is not written in GLSL by hand. The shaders index small per-axis tables from
// src/index_math/conv_tables.ts (built from Note [transposed convolution tap relation], tested
// there against the scalar rules on every position):
//  - gather form (ConvTranspose): the taps that can reach output o depend only on the residue
//    r = (o + padding) mod stride, so the table lists them per residue, with
//    i = (o + padding) div stride - SHIFT (convTransposeGatherTable). The packed program's W
//    axis uses the same relation for a pair of outputs (convTransposePairGatherTable).
//  - scatter form (both gradients): input i reaches output i * stride + OFFSET[t]; the weight
//    gradient walks each tap's valid input range [START[t], END[t]) (convTransposeScatterTable).
//
// The gather tables and the scatter offsets do not depend on the sizes (only on kernel size,
// stride, padding and dilation) and are compiled in as const arrays; the image sizes, the tap
// ranges of the weight gradient and the batch are int uniforms (Note [webgl programs keyed by
// code] in util.ts).
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {ConvTransposeGeometry} from '../../src/index_math/conv_geometry.js';
import {convTransposeGatherTable, convTransposePairGatherTable, convTransposeScatterTable} from '../../src/index_math/conv_tables.js';
import type {ConvTransposeAxis, GatherTable} from '../../src/index_math/conv_tables.js';
import {axisNames, coord, coordsType, dimsOf, glslIntArray, Ints, sampleAt} from './util.js';

/** One axis of the geometry, as the tables of src/index_math/conv_tables.ts take it. */
function axisOf(inSize: number, outSize: number, kernelSize: number, stride: number,
                padding: number, dilation: number): ConvTransposeAxis {
  return {inSize, outSize, kernelSize, stride, padding, dilation};
}
const gatherTable = (...v: Parameters<typeof axisOf>) => convTransposeGatherTable(axisOf(...v));
const pairGatherTable = (...v: Parameters<typeof axisOf>) =>
    convTransposePairGatherTable(axisOf(...v));
const scatterTable = (...v: Parameters<typeof axisOf>) => convTransposeScatterTable(axisOf(...v));

// ---- GLSL helpers --------------------------------------------------------------------------------

/**
 * GLSL that opens the loop over the taps reaching output coordinate `o` (an int expression)
 * along axis A through its gather table: inside it, t{A} is the tap and i{A} the input position
 * (taps whose input lies outside [0, inSize) are skipped). The caller closes it with '}'.
 */
function gatherLoop(
    A: string, o: string, t: GatherTable, stride: number, padding: number, inSize: string):
    string {
  return `
      int num${A} = ${o} + ${padding};
      int r${A} = ${stride === 1 ? '0' : `imod(num${A}, ${stride})`} * ${t.perResidue};
      int base${A} = num${A} / ${stride};
      for (int j${A} = 0; j${A} < ${t.perResidue}; j${A}++) {
        int t${A} = TAPS_${A}[r${A} + j${A}];
        if (t${A} < 0) break;
        int i${A} = base${A} - SHIFT_${A}[r${A} + j${A}];
        if (i${A} < 0 || i${A} >= ${inSize}) continue;`;
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

/** What every program here declares for its int uniforms and tfjs's shape uniforms. */
abstract class ConvTransposeGLProgram implements GPGPUProgram {
  abstract variableNames: string[];
  outputShape: number[] = [];
  userCode = '';
  /** Set by runProgram (Note [webgl programs keyed by code] in util.ts). */
  enableShapeUniforms = false;
  customUniforms: Ints['customUniforms'] = [];
  uniformValues: number[][] = [];

  protected uniforms(ints: Ints): void {
    this.customUniforms = ints.customUniforms;
    this.uniformValues = ints.values;
  }
}

/**
 * y = convTranspose(x, weight) (+ bias), one output value per invocation: for each tap that
 * reaches the output position (gather table) and each input channel of the output's group,
 * x * weight.
 */
export class ConvTransposeProgram extends ConvTransposeGLProgram {
  variableNames: string[];

  constructor(g: ConvTransposeGeometry, hasBias: boolean) {
    super();
    this.variableNames = hasBias ? ['x', 'w', 'bias'] : ['x', 'w'];
    this.outputShape = g.yShape;
    const ints = new Ints();
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
      open.push(gatherLoop(A, coord('coords', rank, dims.spatial[a]), t, g.stride[a],
                           g.padding[a], ints.of(g.inSize[a])));
      close.push('}');
    }
    const is = names.map((A) => `i${A}`);
    const ts = names.map((A) => `t${A}`);
    const sum = channelSum('acc', g.inPerGroup, 'k', (k) => [
      sampleAt('x', g.dataFormat, 'b', `ci0 + ${k}`, is),
      `getW(ci0 + ${k}, ocl, ${ts.join(', ')})`,
    ]);
    this.uniforms(ints);
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

/**
 * Whether the packed forward program applies: channel pairs that never straddle two groups. Its
 * texels pair adjacent W positions and adjacent channels, i.e. the channelsLast layout; the
 * kernel gives it channelsFirst tensors through layout copies.
 */
export function packedForwardApplies(g: ConvTransposeGeometry): boolean {
  return g.groups === 1 || (g.inPerGroup % 2 === 0 && g.outPerGroup % 2 === 0);
}

/**
 * The weight [inC, outC / groups, ...kernel] as [taps, inC, outC / groups] (taps flattened,
 * row-major), written packed: one texel holds two input by two output channels of one tap, the
 * pairs the packed forward program multiplies with one x texel. Lanes past an odd channel count
 * are 0.
 */
export class ConvTransposeWeightPackProgram extends ConvTransposeGLProgram {
  variableNames = ['w'];
  packedOutput = true;

  constructor(g: ConvTransposeGeometry) {
    super();
    const taps = g.kernelSize.reduce((a, b) => a * b, 1);
    this.outputShape = [taps, g.inChannels, g.outPerGroup];
    this.uniforms(new Ints());
    const n = g.kernelSize.length;
    // The flat tap back to one index per kernel axis, outermost first.
    const tapIndex: string[] = [];
    let inner = taps;
    for (let a = 0; a < n; a++) {
      inner /= g.kernelSize[a];
      tapIndex.push(`imod(t / ${inner}, ${g.kernelSize[a]})`);
    }
    const read = (ci: string, oc: string) => `getW(${ci}, ${oc}, ${tapIndex.join(', ')})`;
    this.userCode = `
      void main() {
        ivec3 coords = getOutputCoords();
        int t = coords[0];
        int ci = coords[1];
        int oc = coords[2];
        bool oc1 = oc + 1 < ${g.outPerGroup};
        vec4 r = vec4(${read('ci', 'oc')}, oc1 ? ${read('ci', 'oc + 1')} : 0.0, 0.0, 0.0);
        if (ci + 1 < ${g.inChannels}) {
          r.z = ${read('ci + 1', 'oc')};
          r.w = oc1 ? ${read('ci + 1', 'oc + 1')} : 0.0;
        }
        setOutput(r);
      }
    `;
  }
}

/**
 * convTranspose on packed textures (channelsLast): one invocation computes a texel of y, two
 * adjacent W positions by two adjacent output channels. Each x texel read gives two input
 * channels at one W position and each weight texel (ConvTransposeWeightPackProgram) the 2 x 2
 * block of weights they meet, so a read feeds two multiply-adds instead of half of one. Taps come
 * from the same gather tables as the unpacked program, per W position.
 */
export class ConvTransposePackedProgram extends ConvTransposeGLProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;

  constructor(g: ConvTransposeGeometry, hasBias: boolean) {
    super();
    this.variableNames = hasBias ? ['x', 'w', 'bias'] : ['x', 'w'];
    this.outputShape = g.yShape;
    const ints = new Ints();
    const n = g.inSize.length;
    const rank = n + 2;
    const names = axisNames(n);
    const last = n - 1;
    const decls: string[] = [];
    const tables = names.slice(0, last).map((A, a) => {
      const t = gatherTable(g.inSize[a], g.outSize[a], g.kernelSize[a], g.stride[a], g.padding[a],
                            g.dilation[a]);
      decls.push(glslIntArray(`TAPS_${A}`, t.taps), glslIntArray(`SHIFT_${A}`, t.shift));
      return t;
    });
    // Loops over the taps of every axis but W, as in the unpacked program.
    const open: string[] = [];
    const close: string[] = [];
    for (let a = 0; a < last; a++) {
      open.push(gatherLoop(names[a], coord('coords', rank, 1 + a), tables[a], g.stride[a],
                           g.padding[a], ints.of(g.inSize[a])));
      close.push('}');
    }
    // The flat tap of the axes before W (row-major over the kernel), times the W kernel size.
    let tapOuter = '0';
    for (let a = 0; a < last; a++) tapOuter = `(${tapOuter}) * ${g.kernelSize[a]} + t${names[a]}`;
    const outerIs = names.slice(0, last).map((A) => `i${A}`);
    const pairs = Math.floor(g.inPerGroup / 2);
    const oddTail = g.inPerGroup % 2 === 1;
    const sW = g.stride[last];
    const pt = pairGatherTable(g.inSize[last], g.outSize[last], g.kernelSize[last], sW,
                               g.padding[last], g.dilation[last]);
    decls.push(glslIntArray('PAIR_SHIFT', pt.shift), glslIntArray('PAIR_TAP0', pt.tap0),
               glslIntArray('PAIR_TAP1', pt.tap1));
    const xAt = (ci: string) => `getX(b, ${[...outerIs, 'iW', ci].join(', ')})`;
    // The products of one input position with the weights of the taps given (both columns, or
    // one), over the group's input channels: two channels per texel, then a lone last one.
    const products = (cols: number[]) => {
      const wRead = (c: number, ci: string) => `vec4 w${c} = getW(t${c}, ${ci}, ocl);`;
      const pair = cols.map((c) => `${wRead(c, 'ci0 + k')}
                acc${c} += vec2(dot(xv, w${c}.xz), dot(xv, w${c}.yw));`).join('\n                ');
      const tail = cols.map((c) => `${wRead(c, `ci0 + ${2 * pairs}`)}
                acc${c} += xs * w${c}.xy;`).join('\n                ');
      return `
              for (int k = 0; k < ${2 * pairs}; k += 2) {
                vec4 xt = ${xAt('ci0 + k')};
                vec2 xv = odd ? xt.zw : xt.xy;
                ${pair}
              }${oddTail ? `
              {
                // The last input channel alone: the texel's second lane lies past the channels.
                vec4 xt = ${xAt(`ci0 + ${2 * pairs}`)};
                float xs = odd ? xt.z : xt.x;
                ${tail}
              }` : ''}`;
    };
    const inW = ints.of(g.inSize[last]);
    const columns = `{
          int num = ow + ${g.padding[last]};
          int r = ${sW === 1 ? '0' : `imod(num, ${sW})`} * ${pt.perResidue};
          int base = num / ${sW};
          for (int j = 0; j < ${pt.perResidue}; j++) {
            int tap0 = PAIR_TAP0[r + j];
            int tap1 = PAIR_TAP1[r + j];
            if (tap0 < 0 && tap1 < 0) break;
            int iW = base - PAIR_SHIFT[r + j];
            if (iW < 0 || iW >= ${inW}) continue;
            int t0 = tapOuter * ${g.kernelSize[last]} + tap0;
            int t1 = tapOuter * ${g.kernelSize[last]} + tap1;
            bool odd = imod(iW, 2) == 1;
            if (tap0 >= 0 && tap1 >= 0) {${products([0, 1])}
            } else if (tap0 >= 0) {${products([0])}
            } else {${products([1])}
            }
          }
        }`;
    this.uniforms(ints);
    this.userCode = `
      ${decls.join('\n      ')}
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int b = ${coord('coords', rank, 0)};
        int ow = ${coord('coords', rank, n)};
        int oc = ${coord('coords', rank, n + 1)};
        int grp = oc / ${g.outPerGroup};
        int ocl = oc - grp * ${g.outPerGroup};
        int ci0 = grp * ${g.inPerGroup};
        vec2 acc0 = ${hasBias ? 'getBias(oc).xy' : 'vec2(0.0)'};
        vec2 acc1 = acc0;
        ${open.join('')}
        int tapOuter = ${tapOuter};
        ${columns}
        ${close.join(' ')}
        setOutput(vec4(acc0, acc1));
      }
    `;
  }
}

// ---- gradient with respect to x -----------------------------------------------------------------

/**
 * dx = the plain convolution of dy with the weight, one dx value per invocation: for each tap
 * whose target (scatter table) lies inside dy and each output channel of the group, dy * weight.
 */
export class ConvTransposeBackpropInputProgram extends ConvTransposeGLProgram {
  variableNames = ['dy', 'w'];

  constructor(g: ConvTransposeGeometry) {
    super();
    this.outputShape = g.xShape;
    const ints = new Ints();
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
        if (o${A} < 0 || o${A} >= ${ints.of(g.outSize[a])}) continue;`);
      close.push('}');
    }
    const os = names.map((A) => `o${A}`);
    const ts = names.map((A) => `t${A}`);
    const sum = channelSum('acc', g.outPerGroup, 'k', (k) => [
      sampleAt('dy', g.dataFormat, 'b', `oc0 + ${k}`, os),
      `getW(ci, ${k}, ${ts.join(', ')})`,
    ]);
    this.uniforms(ints);
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
export class ConvTransposeBackpropFilterProgram extends ConvTransposeGLProgram {
  variableNames = ['x', 'dy'];

  constructor(g: ConvTransposeGeometry) {
    super();
    this.outputShape = g.weightShape;
    const ints = new Ints();
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
      decls.push(glslIntArray(`OFFSET_${A}`, t.offset));
      const start = ints.array(t.start);
      const end = ints.array(t.end);
      // Weight dims: [inC, outC / groups, ...kernel]; tap a sits at dim 2 + a.
      open.push(`
      int t${A} = ${coord('coords', rank, 2 + a)};
      int off${A} = OFFSET_${A}[t${A}];
      int end${A} = ${end}[t${A}];
      for (int i${A} = ${start}[t${A}]; i${A} < end${A}; i${A}++) {
        int o${A} = i${A} * ${g.stride[a]} + off${A};`);
      close.push('}');
    }
    const is = names.map((A) => `i${A}`);
    const os = names.map((A) => `o${A}`);
    const batch = ints.of(g.batch);
    this.uniforms(ints);
    this.userCode = `
      ${decls.join('\n      ')}
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int ci = ${coord('coords', rank, 0)};
        int oc = (ci / ${g.inPerGroup}) * ${g.outPerGroup} + ${coord('coords', rank, 1)};
        float acc = 0.0;
        for (int b = 0; b < ${batch}; b++) {
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
