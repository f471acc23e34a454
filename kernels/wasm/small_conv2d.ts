// A direct NHWC convolution in WebAssembly SIMD for few channels (FSRCNN's 1 -> 56 5x5, 56 -> 12
// and 12 -> 56 1x1, 12 -> 12 3x3), with the bias and the activation in its epilogue: the wasm
// fast path of the TorchConv2d kernel, which falls back to tfjs's FusedConv2D (XNNPACK) where
// smallConv2d returns null; and, with a group count, the wasm TorchGroupedConv2d kernel
// (kernels/wasm/GroupedConv2d.ts: ResNeXt's 32 groups of 8 to 64 channels), which falls back to
// one XNNPACK convolution per group.
//
// Groups: the same module with the input pixel stride (all in channels) and the output pixel and
// filter row stride (all out channels) baked in apart from the group's channel counts; one call per
// group, at the group's channel offset in the input, the filter, the bias and the output. So no
// group's channels are copied out and no outputs concatenated, and each call works through one
// group's filter (9 to 150 KiB) over the whole image.
//
// Why: XNNPACK's igemm runs output channels in tiles of 8, so 12 channels cost as 16, and a
// PReLU after it is one more pass over the output (tfjs's Prelu). Here the output channels are
// the vector lanes: a block of VB vectors (4 VB channels) times PB neighbouring output pixels
// of one output row sits in PB * VB accumulators; for every tap (kernel row i, column j, input
// channel ci) the VB filter vectors are loaded once (the filter [kh, kw, in, out] holds them side
// by side) and each of the PB input values is splat and multiplied into them. Out channels that
// are not a multiple of 4 (1 to 3) are one vector a block, the filter rows, bias and slopes padded
// with zeros to whole vectors in scratch, and the last vector stores only its lanes. Loops, outermost
// first: output rows, blocks of out channels, blocks of pixels (then single pixels), kernel rows
// (rowStride bytes apart: a run-time argument, so the image size and the vertical dilation are
// not baked in), kernel columns, in channels (U a step, unrolled). The code per step is small on
// purpose: with every tap unrolled (a few thousand instructions per block), 12 -> 12 3x3 took
// 2.2x XNNPACK's time; as loops, 0.66x. Then bias and activation, and one store per vector.
//
// Padding: the input is copied into a zero-bordered scratch tensor on the heap first (row copies:
// 5% of the time of FSRCNN's 12 -> 12 3x3 at 128x128, measured against a pre-padded input), so
// the loops have no bounds checks.
//
// Module classes: one module per (in channels, kernel, horizontal stride and dilation, out
// channels, VB, PB, U, and for groups the input and output pixel strides) (loop counts and immediate offsets), the last MAX_CLASSES of them kept,
// each compiled once and instantiated once per heap (heapLoops, kernels/wasm/simd.ts); image size, batch, vertical stride and dilation and padding are
// run-time arguments.
//
// Threads: one. Where XNNPACK has more than one (a threaded wasm build), null: measured only
// against XNNPACK on one thread (a grouped convolution then runs the per-group form; the
// capability's `now`, groupedOnePassNow, tells the TorchGroupedConv2d layer, which then runs it
// with its cached filters).
//
// Numerics (PyTorch's): the sum of the products in tap order in float32 (mul then add, no fused
// multiply-add), plus the bias; then 'relu' as x < 0 ? 0 : x (NaN stays NaN, -0 stays -0),
// 'leakyrelu' / 'prelu' as x > 0 ? x : a x (PyTorch's form: -0 times a negative slope is +0).
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {assembleFunction, I32, op, uleb, V128, vec} from '../cpu/wasm_assembler.js';
import {heapLoops} from './simd.js';

export interface SmallConv2dArgs {
  x: TensorInfo; filter: TensorInfo; bias: TensorInfo|null; preluWeights: TensorInfo|null;
  strides: [number, number]; pad: [number, number, number, number]; dilations: [number, number];
  activation: 'linear'|'relu'|'leakyrelu'|'prelu'; leakyreluAlpha: number;
  /**
   * A grouped convolution's group count (default 1): the filter is then [kh, kw, in / groups,
   * out] and out channel o reads the in channels of its group o / (out / groups).
   */
  groups?: number;
}

