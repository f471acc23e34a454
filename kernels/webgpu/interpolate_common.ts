// The resampling shared by the Interpolate and InterpolateGrad webgpu kernels. The shader only
// gathers and weights: every source index and weight comes from a per-axis table built by
// src/index_math/resize.ts (axisTable, or transposeTable for the gradient), uploaded as int32
// (indices) and float32 (weights) storage buffers. No coordinate rule is written in WGSL.
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
import type {AxisTable} from '../../src/index_math/resize.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {spatialAxes} from '../../src/util/layout.js';
import {checkFitsBuffer, coord, run, stridesOf, TorchProgram, withTables} from './util.js';
import type {WebGPUBackend} from './util.js';

/** One pass reads at most this many input values per output, else the axes go one by one. */
const MAX_SINGLE_PASS_TAPS = 16;

/** Axes with at most this many taps are unrolled; wider ones loop over their table. */
const UNROLL_TAPS = 8;

/** True when every output reads one source with weight exactly 1 (tap 0 weight 1, others 0). */
export function isGatherTable(t: AxisTable): boolean {
  for (let o = 0; o < t.outSize; o++) {
    if (t.weight[o * t.taps] !== 1) return false;
    for (let k = 1; k < t.taps; k++) if (t.weight[o * t.taps + k] !== 0) return false;
  }
  return true;
}

/** True when a gather table maps every position to itself (the axis needs no pass). */
export function isIdentityTable(t: AxisTable): boolean {
  if (t.inSize !== t.outSize || !isGatherTable(t)) return false;
  for (let o = 0; o < t.outSize; o++) if (t.index[o * t.taps] !== o) return false;
  return true;
}

interface Axis {
  dim: number;
  table: AxisTable;
  gather: boolean;
}

/** Taps a pass reads per output for these axes. */
function tapsOf(axes: Axis[]): number {
  return axes.reduce((p, a) => p * (a.gather ? 1 : a.table.taps), 1);
}

/**
 * The passes for the non-identity axes: all at once when their taps multiply to few, else one
 * per axis, each time the axis whose pass reads the fewest values next.
 */
function planPasses(shape: number[], axes: Axis[]): Axis[][] {
  if (axes.length <= 1 || tapsOf(axes) <= MAX_SINGLE_PASS_TAPS) return [axes];
  const passes: Axis[][] = [];
  const s = shape.slice();
  const rest = axes.slice();
  while (rest.length > 0) {
    let best = 0;
    let bestCost = Infinity;
    rest.forEach((a, k) => {
      const volume = s.reduce((p, d, i) => p * (i === a.dim ? a.table.outSize : d), 1);
      const cost = volume * tapsOf([a]);
      if (cost < bestCost) {
        bestCost = cost;
        best = k;
      }
    });
    const [a] = rest.splice(best, 1);
    s[a.dim] = a.table.outSize;
    passes.push([a]);
  }
  return passes;
}

/**
 * One pass: x of shape inShape to outShape along the pass's axes. Index tables are inputs `idx`
 * (all axes, concatenated) and `wts` (the weighted axes, concatenated).
 */
