// WebAssembly SIMD loops that run on tfjs-backend-wasm's own heap: each is a module of its own
// (kernels/cpu/wasm_assembler.ts) that imports the backend's WebAssembly.Memory, so it reads and
// writes the tensors where they lie, with no copy in or out and no view to go stale (Note [wasm
// heap views]: a memory that grows is still the same memory to an instance that imports it).
// Addresses are byte offsets into that heap (a view's byteOffset).
//
// - poolLast(x, v, i, n, cBytes, xStep, taps, nTaps, first, idxStep, outRows, xRowStep,
//   firstRowStep): max pooling with PyTorch's indices over outRows output rows of a channelsLast
//   tensor (row r starts at x + r xRowStep, index first + r firstRowStep; the outputs of the rows
//   follow each other), 4 channels per vector. For each of the
//   n outputs, the window's taps are the table `taps` of nTaps pairs (byte offset from the
//   window's first value, plane offset from its first index), in PyTorch's scan order; the
//   window starts at x (plane index `first`), and the next output's at x + xStep (index first +
//   idxStep). Values go to v, indices to i (cBytes = 4 C bytes per output).
// - poolFirst2(x, v, i, n, rows, nRows, first, outRows, xRowStep, firstRowStep): the same over
//   outRows output rows of a channelsFirst
//   plane whose windows are two wide with stride 2 along W (kernel 2, stride 2, dilation 1): 4
//   neighbouring outputs per vector, from 8 neighbouring inputs of each window row split into
//   even and odd lanes. `rows` is the table of the nRows window rows (byte offset, plane offset).
// - poolFirst22(x, v, i, n, outRows, xRowStep, first, firstRowStep, rowBytes, rowIdx): the
//   same for 2x2 windows with stride 2 along W (rows rowBytes apart in the input, rowIdx in the
//   plane: dilation along H), unrolled: each window row's pair picks its maximum, then the
//   bottom pair's winner takes over the top's where it is greater or NaN. That tree gives the
//   scan's answer: a later tap wins only where it is greater or NaN, so a tie keeps the earlier
//   one and the last NaN wins, pair by pair and between the pairs. Per output row it makes two
//   passes: the top window row's winners go to the output row, then the bottom row's pass reads
//   them back (a row of a few KiB, still in L1) and takes over. So the input is read front to
//   back as one stream; reading both window rows side by side made two streams that restart
//   every input row, and cost as much again as the work (1.9x tfjs's values-only maxPool on
//   [1,64,256,256], 1.1x in two passes).
// - nearestPlanes(x, y, planes, inPlane, rows, nRows, rowBytes, cols, outW, kind, cBytes): a
//   whole nearest resize in one call: for each of `planes` input planes (inPlane bytes apart)
//   its nRows output rows of rowBytes, one after the other from y; `rows` holds each output
//   row's source row (byte offset in the plane), or -1 where it is the previous output row's
//   (then a copy of that row); `cols` holds each output column's source (byte offset in the
//   row). A row is, by kind: 0, whole pixels of cBytes copied (channelsLast; a row that the next
//   output row repeats is written to both rows in the same pass); 1, 4-byte values gathered
//   (channelsFirst); 2, each value twice, 8 outputs per two vector stores (channelsFirst 2x,
//   cols unused).
//   It copies bits (float32 or int32), as PyTorch's nearest does.
// - linearRow(x, s, outW, cBytes, colTab): one input row of a channelsLast image at x resized
//   along W into s: s[o] = w0 x[i0] + w1 x[i1] per output pixel o, 4 channels per vector, where
//   colTab holds per output pixel the byte offsets of its two input pixels and the weights w0,
//   w1 (float32), 16 bytes an entry.
// - blendRows(a, b, y, bytes, hw): y = h0 a + h1 b over `bytes` bytes of float32, with h0, h1 the
//   two floats at hw. blendRows2(a, b, y, bytes, hw): two output rows from the same a and b, y
//   with the weights at hw and y + bytes with the two floats after them (each input vector
//   loaded once: the two output rows of a 2x upscale between the same input rows).
//   linearBlend2(x, s, outW, cBytes, colTab, top, y, bytes, hw): linearRow of x into s and, in
//   the same pass, blendRows2(top, s, y, bytes, hw) (each new value blended while in a register:
//   the pairs of output rows of a 2x upscale after the first, whose top row is already resized;
//   15% less time than the two calls, same bits).
//   Together: a 2-D linear resize in PyTorch's formula over every tap (Note [taps PyTorch
//   evaluates]), h0 (w0 x00 + w1 x01) + h1 (w0 x10 + w1 x11) in float32, each resized input row
//   computed once and blended into every output row that reads it.
// - addSpans(g, row, n, gStep, oStep, spanBytes): row[0, spanBytes) += g[0, spanBytes), n
//   times, g advancing by gStep bytes and row by oStep (float32; the spans may overlap, each added
//   after the one before): one kernel row of a transposed convolution's per-tap products
//   scattered onto an output row (kernels/wasm/conv_transpose_phases.ts).
// - allFinite(x, n): 1 when the n floats at x are all finite (x - x is 0 for a finite x, NaN for
//   Inf and NaN; the differences are OR-ed together), else 0.
//
// Note [max and ties] (src/index_math/pool.ts) with vector selects: a tap wins where it is
// greater or NaN. PyTorch's loop starts at -Infinity with the first tap's index, which the first
// tap then always takes over or keeps (when it is -Infinity itself: the same bits), so the loops
// start from the first tap itself.
// The value stored is the winning tap's bits (bitselect), PyTorch's bit for bit.
import * as tf from '@tensorflow/tfjs-core';
import {assembleFunction, I32, op, uleb, V128, vec} from '../cpu/wasm_assembler.js';
import type {WasmBackend} from './util.js';

