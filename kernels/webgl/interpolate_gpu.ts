// Shader programs of interpolate and its gradient. The shader only gathers and weights: every
// source index and weight comes from a per-axis table built by src/index_math/resize.ts
// (axisTable, or transposeTable for the gradient), uploaded as a small float texture. No
// coordinate rule is written in GLSL.
//
// A table texture for an axis with `taps` taps is [outSize, 2 * taps]: columns 0..taps-1 hold
// the source indices (exact as floats below 2^24), columns taps..2*taps-1 their weights. A
// gather axis (one tap of weight 1 per output: the nearest modes) stores the index column only.
//
// One program resamples any subset of the spatial axes at once: it reads each resampled axis's
// taps for its output coordinate and sums over them, outermost axis outermost, each level
// weighting the sum of the level inside it (w_h * sum_w(w_w * x), the order of PyTorch's own
// separable kernels). Axes not
// resampled pass their output coordinate through. interpolate_common.ts decides whether one
// program does every axis or one program per axis runs (when the product of the taps is large).
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {AxisTable} from '../../src/index_math/resize.js';
import {coord, coordsType} from './util.js';

/** One resampled axis of a program: its dim in the tensor shape and its table's form. */
export interface ProgramAxis {
  /** Dim of the (input and output) shape this table resamples. */
  dim: number;
  taps: number;
  /** Every output reads one source with weight 1: no weights, no loop. */
  gather: boolean;
}

/** True when the table reads, for every output, one source with weight exactly 1. */
export function isGatherTable(t: AxisTable): boolean {
  for (let o = 0; o < t.outSize; o++) {
    if (t.weight[o * t.taps] !== 1) return false;
    for (let k = 1; k < t.taps; k++) if (t.weight[o * t.taps + k] !== 0) return false;
  }
  return true;
}

/** True when the table maps every position to itself (the axis needs no pass). */
export function isIdentityTable(t: AxisTable): boolean {
  if (t.inSize !== t.outSize || !isGatherTable(t)) return false;
  for (let o = 0; o < t.outSize; o++) if (t.index[o * t.taps] !== o) return false;
  return true;
}

/** The texture values of a table: [outSize, taps] indices, or [outSize, 2*taps] with weights. */
export function tableTexture(t: AxisTable, gather: boolean): {shape: number[], values: Float32Array} {
  const {outSize, taps} = t;
  if (gather) {
    const values = new Float32Array(outSize);
    for (let o = 0; o < outSize; o++) values[o] = t.index[o * taps];
    return {shape: [outSize, 1], values};
  }
  const values = new Float32Array(outSize * 2 * taps);
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < taps; k++) {
      values[o * 2 * taps + k] = t.index[o * taps + k];
      values[o * 2 * taps + taps + k] = t.weight[o * taps + k];
    }
  }
  return {shape: [outSize, 2 * taps], values};
}

/**
 * Axes with at most this many taps are unrolled: their taps are loaded once into scalars and the
 * sum is written out. (Local arrays indexed in a loop cost SwiftShader about twice the time of
 * a bilinear resize; reading an inner axis's table inside an outer loop repeats its fetches.)
 * Wider axes (area and antialias windows, gradient tables), which a pass handles alone, loop
 * and read their table inside the loop.
 */
const UNROLL_TAPS = 8;

export class ResampleProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;

  /**
   * outShape: the program's output shape (the input's with the resampled dims at their output
   * sizes). axes: the resampled dims, outermost first; their tables are inputs 1..n.
   */
  constructor(outShape: number[], axes: ProgramAxis[]) {
    this.outputShape = outShape;
    const rank = outShape.length;
    this.variableNames = ['x', ...axes.map((_, j) => `table${j}`)];
    const get = (j: number, k: string) =>
        `getTable${j}(${coord('coords', rank, axes[j].dim)}, ${k})`;
    const toIndex = (v: string) => `int(${v} + 0.5)`;

    const loads: string[] = [];
    axes.forEach((a, j) => {
      if (a.gather) {
        loads.push(`int i${j} = ${toIndex(get(j, '0'))};`);
      } else if (a.taps <= UNROLL_TAPS) {
        for (let k = 0; k < a.taps; k++) {
          loads.push(`int i${j}_${k} = ${toIndex(get(j, `${k}`))};`);
          loads.push(`float w${j}_${k} = ${get(j, `${a.taps + k}`)};`);
        }
      }
    });

    // The weighted sum over axes j.. for fixed indices of the axes before j: statements to run
    // first and the value. Sums run over taps in order, left to right.
    let counter = 0;
    const gen = (j: number, index: string[]): {code: string, value: string} => {
      if (j === axes.length) return {code: '', value: `getX(${index.join(', ')})`};
      const a = axes[j];
      const at = (i: string) => index.map((e, d) => (d === a.dim ? i : e));
      if (a.gather) return gen(j + 1, at(`i${j}`));
      if (a.taps <= UNROLL_TAPS) {
        let code = '';
        const terms: string[] = [];
        for (let k = 0; k < a.taps; k++) {
          const sub = gen(j + 1, at(`i${j}_${k}`));
          code += sub.code;
          terms.push(`w${j}_${k} * ${sub.value}`);
        }
        return {code, value: `(${terms.join(' + ')})`};
      }
      const acc = `acc${counter++}`;
      const sub = gen(j + 1, at(`i${j}`));
      const code = `
        float ${acc} = 0.0;
        for (int k${j} = 0; k${j} < ${a.taps}; k${j}++) {
          int i${j} = ${toIndex(get(j, `k${j}`))};
          float w${j} = ${get(j, `${a.taps} + k${j}`)};
          ${sub.code}
          ${acc} += w${j} * ${sub.value};
        }`;
      return {code, value: acc};
    };
    const coords = Array.from({length: rank}, (_, d) => coord('coords', rank, d));
    const {code, value} = gen(0, coords);
    this.userCode = `
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        ${loads.join('\n        ')}
        ${code}
        setOutput(${value});
      }
    `;
  }
}
