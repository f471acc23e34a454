// Shader programs of max pooling with indices, max unpooling and their gradients on webgl.
//
// Nothing of the index math is written in GLSL by hand; it comes from src/index_math/pool.ts:
//  - Windows (Note [pooling window]): poolWindowSplit gives every output position's first tap
//    and tap count, as the run of positions where start = o * stride - padding and
//    count = kernelSize (written as that expression) and the few edge entries (const arrays).
//  - Index encoding (Note [index encoding]): planeStrides, index = sum(position * stride).
//  - Ties and NaN (Note [max and ties]): the scan is row-major, a tap replaces the running max
//    when `v > max || isnan(v)`, the running max starts at -infinity with the index of the
//    window's starts (Note [all-padding windows]). The values output is then read at the
//    winning index (one read instead of a second scan).
//
// Sizes, plane strides, window edges and reach scales are int uniforms; kernel sizes, strides,
// paddings, dilations and channel counts are compiled in (Note [webgl programs keyed by code]
// in util.ts).
//
// Scatters as gathers. maxUnpool writes x at indices (last write wins) and the pooling gradient
// adds dy at indices; a fragment shader can only gather. Each output position q therefore looks
// for the inputs i whose index is q. Indices may be anything inside the plane (PyTorch accepts
// any), so which inputs to look at comes from the data: a first pass (IndexReachProgram) takes,
// per (batch, channel) plane and spatial axis, the smallest and largest of
// coordinate(index[i]) - i * m (m a per-axis scale, the size ratio), and the gather pass
// (ScatterGatherProgram) scans only the box of inputs that can hold a match. For indices that
// came from a pooling with stride s that box is about kernelSize / s per axis, so the gather
// costs a few reads per output; arbitrary indices make it the whole plane (slower, still exact).
// Both passes read indices only through range-checked loops, and an index outside the plane
// never matches, so no read leaves its texture. (The windows of the pooling are not used to
// bound the search: MaxPoolWithIndicesGrad's attributes carry none, it is also the gradient of
// maxUnpool's gradient, where indices are the user's, and an all-padding window's index may
// point outside its window.)
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import {planeStrides, poolWindowSplit} from '../../src/index_math/pool.js';
import type {PoolAxis} from '../../src/index_math/pool.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {fail} from '../../src/util/args.js';
import {layoutOf} from '../../src/util/layout.js';
import {axisNames, checkFitsTexture, coord, coordsType, dimsOf, Ints, runProgram, sampleAt} from './util.js';
import type {WebGLBackend} from './util.js';

// ---- index encoding ----------------------------------------------------------------------------

/**
 * The plane strides as GLSL int expressions: uniforms, but the last axis's stride (1 in
 * row-major order, whatever the size) compiled in.
 */
function strideExprs(strides: number[], ints: Ints): string[] {
  return strides.map((v, a) => ints.or(v, a === strides.length - 1 && v === 1));
}

/** GLSL int expression of the flat plane index of spatial position expressions. */
function flatIndexExpr(positions: string[], strides: string[]): string {
  return positions.map((p, a) => (strides[a] === '1' ? p : `${p} * ${strides[a]}`)).join(' + ');
}

/**
 * Throws unless every flat index of a plane of this size is an exact integer in the textures
 * the backend stores int32 tensors in: float32 holds integers exactly up to 2^24, the half floats
 * of devices without float32 render targets (WEBGL_RENDER_FLOAT32_ENABLED false) up to 2^11.
 */
export function checkExactIndices(op: string, spatial: readonly number[]): void {
  const plane = spatial.reduce((a, b) => a * b, 1);
  const float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  const limit = float32 ? 2 ** 24 : 2 ** 11;
  if (plane - 1 > limit) {
    fail(op, `indices into a plane of ${spatial.join('x')} = ${plane} positions are not exact in ${
             float32 ? 'float32' : 'half-float (16-bit)'} WebGL textures, which hold integers ` +
                 `exactly up to ${limit} (webgl backend)`);
  }
}

// ---- windows -------------------------------------------------------------------------------------

export type {PoolAxis} from '../../src/index_math/pool.js';

/**
 * GLSL declaring `start<A>` and `count<A>` for output position expression `o`; the run's bounds
 * and the edge entries are uniforms (the number of edge entries is compiled in).
 */