/**
 * tfjs flag: whether the wasm kernels run these loops (default true; where they cannot run, the
 * kernels fall back by themselves). Tests turn it off to run the fallbacks: the cpu cores on heap
 * views, and tfjs's ResizeBilinear after a JavaScript finiteness scan.
 */
export const WASM_SIMD_LOOPS_FLAG = 'TORCH_WASM_SIMD_LOOPS';
tf.env().registerFlag(WASM_SIMD_LOOPS_FLAG, () => true);

type I = number;
export interface SimdLoops {
  poolLast(x: I, v: I, i: I, n: I, cBytes: I, xStep: I, taps: I, nTaps: I, first: I, idxStep: I,
           outRows: I, xRowStep: I, firstRowStep: I): void;
  poolFirst2(x: I, v: I, i: I, n: I, rows: I, nRows: I, first: I, outRows: I, xRowStep: I,
             firstRowStep: I): void;
  poolFirst22(x: I, v: I, i: I, n: I, outRows: I, xRowStep: I, first: I, firstRowStep: I,
              rowBytes: I, rowIdx: I): void;
  nearestPlanes(x: I, y: I, planes: I, inPlane: I, rows: I, nRows: I, rowBytes: I, cols: I,
                outW: I, kind: I, cBytes: I): void;
  linearRow(x: I, s: I, outW: I, cBytes: I, colTab: I): void;
  linearBlend2(x: I, s: I, outW: I, cBytes: I, colTab: I, top: I, y: I, bytes: I, hw: I): void;
  blendRows(a: I, b: I, y: I, bytes: I, hw: I): void;
  blendRows2(a: I, b: I, y: I, bytes: I, hw: I): void;
  allFinite(x: I, n: I): number;
  addSpans(g: I, row: I, n: I, gStep: I, oStep: I, spanBytes: I): void;
}

/**
 * One tap of a window: val = the tap's value(s) (on the stack already stored in local `val`),
 * idxExpr pushes the tap's index vector. Updates best and idx.
 */
function tapStep(val: number, best: number, idx: number, win: number, idxExpr: number[]): number[] {
  return [
    ...op.get(val), ...op.get(best), ...op.fx4Gt,
    ...op.get(val), ...op.get(val), ...op.fx4Ne, ...op.vOr, ...op.set(win),
    ...op.get(val), ...op.get(best), ...op.get(win), ...op.vBitselect, ...op.set(best),
    ...idxExpr, ...op.get(idx), ...op.get(win), ...op.vBitselect, ...op.set(idx),
  ];
}

function poolLastBody(): number[] {
  // Parameters (x and first: the first row's).
  const xr = 0, v = 1, i = 2, n = 3, cBytes = 4, xStep = 5, taps = 6, nTaps = 7, fr = 8,
        idxStep = 9, rows = 10, xRowStep = 11, firstRowStep = 12;
  const c = 13, p = 14, pEnd = 15, cFull = 16, at = 17, x = 18, first = 19, m = 20;
  const numI32 = 8;
  const best = 21, idx = 22, val = 23, win = 24;
  const numV128 = 4;
  /** One window over the channels at x + c, `wide` 4 lanes, else 1. */
  const window = (wide: boolean): number[] => [
    // The first tap (offsets 0, 0) starts the window (Note [max and ties] above).
    ...op.get(x), ...op.get(c), ...op.add, ...op.tee(at),
    ...(wide ? op.vLoad(0) : op.vLoad32Zero(0)), ...op.set(best),
    ...op.get(first), ...op.i32x4Splat, ...op.set(idx),
    ...op.get(taps), ...op.i32(8), ...op.add, ...op.set(p),
    ...op.block(op.loop([
      ...op.get(p), ...op.get(pEnd), ...op.geU, ...op.brIf(1),
      ...op.get(at), ...op.get(p), ...op.i32Load(0), ...op.add,
      ...(wide ? op.vLoad(0) : op.vLoad32Zero(0)), ...op.set(val),
      ...tapStep(val, best, idx, win,
                 [...op.get(first), ...op.get(p), ...op.i32Load(4), ...op.add, ...op.i32x4Splat]),
      ...op.get(p), ...op.i32(8), ...op.add, ...op.set(p),
      ...op.br(0),
    ])),
    ...op.get(v), ...op.get(c), ...op.add, ...op.get(best),
    ...(wide ? op.vStore(0) : op.vStore32Lane(0, 0)),
    ...op.get(i), ...op.get(c), ...op.add, ...op.get(idx),
    ...(wide ? op.vStore(0) : op.vStore32Lane(0, 0)),
    ...op.get(c), ...op.i32(wide ? 16 : 4), ...op.add, ...op.set(c),
  ];
  const body = [
    ...op.get(taps), ...op.get(nTaps), ...op.i32(3), ...op.shl, ...op.add, ...op.set(pEnd),
    ...op.get(cBytes), ...op.i32(-16), ...op.and, ...op.set(cFull),
    ...op.block(op.loop([
      ...op.get(rows), ...op.i32(1), ...op.ltS, ...op.brIf(1),
      ...op.get(xr), ...op.set(x), ...op.get(fr), ...op.set(first), ...op.get(n), ...op.set(m),
      ...op.block(op.loop([
        ...op.get(m), ...op.i32(1), ...op.ltS, ...op.brIf(1),
        ...op.i32(0), ...op.set(c),
        ...op.block(op.loop([
          ...op.get(c), ...op.get(cFull), ...op.geS, ...op.brIf(1),
          ...window(true),
          ...op.br(0),
        ])),
        ...op.block(op.loop([
          ...op.get(c), ...op.get(cBytes), ...op.geS, ...op.brIf(1),
          ...window(false),
          ...op.br(0),
        ])),
        ...op.get(x), ...op.get(xStep), ...op.add, ...op.set(x),
        ...op.get(v), ...op.get(cBytes), ...op.add, ...op.set(v),
        ...op.get(i), ...op.get(cBytes), ...op.add, ...op.set(i),
        ...op.get(first), ...op.get(idxStep), ...op.add, ...op.set(first),
        ...op.get(m), ...op.i32(1), ...op.sub, ...op.set(m),
        ...op.br(0),
      ])),
      ...op.get(xr), ...op.get(xRowStep), ...op.add, ...op.set(xr),
      ...op.get(fr), ...op.get(firstRowStep), ...op.add, ...op.set(fr),
      ...op.get(rows), ...op.i32(1), ...op.sub, ...op.set(rows),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(numI32), I32], [...uleb(numV128), V128]]), ...body, 0x0b];
}

