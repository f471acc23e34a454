// Tables of the transposed convolution's tap relation (Note [transposed convolution tap relation]
// in conv.ts), per spatial axis, in the forms the backends consume. Every table is built here
// from convTransposeInputIndex / convTransposeOutputIndex / convTransposeTapRange and nowhere
// else; test/index_tables.test.ts checks each form against those scalar rules on every position
// of many geometries, so the kernels only pack a table (typed arrays, const arrays, storage
// buffers) and gather through it. Each table is memoised once here, bounded (src/util/memo.ts):
// a model calls the same layer geometry again and again, an app seeing many sizes must not grow.
//
// The forms:
//  - gather by residue (webgl forward): output o, with r = (o + padding) mod stride and
//    base = (o + padding) div stride, is reached by the taps taps[r * perResidue + j] (j
//    ascending, -1 after the last) from input base - shift[r * perResidue + j] (when inside the
//    input). Its size depends on stride and kernel only, not on the image size.
//  - paired gather by residue (webgl packed forward, last axis): the same for the pair of outputs
//    (ow, ow + 1), ow even: the inputs reaching either, with the tap reaching each (-1: none).
//  - scatter (webgl gradients): input i reaches output i * stride + offset[t] through tap t,
//    for i in the tap's range [start[t], end[t]) (convTransposeTapRange).
//  - pairs per position (webgpu): rows of `width` (tap, position) pairs, tap -1 after the last;
//    for the forward the input each output gathers from, for the gradient with respect to x the
//    output each input scatters to (inside the output).
//  - tap ranges and targets (webgpu weight gradient): per tap [start, end), then per (tap, input)
//    the output position.
//  - tap rows (cpu): for each kernel tap (flat over the axes) the flat input and output positions
//    of the rows it keeps inside the output.
import {BoundedMemo} from '../util/memo.js';
import {convTransposeInputIndex, convTransposeOutputIndex, convTransposeTapRange} from './conv.js';

/** One spatial axis of a transposed convolution. */
export interface ConvTransposeAxis {
  inSize: number;
  outSize: number;
  kernelSize: number;
  stride: number;
  padding: number;
  dilation: number;
}

function axisKey(a: ConvTransposeAxis): string {
  return [a.inSize, a.outSize, a.kernelSize, a.stride, a.padding, a.dilation].join(',');
}

/** Length of the values of a table (the memo's weight). */
const weightOfArrays = (v: object): number =>
    Object.values(v).reduce((n: number, x) => n + (Array.isArray(x) || ArrayBuffer.isView(x) ?
                                                    (x as ArrayLike<number>).length : 0), 0);

/** A memo bounded by entries and by a million table values in all. */
function tableMemo<V extends object>(): BoundedMemo<string, V> {
  return new BoundedMemo<string, V>(128, 1 << 20, weightOfArrays);
}

// ---- gather by residue -------------------------------------------------------------------------

export interface GatherTable {
  perResidue: number;
  taps: number[];
  shift: number[];
}

const gatherMemo = tableMemo<GatherTable>();

export function convTransposeGatherTable(a: ConvTransposeAxis): GatherTable {
  return gatherMemo.get(axisKey(a), () => {
    const {kernelSize, stride, padding, dilation} = a;
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
    return {perResidue, taps, shift};
  });
}

// ---- paired gather by residue ------------------------------------------------------------------

/**
 * Entry e = r * perResidue + j (r = (ow + padding) mod stride, ow even) is input
 * base - shift[e], reaching ow through tap0[e] and ow + 1 through tap1[e] (-1: it does not); an
 * entry with both taps -1 ends the list. One x read then serves both positions whenever an input
 * reaches both (stride 2, dilation 1: every input does).
 */
export interface PairGatherTable {
  perResidue: number;
  shift: number[];
  tap0: number[];
  tap1: number[];
}

const pairGatherMemo = tableMemo<PairGatherTable>();

