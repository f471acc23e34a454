// The resampling shared by the Interpolate and InterpolateGrad webgpu kernels. The shader only
// gathers and weights: every source index and weight comes from a per-axis table built by
// src/index_math/resize.ts (interpolateTables: the forward maps, or their transposes for the
// gradient), uploaded as one storage buffer (packTables). No coordinate rule is written in WGSL.
//
// One program resamples a subset of the spatial axes at once: for its output coordinate along
// each resampled axis it reads that axis's taps and sums over them, outermost axis outermost,
// each level weighting the sum of the level inside it (w_h * sum_w(w_w * x), the order of
// PyTorch's own separable kernels). Axes not resampled pass their coordinate through. When the
// taps of the axes multiply to a few per output (nearest, (bi|tri)linear, bicubic) one pass
// does every axis; otherwise (area and antialias windows, gradient tables, tricubic) each axis
// gets a pass of its own, cheapest first, so each pass pays only its own taps. A gather axis
// (one tap of weight 1: the nearest modes) reads no weight; when every axis is a gather the
// pass copies values as they are, so int32 stays exact (Note [int32 on webgpu] in util.ts).
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {hasPaddingTaps, isGatherTable, isIdentityTable, isPaddingTap} from '../../src/index_math/resize.js';
import type {AxisTable} from '../../src/index_math/resize.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {spatialAxes} from '../../src/util/layout.js';
import {GPU_PASS_LIMITS, planPasses, UNROLL_TAPS} from '../../src/index_math/plan.js';
import {checkFitsBuffer, coord, Ints, run, strideIsFixed, stridesOf, TorchProgram, withTables} from './util.js';
import type {WebGPUBackend} from './util.js';

interface Axis {
  dim: number;
  table: AxisTable;
  gather: boolean;
}

/**
 * The tables of a pass's axes in one int32 buffer that the shader reads as vec4<i32>: per axis,
 * one row per output position, [index of tap 0 .. taps-1, weight bits of tap 0 .. taps-1] (a
 * gather axis: its index only), padded to a multiple of 4, so a bilinear row is one 16-byte
 * load. Weights travel as their float32 bits (bitcast back in WGSL, exact). Returns each axis's
 * offset (in vec4s) and row width (in vec4s).
 */
function packTables(axes: Axis[]): {table: Int32Array, at: number[], width: number[]} {
  const at: number[] = [];
  const width: number[] = [];
  let size = 0;
  for (const a of axes) {
    const used = a.gather ? 1 : 2 * a.table.taps;
    const w = Math.ceil(used / 4);
    at.push(size / 4);
    width.push(w);
    size += a.table.outSize * w * 4;
  }
  const table = new Int32Array(Math.max(size, 4));
  const bits = new Int32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  axes.forEach((a, j) => {
    const {taps, outSize, index, weight} = a.table;
    for (let o = 0; o < outSize; o++) {
      const row = (at[j] + o * width[j]) * 4;
      if (a.gather) {
        table[row] = index[o * taps];
        continue;
      }
      for (let k = 0; k < taps; k++) {
        // A padding tap (Note [taps PyTorch evaluates]) is stored with index -1: the shader reads
        // input 0 there and adds nothing, whatever that value is (0 * Inf would be NaN).
        const w = weight[o * taps + k];
        table[row + k] = isPaddingTap(w) ? -1 : index[o * taps + k];
        asFloat[0] = w;
        table[row + taps + k] = bits[0];
      }
    }
  });
  return {table, at, width};
}