// Byte indices of i8x16.shuffle taking the even / odd floats of two vectors (a0..a3, b0..b3).
const lanesOf = (floats: number[]) => floats.flatMap((f) => [4 * f, 4 * f + 1, 4 * f + 2, 4 * f + 3]);
const EVEN = lanesOf([0, 2, 4, 6]);
const ODD = lanesOf([1, 3, 5, 7]);

function poolFirst2Body(): number[] {
  const xr = 0, v = 1, i = 2, n = 3, rows = 4, nRows = 5, fr = 6, outRows = 7, xRowStep = 8,
        firstRowStep = 9;
  const p = 10, pEnd = 11, at = 12, x = 13, first = 14, m = 15;
  const numI32 = 6;
  const best = 16, idx = 17, val = 18, win = 19, a = 20, b = 21, base = 22, rowIdx = 23;
  const numV128 = 8;
  /** 4 outputs (`wide`) or 1 from x. */
  const group = (wide: boolean): number[] => {
  /** The window row at p: its 8 (or 2) values in a and b, its first taps' indices in rowIdx. */
  const loadRow = [
    ...op.get(x), ...op.get(p), ...op.i32Load(0), ...op.add, ...op.set(at),
    ...(wide ? [...op.get(at), ...op.vLoad(0), ...op.set(a), ...op.get(at), ...op.vLoad(16), ...op.set(b)] :
               [...op.get(at), ...op.vLoad64Zero(0), ...op.set(a), ...op.vZero, ...op.set(b)]),
    ...op.get(base), ...op.get(p), ...op.i32Load(4), ...op.i32x4Splat, ...op.ix4Add, ...op.set(rowIdx),
  ];
  return [
    ...op.get(first), ...op.i32x4Splat, ...op.vConstI32([0, 2, 4, 6]), ...op.ix4Add, ...op.set(base),
    ...op.get(rows), ...op.set(p),
    ...loadRow,
    // The first row's even tap starts the window (Note [max and ties] above).
    ...op.get(a), ...op.get(b), ...op.shuffle(EVEN), ...op.set(best),
    ...op.get(rowIdx), ...op.set(idx),
    ...op.block(op.loop([
      ...op.get(a), ...op.get(b), ...op.shuffle(ODD), ...op.set(val),
      ...tapStep(val, best, idx, win,
                 [...op.get(rowIdx), ...op.vConstI32([1, 1, 1, 1]), ...op.ix4Add]),
      ...op.get(p), ...op.i32(8), ...op.add, ...op.set(p),
      ...op.get(p), ...op.get(pEnd), ...op.geU, ...op.brIf(1),
      ...loadRow,
      ...op.get(a), ...op.get(b), ...op.shuffle(EVEN), ...op.set(val),
      ...tapStep(val, best, idx, win, op.get(rowIdx)),
      ...op.br(0),
    ])),
    ...op.get(v), ...op.get(best), ...(wide ? op.vStore(0) : op.vStore32Lane(0, 0)),
    ...op.get(i), ...op.get(idx), ...(wide ? op.vStore(0) : op.vStore32Lane(0, 0)),
    ...op.get(x), ...op.i32(wide ? 32 : 8), ...op.add, ...op.set(x),
    ...op.get(v), ...op.i32(wide ? 16 : 4), ...op.add, ...op.set(v),
    ...op.get(i), ...op.i32(wide ? 16 : 4), ...op.add, ...op.set(i),
    ...op.get(first), ...op.i32(wide ? 8 : 2), ...op.add, ...op.set(first),
    ...op.get(m), ...op.i32(wide ? 4 : 1), ...op.sub, ...op.set(m),
  ];
  };
  const body = [
    ...op.get(rows), ...op.get(nRows), ...op.i32(3), ...op.shl, ...op.add, ...op.set(pEnd),
    ...op.block(op.loop([
      ...op.get(outRows), ...op.i32(1), ...op.ltS, ...op.brIf(1),
      ...op.get(xr), ...op.set(x), ...op.get(fr), ...op.set(first), ...op.get(n), ...op.set(m),
      ...op.block(op.loop([
        ...op.get(m), ...op.i32(4), ...op.ltS, ...op.brIf(1),
        ...group(true),
        ...op.br(0),
      ])),
      ...op.block(op.loop([
        ...op.get(m), ...op.i32(1), ...op.ltS, ...op.brIf(1),
        ...group(false),
        ...op.br(0),
      ])),
      ...op.get(xr), ...op.get(xRowStep), ...op.add, ...op.set(xr),
      ...op.get(fr), ...op.get(firstRowStep), ...op.add, ...op.set(fr),
      ...op.get(outRows), ...op.i32(1), ...op.sub, ...op.set(outRows),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(numI32), I32], [...uleb(numV128), V128]]), ...body, 0x0b];
}