export function convTransposePairGatherTable(a: ConvTransposeAxis): PairGatherTable {
  return pairGatherMemo.get(axisKey(a), () => {
    const {kernelSize, stride, padding, dilation} = a;
    const far = Math.ceil(((kernelSize - 1) * dilation + padding) / stride) + 2;
    const lists: Array<Array<[number, number, number]>> = [];
    for (let r = 0; r < stride; r++) {
      // An even ow with this residue, far from 0 (none when stride and padding make r impossible
      // for even ow: that residue never occurs).
      let ow = r - padding + stride * far;
      while (ow % 2 !== 0 && ow < r - padding + stride * (far + 2)) ow += stride;
      const byShift = new Map<number, [number, number]>();
      if (ow % 2 === 0) {
        const base = Math.floor((ow + padding) / stride);
        for (let c = 0; c < 2; c++) {
          for (let t = 0; t < kernelSize; t++) {
            const i = convTransposeInputIndex(ow + c, t, stride, padding, dilation, Infinity);
            if (i < 0) continue;
            const entry = byShift.get(base - i) ?? [-1, -1];
            entry[c] = t;
            byShift.set(base - i, entry);
          }
        }
      }
      lists.push([...byShift.entries()].sort((x, y) => x[0] - y[0])
                     .map(([sh, [t0, t1]]) => [sh, t0, t1] as [number, number, number]));
    }
    const perResidue = Math.max(1, ...lists.map((l) => l.length));
    const shift: number[] = [];
    const tap0: number[] = [];
    const tap1: number[] = [];
    for (const list of lists) {
      for (let j = 0; j < perResidue; j++) {
        const [sh, t0, t1] = j < list.length ? list[j] : [0, -1, -1];
        shift.push(sh);
        tap0.push(t0);
        tap1.push(t1);
      }
    }
    return {perResidue, shift, tap0, tap1};
  });
}

// ---- scatter -----------------------------------------------------------------------------------

export interface ScatterTable {
  offset: number[];
  start: number[];
  end: number[];
}

const scatterMemo = tableMemo<ScatterTable>();

export function convTransposeScatterTable(a: ConvTransposeAxis): ScatterTable {
  return scatterMemo.get(axisKey(a), () => {
    const offset: number[] = [];
    const start: number[] = [];
    const end: number[] = [];
    for (let t = 0; t < a.kernelSize; t++) {
      offset.push(convTransposeOutputIndex(0, t, a.stride, a.padding, a.dilation));
      const [s, e] =
          convTransposeTapRange(t, a.inSize, a.outSize, a.stride, a.padding, a.dilation);
      start.push(s);
      end.push(e);
    }
    return {offset, start, end};
  });
}

// ---- pairs per position ------------------------------------------------------------------------

/** Rows of `width` (tap, position) pairs per position, tap -1 (position 0) after the last. */
export interface PairTable {
  width: number;
  values: Int32Array;
}

function pairTable(positions: number, taps: number, pair: (p: number, t: number) => number):
    PairTable {
  let width = 1;
  for (let p = 0; p < positions; p++) {
    let n = 0;
    for (let t = 0; t < taps; t++) if (pair(p, t) >= 0) n++;
    width = Math.max(width, n);
  }
  const values = new Int32Array(positions * width * 2);
  for (let p = 0; p < positions; p++) {
    let j = 0;
    for (let t = 0; t < taps; t++) {
      const q = pair(p, t);
      if (q < 0) continue;
      values[(p * width + j) * 2] = t;
      values[(p * width + j) * 2 + 1] = q;
      j++;
    }
    for (; j < width; j++) values[(p * width + j) * 2] = -1;
  }
  return {width, values};
}

const gatherPairsMemo = tableMemo<PairTable>();

/** Forward: for each output position, the (tap, input position) pairs that reach it. */
export function convTransposeGatherPairs(a: ConvTransposeAxis): PairTable {
  return gatherPairsMemo.get(axisKey(a), () => pairTable(
      a.outSize, a.kernelSize,
      (o, t) => convTransposeInputIndex(o, t, a.stride, a.padding, a.dilation, a.inSize)));
}

const scatterPairsMemo = tableMemo<PairTable>();

/** Gradient for x: for each input position, the (tap, output position) pairs inside the output. */
export function convTransposeScatterPairs(a: ConvTransposeAxis): PairTable {
  return scatterPairsMemo.get(axisKey(a), () => pairTable(a.inSize, a.kernelSize, (i, t) => {
    const o = convTransposeOutputIndex(i, t, a.stride, a.padding, a.dilation);
    return o >= 0 && o < a.outSize ? o : -1;
  }));
}

