// Index math of F.pad / torch.nn.*Pad*d, written once: which dims a padding list names, the
// output sizes, and, for the non-constant modes, the source index of every output position.
// Every rule is PyTorch 1.13's (torch/nn/functional.py _pad, aten's ReflectionPad.cpp,
// ReplicationPadding.cpp, PadNd.cpp _pad_circular), checked against PyTorch by
// scripts/fixtures/gen_modules.py.

export type PadMode = 'constant'|'reflect'|'replicate'|'circular';
export const PAD_MODES: PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

// Note [pad order]
// F.pad's list runs from the last dim backwards, two entries (before, after) per dim:
// [left, right, top, bottom, front, back] pads W, then H, then D of an N C D H W tensor. A
// negative entry removes that many elements from that side. 'constant' may name any number of
// dims (up to every dim, batch and channels included); the other modes pad exactly the spatial
// dims of a batched input (nn.ReflectionPad2d on N C H W: four entries), as PyTorch's modules.
/** [before, after] per dim of the PyTorch-layout (N, C, ...spatial) tensor of rank `rank`. */
export function padPairs(padding: readonly number[], rank: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = Array.from({length: rank}, () => [0, 0]);
  for (let k = 0; k < padding.length / 2; k++) {
    pairs[rank - 1 - k] = [padding[2 * k], padding[2 * k + 1]];
  }
  return pairs;
}

/** Output size of one dim: PyTorch allows 0 (everything cropped), not less. */
export function padOutputSize(inSize: number, before: number, after: number): number {
  return inSize + before + after;
}

