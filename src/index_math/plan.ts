// The pass planner of the separable resamplings (interpolate and its gradient), one for every
// backend: which of the resampled axes go into one pass together and in which order the passes
// run. Backends differ only in their limits (what one of their passes can do), never in the rule.
//
// Note [pass planning]
// A resampling applies one table per spatial axis (Note [axis tables] in resize.ts). Identity
// axes are skipped. The others go into ONE pass when the taps a pass reads per output, the
// product over its axes (a gather axis reads one), stay within the backend's maxTapsPerPass:
// a GPU program reads the taps of several axes at once (bilinear 4, bicubic 16), while the cpu
// kernel only walks all axes at once when each is a gather (maxTapsPerPass 1) and TensorFlow's
// composed ops never do (0). Otherwise each axis gets a pass of its own and the passes run in
// the order of least cost, all orders tried (at most 3! = 6; ties keep the given order).
// The one cost rule: a pass over one axis costs
//     volume * taps * (innermostFactor if the axis is the innermost dim, else 1)
//       + (volume / inner) * rowCost
// with volume the values it writes, inner the values after the axis (the length of the
// contiguous rows it writes), taps what one output reads: a gather 1, else the table's taps,
// or, for a backend that skips padding taps (Note [taps PyTorch evaluates]), the real ones on
// average. The backend's PassLimits give the constants that describe how its passes spend
// time: the cpu loops pay twice for a strided gather along the innermost dim and a fixed cost
// per row (short rows are slower); a GPU invocation or a TensorFlow gather pays per value read,
// padding taps included. Shrinking axes early keeps the intermediates, and so the later
// passes, small; the rule says how much that is worth on each backend.
import type {AxisTable} from './resize.js';
import {isGatherTable, isPaddingTap} from './resize.js';

/** What one pass of a backend can do and what it costs (Note [pass planning]). */
export interface PassLimits {
  /** Several axes share a pass when their taps multiply to at most this. */
  maxTapsPerPass: number;
  /** Whether a pass reads the padding taps of a table (else only the real ones). */
  readsPaddingTaps: boolean;
  /** Cost factor of a pass along the innermost dim (a strided gather). */
  innermostFactor: number;
  /** Fixed cost of each contiguous row a pass writes. */
  rowCost: number;
}

/** GPU programs (webgl, webgpu): one pass reads up to 16 values per output (bicubic). */
export const GPU_PASS_LIMITS: PassLimits =
    {maxTapsPerPass: 16, readsPaddingTaps: true, innermostFactor: 1, rowCost: 0};

/** The cpu kernel: one pass over several axes only when every one is a gather. */
export const CPU_PASS_LIMITS: PassLimits =
    {maxTapsPerPass: 1, readsPaddingTaps: false, innermostFactor: 2, rowCost: 16};

/** Composed TensorFlow ops (tensorflow backend): one gather-multiply-sum chain per axis. */
export const COMPOSED_PASS_LIMITS: PassLimits =
    {maxTapsPerPass: 0, readsPaddingTaps: true, innermostFactor: 1, rowCost: 0};

/**
 * GPU programs unroll an axis with at most this many taps (loading its taps into scalars and
 * writing the sum out); wider axes (area and antialias windows, gradient tables), which get a
 * pass of their own, loop over their table.
 */
export const UNROLL_TAPS = 8;

/** An axis to resample: the dim of the tensor it lies on and its table. */
export interface PassAxis {
  dim: number;
  table: AxisTable;
}

/** Taps one output of this table reads: 1 for a gather, else its taps (or real taps). */
function readTaps(t: AxisTable, readsPaddingTaps: boolean): number {
  if (isGatherTable(t)) return 1;
  if (readsPaddingTaps) return t.taps;
  let n = 0;
  for (let i = 0; i < t.weight.length; i++) if (!isPaddingTap(t.weight[i])) n++;
  return Math.max(1, n / Math.max(1, t.outSize));
}

/** Taps one pass over these axes reads per output (the product; a gather axis counts 1). */
function passTaps(axes: readonly PassAxis[]): number {
  return axes.reduce((p, a) => p * (isGatherTable(a.table) ? 1 : a.table.taps), 1);
}

/**
 * The passes over `axes` (the non-identity axes of a tensor of `shape`, in any order) under
 * `limits`: one pass with every axis, or one pass per axis in the cheapest order (Note [pass
 * planning]). Ties keep the given order. No axes: no passes.
 */
export function planPasses<A extends PassAxis>(
    shape: readonly number[], axes: readonly A[], limits: PassLimits): A[][] {
  if (axes.length === 0) return [];
  if (axes.length === 1 || passTaps(axes) <= limits.maxTapsPerPass) return [axes.slice()];
  const taps = axes.map((a) => readTaps(a.table, limits.readsPaddingTaps));
  const cost = (order: number[]) => {
    const s = shape.slice();
    let total = 0;
    for (const k of order) {
      const {dim, table} = axes[k];
      s[dim] = table.outSize;
      const volume = s.reduce((p, d) => p * d, 1);
      const inner = s.slice(dim + 1).reduce((p, d) => p * d, 1);
      total += volume * taps[k] * (inner === 1 ? limits.innermostFactor : 1) +
          (volume / inner) * limits.rowCost;
    }
    return total;
  };
  let best: number[] = [];
  let bestCost = Infinity;
  const permute = (done: number[], rest: number[]) => {
    if (rest.length === 0) {
      const c = cost(done);
      if (c < bestCost) {
        bestCost = c;
        best = done;
      }
      return;
    }
    for (const r of rest) permute([...done, r], rest.filter((x) => x !== r));
  };
  permute([], axes.map((_, k) => k));
  return best.map((k) => [axes[k]]);
}