// ---- tap ranges and targets --------------------------------------------------------------------

const rangeTargetsMemo = tableMemo<{values: Int32Array}>();

/**
 * Gradient for the weight: [start, end) of convTransposeTapRange per tap (2 * kernelSize
 * values), then the output position convTransposeOutputIndex(i, t) of every (tap, input
 * position) (kernelSize * inSize values, tap-major).
 */
export function convTransposeRangeTargets(a: ConvTransposeAxis): Int32Array {
  return rangeTargetsMemo.get(axisKey(a), () => {
    const values = new Int32Array(a.kernelSize * (2 + a.inSize));
    for (let t = 0; t < a.kernelSize; t++) {
      values.set(convTransposeTapRange(t, a.inSize, a.outSize, a.stride, a.padding, a.dilation),
                 2 * t);
    }
    let k = 2 * a.kernelSize;
    for (let t = 0; t < a.kernelSize; t++) {
      for (let i = 0; i < a.inSize; i++) {
        values[k++] = convTransposeOutputIndex(i, t, a.stride, a.padding, a.dilation);
      }
    }
    return {values};
  }).values;
}

// ---- tap rows ----------------------------------------------------------------------------------

/**
 * For every kernel tap (flat index over the kernel, the weight's own order), the input positions
 * the tap keeps inside the output and the output position each one reaches, both as flat indices
 * in their planes (row-major over the axes). rowStart[t]..rowStart[t+1] delimits tap t's rows.
 */
export interface TapRows {
  rowStart: Int32Array;
  inPos: Int32Array;
  outPos: Int32Array;
}

/** Bounded by the number of rows kept (8 bytes each); larger lists are not kept. */
const tapRowsMemo =
    new BoundedMemo<string, TapRows>(256, 1 << 21, (rows) => rows.inPos.length);

/** The tap rows of a transposed convolution over `axes` (outermost first, any count). */
export function convTransposeTapRows(axes: readonly ConvTransposeAxis[]): TapRows {
  return tapRowsMemo.get(axes.map(axisKey).join(';'), () => computeTapRows(axes));
}

function computeTapRows(axes: readonly ConvTransposeAxis[]): TapRows {
  const n = axes.length;
  const ranges = axes.map((a) => Array.from(
      {length: a.kernelSize},
      (_, t) => convTransposeTapRange(t, a.inSize, a.outSize, a.stride, a.padding, a.dilation)));
  const taps = axes.reduce((p, a) => p * a.kernelSize, 1);
  // Taps as per-axis digits, last axis fastest.
  const digits = (t: number): number[] => {
    const d = new Array<number>(n);
    for (let a = n - 1; a >= 0; a--) {
      d[a] = t % axes[a].kernelSize;
      t = Math.floor(t / axes[a].kernelSize);
    }
    return d;
  };
  const rowStart = new Int32Array(taps + 1);
  let total = 0;
  for (let t = 0; t < taps; t++) {
    const d = digits(t);
    total += d.reduce((p, tap, a) => p * (ranges[a][tap][1] - ranges[a][tap][0]), 1);
  }
  const inPos = new Int32Array(total);
  const outPos = new Int32Array(total);
  let r = 0;
  for (let t = 0; t < taps; t++) {
    rowStart[t] = r;
    const d = digits(t);
    // The scatter form of Note [transposed convolution tap relation], axis by axis: walk the
    // tap's valid range of every axis, accumulating flat input and output positions.
    const walk = (a: number, inFlat: number, outFlat: number) => {
      const ax = axes[a];
      const [s, e] = ranges[a][d[a]];
      for (let i = s; i < e; i++) {
        const o = convTransposeOutputIndex(i, d[a], ax.stride, ax.padding, ax.dilation);
        const inF = inFlat * ax.inSize + i;
        const outF = outFlat * ax.outSize + o;
        if (a === n - 1) {
          inPos[r] = inF;
          outPos[r] = outF;
          r++;
        } else {
          walk(a + 1, inF, outF);
        }
      }
    };
    if (n === 0) {
      inPos[r] = 0;
      outPos[r] = 0;
      r++;
    } else {
      walk(0, 0, 0);
    }
  }
  rowStart[taps] = r;
  return {rowStart, inPos, outPos};
}