// Note [pad source index]
// For output position o of a dim of size n padded by (before, after), i = o - before is the
// position in the input. Inside [0, n) it is read as is; outside:
//   reflect    mirrors around the edge elements without repeating them (-1 -> 1, n -> n - 2),
//              always relative to the uncropped input (a negative `before` crops, the mirror
//              edge stays the input's): PyTorch requires each positive pad < n;
//   replicate  clamps to [0, n - 1], any pad size, relative to the uncropped input;
//   circular   wraps, but PyTorch's _pad_circular crops the negative sides first and wraps the
//              cropped tensor of size m = n + min(before, 0) + min(after, 0), with each
//              positive pad <= m ("wrapping around more than once" otherwise).
/** The input position output position `o` reads; -1 for 'constant''s fill value. */
export function padSourceIndex(
    mode: PadMode, o: number, n: number, before: number, after: number): number {
  if (mode === 'constant') {
    const i = o - before;
    return i >= 0 && i < n ? i : -1;
  }
  if (mode === 'circular') {
    const cropBefore = Math.max(-before, 0);
    const m = n - cropBefore - Math.max(-after, 0);
    const j = o - Math.max(before, 0);
    return cropBefore + (((j % m) + m) % m);
  }
  const i = o - before;
  if (mode === 'replicate') return Math.min(Math.max(i, 0), n - 1);
  if (n === 1) return 0;
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

/**
 * Why PyTorch rejects padding one dim of size n by (before, after) in `mode`, or null. Checked
 * before any work (the source indices above assume it).
 */
export function padDimError(mode: PadMode, n: number, before: number, after: number): string|null {
  const out = padOutputSize(n, before, after);
  if (out < 0) return `gives a negative output size ${out}`;
  if (mode === 'reflect' && (before >= n || after >= n)) {
    return `reflect padding must be smaller than the input size ${n}`;
  }
  if (mode === 'circular') {
    const m = n + Math.min(before, 0) + Math.min(after, 0);
    if (before > m || after > m) {
      return `circular padding wraps around more than once (pad larger than the ${
          m === n ? '' : 'cropped '}size ${m})`;
    }
  }
  if (mode !== 'constant' && out > 0 && n === 0) return 'cannot pad an empty dim';
  return null;
}

/** Source indices of every output position of one dim (-1: the fill value of 'constant'). */
export function padSourceTable(
    mode: PadMode, n: number, before: number, after: number): Int32Array {
  const out = padOutputSize(n, before, after);
  const table = new Int32Array(Math.max(out, 0));
  for (let o = 0; o < out; o++) table[o] = padSourceIndex(mode, o, n, before, after);
  return table;
}

// Note [pad gradient as gathers]
// Padding gathers: output o of a dim reads input table[o]. Its gradient adds dy[o] into input
// table[o], so an input element read k times (a border element that reflect, replicate or
// circular copies) sums k upstream values. tfjs's own gradient of gather is an
// UnsortedSegmentSum, which some backends lack (tfjs-backend-wasm 4.22), so the pad layer runs
// the transpose as gathers too: for each input position, the list of output positions that read
// it, split into `rows` tables (row k holds each input position's k-th reader, or `m`, an
// appended zero, where it has fewer). The gradient is the sum over rows of gather(dy ++ [0], row).
// Rows: 1 for an interior-only table, up to 2 (reflect, circular) or pad + 1 (replicate's edge).
/**
 * The gather tables of the transpose of the gather `table` (entries in [0, n), or >= n for
 * positions that read no input), padding with m = table.length (the zero appended to dy).
 */
export function gatherTransposeTables(table: Int32Array, n: number): Int32Array[] {
  const m = table.length;
  const readers: number[][] = Array.from({length: n}, () => []);
  table.forEach((src, o) => {
    if (src >= 0 && src < n) readers[src].push(o);
  });
  const rows = Math.max(1, ...readers.map((r) => r.length));
  return Array.from({length: rows}, (_, k) => Int32Array.from(readers, (r) => r[k] ?? m));
}

// Note [pad plan]
// The Pad kernel pads each axis of the tensor as given (pairs already in tfjs axis order). Every
// backend first merges runs of adjacent unpadded axes into one (their elements stay contiguous),
// so NHWC with padded H and W is [N, H, W, C] and NCHW is [N*C, H, W]: fewer axes for the
// shaders' index arithmetic and longer contiguous copies for the cpu / wasm loop. The plan is
// shapes and pairs only; the source index of each output position is padSourceIndex above.
export interface PadPlan {
  /** The input's shape with adjacent unpadded axes merged. */
  inShape: number[];
  /** [before, after] per merged axis (0, 0 for a merged unpadded run). */
  pairs: Array<[number, number]>;
  /** The output's shape, merged as inShape. */
  outShape: number[];
}

/** Merges adjacent unpadded axes of `shape` padded by `pairs` (Note [pad plan]). */
export function padPlan(shape: readonly number[], pairs: ReadonlyArray<readonly number[]>): PadPlan {
  const inShape: number[] = [];
  const merged: Array<[number, number]> = [];
  let run = false;
  shape.forEach((n, a) => {
    const [b, e] = pairs[a];
    const padded = b !== 0 || e !== 0;
    if (!padded && run) {
      inShape[inShape.length - 1] *= n;
      return;
    }
    inShape.push(n);
    merged.push([b, e]);
    run = !padded;
  });
  if (inShape.length === 0) {
    inShape.push(1);
    merged.push([0, 0]);
  }
  const outShape = inShape.map((n, a) => padOutputSize(n, merged[a][0], merged[a][1]));
  return {inShape, pairs: merged, outShape};
}

/**
 * Runs of one padded axis's output positions: `src` >= 0 starts `length` consecutive source
 * positions (copied as one block), src = -1 is `length` positions of the fill value. The cpu
 * and wasm kernels copy a run per row instead of one element at a time.
 */
export interface PadRun {
  out: number;
  src: number;
  length: number;
}

/** The runs of a source table (padSourceTable). */
export function padRuns(table: Int32Array): PadRun[] {
  const runs: PadRun[] = [];
  for (let o = 0; o < table.length; o++) {
    const t = table[o];
    const last = runs[runs.length - 1];
    if (last != null &&
        ((t < 0 && last.src < 0) || (t >= 0 && last.src >= 0 && last.src + last.length === t))) {
      last.length++;
    } else {
      runs.push({out: o, src: t < 0 ? -1 : t, length: 1});
    }
  }
  return runs;
}