function passProgram(inShape: number[], outShape: number[], axes: Axis[], copy: boolean):
    {program: TorchProgram, index: Int32Array, weight: Float32Array} {
  const rank = inShape.length;
  const strides = stridesOf(inShape);
  const indexParts: Int32Array[] = [];
  const weightParts: Float32Array[] = [];
  let indexAt = 0;
  let weightAt = 0;
  const lines: string[] = [];
  const resampled = new Set(axes.map((a) => a.dim));
  const base = Array.from({length: rank}, (_, d) => d)
                   .filter((d) => !resampled.has(d) && inShape[d] > 1)
                   .map((d) => (strides[d] === 1 ? coord(rank, d) : `${coord(rank, d)} * ${strides[d]}`));
  const meta = axes.map((a, j) => {
    const {taps} = a.table;
    const used = a.gather ? 1 : taps;
    // A gather table keeps its first tap only.
    const index = used === taps ? a.table.index :
                                  Int32Array.from({length: a.table.outSize}, (_, o) => a.table.index[o * taps]);
    const m = {taps: used, indexAt, weightAt};
    indexParts.push(index);
    indexAt += index.length;
    if (!a.gather) {
      weightParts.push(a.table.weight);
      weightAt += a.table.weight.length;
    }
    lines.push(`let row${j} = ${coord(rank, a.dim)} * ${used};`);
    return m;
  });
  const idx = (j: number, k: string) => `idx[${meta[j].indexAt} + row${j} + ${k}]`;
  const wt = (j: number, k: string) => `wts[${meta[j].weightAt} + row${j} + ${k}]`;
  axes.forEach((a, j) => {
    if (a.gather) {
      lines.push(`let i${j} = ${idx(j, '0')};`);
    } else if (meta[j].taps <= UNROLL_TAPS) {
      for (let k = 0; k < meta[j].taps; k++) {
        lines.push(`let i${j}_${k} = ${idx(j, `${k}`)};`, `let w${j}_${k} = ${wt(j, `${k}`)};`);
      }
    }
  });
  const plus = (offset: string, i: string, dim: number) =>
      `${offset} + ${strides[dim] === 1 ? i : `${i} * ${strides[dim]}`}`;
  let counter = 0;
  // The weighted sum over axes j.. at a partial input offset: statements first, then the value.
  const gen = (j: number, offset: string): {code: string, value: string} => {
    if (j === axes.length) return {code: '', value: copy ? `x[${offset}]` : `f32(x[${offset}])`};
    const a = axes[j];
    if (a.gather) return gen(j + 1, plus(offset, `i${j}`, a.dim));
    if (meta[j].taps <= UNROLL_TAPS) {
      let code = '';
      const terms: string[] = [];
      for (let k = 0; k < meta[j].taps; k++) {
        const sub = gen(j + 1, plus(offset, `i${j}_${k}`, a.dim));
        code += sub.code;
        terms.push(`w${j}_${k} * ${sub.value}`);
      }
      return {code, value: `(${terms.join(' + ')})`};
    }
    const acc = `acc${counter++}`;
    const sub = gen(j + 1, plus(offset, `i${j}`, a.dim));
    return {
      code: `
          var ${acc} = 0.0f;
          for (var k${j} = 0; k${j} < ${meta[j].taps}; k${j}++) {
            let i${j} = ${idx(j, `k${j}`)};
            let w${j} = ${wt(j, `k${j}`)};
            ${sub.code}
            ${acc} += w${j} * ${sub.value};
          }`,
      value: acc,
    };
  };
  const {code, value} = gen(0, base.length > 0 ? `(${base.join(' + ')})` : '0');
  const concat = <T extends Int32Array|Float32Array>(parts: T[], make: (n: number) => T) => {
    const out = make(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const program = new TorchProgram(
      copy ? 'InterpolateGather' : 'InterpolateResample', outShape,
      weightParts.length > 0 ? ['x', 'idx', 'wts'] : ['x', 'idx'], `
          ${lines.join('\n          ')}
          ${code}
          result[index] = ${value};`);
  return {
    program,
    index: concat(indexParts, (n) => new Int32Array(n)),
    weight: concat(weightParts, (n) => new Float32Array(n)),
  };
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
  const passes = planPasses(x.shape, axes);
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
    const {program, index, weight} = passProgram(inShape, shapes[k], p, copy);
    const tablesOf = weight.length > 0 ? [index, weight] : [index];
    const next = withTables(backend, tablesOf,
                            (infos) => run(backend, program, [cur, ...infos], x.dtype));
    if (cur !== x) backend.disposeData(cur.dataId);
    cur = next;
    inShape = shapes[k];
  });
  return cur;
}