function poolFirst22Body(): number[] {
  const xr = 0, v = 1, i = 2, n = 3, outRows = 4, xRowStep = 5, fr = 6, firstRowStep = 7,
        rowBytes = 8, rowIdx = 9;
  const x = 10, m = 11, vv = 12, ii = 13;
  const numI32 = 4;
  const e = 14, o = 15, win = 16, pv = 17, pi = 18, base = 19, a = 20, step4 = 21, step1 = 22;
  const numV128 = 9;
  /** Where the tap in local t wins over the one in local u (greater, or NaN): into mask. */
  const wins = (t: number, u: number, mask: number) => [
    ...op.get(t), ...op.get(u), ...op.fx4Gt, ...op.get(t), ...op.get(t), ...op.fx4Ne, ...op.vOr,
    ...op.set(mask),
  ];
  const load = (wide: boolean, off = 0) => (wide ? op.vLoad(off) : op.vLoad32Zero(off));
  const store = (wide: boolean) => (wide ? op.vStore(0) : op.vStore32Lane(0, 0));
  /**
   * The pairs of one window row from x, 4 (`wide`) or 1: the pair's winner into o (value) and
   * e (index: base, + 1 where the odd tap won).
   */
  const pairs = (wide: boolean) => [
    ...(wide ? [
      ...op.get(x), ...op.vLoad(0), ...op.set(a),
      ...op.get(a), ...op.get(x), ...op.vLoad(16), ...op.tee(o), ...op.shuffle(EVEN), ...op.set(e),
      ...op.get(a), ...op.get(o), ...op.shuffle(ODD), ...op.set(o),
    ] : [
      ...op.get(x), ...op.vLoad64Zero(0), ...op.tee(a), ...op.get(a), ...op.shuffle(EVEN), ...op.set(e),
      ...op.get(a), ...op.get(a), ...op.shuffle(ODD), ...op.set(o),
    ]),
    ...wins(o, e, win),
    ...op.get(o), ...op.get(e), ...op.get(win), ...op.vBitselect, ...op.set(o),
    ...op.get(base), ...op.get(win), ...op.ix4Sub, ...op.set(e),
  ];
  /** Steps x, vv, ii, base, m past 4 outputs (`wide`) or 1. */
  const advance = (wide: boolean) => [
    ...op.get(base), ...op.get(wide ? step4 : step1), ...op.ix4Add, ...op.set(base),
    ...op.get(x), ...op.i32(wide ? 32 : 8), ...op.add, ...op.set(x),
    ...op.get(vv), ...op.i32(wide ? 16 : 4), ...op.add, ...op.set(vv),
    ...op.get(ii), ...op.i32(wide ? 16 : 4), ...op.add, ...op.set(ii),
    ...op.get(m), ...op.i32(wide ? 4 : 1), ...op.sub, ...op.set(m),
  ];
  /** The top row's pair winners, stored as the output row. */
  const top = (wide: boolean) => [
    ...pairs(wide),
    ...op.get(vv), ...op.get(o), ...store(wide),
    ...op.get(ii), ...op.get(e), ...store(wide),
    ...advance(wide),
  ];
  /** The bottom row's pair winners, taking over the stored ones where greater or NaN. */
  const bottom = (wide: boolean) => [
    ...pairs(wide),
    ...op.get(vv), ...load(wide), ...op.set(pv),
    ...op.get(ii), ...load(wide), ...op.set(pi),
    ...wins(o, pv, win),
    ...op.get(vv), ...op.get(o), ...op.get(pv), ...op.get(win), ...op.vBitselect, ...store(wide),
    ...op.get(ii), ...op.get(e), ...op.get(pi), ...op.get(win), ...op.vBitselect, ...store(wide),
    ...advance(wide),
  ];
  /** One pass over a window row starting at byte xAt, plane index fAt, with `step`. */
  const pass = (xAt: number[], fAt: number[], step: (wide: boolean) => number[]) => [
    ...xAt, ...op.set(x), ...op.get(v), ...op.set(vv), ...op.get(i), ...op.set(ii),
    ...op.get(n), ...op.set(m),
    ...fAt, ...op.i32x4Splat, ...op.vConstI32([0, 2, 4, 6]), ...op.ix4Add, ...op.set(base),
    ...op.block(op.loop([
      ...op.get(m), ...op.i32(4), ...op.ltS, ...op.brIf(1),
      ...step(true),
      ...op.br(0),
    ])),
    ...op.block(op.loop([
      ...op.get(m), ...op.i32(1), ...op.ltS, ...op.brIf(1),
      ...step(false),
      ...op.br(0),
    ])),
  ];
  const body = [
    // Index steps of 4 outputs and of 1 (8 and 2 input columns).
    ...op.vConstI32([8, 8, 8, 8]), ...op.set(step4), ...op.vConstI32([2, 2, 2, 2]), ...op.set(step1),
    ...op.block(op.loop([
      ...op.get(outRows), ...op.i32(1), ...op.ltS, ...op.brIf(1),
      // The window's top row, then its bottom row: each input row is read front to back once,
      // one stream (two rows side by side make two short streams, which prefetch worse).
      ...pass(op.get(xr), op.get(fr), top),
      ...pass([...op.get(xr), ...op.get(rowBytes), ...op.add],
              [...op.get(fr), ...op.get(rowIdx), ...op.add], bottom),
      ...op.get(v), ...op.get(n), ...op.i32(2), ...op.shl, ...op.add, ...op.set(v),
      ...op.get(i), ...op.get(n), ...op.i32(2), ...op.shl, ...op.add, ...op.set(i),
      ...op.get(xr), ...op.get(xRowStep), ...op.add, ...op.set(xr),
      ...op.get(fr), ...op.get(firstRowStep), ...op.add, ...op.set(fr),
      ...op.get(outRows), ...op.i32(1), ...op.sub, ...op.set(outRows),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(numI32), I32], [...uleb(numV128), V128]]), ...body, 0x0b];
}