type I = number;
interface ConvRows {
  /**
   * nRows output rows: row r reads the input from x + r xRowStep (the window origin of its
   * first pixel), writes ow pixels of the out channels to y + r yRowStep. Filter at w, bias at
   * b, slopes at a (one float per out channel each); act 0 linear, 1 relu, 2 x > 0 ? x : a x.
   */
  convRows(x: I, w: I, b: I, a: I, y: I, ow: I, rowStride: I, act: I, nRows: I, xRowStep: I,
           yRowStep: I): void;
}

/** What a module bakes in (see the header). */
export interface ConvClass {
  cin: number; kh: number; kw: number; sw: number; dw: number; cout: number;
  /** Vectors of out channels per block (cout / 4 a multiple of it) and pixels per block. */
  vb: number; pb: number;
  /** In channels per unrolled group (divides cin). */
  u: number;
  /**
   * Channels of an input pixel and of an output pixel (also a filter row's, in floats): cin and
   * cout, or for a grouped convolution every group's (one call per group, at its channel offsets).
   */
  xc: number; yc: number;
}

const ACT = {linear: 0, relu: 1, leakyrelu: 2, prelu: 2} as const;

/** f32x4.lt and v128.andnot (not in the shared assembler's table). */
const fx4Lt = [0xfd, ...uleb(0x43)];
const vAndnot = [0xfd, ...uleb(0x4f)];

