// WebAssembly SIMD loops for the wasm backend's elementwise and row-normalisation kernels, on
// tfjs-backend-wasm's own heap (as kernels/wasm/simd.ts: each a module of its own that imports
// the backend's WebAssembly.Memory; addresses are byte offsets into it).
//
// - geluErf(x, y, n): y = gelu(x) for the n floats at x, approximate 'none', in one pass:
//   0.5 x (1 + erf(x / sqrt(2))) with erf by the rational approximation below (Note [gelu on
//   wasm]). Replaces tfjs's Mul, Erf, Add: three passes and three tensors.
// - layerRows(x, y, rows, c, w, b, epsBits): layer norm over `rows` contiguous rows of c floats
//   (c a multiple of 8), weight w and bias b of c floats, eps the float32 whose bits are epsBits:
//   per row the mean, the mean of squared deviations (two passes, float32, 8 partial sums), then
//   y = (x rstd - mean rstd) w + b (PyTorch's layer_norm kernel's order) in a third pass.
//
// Note [gelu on wasm]
// erf(u) = p(u) / q(u), u = x / sqrt(2): p odd of degree 13, q even of degree 8, the monomial
// coefficients below (Eigen's float erf, which TensorFlow's Erf uses), evaluated by Horner in
// float32 with plain multiplies and adds (no fused multiply-add, so the bits do not depend on the
// engine). Against double erf its error is within 4.5e-7 on [-4, 4]; where |u| >= 3.9 erf is
// +-1 exactly (1 - erf(3.9) is below half a float32 ulp of 1), so gelu(x) is exactly 0 (-0) for
// a large negative x, as PyTorch gives, and x for a large positive one; gelu(-inf) and NaN are
// NaN, as PyTorch's. Every other backend uses Abramowitz and Stegun 7.1.26 (Note [gelu
// numerics] in src/ops/gelu.ts), which needs an exp; both are within 1.1e-6 of PyTorch's gelu.
import {assembleFunction, F32, I32, op, uleb, V128, vec} from '../cpu/wasm_assembler.js';
import {heapLoops} from './simd.js';
import type {WasmBackend} from './util.js';

type I = number;
export interface SimdMath {
  geluErf(x: I, y: I, n: I): void;
  layerRows(x: I, y: I, rows: I, c: I, w: I, b: I, epsBits: I): void;
}

/** Numerator coefficients of erf's approximation, u^13 first (Note [gelu on wasm]). */
export const ERF_P = [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
  -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02];
/** Denominator coefficients, u^8 first. */
export const ERF_Q = [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
  -7.37332916720468e-03, -1.42647390514189e-02];
/** |u| from which erf(u) is +-1 in float32. */
export const ERF_ONE_FROM = 3.9;

/** A v128 constant of four copies of the float32 v. */
function splat(v: number): number[] {
  return op.vConst(Array.from(new Uint8Array(new Float32Array([v, v, v, v]).buffer)));
}

/** Horner's rule over `coeffs` (highest power first) in the v128 local t; leaves the value. */
function horner(coeffs: number[], t: number): number[] {
  const out = [...splat(coeffs[0])];
  for (const c of coeffs.slice(1)) out.push(...op.get(t), ...op.fx4Mul, ...splat(c), ...op.fx4Add);
  return out;
}

function geluErfBody(): number[] {
  const x = 0, y = 1, n = 2;
  const end = 3, fullEnd = 4;
  const v = 5, u = 6, u2 = 7, e = 8;
  /** One vector (or, when !wide, one float) from x to y. */
  const one = (wide: boolean): number[] => [
    ...op.get(x), ...(wide ? op.vLoad(0) : op.vLoad32Zero(0)), ...op.tee(v),
    ...splat(Math.SQRT1_2), ...op.fx4Mul, ...op.tee(u), ...op.get(u), ...op.fx4Mul, ...op.set(u2),
    // p(u) / q(u)
    ...horner(ERF_P, u2), ...op.get(u), ...op.fx4Mul, ...horner(ERF_Q, u2), ...op.fx4Div,
    ...op.set(e),
    ...op.get(y),
    ...op.get(v), ...splat(0.5), ...op.fx4Mul,
    // erf: sign(u) where |u| >= ERF_ONE_FROM, else p / q
    ...op.get(u), ...op.vConstI32([0x80000000, 0x80000000, 0x80000000, 0x80000000]), ...op.vAnd,
    ...op.vConstI32([0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000]), ...op.vOr,
    ...op.get(e),
    ...op.get(u), ...op.fx4Abs, ...splat(ERF_ONE_FROM), ...op.fx4Ge,
    ...op.vBitselect,
    ...splat(1), ...op.fx4Add, ...op.fx4Mul,
    ...(wide ? op.vStore(0) : op.vStore32Lane(0, 0)),
  ];
  const advance = (bytes: number) => [
    ...op.get(x), ...op.i32(bytes), ...op.add, ...op.set(x),
    ...op.get(y), ...op.i32(bytes), ...op.add, ...op.set(y),
  ];
  const body = [
    ...op.get(x), ...op.get(n), ...op.i32(2), ...op.shl, ...op.add, ...op.set(end),
    ...op.get(x), ...op.get(n), ...op.i32(-4), ...op.and, ...op.i32(2), ...op.shl, ...op.add,
    ...op.set(fullEnd),
    ...op.block(op.loop([
      ...op.get(x), ...op.get(fullEnd), ...op.geU, ...op.brIf(1),
      ...one(true), ...advance(16), ...op.br(0),
    ])),
    ...op.block(op.loop([
      ...op.get(x), ...op.get(end), ...op.geU, ...op.brIf(1),
      ...one(false), ...advance(4), ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(2), I32], [...uleb(4), V128]]), ...body, 0x0b];
}