function allFiniteBody(): number[] {
  const x = 0, n = 1;
  const end = 2, fullEnd = 3;
  const acc = 4, acc2 = 5, v = 6, w = 7;
  /** acc |= (value at x + offset) - itself, through local `into`. */
  const diff = (load: number[], into: number, to: number) =>
      [...op.get(x), ...load, ...op.tee(into), ...op.get(into), ...op.fx4Sub, ...op.get(to),
       ...op.vOr, ...op.set(to)];
  const body = [
    ...op.get(x), ...op.get(n), ...op.i32(2), ...op.shl, ...op.add, ...op.set(end),
    ...op.get(x), ...op.get(n), ...op.i32(-8), ...op.and, ...op.i32(2), ...op.shl, ...op.add,
    ...op.set(fullEnd),
    ...op.vZero, ...op.set(acc), ...op.vZero, ...op.set(acc2),
    // 8 floats a step, two independent chains.
    ...op.block(op.loop([
      ...op.get(x), ...op.get(fullEnd), ...op.geU, ...op.brIf(1),
      ...diff(op.vLoad(0), v, acc),
      ...diff(op.vLoad(16), w, acc2),
      ...op.get(x), ...op.i32(32), ...op.add, ...op.set(x),
      ...op.br(0),
    ])),
    ...op.block(op.loop([
      ...op.get(x), ...op.get(end), ...op.geU, ...op.brIf(1),
      ...diff(op.vLoad32Zero(0), v, acc),
      ...op.get(x), ...op.i32(4), ...op.add, ...op.set(x),
      ...op.br(0),
    ])),
    ...op.get(acc), ...op.get(acc2), ...op.vOr, ...op.vAnyTrue, ...op.eqz,
  ];
  return [...vec([[...uleb(2), I32], [...uleb(4), V128]]), ...body, 0x0b];
}

function addSpansBody(): number[] {
  const g = 0, row = 1, n = 2, gStep = 3, oStep = 4, spanBytes = 5;
  const end = 6, t = 7, full = 8;
  const at = (base: number) => [...op.get(base), ...op.get(t), ...op.add];
  const body = [
    ...op.get(g), ...op.get(n), ...op.get(gStep), ...op.mul, ...op.add, ...op.set(end),
    ...op.get(spanBytes), ...op.i32(-16), ...op.and, ...op.set(full),
    ...op.block(op.loop([
      ...op.get(g), ...op.get(end), ...op.geU, ...op.brIf(1),
      ...op.i32(0), ...op.set(t),
      ...op.block(op.loop([
        ...op.get(t), ...op.get(full), ...op.geS, ...op.brIf(1),
        ...at(row), ...at(row), ...op.vLoad(0), ...at(g), ...op.vLoad(0), ...op.fx4Add,
        ...op.vStore(0),
        ...op.get(t), ...op.i32(16), ...op.add, ...op.set(t),
        ...op.br(0),
      ])),
      ...op.block(op.loop([
        ...op.get(t), ...op.get(spanBytes), ...op.geS, ...op.brIf(1),
        ...at(row), ...at(row), ...op.f32Load(0), ...at(g), ...op.f32Load(0), ...op.f32Add,
        ...op.f32Store(0),
        ...op.get(t), ...op.i32(4), ...op.add, ...op.set(t),
        ...op.br(0),
      ])),
      ...op.get(g), ...op.get(gStep), ...op.add, ...op.set(g),
      ...op.get(row), ...op.get(oStep), ...op.add, ...op.set(row),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(3), I32]]), ...body, 0x0b];
}

const PAIRS_LOW = lanesOf([0, 0, 1, 1]);
const PAIRS_HIGH = lanesOf([2, 2, 3, 3]);