function convRowsBody(c: ConvClass): number[] {
  const {cin, kh, kw, sw, dw, cout, vb, pb, u, xc, yc} = c;
  // Parameters.
  const x0 = 0, w = 1, b = 2, a = 3, y0 = 4, ow = 5, rowStride = 6, act = 7, nRows = 8,
        xRowStep = 9, yRowStep = 10;
  // i32 locals.
  const cb = 11, xp = 12, yp = 13, m = 14, wb = 15, ab = 16, bb = 17, rp = 18, xr = 19, yr = 20,
        r = 21, wr = 22, ki = 23, kj = 24, kc = 25, tp = 26, cp = 27, wc = 28;
  const numI32 = 18;
  // v128 locals: accumulators acc(p, v), filter vectors, the splat input, a temporary.
  const V0 = 29;
  const acc = (p: number, v: number) => V0 + p * vb + v;
  const wv = (v: number) => V0 + pb * vb + v;
  const s = V0 + pb * vb + vb, t = s + 1, o = s + 2;
  const numV128 = pb * vb + vb + 3;
  const pixBytes = sw * xc * 4;
  const outPix = yc * 4;
  // Filter rows (and bias, slopes) padded to whole vectors; rem channels in the last one.
  const rem = cout % 4;
  const wRow = Math.ceil(yc / 4) * 16;

  /** One block of P pixels (P <= pb) and vb vectors at xp / yp / wb / bb / ab. */
  const block = (P: number, partial: boolean): number[] => {
    const code: number[] = [];
    for (let p = 0; p < P; p++) for (let v = 0; v < vb; v++) code.push(...op.vZero, ...op.set(acc(p, v)));
    // Taps: kernel rows (run-time loop, rp the row's first tap), kernel columns (run-time loop,
    // tp the tap's first in channel, wr its filter row), in channels (run-time loop over groups
    // of u, cp and wc; the u channels of a group unrolled).
    const group: number[] = [];
    for (let k = 0; k < u; k++) {
      for (let v = 0; v < vb; v++) group.push(...op.get(wc), ...op.vLoad(k * wRow + 16 * v), ...op.set(wv(v)));
      for (let p = 0; p < P; p++) {
        group.push(...op.get(cp), ...op.vSplat32(p * pixBytes + k * 4), ...op.set(s));
        for (let v = 0; v < vb; v++) {
          group.push(...op.get(acc(p, v)), ...op.get(s), ...op.get(wv(v)), ...op.fx4Mul, ...op.fx4Add,
                     ...op.set(acc(p, v)));
        }
      }
    }
    const channels = cin === u ? [...op.get(tp), ...op.set(cp), ...op.get(wr), ...op.set(wc), ...group] : [
      ...op.get(tp), ...op.set(cp), ...op.get(wr), ...op.set(wc), ...op.i32(cin / u), ...op.set(kc),
      ...op.loop([
        ...group,
        ...op.get(cp), ...op.i32(4 * u), ...op.add, ...op.set(cp),
        ...op.get(wc), ...op.i32(u * wRow), ...op.add, ...op.set(wc),
        ...op.get(kc), ...op.i32(1), ...op.sub, ...op.tee(kc), ...op.brIf(0),
      ]),
    ];
    const columns = kw === 1 ? channels : [
      ...op.get(rp), ...op.set(tp), ...op.i32(kw), ...op.set(kj),
      ...op.loop([
        ...channels,
        ...op.get(tp), ...op.i32(dw * xc * 4), ...op.add, ...op.set(tp),
        ...op.get(wr), ...op.i32(cin * wRow), ...op.add, ...op.set(wr),
        ...op.get(kj), ...op.i32(1), ...op.sub, ...op.tee(kj), ...op.brIf(0),
      ]),
    ];
    code.push(...op.get(xp), ...op.set(rp), ...op.get(xp), ...op.set(tp), ...op.get(wb), ...op.set(wr));
    if (kh === 1) {
      code.push(...columns);
    } else {
      code.push(...op.i32(kh), ...op.set(ki), ...op.loop([
        ...columns,
        ...(kw === 1 ? [...op.get(wr), ...op.i32(cin * wRow), ...op.add, ...op.set(wr)] : []),
        ...op.get(rp), ...op.get(rowStride), ...op.add, ...op.tee(rp), ...op.set(tp),
        ...op.get(ki), ...op.i32(1), ...op.sub, ...op.tee(ki), ...op.brIf(0),
      ]));
    }
    // Epilogue: + bias, activation, store.
    const epilogue = (kind: number): number[] => {
      const out: number[] = [];
      for (let v = 0; v < vb; v++) {
        for (let p = 0; p < P; p++) {
          out.push(...op.get(acc(p, v)), ...op.get(bb), ...op.vLoad(16 * v), ...op.fx4Add);
          if (kind === 1) {
            out.push(...op.tee(t), ...op.get(t), ...op.vZero, ...fx4Lt, ...vAndnot);
          } else if (kind === 2) {
            out.push(...op.tee(t), ...op.get(ab), ...op.vLoad(16 * v), ...op.get(t), ...op.fx4Mul,
                     ...op.get(t), ...op.vZero, ...op.fx4Gt, ...op.vBitselect);
          }
          out.push(...op.set(o));
          if (partial && v === vb - 1) {
            // The last vector of the out channels: its rem lanes only (the pixel's last channels).
            for (let k = 0; k < rem; k++) out.push(...op.get(yp), ...op.get(o), ...op.vStore32Lane(p * outPix + 16 * v + 4 * k, k));
          } else {
            out.push(...op.get(yp), ...op.get(o), ...op.vStore(p * outPix + 16 * v));
          }
        }
      }
      return out;
    };
    code.push(...op.get(act), ...op.eqz,
              ...op.ifElse(epilogue(0), [
                ...op.get(act), ...op.i32(1), ...[0x46] /* i32.eq */,
                ...op.ifElse(epilogue(1), epilogue(2)),
              ]));
    code.push(...op.get(xp), ...op.i32(P * pixBytes), ...op.add, ...op.set(xp),
              ...op.get(yp), ...op.i32(P * outPix), ...op.add, ...op.set(yp),
              ...op.get(m), ...op.i32(P), ...op.sub, ...op.set(m));
    return code;
  };

  const pixels = (P: number, partial: boolean) => op.block(op.loop([
    ...op.get(m), ...op.i32(P), ...op.ltS, ...op.brIf(1),
    ...block(P, partial),
    ...op.br(0),
  ]));
  /** One block of out channels at byte offset cb, over the row's pixels. */
  const channelBlock = (partial: boolean) => [
    ...op.get(xr), ...op.set(xp),
    ...op.get(yr), ...op.get(cb), ...op.add, ...op.set(yp),
    ...op.get(w), ...op.get(cb), ...op.add, ...op.set(wb),
    ...op.get(b), ...op.get(cb), ...op.add, ...op.set(bb),
    ...op.get(a), ...op.get(cb), ...op.add, ...op.set(ab),
    ...op.get(ow), ...op.set(m),
    ...pixels(pb, partial),
    ...(pb > 1 ? pixels(1, partial) : []),
  ];
  // Whole blocks of vb vectors, then (rem > 0, vb = 1) the partial vector.
  const fullBytes = Math.floor(cout / (4 * vb)) * 16 * vb;

  const body = [
    ...op.get(x0), ...op.set(xr), ...op.get(y0), ...op.set(yr), ...op.get(nRows), ...op.set(r),
    ...op.block(op.loop([
      ...op.get(r), ...op.i32(1), ...op.ltS, ...op.brIf(1),
      ...op.i32(0), ...op.set(cb),
      ...op.block(op.loop([
        ...op.get(cb), ...op.i32(fullBytes), ...op.geS, ...op.brIf(1),
        ...channelBlock(false),
        ...op.get(cb), ...op.i32(16 * vb), ...op.add, ...op.set(cb),
        ...op.br(0),
      ])),
      ...(rem > 0 ? channelBlock(true) : []),
      ...op.get(xr), ...op.get(xRowStep), ...op.add, ...op.set(xr),
      ...op.get(yr), ...op.get(yRowStep), ...op.add, ...op.set(yr),
      ...op.get(r), ...op.i32(1), ...op.sub, ...op.set(r),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(numI32), I32], [...uleb(numV128), V128]]), ...body, 0x0b];
}