function windowCode(A: string, o: string, ax: PoolAxis, ints: Ints): string {
  const t = poolWindowSplit(ax);
  const linear = `start${A} = ${o} * ${ax.stride} - ${ax.padding}; count${A} = ${ax.kernelSize};`;
  if (t.lo === 0 && t.hi === ax.outSize) return `int start${A}, count${A}; ${linear}`;
  const lo = ints.of(t.lo);
  const hi = ints.of(t.hi);
  const edgeStart = ints.array(t.edgeStart);
  const edgeCount = ints.array(t.edgeCount);
  return `
        int start${A}, count${A};
        if (${o} < ${lo} || ${o} >= ${hi}) {
          int e = ${o} < ${lo} ? ${o} : ${o} - ${hi} + ${lo};
          start${A} = ${edgeStart}[e];
          count${A} = ${edgeCount}[e];
        } else {
          ${linear}
        }`;
}

/** What every program here declares for its int uniforms and tfjs's shape uniforms. */
abstract class PoolProgram implements GPGPUProgram {
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

// ---- max pooling -------------------------------------------------------------------------------

/** PyTorch's NaN test, on the bits (a compiler may fold `v != v` away). */
const IS_NAN = `
      bool isNaN(float v) {
        return (floatBitsToUint(v) & 0x7fffffffu) > 0x7f800000u;
      }`;

/**
 * The indices output of max pooling: each output position scans its window (row-major, the
 * replacement rule above) and writes the flat plane index of the winning tap (int32).
 */
export class MaxPoolIndicesProgram extends PoolProgram {
  variableNames = ['x'];

  constructor(outShape: number[], axes: PoolAxis[], dataFormat: DataFormat) {
    super();
    this.outputShape = outShape;
    const n = axes.length;
    const rank = n + 2;
    const names = axisNames(n);
    const dims = dimsOf(n, dataFormat);
    const ints = new Ints();
    const strides = strideExprs(planeStrides(axes.map((a) => a.inSize)), ints);
    const windows = names.map(
        (A, a) => windowCode(A, coord('coords', rank, dims.spatial[a]), axes[a], ints));
    const open = names.map((A, a) => `
        for (int t${A} = 0; t${A} < ${axes[a].kernelSize}; t${A}++) {
          if (t${A} >= count${A}) break;
          int p${A} = start${A} + t${A} * ${axes[a].dilation};`);
    const ps = names.map((A) => `p${A}`);
    this.uniforms(ints);
    this.userCode = `
      ${IS_NAN}
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int b = ${coord('coords', rank, dims.b)};
        int c = ${coord('coords', rank, dims.c)};
        ${windows.join('\n        ')}
        float best = uintBitsToFloat(0xff800000u);
        int bestIndex = ${flatIndexExpr(names.map((A) => `start${A}`), strides)};
        ${open.join('')}
          float v = ${sampleAt('x', dataFormat, 'b', 'c', ps)};
          if (v > best || isNaN(v)) {
            best = v;
            bestIndex = ${flatIndexExpr(ps, strides)};
          }
        ${names.map(() => '}').join(' ')}
        setOutput(float(bestIndex));
      }
    `;
  }
}

/**
 * The values output of max pooling, read at the indices output: the value of the tap that won
 * is the max (a NaN that won is the NaN, an all -inf window's first tap is -inf), so one read
 * per output position replaces a second scan of the window. A window without a real element
 * (count 0 along some axis, Note [all-padding windows]) is -infinity; its index is not read.
 */
export class MaxPoolValuesProgram extends PoolProgram {
  variableNames = ['x', 'indices'];