function nearestPlanesBody(): number[] {
  const x = 0, y = 1, planes = 2, inPlane = 3, rows = 4, nRows = 5, rowBytes = 6, cols = 7,
        outW = 8, kind = 9, cBytes = 10;
  const rp = 11, rEnd = 12, src = 13, cp = 14, cEnd = 15, yy = 16, xx = 17, n = 18, d = 19,
        s = 20, e = 21, dup = 22;
  const numI32 = 12;
  const a = 23;
  /**
   * Stores the vector on the stack (in local a) at local `at` + off, and when `twice` also a row
   * further (the next output row, a repeat of this one).
   */
  const put = (at: number, off: number, twice: boolean, store: (o: number) => number[] = op.vStore) => [
    ...op.set(a), ...op.get(at), ...op.get(a), ...store(off),
    ...(twice ? [...op.get(at), ...op.get(rowBytes), ...op.add, ...op.get(a), ...store(off)] : []),
  ];
  /**
   * Copies `bytes` (a multiple of 4) from local s to
   * local d (both advanced): 64 bytes a step, then 16, then 4 (a short copy in vector loads and
   * stores costs less than a call of memory.copy); `twice`: to d and a row further.
   */
  const copy = (bytes: number[], twice: boolean) => {
    const step = (size: number, move: number[]) => op.block(op.loop([
      ...op.get(e), ...op.get(d), ...op.sub, ...op.i32(size), ...op.ltS, ...op.brIf(1),
      ...move,
      ...op.get(d), ...op.i32(size), ...op.add, ...op.set(d),
      ...op.get(s), ...op.i32(size), ...op.add, ...op.set(s),
      ...op.br(0),
    ]));
    const v = (off: number) => [...op.get(s), ...op.vLoad(off), ...put(d, off, twice)];
    return [
      ...op.get(d), ...bytes, ...op.add, ...op.set(e),
      ...step(64, [...v(0), ...v(16), ...v(32), ...v(48)]),
      ...step(16, v(0)),
      ...step(4, [...op.get(s), ...op.vLoad32Zero(0), ...put(d, 0, twice, (o) => op.vStore32Lane(o, 0))]),
    ];
  };
  const colLoop = (step: number[]) => [
    ...op.get(cols), ...op.set(cp), ...op.get(y), ...op.set(yy),
    ...op.block(op.loop([
      ...op.get(cp), ...op.get(cEnd), ...op.geU, ...op.brIf(1),
      ...step,
      ...op.get(cp), ...op.i32(4), ...op.add, ...op.set(cp),
      ...op.br(0),
    ])),
  ];
  // kind 0: whole pixels of cBytes (channelsLast); 1: 4-byte values (channelsFirst); 2: each
  // value twice (channelsFirst 2x). `twice`: the row also goes to the next output row.
  const pixels = (twice: boolean) => [
    ...op.get(y), ...op.set(d),
    ...colLoop([
      ...op.get(src), ...op.get(cp), ...op.i32Load(0), ...op.add, ...op.set(s),
      ...copy(op.get(cBytes), twice),
    ]),
  ];
  const lane = (o: number) => op.vStore32Lane(o, 0);
  const gather = (twice: boolean) => colLoop([
    ...op.get(src), ...op.get(cp), ...op.i32Load(0), ...op.add, ...op.vLoad32Zero(0),
    ...put(yy, 0, twice, lane),
    ...op.get(yy), ...op.i32(4), ...op.add, ...op.set(yy),
  ]);
  const double = (twice: boolean) => [
    ...op.get(src), ...op.set(xx), ...op.get(y), ...op.set(yy), ...op.get(outW), ...op.set(n),
    ...op.block(op.loop([
      ...op.get(n), ...op.i32(8), ...op.ltS, ...op.brIf(1),
      ...op.get(xx), ...op.vLoad(0), ...op.set(a),
      ...op.get(a), ...op.get(a), ...op.shuffle(PAIRS_HIGH),
      ...op.get(a), ...op.get(a), ...op.shuffle(PAIRS_LOW), ...put(yy, 0, twice),
      ...put(yy, 16, twice),
      ...op.get(xx), ...op.i32(16), ...op.add, ...op.set(xx),
      ...op.get(yy), ...op.i32(32), ...op.add, ...op.set(yy),
      ...op.get(n), ...op.i32(8), ...op.sub, ...op.set(n),
      ...op.br(0),
    ])),
    // The rest one input at a time (an odd n writes the last input once).
    ...op.block(op.loop([
      ...op.get(n), ...op.i32(1), ...op.ltS, ...op.brIf(1),
      ...op.get(xx), ...op.vLoad32Zero(0), ...put(yy, 0, twice, lane),
      ...op.get(n), ...op.i32(2), ...op.ltS, ...op.brIf(1),
      ...op.get(xx), ...op.vLoad32Zero(0), ...put(yy, 4, twice, lane),
      ...op.get(xx), ...op.i32(4), ...op.add, ...op.set(xx),
      ...op.get(yy), ...op.i32(8), ...op.add, ...op.set(yy),
      ...op.get(n), ...op.i32(2), ...op.sub, ...op.set(n),
      ...op.br(0),
    ])),
  ];
  /**
   * A channelsLast row from its source. Where the next output row repeats it (a 2x upscale),
   * both in one pass: each pixel read once and written twice, instead of the row read back for
   * a copy (12% less time at 2x; in channelsFirst rows, whose values are 4 bytes, writing two
   * rows at once cost more than the copy, so they keep it).
   */
  const pixelRows = [
    ...op.get(rp), ...op.i32(4), ...op.add, ...op.get(rEnd), ...op.ltU,
    ...op.ifElse([...op.get(rp), ...op.i32Load(4), ...op.i32(0), ...op.ltS, ...op.set(dup)],
                 [...op.i32(0), ...op.set(dup)]),
    ...op.get(dup),
    ...op.ifElse([
      ...pixels(true),
      ...op.get(y), ...op.get(rowBytes), ...op.add, ...op.set(y),
      ...op.get(rp), ...op.i32(4), ...op.add, ...op.set(rp),
    ], pixels(false)),
  ];
  const body = [
    ...op.get(cols), ...op.get(outW), ...op.i32(2), ...op.shl, ...op.add, ...op.set(cEnd),
    ...op.get(rows), ...op.get(nRows), ...op.i32(2), ...op.shl, ...op.add, ...op.set(rEnd),
    ...op.block(op.loop([
      ...op.get(planes), ...op.i32(1), ...op.ltS, ...op.brIf(1),
      ...op.get(rows), ...op.set(rp),
      ...op.block(op.loop([
        ...op.get(rp), ...op.get(rEnd), ...op.geU, ...op.brIf(1),
        ...op.get(rp), ...op.i32Load(0), ...op.tee(src), ...op.i32(0), ...op.ltS,
        ...op.ifElse([
          // The previous output row's source: a copy of that row.
          ...op.get(y), ...op.set(d), ...op.get(y), ...op.get(rowBytes), ...op.sub, ...op.set(s),
          ...copy(op.get(rowBytes), false),
        ], [
          ...op.get(x), ...op.get(src), ...op.add, ...op.set(src),
          ...op.get(kind), ...op.eqz,
          ...op.ifElse(pixelRows, [
            ...op.get(kind), ...op.i32(1), ...op.sub, ...op.eqz,
            ...op.ifElse(gather(false), double(false)),
          ]),
        ]),
        ...op.get(y), ...op.get(rowBytes), ...op.add, ...op.set(y),
        ...op.get(rp), ...op.i32(4), ...op.add, ...op.set(rp),
        ...op.br(0),
      ])),
      ...op.get(x), ...op.get(inPlane), ...op.add, ...op.set(x),
      ...op.get(planes), ...op.i32(1), ...op.sub, ...op.set(planes),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(numI32), I32], [...uleb(1), V128]]), ...body, 0x0b];
}

/**
 * linearRow, or (`fused`) linearBlend2: the row resized along W into s as linearRow does, and in
 * the same pass blended with the resized row at `top` into two output rows, y and y + bytes,
 * as blendRows2(top, s, y, bytes, hw) would (each new value used while still in a register).
 */