/**
 * At most this many module classes (each a few KiB of code) are kept; a new one past that
 * replaces the oldest (compiled again if it comes back), so memory stays bounded.
 */
export const MAX_CLASSES = 64;
const classes = new Map<string, (backend: BackendWasm) => ConvRows|null>();

function loopsFor(c: ConvClass): (backend: BackendWasm) => ConvRows|null {
  const key = `${c.cin},${c.kh},${c.kw},${c.sw},${c.dw},${c.cout},${c.vb},${c.pb},${c.u},${c.xc},${c.yc}`;
  let f = classes.get(key);
  if (f == null) {
    if (classes.size >= MAX_CLASSES) classes.delete(classes.keys().next().value!);
    f = heapLoops<ConvRows>((shared) => ({convRows: assembleFunction('convRows', 11, false, convRowsBody(c), shared)}));
    classes.set(key, f);
  }
  return f;
}

/** A blocking: vb vectors of out channels times pb pixels, u in channels unrolled. */
export type Plan = Pick<ConvClass, 'vb'|'pb'|'u'>;

/**
 * Taps (kh kw in) per output at most this many: up to 16 -> 16 3x3 (144) this path was measured
 * faster than XNNPACK (0.72x); at 32 -> 32 3x3 (288) about even, 64 -> 64 3x3 0.85x (bench
 * section smallConv2d, rows marked refused), where XNNPACK's GEMM tiles have the channels to fill.
 */
export const MAX_TAPS = 144;

/**
 * The blocking for a convolution, or null where this path does not claim it: more than 64 out
 * channels, or more than 4 and not a multiple of 4 (not settled: 12 -> 5 3x3 at 128x128 took
 * 1.1-1.3x XNNPACK's time in one script and 0.8x in the bench section; 6 and 7 0.8x), or more
 * than MAX_TAPS taps per output. 1 to 3 out channels are one partial vector (12 -> 1, 2, 3 and
 * 16 -> 1 3x3: 0.4-0.5x).
 * Every claimed shape class timed in the bench section smallConv2d was faster than XNNPACK's
 * FusedConv2D (+ Prelu).
 */
export function planFor(cin: number, kh: number, kw: number, cout: number): Plan|null {
  if (cout > 64 || (cout > 4 && cout % 4 !== 0) || kh * kw * cin > MAX_TAPS) return null;
  const vecs = cout / 4;
  // Measured (bench section smallConv2d's blocking rows, SMALL_CONV2D_PLANS): 2 vectors x 4
  // pixels (8 accumulators) where the out channels come in 8s, else 1 x 4 (a partial vector
  // needs 1: the last block is the one with the partial vector); one in channel a
  // step. Wider blocks were slower: 48 out channels as 3 vectors ran even with XNNPACK (as 2:
  // 0.65x), FSRCNN's 12 as 3 vectors x 4 pixels 0.75x (as 1 x 4: 0.66x), 2 x 6 and 1 x 8 slower
  // than 2 x 4 and 1 x 4; and longer unrolled runs too (12 -> 12 3x3 with every tap unrolled:
  // 2.2x XNNPACK's time, one loop step per tap with 2 in channels unrolled: 0.7x).
  const vb = vecs % 2 === 0 ? 2 : 1;
  const pb = 4;
  const u = 1;
  return {vb, pb, u};
}

/**
 * The most in and out channels per group of a grouped convolution this path claims (src/wasm.ts
 * declares them as the capability groupedConvOnePass): ResNeXt-101 32x8d's widest groups, 64.
 * The capability is by channels only (the TorchGroupedConv2d layer asks before it knows the image).
 */
export const MAX_GROUP_IN = 64;
export const MAX_GROUP_OUT = 64;