  constructor(outShape: number[], axes: PoolAxis[], dataFormat: DataFormat) {
    super();
    this.outputShape = outShape;
    const n = axes.length;
    const rank = n + 2;
    const names = axisNames(n);
    const dims = dimsOf(n, dataFormat);
    const inSize = axes.map((a) => a.inSize);
    const ints = new Ints();
    const strides = strideExprs(planeStrides(inSize), ints);
    const windows = names.map(
        (A, a) => windowCode(A, coord('coords', rank, dims.spatial[a]), axes[a], ints));
    const empty = names.map((A) => `count${A} == 0`).join(' || ');
    const decode = decodeCode(names, 'index', inSize.map((v) => ints.of(v)), strides);
    this.uniforms(ints);
    this.userCode = `
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        ${windows.join('\n        ')}
        if (${empty}) {
          setOutput(uintBitsToFloat(0xff800000u));
          return;
        }
        int index = round(getIndicesAtOutCoords());
        ${decode}
        setOutput(${sampleAt('x', dataFormat, coord('coords', rank, dims.b),
                             coord('coords', rank, dims.c), names.map((A) => `q${A}`))});
      }
    `;
  }
}

// ---- scatters as gathers -------------------------------------------------------------------------

/** GLSL integer floor and ceiling division by a positive constant, for any sign of a. */
const INT_DIV = `
      int floorDiv(int a, int b) {
        int q = a / b;
        return q * b > a ? q - 1 : q;
      }
      int ceilDiv(int a, int b) {
        return -floorDiv(-a, b);
      }`;

/**
 * GLSL declaring q<A> (for each axis) decoded from a flat plane index expression (sizes and
 * strides: GLSL int expressions).
 */
function decodeCode(names: string[], index: string, size: string[], strides: string[]): string {
  return names.map((A, a) => {
    const div = strides[a] === '1' ? index : `(${index} / ${strides[a]})`;
    return a === 0 ? `int q${A} = ${div};` : `int q${A} = imod(${div}, ${size[a]});`;
  }).join('\n        ');
}

/**
 * The per-axis scale m of the reach: the size ratio of the two planes (any m >= 1 is exact; a
 * good one keeps the searched box small).
 */
export function reachScale(srcSize: readonly number[], dstSize: readonly number[]): number[] {
  return srcSize.map((s, a) => Math.max(1, Math.round(dstSize[a] / s)));
}

/**
 * For each (batch, channel) plane (row b * C + c of a [planes, 2n] output) and axis a: column 2a
 * the smallest, column 2a + 1 the largest, over the plane's inputs i whose index lies inside the
 * destination plane, of coordinate_a(index[i]) - i_a * m_a. A plane without such an index gets
 * 1 and 0 (an empty range).
 */
export class IndexReachProgram extends PoolProgram {
  variableNames = ['indices'];

  constructor(
      indicesShape: number[], dataFormat: DataFormat, dstSize: number[], scale: number[]) {
    super();
    const n = dstSize.length;
    const dims = dimsOf(n, dataFormat);
    const channels = indicesShape[dims.c];
    const srcSize = dims.spatial.map((d) => indicesShape[d]);
    this.outputShape = [indicesShape[0] * channels, 2 * n];
    const names = axisNames(n);
    const ints = new Ints();
    const strides = strideExprs(planeStrides(dstSize), ints);
    const size = dstSize.map((v) => ints.of(v));
    const plane = ints.of(dstSize.reduce((a, b) => a * b, 1));
    const m = scale.map((v) => ints.of(v));
    const loops = names.map((A, a) => `
          for (int i${A} = 0; i${A} < ${ints.of(srcSize[a])}; i${A}++) {`);
    const is = names.map((A) => `i${A}`);
    const perAxis = names.map((A, a) => `
        if (axis == ${a}) {
          ${loops.join('')}
            int index = round(${sampleAt('indices', dataFormat, 'b', 'c', is)});
            if (index < 0 || index >= ${plane}) continue;
            ${decodeCode(names, 'index', size, strides)}
            int off = q${A} - i${A} * ${m[a]};
            lo = min(lo, off);
            hi = max(hi, off);
          ${names.map(() => '}').join(' ')}
        }`);
    this.uniforms(ints);
    this.userCode = `
      void main() {
        ivec2 coords = getOutputCoords();
        int b = coords[0] / ${channels};
        int c = coords[0] - b * ${channels};
        int axis = coords[1] / 2;
        int lo = ${2 ** 30};
        int hi = -${2 ** 30};
        ${perAxis.join('')}
        if (lo > hi) {
          lo = 1;
          hi = 0;
        }
        setOutput(float(coords[1] - axis * 2 == 0 ? lo : hi));
      }
    `;
  }
}

/**
 * Runs the scatter of `src` (shape of `indices`) at `indices` into zero planes of size dstSize
 * as its two gathers: the reach of the indices (IndexReachProgram), then ScatterGatherProgram
 * with `mode` ('last': maxUnpool, 'sum': the pooling gradient). Throws, naming `op` and the
 * tensors (`srcName` for src), before any work when a texture or an index would not fit.
 */
export function runScatterAsGather(
    webgl: WebGLBackend, op: string, src: TensorInfo, srcName: string, indices: TensorInfo,
    dataFormat: DataFormat, dstSize: number[], mode: 'last'|'sum'): TensorInfo {
  const scale = reachScale(layoutOf(src.shape, dataFormat).spatial, dstSize);
  const program = new ScatterGatherProgram(src.shape, dataFormat, dstSize, scale, mode);
  const reachProgram = new IndexReachProgram(indices.shape, dataFormat, dstSize, scale);
  checkFitsTexture(op, 'output', program.outputShape);
  checkFitsTexture(op, 'index reach table', reachProgram.outputShape);
  checkFitsTexture(op, srcName, src.shape);
  checkFitsTexture(op, 'indices', indices.shape);
  checkExactIndices(op, dstSize);
  const reach = runProgram(webgl, reachProgram, [indices], 'float32');
  try {
    return runProgram(webgl, program, [src, indices, reach], 'float32');
  } finally {
    webgl.disposeIntermediateTensorInfo(reach);
  }
}

/**
 * The scatter of src at indices into planes of size dstSize, as a gather: each output position
 * q scans, in the inputs' row-major order, the box of inputs the reach (IndexReachProgram) allows
 * and takes those whose index is q: 'last' keeps the last one's value (maxUnpool: the last write
 * wins), 'sum' adds them up in that order (the pooling gradient). No match gives 0.
 */
export class ScatterGatherProgram extends PoolProgram {
  variableNames = ['src', 'indices', 'reach'];