function linearRowBody(fused: boolean): number[] {
  const x = 0, s0 = 1, outW = 2, cBytes = 3, tab0 = 4, top0 = 5, y0 = 6, bytes = 7, hw = 8;
  const L = fused ? 9 : 5;
  const colEnd = L, c = L + 1, cFull = L + 2, o0 = L + 3, o1 = L + 4, a0 = L + 5, a1 = L + 6,
        cWide = L + 7, s = L + 8, colTab = L + 9, t = L + 10, y = L + 11;
  const numI32 = 12;
  const w0 = L + 12, w1 = L + 13, h0 = L + 14, h1 = L + 15, g0 = L + 16, g1 = L + 17, vb = L + 18,
        vt = L + 19;
  const numV128 = fused ? 8 : 2;
  const load = (wide: boolean, off: number) => (wide ? op.vLoad(off) : op.vLoad32Zero(off));
  const store = (wide: boolean, off: number) => (wide ? op.vStore(off) : op.vStore32Lane(off, 0));
  /**
   * s (+ off) = w0 x[o0 + c (+ off)] + w1 x[o1 + c (+ off)], with a0 = x + o0 + c, a1 = x + o1 +
   * c; fused: then y (+ off) = h0 top + h1 s and (y + bytes) (+ off) = g0 top + g1 s there.
   */
  const lanes = (off: number, wide: boolean): number[] => [
    ...op.get(s),
    ...op.get(w0), ...op.get(a0), ...load(wide, off), ...op.fx4Mul,
    ...op.get(w1), ...op.get(a1), ...load(wide, off), ...op.fx4Mul,
    ...op.fx4Add,
    ...(fused ? [
      ...op.tee(vb), ...store(wide, off),
      ...op.get(t), ...load(wide, off), ...op.set(vt),
      ...op.get(y),
      ...op.get(h0), ...op.get(vt), ...op.fx4Mul, ...op.get(h1), ...op.get(vb), ...op.fx4Mul,
      ...op.fx4Add, ...store(wide, off),
      ...op.get(y), ...op.get(bytes), ...op.add,
      ...op.get(g0), ...op.get(vt), ...op.fx4Mul, ...op.get(g1), ...op.get(vb), ...op.fx4Mul,
      ...op.fx4Add, ...store(wide, off),
    ] : store(wide, off)),
  ];
  const advance = (n: number) => (fused ? [s, c, t, y] : [s, c]).flatMap(
      (r) => [...op.get(r), ...op.i32(n), ...op.add, ...op.set(r)]);
  const step = (lanesCode: number[], n: number, end: number) => op.block(op.loop([
    ...op.get(c), ...op.get(end), ...op.geS, ...op.brIf(1),
    ...op.get(x), ...op.get(o0), ...op.add, ...op.get(c), ...op.add, ...op.set(a0),
    ...op.get(x), ...op.get(o1), ...op.add, ...op.get(c), ...op.add, ...op.set(a1),
    ...lanesCode,
    ...advance(n),
    ...op.br(0),
  ]));
  const body = [
    ...op.get(s0), ...op.set(s), ...op.get(tab0), ...op.set(colTab),
    ...(fused ? [
      ...op.get(top0), ...op.set(t), ...op.get(y0), ...op.set(y),
      ...op.get(hw), ...op.vSplat32(0), ...op.set(h0), ...op.get(hw), ...op.vSplat32(4), ...op.set(h1),
      ...op.get(hw), ...op.vSplat32(8), ...op.set(g0), ...op.get(hw), ...op.vSplat32(12), ...op.set(g1),
    ] : []),
    ...op.get(cBytes), ...op.i32(-16), ...op.and, ...op.set(cFull),
    ...op.get(cBytes), ...op.i32(-64), ...op.and, ...op.set(cWide),
    ...op.get(colTab), ...op.get(outW), ...op.i32(4), ...op.shl, ...op.add, ...op.set(colEnd),
    ...op.block(op.loop([
      ...op.get(colTab), ...op.get(colEnd), ...op.geU, ...op.brIf(1),
      ...op.get(colTab), ...op.i32Load(0), ...op.set(o0),
      ...op.get(colTab), ...op.i32Load(4), ...op.set(o1),
      ...op.get(colTab), ...op.vSplat32(8), ...op.set(w0),
      ...op.get(colTab), ...op.vSplat32(12), ...op.set(w1),
      ...op.i32(0), ...op.set(c),
      // 4 vectors a step, then single vectors, then single floats.
      ...step([...lanes(0, true), ...lanes(16, true), ...lanes(32, true), ...lanes(48, true)], 64, cWide),
      ...step(lanes(0, true), 16, cFull),
      ...step(lanes(0, false), 4, cBytes),
      ...op.get(colTab), ...op.i32(16), ...op.add, ...op.set(colTab),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(numI32), I32], [...uleb(numV128), V128]]), ...body, 0x0b];
}

/**
 * blendRows, or (`two`) blendRows2: the same two input rows blended into two output rows, y and
 * y + bytes, with the weights h0, h1 and then g0, g1 at hw (each vector of a and b loaded once).
 * 4 vectors a step, then single vectors, then single floats.
 */