/** One pass: x of shape inShape to outShape along the pass's axes (tables: input `tab`). */
function passProgram(
    inShape: number[], outShape: number[], axes: Axis[], copy: boolean, spatial: number[]):
    {program: TorchProgram, table: Int32Array} {
  const rank = inShape.length;
  const strides = stridesOf(inShape);
  const {table, at, width} = packTables(axes);
  // Strides that change with the image and table offsets are uniforms; tap counts, row widths
  // and the strides fixed by the channel count are compiled in (Note [webgpu programs]).
  const ints = new Ints();
  const st = (d: number) => ints.or(strides[d], strideIsFixed(d, spatial));
  const u = ints.of;
  const padded = axes.map((a) => !a.gather && hasPaddingTaps(a.table));
  const resampled = new Set(axes.map((a) => a.dim));
  const base = Array.from({length: rank}, (_, d) => d)
                   .filter((d) => !resampled.has(d) && inShape[d] > 1)
                   .map((d) => (strides[d] === 1 ? coord(rank, d) : `${coord(rank, d)} * ${st(d)}`));
  const lines: string[] = [];
  const comp = (e: number) => 'xyzw'[e % 4];
  axes.forEach((a, j) => {
    const row = `${u(at[j])} + ${coord(rank, a.dim)}${width[j] === 1 ? '' : ` * ${width[j]}`}`;
    lines.push(`let row${j} = ${row};`);
    const taps = a.table.taps;
    if (a.gather) {
      lines.push(`let i${j} = tab[row${j}].x;`);
    } else if (taps <= UNROLL_TAPS) {
      for (let m = 0; m < width[j]; m++) lines.push(`let r${j}_${m} = tab[row${j} + ${m}];`);
      for (let k = 0; k < taps; k++) {
        lines.push(`let q${j}_${k} = r${j}_${Math.floor(k / 4)}.${comp(k)};`,
                   `let i${j}_${k} = max(q${j}_${k}, 0);`,
                   `let w${j}_${k} = bitcast<f32>(r${j}_${Math.floor((taps + k) / 4)}.${comp(taps + k)});`);
      }
    }
  });
  const plus = (offset: string, i: string, dim: number) =>
      `${offset} + ${strides[dim] === 1 ? i : `${i} * ${st(dim)}`}`;
  let counter = 0;
  // The weighted sum over axes j.. at a partial input offset: statements first, then the value.
  const gen = (j: number, offset: string): {code: string, value: string} => {
    if (j === axes.length) return {code: '', value: copy ? `x[${offset}]` : `f32(x[${offset}])`};
    const a = axes[j];
    const taps = a.table.taps;
    if (a.gather) return gen(j + 1, plus(offset, `i${j}`, a.dim));
    if (taps <= UNROLL_TAPS) {
      let code = '';
      const terms: string[] = [];
      for (let k = 0; k < taps; k++) {
        const sub = gen(j + 1, plus(offset, `i${j}_${k}`, a.dim));
        code += sub.code;
        terms.push(padded[j] ? `select(0.0f, w${j}_${k} * ${sub.value}, q${j}_${k} >= 0)` :
                               `w${j}_${k} * ${sub.value}`);
      }
      return {code, value: `(${terms.join(' + ')})`};
    }
    const acc = `acc${counter++}`;
    const sub = gen(j + 1, plus(offset, `i${j}`, a.dim));
    return {
      code: `
          var ${acc} = 0.0f;
          for (var k${j} = 0; k${j} < ${taps}; k${j}++) {
            let q${j} = tab[row${j} + (k${j} >> 2u)][k${j} & 3];
            let i${j} = max(q${j}, 0);
            let w${j} = bitcast<f32>(tab[row${j} + ((k${j} + ${taps}) >> 2u)][(k${j} + ${taps}) & 3]);
            ${sub.code}
            ${padded[j] ? `if (q${j} >= 0) { ${acc} += w${j} * ${sub.value}; }` :
                          `${acc} += w${j} * ${sub.value};`}
          }`,
      value: acc,
    };
  };
  const {code, value} = gen(0, base.length > 0 ? `(${base.join(' + ')})` : '0');
  const program = new TorchProgram(
      copy ? 'InterpolateGather' : 'InterpolateResample', outShape, ['x', 'tab'], `
          ${lines.join('\n          ')}
          ${code}
          result[index] = ${value};`, '', {variableComponents: [1, 4], ints});
  return {program, table};
}

/**
 * Applies tables[i] along spatial dim i of x (shape in dataFormat); returns the resampled tensor.
 * Throws, naming `op` and the tensor (the result `what`: 'output', 'gradient'), before any work
 * when a pass's result does not fit a storage buffer.
 */
export function resample(
    backend: WebGPUBackend, x: TensorInfo, dataFormat: DataFormat, tables: AxisTable[],
    op: string, what: string): TensorInfo {
  const dims = spatialAxes(x.shape.length, dataFormat);
  const axes: Axis[] = tables.map((table, i) => ({dim: dims[i], table, gather: false}))
                           .filter(({table}) => !isIdentityTable(table))
                           .map((a) => ({...a, gather: isGatherTable(a.table)}));
  const passes = planPasses(x.shape, axes, GPU_PASS_LIMITS);
  const shapes: number[][] = [];
  let s = x.shape.slice();
  for (const p of passes) {
    s = s.slice();
    for (const a of p) s[a.dim] = a.table.outSize;
    shapes.push(s);
  }
  shapes.forEach((shape, k) => {
    checkFitsBuffer(backend, op, k === shapes.length - 1 ? what : `intermediate ${what}`, shape);
  });
  if (axes.length === 0) {
    // Every axis maps to itself: the output is the input (shared data, as tfjs's Identity).
    backend.incRef(x.dataId);
    return {dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype};
  }
  let cur = x;
  let inShape = x.shape;
  passes.forEach((p, k) => {
    const copy = p.every((a) => a.gather);
    const {program, table} = passProgram(inShape, shapes[k], p, copy, dims);
    const next = withTables(backend, [table],
                            (infos) => run(backend, program, [cur, ...infos], x.dtype));
    if (cur !== x) backend.disposeData(cur.dataId);
    cur = next;
    inShape = shapes[k];
  });
  return cur;
}

