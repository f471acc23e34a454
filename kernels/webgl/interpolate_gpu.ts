// Shader programs of interpolate and its gradient. The shader only gathers and weights: every
// source index and weight comes from a per-axis table built by src/index_math/resize.ts
// (axisTable, or transposeTable for the gradient), uploaded as a small float texture. No
// coordinate rule is written in GLSL.
//
// A table texture for an axis with `taps` taps is [outSize, 2 * taps]: columns 0..taps-1 hold
// the source indices (exact as floats below 2^24), columns taps..2*taps-1 their weights. A
// gather axis (one tap of weight 1 per output: the nearest modes) stores the index column only.
// Half-float textures hold integers exactly only up to 2048: there, a table whose indices reach
// 2048 stores each index in two columns, index mod 2048 and floor(index / 2048) (`split`), so
// the layout is [outSize, 3 * taps] (lo, hi, weight) or [outSize, 2] for a gather.
//
// One program resamples any subset of the spatial axes at once: it reads each resampled axis's
// taps for its output coordinate and sums over them, outermost axis outermost, each level
// weighting the sum of the level inside it (w_h * sum_w(w_w * x), the order of PyTorch's own
// separable kernels). Axes not
// resampled pass their output coordinate through. interpolate_common.ts decides whether one
// program does every axis or one program per axis runs (when the product of the taps is large).
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import {isPaddingTap} from '../../src/index_math/resize.js';
import type {AxisTable} from '../../src/index_math/resize.js';
import {coord, coordsType} from './util.js';

/** One resampled axis of a program: its dim in the tensor shape and its table's form. */
export interface ProgramAxis {
  /** Dim of the (input and output) shape this table resamples. */
  dim: number;
  taps: number;
  /** Every output reads one source with weight 1: no weights, no loop. */
  gather: boolean;
  /** Indices stored as (index mod SPLIT, floor(index / SPLIT)) for half-float textures. */
  split: boolean;
  /**
   * The table has padding taps, which must add nothing even where the value is Inf or NaN (Note
   * [taps PyTorch evaluates]): stored with a negative index, their products are skipped.
   */
  padded: boolean;
}

/** The largest integer below which half floats hold every integer: the split of wide indices. */
export const SPLIT = 2048;

/**
 * The texture values of a table (layouts in the header): per output row, the index columns
 * (one set, or lo and hi sets when split), then the weights unless it is a gather.
 */
export function tableTexture(t: AxisTable, gather: boolean, split: boolean):
    {shape: number[], values: Float32Array} {
  const {outSize, taps} = t;
  const used = gather ? 1 : taps;
  const indexSets = split ? 2 : 1;
  const cols = used * (indexSets + (gather ? 0 : 1));
  const values = new Float32Array(outSize * cols);
  for (let o = 0; o < outSize; o++) {
    const row = o * cols;
    for (let k = 0; k < used; k++) {
      // A padding tap (weight -0) is stored with index -2, which the shader's rounding
      // (int(v + 0.5), truncating) reads as -1 in both index forms: it skips negative indices.
      const index = !gather && isPaddingTap(t.weight[o * taps + k]) ? -2 : t.index[o * taps + k];
      values[row + k] = split ? index % SPLIT : index;
      if (split) values[row + used + k] = Math.floor(index / SPLIT);
      if (!gather) values[row + indexSets * used + k] = t.weight[o * taps + k];
    }
  }
  return {shape: [outSize, cols], values};
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
    // Tap k's index and weight of axis j (k: a GLSL int expression), per the table layout.
    const indexOf = (j: number, k: string) => {
      const a = axes[j];
      const lo = `int(${get(j, k)} + 0.5)`;
      return a.split ? `(${lo} + ${SPLIT} * int(${get(j, `${a.gather ? 1 : a.taps} + ${k}`)} + 0.5))` :
                       lo;
    };
    const weightOf = (j: number, k: string) =>
        get(j, `${(axes[j].split ? 2 : 1) * axes[j].taps} + ${k}`);

    const loads: string[] = [];
    axes.forEach((a, j) => {
      if (a.gather) {
        loads.push(`int i${j} = ${indexOf(j, '0')};`);
      } else if (a.taps <= UNROLL_TAPS) {
        for (let k = 0; k < a.taps; k++) {
          loads.push(`int i${j}_${k} = ${indexOf(j, `${k}`)};`);
          loads.push(`float w${j}_${k} = ${weightOf(j, `${k}`)};`);
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
          terms.push(a.padded ? `(i${j}_${k} < 0 ? 0.0 : w${j}_${k} * ${sub.value})` :
                                `w${j}_${k} * ${sub.value}`);
        }
        return {code, value: `(${terms.join(' + ')})`};
      }
      const acc = `acc${counter++}`;
      const sub = gen(j + 1, at(`i${j}`));
      const code = `
        float ${acc} = 0.0;
        for (int k${j} = 0; k${j} < ${a.taps}; k${j}++) {
          int i${j} = ${indexOf(j, `k${j}`)};
          float w${j} = ${weightOf(j, `k${j}`)};
          ${sub.code}
          ${a.padded ? `if (i${j} >= 0) ` : ''}${acc} += w${j} * ${sub.value};
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