function blendRowsBody(two: boolean): number[] {
  const a = 0, b = 1, y = 2, bytes = 3, hw = 4;
  const end = 5, fullEnd = 6, wideEnd = 7;
  const h0 = 8, h1 = 9, g0 = 10, g1 = 11, va = 12, vb = 13;
  /** The float32 at a, b (+ off) blended into y (+ off), and into y + bytes when `two`. */
  const one = (off: number, wide: boolean) => {
    const load = wide ? op.vLoad(off) : op.vLoad32Zero(off);
    const store = wide ? op.vStore(off) : op.vStore32Lane(off, 0);
    return [
      ...op.get(a), ...load, ...op.set(va), ...op.get(b), ...load, ...op.set(vb),
      ...op.get(y),
      ...op.get(h0), ...op.get(va), ...op.fx4Mul, ...op.get(h1), ...op.get(vb), ...op.fx4Mul,
      ...op.fx4Add, ...store,
      ...(two ? [
        ...op.get(y), ...op.get(bytes), ...op.add,
        ...op.get(g0), ...op.get(va), ...op.fx4Mul, ...op.get(g1), ...op.get(vb), ...op.fx4Mul,
        ...op.fx4Add, ...store,
      ] : []),
    ];
  };
  const advance = (n: number) =>
      [a, b, y].flatMap((r) => [...op.get(r), ...op.i32(n), ...op.add, ...op.set(r)]);
  const body = [
    ...op.get(hw), ...op.vSplat32(0), ...op.set(h0),
    ...op.get(hw), ...op.vSplat32(4), ...op.set(h1),
    ...(two ? [...op.get(hw), ...op.vSplat32(8), ...op.set(g0),
               ...op.get(hw), ...op.vSplat32(12), ...op.set(g1)] : []),
    ...op.get(y), ...op.get(bytes), ...op.add, ...op.set(end),
    ...op.get(y), ...op.get(bytes), ...op.i32(-16), ...op.and, ...op.add, ...op.set(fullEnd),
    ...op.get(y), ...op.get(bytes), ...op.i32(-64), ...op.and, ...op.add, ...op.set(wideEnd),
    ...op.block(op.loop([
      ...op.get(y), ...op.get(wideEnd), ...op.geU, ...op.brIf(1),
      ...one(0, true), ...one(16, true), ...one(32, true), ...one(48, true),
      ...advance(64),
      ...op.br(0),
    ])),
    ...op.block(op.loop([
      ...op.get(y), ...op.get(fullEnd), ...op.geU, ...op.brIf(1),
      ...one(0, true),
      ...advance(16),
      ...op.br(0),
    ])),
    ...op.block(op.loop([
      ...op.get(y), ...op.get(end), ...op.geU, ...op.brIf(1),
      ...one(0, false),
      ...advance(4),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(3), I32], [...uleb(6), V128]]), ...body, 0x0b];
}

/** The backend's WebAssembly.Memory (Emscripten's exports), or null where it is not reachable. */
function memoryOf(backend: WasmBackend): WebAssembly.Memory|null {
  const m = (backend as unknown as {wasm: {asm?: {memory?: unknown}, wasmExports?: {memory?: unknown}}}).wasm;
  const memory = m.asm?.memory ?? m.wasmExports?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * A set of loops over a wasm backend's heap, from `assemble(shared)` (each loop's module bytes by
 * name, for a shared or an unshared memory): the returned function gives the loops instantiated
 * on that backend's memory, or null where they cannot run (no WebAssembly SIMD, the heap's memory
 * not reachable, or WASM_SIMD_LOOPS_FLAG off), and the kernels then take their other paths. The
 * modules are compiled once per kind of memory, the instances made once per memory.
 */
export function heapLoops<T>(assemble: (shared: boolean) => Record<keyof T, Uint8Array<ArrayBuffer>>):
    (backend: WasmBackend) => T | null {
  const compiled = new Map<boolean, Record<keyof T, WebAssembly.Module>|null>();
  const instances = new WeakMap<WebAssembly.Memory, T|null>();
  const modules = (shared: boolean): Record<keyof T, WebAssembly.Module>|null => {
    if (compiled.has(shared)) return compiled.get(shared)!;
    let mods: Record<keyof T, WebAssembly.Module>|null = null;
    try {
      const bytes = assemble(shared);
      if (Object.values<Uint8Array<ArrayBuffer>>(bytes).every((b) => WebAssembly.validate(b))) {
        mods = Object.fromEntries(Object.entries<Uint8Array<ArrayBuffer>>(bytes).map(
            ([k, b]) => [k, new WebAssembly.Module(b)])) as Record<keyof T, WebAssembly.Module>;
      }
    } catch {
      mods = null;
    }
    compiled.set(shared, mods);
    return mods;
  };
  return (backend: WasmBackend): T|null => {
    if (!tf.env().getBool(WASM_SIMD_LOOPS_FLAG)) return null;
    const memory = memoryOf(backend);
    if (memory == null) return null;
    if (instances.has(memory)) return instances.get(memory)!;
    let loops: T|null = null;
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const mods = modules(shared);
      if (mods != null) {
        const imports = {env: {mem: memory}};
        loops = Object.fromEntries(Object.entries<WebAssembly.Module>(mods).map(
            ([k, m]) => [k, new WebAssembly.Instance(m, imports).exports[k]])) as unknown as T;
      }
    } catch {
      loops = null;
    }
    instances.set(memory, loops);
    return loops;
  };
}

/**
 * The SIMD loops over this backend's heap, or null where they cannot run (no WebAssembly SIMD,
 * the heap's memory not reachable): the kernels then run their JavaScript cores.
 */
export const simdLoops: (backend: WasmBackend) => SimdLoops | null = heapLoops<SimdLoops>((shared) => ({
  poolLast: assembleFunction('poolLast', 13, false, poolLastBody(), shared),
  poolFirst2: assembleFunction('poolFirst2', 10, false, poolFirst2Body(), shared),
  poolFirst22: assembleFunction('poolFirst22', 10, false, poolFirst22Body(), shared),
  nearestPlanes: assembleFunction('nearestPlanes', 11, false, nearestPlanesBody(), shared),
  linearRow: assembleFunction('linearRow', 5, false, linearRowBody(false), shared),
  linearBlend2: assembleFunction('linearBlend2', 9, false, linearRowBody(true), shared),
  blendRows: assembleFunction('blendRows', 5, false, blendRowsBody(false), shared),
  blendRows2: assembleFunction('blendRows2', 5, false, blendRowsBody(true), shared),
  allFinite: assembleFunction('allFinite', 2, true, allFiniteBody(), shared),
  addSpans: assembleFunction('addSpans', 6, false, addSpansBody(), shared),
}));