/**
 * The blocking for one group of a grouped convolution (cin -> cout channels per group), or null
 * where the per-group form stays: more than MAX_GROUP_IN / MAX_GROUP_OUT, or out channels per
 * group not a multiple of 4. No cap on taps (MAX_TAPS is against one XNNPACK convolution): the
 * per-group form pays a TorchPad, a FusedConv2D and a share of a concat per group. Against it
 * (bench section groupedConv2d: MiDaS's 33 grouped 3x3s at 256x256, 1 thread, side by side; three
 * runs at load 2.6-3.7, CPU-time ratios) 2 vectors x 4 pixels took 0.21x its time with groups of 8
 * (64x64), 0.24-0.43x with groups of 16, 0.36-0.58x for groups of 32 at stride 2 and 0.78-0.83x
 * at 16x16 (22 of the 33 layers), 0.79-0.85x for groups of 64 at stride 2 from 16x16, and
 * 0.94-1.03x (even) at 8x8 (2 layers; both are about at a non-fused multiply-add's peak there,
 * where the per-group crops are small). Groups of 64 are claimed: over MiDaS's three such
 * layers the sum is lower. Other shapes in that section (OTHER_GROUPED_LAYERS, load 3.3): 16 groups
 * of 4 and 4 groups of 3 -> 8 at 64x64 0.12-0.13x, 2 groups of 64 at 32x32 0.70x, 2 groups of 32
 * at 64x64 0.65x. Other blockings (4 x 2, 2 x 5, 2 x 6, 1 x 8, 4 x 3, 2 in channels a
 * step or 4) were slower or even.
 */
export function groupedPlanFor(cin: number, kh: number, kw: number, cout: number): Plan|null {
  if (cout % 4 !== 0 || cout > MAX_GROUP_OUT || cin > MAX_GROUP_IN) return null;
  return {vb: (cout / 4) % 2 === 0 ? 2 : 1, pb: 4, u: 1};
}

/**
 * The threads tfjs-backend-wasm gave XNNPACK (its pthreadpool), 1 where it does not say. This
 * path runs on one thread and was measured against XNNPACK on one: with more, XNNPACK splits
 * each convolution over them, so smallConv2d leaves the work to it.
 */
function xnnpackThreads(backend: BackendWasm): number {
  const tfjs = (backend as unknown as {wasm?: {tfjs?: {getThreadsCount?: () => number}}}).wasm?.tfjs;
  const n = tfjs?.getThreadsCount?.();
  return typeof n === 'number' && n > 0 ? n : 1;
}

/**
 * Whether grouped convolutions run here now (the capability groupedConvOnePass's `now`): not while
 * the registered wasm backend's XNNPACK has more than one thread (smallConv2d then declines).
 */
export function groupedOnePassNow(): boolean {
  const backend = tf.findBackend('wasm') as BackendWasm|null;
  return backend == null || xnnpackThreads(backend) === 1;
}

/** Overrides planFor (bench only: compare blockings), or null. */
export const planOverride: {plan: Plan|null} = {plan: null};

/**
 * The output (NHWC) of the convolution with bias and activation, or null where this path does
 * not apply or would not be faster (the caller falls back to tfjs's FusedConv2D, or for a grouped
 * convolution to the per-group form).
 */