function layerRowsBody(): number[] {
  const x = 0, y = 1, rows = 2, c = 3, w = 4, b = 5, epsBits = 6;
  const r = 7, j = 8, cBytes = 9;
  const mean = 10, rstd = 11, cf = 12;
  const acc0 = 13, acc1 = 14, d = 15, vr = 16, vs = 17, vm = 18;
  /** A loop over the row's bytes j = 0, 32, ... < cBytes running `step` (two vectors at j, j + 16). */
  const rowLoop = (step: number[]) => [
    ...op.i32(0), ...op.set(j),
    ...op.block(op.loop([
      ...op.get(j), ...op.get(cBytes), ...op.geU, ...op.brIf(1),
      ...step,
      ...op.get(j), ...op.i32(32), ...op.add, ...op.set(j),
      ...op.br(0),
    ])),
  ];
  const xAt = (off: number) => [...op.get(x), ...op.get(j), ...op.add, ...op.vLoad(off)];
  /** The sum of acc0 + acc1's lanes, ((l0 + l1) + (l2 + l3)), on the stack as f32. */
  const hsum = [
    ...op.get(acc0), ...op.get(acc1), ...op.fx4Add, ...op.set(d),
    ...op.get(d), ...op.fx4Lane(0), ...op.get(d), ...op.fx4Lane(1), ...op.f32Add,
    ...op.get(d), ...op.fx4Lane(2), ...op.get(d), ...op.fx4Lane(3), ...op.f32Add, ...op.f32Add,
  ];
  const zeroAccs = [...op.vZero, ...op.set(acc0), ...op.vZero, ...op.set(acc1)];
  const sq = (off: number, acc: number) => [
    ...xAt(off), ...op.get(vm), ...op.fx4Sub, ...op.tee(d), ...op.get(d), ...op.fx4Mul,
    ...op.get(acc), ...op.fx4Add, ...op.set(acc),
  ];
  const out = (off: number) => [
    ...op.get(y), ...op.get(j), ...op.add,
    ...xAt(off), ...op.get(vr), ...op.fx4Mul, ...op.get(vs), ...op.fx4Add,
    ...op.get(w), ...op.get(j), ...op.add, ...op.vLoad(off), ...op.fx4Mul,
    ...op.get(b), ...op.get(j), ...op.add, ...op.vLoad(off), ...op.fx4Add,
    ...op.vStore(off),
  ];
  const body = [
    ...op.get(c), ...op.i32(2), ...op.shl, ...op.set(cBytes),
    ...op.get(c), ...op.f32FromI32, ...op.set(cf),
    ...op.i32(0), ...op.set(r),
    ...op.block(op.loop([
      ...op.get(r), ...op.get(rows), ...op.geU, ...op.brIf(1),
      // mean
      ...zeroAccs,
      ...rowLoop([
        ...xAt(0), ...op.get(acc0), ...op.fx4Add, ...op.set(acc0),
        ...xAt(16), ...op.get(acc1), ...op.fx4Add, ...op.set(acc1),
      ]),
      ...hsum, ...op.get(cf), ...op.f32Div, ...op.tee(mean), ...op.f32x4Splat, ...op.set(vm),
      // mean of the squared deviations, then rstd = 1 / sqrt(var + eps)
      ...zeroAccs,
      ...rowLoop([...sq(0, acc0), ...sq(16, acc1)]),
      ...[0x43, 0x00, 0x00, 0x80, 0x3f],   // f32.const 1
      ...hsum, ...op.get(cf), ...op.f32Div, ...op.get(epsBits), ...op.f32FromBits, ...op.f32Add,
      ...op.f32Sqrt, ...op.f32Div, ...op.tee(rstd), ...op.f32x4Splat, ...op.set(vr),
      ...op.get(mean), ...op.get(rstd), ...op.f32Mul, ...op.f32Neg, ...op.f32x4Splat, ...op.set(vs),
      // y = (x rstd + shift) w + b
      ...rowLoop([...out(0), ...out(16)]),
      ...op.get(x), ...op.get(cBytes), ...op.add, ...op.set(x),
      ...op.get(y), ...op.get(cBytes), ...op.add, ...op.set(y),
      ...op.get(r), ...op.i32(1), ...op.add, ...op.set(r),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(3), I32], [...uleb(3), F32], [...uleb(6), V128]]), ...body, 0x0b];
}

/**
 * These loops over this backend's heap, or null where they cannot run (no WebAssembly SIMD, the
 * heap's memory not reachable, or WASM_SIMD_LOOPS_FLAG off): the kernels then take their other
 * paths.
 */
export const simdMath: (backend: WasmBackend) => SimdMath | null = heapLoops<SimdMath>((shared) => ({
  geluErf: assembleFunction('geluErf', 3, false, geluErfBody(), shared),
  layerRows: assembleFunction('layerRows', 7, false, layerRowsBody(), shared),
}));