  constructor(
      srcShape: number[], dataFormat: DataFormat, dstSize: number[], scale: number[],
      mode: 'last'|'sum') {
    super();
    const n = dstSize.length;
    const rank = n + 2;
    const dims = dimsOf(n, dataFormat);
    const channels = srcShape[dims.c];
    const srcSize = dims.spatial.map((d) => srcShape[d]);
    this.outputShape = dataFormat === 'channelsLast' ? [srcShape[0], ...dstSize, channels] :
                                                       [srcShape[0], channels, ...dstSize];
    const names = axisNames(n);
    const ints = new Ints();
    const strides = strideExprs(planeStrides(dstSize), ints);
    const bounds = names.map((A, a) => {
      const m = ints.of(scale[a]);
      return `
        int q${A} = ${coord('coords', rank, dims.spatial[a])};
        int from${A} = max(0, ceilDiv(q${A} - round(getReach(plane, ${2 * a + 1})), ${m}));
        int to${A} = min(${ints.of(srcSize[a] - 1)},
                         floorDiv(q${A} - round(getReach(plane, ${2 * a})), ${m}));`;
    });
    const loops = names.map((A) => `
        for (int i${A} = from${A}; i${A} <= to${A}; i${A}++) {`);
    const is = names.map((A) => `i${A}`);
    const take = mode === 'last' ? 'acc = ' : 'acc += ';
    this.uniforms(ints);
    this.userCode = `
      ${INT_DIV}
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int b = ${coord('coords', rank, dims.b)};
        int c = ${coord('coords', rank, dims.c)};
        int plane = b * ${channels} + c;
        ${bounds.join('')}
        int want = ${flatIndexExpr(names.map((A) => `q${A}`), strides)};
        float acc = 0.0;
        ${loops.join('')}
          if (round(${sampleAt('indices', dataFormat, 'b', 'c', is)}) == want) {
            ${take}${sampleAt('src', dataFormat, 'b', 'c', is)};
          }
        ${names.map(() => '}').join(' ')}
        setOutput(acc);
      }
    `;
  }
}

/**
 * dy read at indices (the gradient of maxUnpool): one value per index; an index outside dy's
 * plane reads 0 (the op rejects those before the forward pass; a direct call gets no stray read).
 */
export class GatherAtIndicesProgram extends PoolProgram {
  variableNames = ['dy', 'indices'];

  constructor(indicesShape: number[], dataFormat: DataFormat, dySize: number[]) {
    super();
    this.outputShape = indicesShape;
    const n = dySize.length;
    const rank = n + 2;
    const dims = dimsOf(n, dataFormat);
    const names = axisNames(n);
    const ints = new Ints();
    const strides = strideExprs(planeStrides(dySize), ints);
    const plane = ints.of(dySize.reduce((a, b) => a * b, 1));
    const decode = decodeCode(names, 'index', dySize.map((v) => ints.of(v)), strides);
    this.uniforms(ints);
    this.userCode = `
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int index = round(getIndicesAtOutCoords());
        if (index < 0 || index >= ${plane}) {
          setOutput(0.0);
          return;
        }
        ${decode}
        setOutput(${sampleAt('dy', dataFormat, coord('coords', rank, dims.b),
                             coord('coords', rank, dims.c), names.map((A) => `q${A}`))});
      }
    `;
  }
}