export function smallConv2d(backend: BackendWasm, args: SmallConv2dArgs): TensorInfo|null {
  const {x, filter, bias, preluWeights, strides, pad, dilations, activation, leakyreluAlpha} = args;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const groups = args.groups ?? 1;
  const [n, h, w, xc] = x.shape;
  const [kh, kw, cin, yc] = filter.shape;
  if (!Number.isInteger(groups) || groups < 1 || cin < 1 || cin * groups !== xc || yc % groups !== 0) return null;
  const cout = yc / groups;
  // Grouped: each group's out channels whole vectors, so that no vector straddles two groups.
  if (groups > 1 && cout % 4 !== 0) return null;
  const [sh, sw] = strides;
  const [dh, dw] = dilations;
  const [pt, pb, pl, pr] = pad;
  if (!(sh >= 1 && sw >= 1 && dh >= 1 && dw >= 1 && pt >= 0 && pb >= 0 && pl >= 0 && pr >= 0)) return null;
  if (bias != null && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== yc)) return null;
  const act = ACT[activation];
  if (act == null) return null;
  if (activation === 'prelu' && (preluWeights == null || preluWeights.dtype !== 'float32' ||
      (preluWeights.shape.reduce((p, q) => p * q, 1) !== yc && preluWeights.shape.reduce((p, q) => p * q, 1) !== 1))) {
    return null;
  }
  const hp = h + pt + pb, wp = w + pl + pr;
  const oh = Math.floor((hp - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wp - dw * (kw - 1) - 1) / sw) + 1;
  if (n < 1 || oh < 1 || ow < 1) return null;
  if (xnnpackThreads(backend) > 1) return null;
  const plan = planOverride.plan ?? (groups > 1 ? groupedPlanFor(cin, kh, kw, cout) : planFor(cin, kh, kw, cout));
  const ycP = Math.ceil(yc / 4) * 4;
  // Out channels not a multiple of 4: one vector a block, the last one partial.
  if (plan == null || (cout % 4 === 0 ? (cout / 4) % plan.vb !== 0 : plan.vb !== 1) || cin % plan.u !== 0) return null;
  const loops = loopsFor({cin, kh, kw, sw, dw, cout, ...plan, xc, yc})(backend);
  if (loops == null) return null;

  const padded = pt + pb + pl + pr > 0;
  const xBatch = hp * wp * xc;
  const filterLen = yc === ycP ? 0 : kh * kw * cin * ycP;
  const scratchLen = (padded ? n * xBatch : 0) + filterLen + 2 * ycP;
  const y = backend.makeOutput([n, oh, ow, yc], 'float32');
  let scratch: TensorInfo|null = null;
  try {
    scratch = backend.makeOutput([scratchLen], 'float32');
    // No heap allocation from here on (Note [wasm heap views] in kernels/wasm/util.ts).
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    const fv = backend.typedArrayFromHeap(filter) as Float32Array;
    const yv = backend.typedArrayFromHeap(y) as Float32Array;
    const sv = backend.typedArrayFromHeap(scratch) as Float32Array;
    const fOff = scratchLen - 2 * ycP - filterLen, bOff = scratchLen - 2 * ycP, aOff = scratchLen - ycP;
    sv.fill(0, fOff, scratchLen);
    if (filterLen > 0) {
      // Each filter row (one tap, one in channel) padded to whole vectors with zeros.
      for (let r = 0; r < kh * kw * cin; r++) sv.set(fv.subarray(r * yc, (r + 1) * yc), fOff + r * ycP);
    }
    if (bias != null) sv.set(backend.typedArrayFromHeap(bias) as Float32Array, bOff);
    if (activation === 'prelu') {
      const pw = backend.typedArrayFromHeap(preluWeights!) as Float32Array;
      if (pw.length === yc && yc > 1) sv.set(pw, aOff);
      else sv.fill(pw[0], aOff, aOff + yc);
    } else {
      sv.fill(activation === 'leakyrelu' ? leakyreluAlpha : 0, aOff, aOff + yc);
    }
    let src = xv;
    if (padded) {
      src = sv;
      const rowLen = w * xc;
      sv.fill(0, 0, n * xBatch);
      for (let b = 0; b < n; b++) {
        for (let r = 0; r < h; r++) {
          const from = (b * h + r) * rowLen;
          sv.set(xv.subarray(from, from + rowLen), b * xBatch + ((r + pt) * wp + pl) * xc);
        }
      }
    }
    const rowBytes = wp * xc * 4;
    const wBase = filterLen > 0 ? sv.byteOffset + fOff * 4 : fv.byteOffset;
    // One call per image and group: group g reads the in channels [g cin, (g + 1) cin) of each
    // input pixel and its filter columns, bias and slopes [g cout, (g + 1) cout), and writes those
    // channels of each output pixel (the whole group's filter, 9 KiB to 150 KiB for ResNeXt's,
    // stays in cache over the image).
    for (let b = 0; b < n; b++) {
      for (let g = 0; g < groups; g++) {
        loops.convRows(src.byteOffset + (b * xBatch + g * cin) * 4, wBase + g * cout * 4,
                       sv.byteOffset + (bOff + g * cout) * 4, sv.byteOffset + (aOff + g * cout) * 4,
                       yv.byteOffset + (b * oh * ow * yc + g * cout) * 4, ow,
                       dh * rowBytes, act, oh, sh * rowBytes, ow * yc * 4);
      }
    }
  } catch (e) {
    backend.disposeData(y.dataId);
    throw e;
  } finally {
    if (scratch != null) backend.disposeData(scratch.dataId);
  }
  return y;
}
