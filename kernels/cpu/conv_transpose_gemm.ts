// The matrix product behind the three convTranspose cpu kernels, and the memory it works in.
//
// Why one product with row offsets: for a fixed kernel tap, a transposed convolution (and each of
// its gradients) is a plain matrix product whose rows are read from, or added into, positions
// shifted by that tap (Note [transposed convolution tap relation] in src/index_math/conv.ts).
// Passing the product a list of row addresses for A and for C fuses the im2col gather and the
// col2im scatter into the product itself: nothing is materialised and no bounds are tested per
// element.
//
//   gemm(aRow, rows, b, depth, cRow, cols):
//     C[cRow[r] + j] += sum_{k < depth} A[aRow[r] + k] * B(k, j)      r < rows, j < cols
//   (the forward product and the one for dx: reduction over channels), and
//   gemmGather(aRow, bRow, n, rows, cols, c, cStride):
//     C[r, j] += sum_{q < n} A[aRow[q] + r] * B[bRow[q] + j]
//   (the weight gradient: reduction over a list of (x row, dy row) pairs, read in place).
//
// Every operand lives in one heap (a WebAssembly.Memory when WebAssembly SIMD is available, else
// a plain ArrayBuffer); addresses are byte offsets into it. A's rows and C's rows are contiguous
// (channels are the fastest axis), B is packed in panels of 8 columns: panel p holds, for each k,
// the 8 values B(k, 8p..8p+7), so one 16-byte load feeds 4 columns of the product. Lanes of the
// last panel beyond `cols` are computed and never stored, so their contents do not matter.
//
// Two implementations of the same contract:
// - WebAssembly SIMD (f32x4), a 4-row x 8-column register tile: per step of k, 2 vector loads of
//   B, 4 broadcast loads of A and 8 vector multiply-adds (fused with relaxed SIMD where the
//   runtime has it), accumulators in registers, C touched once per tile. The modules are
//   assembled below from their opcodes (about 2 KB each, kernels/cpu/wasm_assembler.ts), so the
//   package ships no binary and needs no build step.
// - plain JavaScript on Float32Arrays, a 4 x 4 register tile, for runtimes without WebAssembly
//   SIMD or when the TORCH_CPU_WASM_SIMD flag is turned off.
// WebAssembly accumulates in float32 (as PyTorch's cpu kernels do), JavaScript in double (its
// numbers); both add each finished tile to C once.
import * as tf from '@tensorflow/tfjs-core';
import {assembleFunction, I32, op, uleb, V128, vec} from './wasm_assembler.js';

/** Columns per packed B panel. */
export const PANEL = 8;

/**
 * tfjs flag: whether the convTranspose cpu kernels use the WebAssembly SIMD product (default:
 * true where the runtime supports WebAssembly SIMD). Tests turn it off to run the JS product.
 */
export const WASM_SIMD_FLAG = 'TORCH_CPU_WASM_SIMD';
tf.env().registerFlag(WASM_SIMD_FLAG, () => wasmModule() != null);

type GemmFn = (aRow: number, rows: number, b: number, depth: number, cRow: number, cols: number) =>
    void;
type GemmGatherFn = (aRow: number, bRow: number, n: number, rows: number, cols: number,
                     c: number, cStride: number) => void;

/** The heap the kernels lay their operands out in, and the products over it. */
export interface GemmHeap {
  f32: Float32Array;
  i32: Int32Array;
  /** The WebAssembly memory behind f32 / i32 (absent for the JavaScript heap), for other loops. */
  memory?: WebAssembly.Memory;
  gemm: GemmFn;
  gemmGather: GemmGatherFn;
}

// ---- WebAssembly SIMD -------------------------------------------------------------------------

/** The two compiled modules (see assembleModule), or null where WebAssembly SIMD is missing. */
interface WasmModules {
  gemm: WebAssembly.Module;
  gemmGather: WebAssembly.Module;
}
let wasmCompiled: WasmModules|null|undefined;
let wasmFused = false;

function wasmModule(): WasmModules|null {
  if (wasmCompiled !== undefined) return wasmCompiled;
  wasmCompiled = null;
  try {
    if (typeof WebAssembly === 'object') {
      for (const fused of [true, false]) {
        const gemm = assembleModule('gemm', fused);
        const gemmGather = assembleModule('gemmGather', fused);
        if (WebAssembly.validate(gemm) && WebAssembly.validate(gemmGather)) {
          wasmCompiled = {
            gemm: new WebAssembly.Module(gemm),
            gemmGather: new WebAssembly.Module(gemmGather),
          };
          wasmFused = fused;
          break;
        }
      }
    }
  } catch {
    wasmCompiled = null;
  }
  return wasmCompiled;
}

/** Which product the kernels run now, for benchmarks to report. */
export function gemmKind(): string {
  if (!tf.env().getBool(WASM_SIMD_FLAG) || wasmModule() == null) return 'JavaScript';
  return wasmFused ? 'WebAssembly SIMD, relaxed fused multiply-add' : 'WebAssembly SIMD';
}

interface WasmState {
  memory: WebAssembly.Memory;
  gemm: GemmFn;
  gemmGather: GemmGatherFn;
  heap: GemmHeap;
}
let wasm: WasmState|null = null;
let jsHeap: GemmHeap|null = null;

const PAGE = 65536;
/**
 * The heap kept between calls grows to at most this many bytes (WebAssembly memory never
 * shrinks); a call that needs more gets a heap of its own, released with the call.
 */
const KEPT_HEAP_BYTES = 64 * 1024 * 1024;

function instantiate(mods: WasmModules, bytes: number): WasmState {
  const memory = new WebAssembly.Memory({initial: Math.ceil(bytes / PAGE)});
  const imports = {env: {mem: memory}};
  const gemm = new WebAssembly.Instance(mods.gemm, imports).exports.gemm as GemmFn;
  const gemmGather =
      new WebAssembly.Instance(mods.gemmGather, imports).exports.gemmGather as GemmGatherFn;
  return {memory, gemm, gemmGather, heap: viewHeap(memory, gemm, gemmGather)};
}

/**
 * The smallest heap WebAssembly could not provide (new WebAssembly.Memory or grow threw, as
 * under an address-space limit): a call needing at least that much goes to the JavaScript heap
 * at once instead of failing the same allocation again (about 40 ms each time). 0 when not even
 * the first memory could be made: WebAssembly is then off for the process.
 */
let wasmFailedBytes = Infinity;

function wasmHeap(mod: WasmModules, bytes: number): GemmHeap|null {
  if (bytes >= wasmFailedBytes) return null;
  try {
    if (bytes > KEPT_HEAP_BYTES) return instantiate(mod, bytes).heap;
    if (wasm == null) wasm = instantiate(mod, Math.max(bytes, PAGE));
    const have = wasm.memory.buffer.byteLength;
    if (have < bytes) {
      // Grow geometrically, so that a run of slightly larger calls does not grow every time.
      const want = Math.min(KEPT_HEAP_BYTES, Math.max(bytes, 2 * have));
      wasm.memory.grow(Math.ceil((want - have) / PAGE));
      wasm.heap = viewHeap(wasm.memory, wasm.gemm, wasm.gemmGather);
    }
    return wasm.heap;
  } catch {
    // Out of memory for WebAssembly: the JavaScript heap may still fit. Remembered.
    wasmFailedBytes = wasm == null ? 0 : Math.min(wasmFailedBytes, bytes);
    return null;
  }
}

/**
 * A heap of at least `bytes` bytes for this call's operands (contents undefined), on
 * WebAssembly when the flag allows, else in JavaScript. Valid until the next call.
 */
export function gemmHeap(bytes: number): GemmHeap {
  if (tf.env().getBool(WASM_SIMD_FLAG)) {
    const mod = wasmModule();
    const heap = mod == null ? null : wasmHeap(mod, bytes);
    if (heap != null) return heap;
  }
  if (jsHeap != null && jsHeap.f32.byteLength >= bytes) return jsHeap;
  const buffer = new ArrayBuffer(Math.max(bytes, PAGE));
  const f32 = new Float32Array(buffer);
  const i32 = new Int32Array(buffer);
  const heap: GemmHeap = {
    f32,
    i32,
    gemm: (aRow, rows, b, depth, cRow, cols) => gemmJs(f32, i32, aRow, rows, b, depth, cRow, cols),
    gemmGather: (aRow, bRow, n, rows, cols, c, cStride) =>
        gemmGatherJs(f32, i32, aRow, bRow, n, rows, cols, c, cStride),
  };
  if (bytes <= KEPT_HEAP_BYTES) jsHeap = heap;
  return heap;
}

function viewHeap(memory: WebAssembly.Memory, gemm: GemmFn, gemmGather: GemmGatherFn): GemmHeap {
  const buffer = memory.buffer;
  return {f32: new Float32Array(buffer), i32: new Int32Array(buffer), memory, gemm, gemmGather};
}

// Note [heap address limit]
// The products address their operands with byte offsets held in int32: WebAssembly's i32
// addresses, the row lists of addresses stored in an Int32Array, and the `>> 2` that turns a
// byte offset into a Float32Array index. So every offset must stay below 2^31 (2 GiB): past it
// an offset turns negative, typed-array writes at negative indices are dropped and the result
// is silently wrong. The layout is therefore computed in plain (exact, double) arithmetic and a
// call whose operands need more than MAX_HEAP_BYTES is refused, naming the op and the size,
// before anything is allocated (heapRegions in ConvTranspose.ts). The layout covers one batch
// entry (the kernels loop over the batch), so only a single huge entry can reach the limit.
/** The most bytes one call's heap layout may span (Note [heap address limit]). */
export const MAX_HEAP_BYTES = 2 ** 31;

/** Bump allocation of 16-byte aligned regions while laying out one kernel call. */
export class HeapLayout {
  bytes = 0;
  /**
   * Reserves `floats` 4-byte slots; returns the region's byte offset. Exact for any size (no
   * 32-bit arithmetic): the caller checks the total against MAX_HEAP_BYTES.
   */
  take(floats: number): number {
    const at = this.bytes;
    this.bytes = Math.ceil((at + 4 * floats) / 16) * 16;
    return at;
  }
}

/**
 * The body of gemm(aRow, rows, b, depth, cRow, cols). Rows are taken 4 at a time, then one at a
 * time; each pass sweeps the panels of B with 2 accumulators (8 columns) per row.
 */
function gemmBody(madd: MulAdd): number[] {
  // Parameters.
  const aRow = 0, rows = 1, b = 2, depth = 3, cRow = 4, cols = 5;
  // i32 locals.
  const r = 6, p = 7, k = 8, kEnd = 9, bp = 10, colBytes = 11, rem = 12;
  const a = 13;  // a..a+3: A row addresses of the tile
  const c = 17;  // c..c+3: C row addresses of the tile
  const numI32 = 15;
  // v128 locals.
  const acc = 21;  // acc + 2*i + h: row i, columns 4h..4h+3 of the panel
  const b0 = 29, b1 = 30, t = 31;
  const numV128 = 11;

  /** One pass over the panels for `n` rows whose addresses are in a.. and c... */
  const panels = (n: number): number[] => {
    const rowsOf = Array.from({length: n}, (_, i) => i);
    const step = rowsOf.flatMap((i) => [
      ...op.get(a + i), ...op.get(k), ...op.add, ...op.vSplat32(0), ...op.set(t),
      ...madd(acc + 2 * i, t, b0),
      ...madd(acc + 2 * i + 1, t, b1),
    ]);
    // k is free once the k loop is done: it holds each row's C address while storing.
    const cAddress = (i: number) => [...op.get(c + i), ...op.get(p), ...op.add, ...op.set(k)];
    const fullStore = rowsOf.flatMap((i) => [
      ...cAddress(i),
      ...op.get(k), ...op.get(k), ...op.vLoad(0), ...op.get(acc + 2 * i), ...op.fx4Add,
      ...op.vStore(0),
      ...op.get(k), ...op.get(k), ...op.vLoad(16), ...op.get(acc + 2 * i + 1), ...op.fx4Add,
      ...op.vStore(16),
    ]);
    // The last, partial panel: lane by lane while lanes remain (rem = bytes left in the row).
    const laneStore = Array.from({length: PANEL}, (_, lane) => [
      ...op.get(rem), ...op.i32(4 * lane), ...op.gtS,
      ...op.if(rowsOf.flatMap((i) => [
        ...cAddress(i),
        ...op.get(k), ...op.get(k), ...op.f32Load(4 * lane), ...op.get(acc + 2 * i + (lane >> 2)),
        ...op.fx4Lane(lane & 3), ...op.f32Add, ...op.f32Store(4 * lane),
      ])),
    ]).flat();
    return [
      ...op.get(b), ...op.set(bp),
      ...op.i32(0), ...op.set(p),
      ...op.block(op.loop([
        ...op.get(p), ...op.get(colBytes), ...op.geS, ...op.brIf(1),
        ...rowsOf.flatMap((i) => [...op.vZero, ...op.set(acc + 2 * i), ...op.vZero,
                                  ...op.set(acc + 2 * i + 1)]),
        ...op.i32(0), ...op.set(k),
        ...op.block(op.loop([
          ...op.get(k), ...op.get(kEnd), ...op.geS, ...op.brIf(1),
          ...op.get(bp), ...op.vLoad(0), ...op.set(b0),
          ...op.get(bp), ...op.vLoad(16), ...op.set(b1),
          ...step,
          ...op.get(bp), ...op.i32(4 * PANEL), ...op.add, ...op.set(bp),
          ...op.get(k), ...op.i32(4), ...op.add, ...op.set(k),
          ...op.br(0),
        ])),
        ...op.get(colBytes), ...op.get(p), ...op.sub, ...op.set(rem),
        ...op.get(rem), ...op.i32(4 * PANEL - 1), ...op.gtS,
        ...op.ifElse(fullStore, laneStore),
        ...op.get(p), ...op.i32(4 * PANEL), ...op.add, ...op.set(p),
        ...op.br(0),
      ])),
    ];
  };

  /** Loads the A and C addresses of rows r..r+n-1 into a.. and c... */
  const loadRows = (n: number): number[] => Array.from({length: n}, (_, i) => [
    ...op.get(aRow), ...op.get(r), ...op.i32(2), ...op.shl, ...op.add, ...op.i32Load(4 * i),
    ...op.set(a + i),
    ...op.get(cRow), ...op.get(r), ...op.i32(2), ...op.shl, ...op.add, ...op.i32Load(4 * i),
    ...op.set(c + i),
  ]).flat();

  const body = [
    ...op.get(depth), ...op.i32(2), ...op.shl, ...op.set(kEnd),
    ...op.get(cols), ...op.i32(2), ...op.shl, ...op.set(colBytes),
    ...op.i32(0), ...op.set(r),
    // Tiles of 4 rows.
    ...op.block(op.loop([
      ...op.get(r), ...op.i32(4), ...op.add, ...op.get(rows), ...op.gtS, ...op.brIf(1),
      ...loadRows(4),
      ...panels(4),
      ...op.get(r), ...op.i32(4), ...op.add, ...op.set(r),
      ...op.br(0),
    ])),
    // The remaining rows, one at a time.
    ...op.block(op.loop([
      ...op.get(r), ...op.get(rows), ...op.geS, ...op.brIf(1),
      ...loadRows(1),
      ...panels(1),
      ...op.get(r), ...op.i32(1), ...op.add, ...op.set(r),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(numI32), I32], [...uleb(numV128), V128]]), ...body, 0x0b];
}

/**
 * gemmGather(aRow, bRow, n, rows, cols, c, cStride): the product whose reduction runs over a
 * list of row pairs (the weight gradient: positions q of x and of dy):
 *     C[c + r*cStride + 4j] += sum_{q < n} A[aRow[q] + 4r] * B[bRow[q] + 4j]
 * for r < rows, j < cols (cStride in bytes). Tiles of 4 x 8 again: per q, 4 broadcast loads from
 * the x row and 2 vector loads from the dy row. The vector loads read up to 7 floats past the
 * last column (never stored), so B's region needs 32 bytes of slack.
 */
function gemmGatherBody(madd: MulAdd): number[] {
  const aRow = 0, bRow = 1, n = 2, rows = 3, cols = 4, c = 5, cStride = 6;
  const r = 7, p = 8, q = 9, qEnd = 10, xa = 11, yb = 12, colBytes = 13, rem = 14, ca = 15,
        rOff = 16;
  const numI32 = 10;
  const acc = 17, b0 = 25, b1 = 26, t = 27;
  const numV128 = 11;

  const tile = (nr: number): number[] => {
    const rowsOf = Array.from({length: nr}, (_, i) => i);
    const cAddress = (i: number) => [
      ...op.get(c), ...op.get(r), ...op.i32(i), ...op.add, ...op.get(cStride), ...op.mul,
      ...op.add, ...op.get(p), ...op.add, ...op.set(ca),
    ];
    const fullStore = rowsOf.flatMap((i) => [
      ...cAddress(i),
      ...op.get(ca), ...op.get(ca), ...op.vLoad(0), ...op.get(acc + 2 * i), ...op.fx4Add,
      ...op.vStore(0),
      ...op.get(ca), ...op.get(ca), ...op.vLoad(16), ...op.get(acc + 2 * i + 1), ...op.fx4Add,
      ...op.vStore(16),
    ]);
    const laneStore = Array.from({length: PANEL}, (_, lane) => [
      ...op.get(rem), ...op.i32(4 * lane), ...op.gtS,
      ...op.if(rowsOf.flatMap((i) => [
        ...cAddress(i),
        ...op.get(ca), ...op.get(ca), ...op.f32Load(4 * lane),
        ...op.get(acc + 2 * i + (lane >> 2)), ...op.fx4Lane(lane & 3), ...op.f32Add,
        ...op.f32Store(4 * lane),
      ])),
    ]).flat();
    return [
      ...op.get(r), ...op.i32(2), ...op.shl, ...op.set(rOff),
      ...op.i32(0), ...op.set(p),
      ...op.block(op.loop([
        ...op.get(p), ...op.get(colBytes), ...op.geS, ...op.brIf(1),
        ...rowsOf.flatMap((i) => [...op.vZero, ...op.set(acc + 2 * i), ...op.vZero,
                                  ...op.set(acc + 2 * i + 1)]),
        ...op.i32(0), ...op.set(q),
        ...op.block(op.loop([
          ...op.get(q), ...op.get(qEnd), ...op.geS, ...op.brIf(1),
          ...op.get(aRow), ...op.get(q), ...op.add, ...op.i32Load(0), ...op.get(rOff), ...op.add,
          ...op.set(xa),
          ...op.get(bRow), ...op.get(q), ...op.add, ...op.i32Load(0), ...op.get(p), ...op.add,
          ...op.set(yb),
          ...op.get(yb), ...op.vLoad(0), ...op.set(b0),
          ...op.get(yb), ...op.vLoad(16), ...op.set(b1),
          ...rowsOf.flatMap((i) => [
            ...op.get(xa), ...op.vSplat32(4 * i), ...op.set(t),
            ...madd(acc + 2 * i, t, b0),
            ...madd(acc + 2 * i + 1, t, b1),
          ]),
          ...op.get(q), ...op.i32(4), ...op.add, ...op.set(q),
          ...op.br(0),
        ])),
        ...op.get(colBytes), ...op.get(p), ...op.sub, ...op.set(rem),
        ...op.get(rem), ...op.i32(4 * PANEL - 1), ...op.gtS,
        ...op.ifElse(fullStore, laneStore),
        ...op.get(p), ...op.i32(4 * PANEL), ...op.add, ...op.set(p),
        ...op.br(0),
      ])),
    ];
  };

  const body = [
    ...op.get(n), ...op.i32(2), ...op.shl, ...op.set(qEnd),
    ...op.get(cols), ...op.i32(2), ...op.shl, ...op.set(colBytes),
    ...op.i32(0), ...op.set(r),
    ...op.block(op.loop([
      ...op.get(r), ...op.i32(4), ...op.add, ...op.get(rows), ...op.gtS, ...op.brIf(1),
      ...tile(4),
      ...op.get(r), ...op.i32(4), ...op.add, ...op.set(r),
      ...op.br(0),
    ])),
    ...op.block(op.loop([
      ...op.get(r), ...op.get(rows), ...op.geS, ...op.brIf(1),
      ...tile(1),
      ...op.get(r), ...op.i32(1), ...op.add, ...op.set(r),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(numI32), I32], [...uleb(numV128), V128]]), ...body, 0x0b];
}

/** acc += x * y on v128 locals. */
type MulAdd = (acc: number, x: number, y: number) => number[];

const mulThenAdd: MulAdd = (acc, x, y) =>
    [...op.get(acc), ...op.get(x), ...op.get(y), ...op.fx4Mul, ...op.fx4Add, ...op.set(acc)];
// Relaxed SIMD's f32x4.relaxed_madd: fused where the cpu has FMA (one rounding instead of two,
// and half the instructions). Only runtimes that ship relaxed SIMD validate it (V8 11.4+: Chrome
// 114, Node 22); elsewhere the plain multiply-then-add module is used.
const fusedMulAdd: MulAdd = (acc, x, y) =>
    [...op.get(x), ...op.get(y), ...op.get(acc), ...op.fx4RelaxedMadd, ...op.set(acc)];

/**
 * One product as a module of its own, importing the memory as env.mem and exporting `which`.
 * Two modules rather than one with two functions: browsers refuse to compile a module of more than
 * 4 KB synchronously on the main thread, and each of these stays under that (about 2.2 KB).
 */
function assembleModule(which: 'gemm'|'gemmGather', fused: boolean): Uint8Array<ArrayBuffer> {
  const madd = fused ? fusedMulAdd : mulThenAdd;
  const params = which === 'gemm' ? 6 : 7;
  const body = which === 'gemm' ? gemmBody(madd) : gemmGatherBody(madd);
  return assembleFunction(which, params, false, body);
}

// ---- JavaScript --------------------------------------------------------------------------------

/** The same contract as the WebAssembly product, on the heap's typed views. */
export function gemmJs(
    H: Float32Array, I: Int32Array, aRowAt: number, rows: number, bAt: number, depth: number,
    cRowAt: number, cols: number): void {
  const aRow = aRowAt >> 2;
  const cRow = cRowAt >> 2;
  const b = bAt >> 2;
  const panelSize = depth * PANEL;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a0 = I[aRow + r] >> 2, a1 = I[aRow + r + 1] >> 2;
    const a2 = I[aRow + r + 2] >> 2, a3 = I[aRow + r + 3] >> 2;
    const c0 = I[cRow + r] >> 2, c1 = I[cRow + r + 1] >> 2;
    const c2 = I[cRow + r + 2] >> 2, c3 = I[cRow + r + 3] >> 2;
    for (let j = 0; j < cols; j += 4) {
      // Columns j..j+3 sit in one panel (j is a multiple of 4, panels hold 8).
      let bp = b + (j >> 3) * panelSize + (j & 7);
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < depth; k++, bp += PANEL) {
        const x0 = H[a0 + k], x1 = H[a1 + k], x2 = H[a2 + k], x3 = H[a3 + k];
        let w = H[bp];
        s00 += x0 * w; s10 += x1 * w; s20 += x2 * w; s30 += x3 * w;
        w = H[bp + 1];
        s01 += x0 * w; s11 += x1 * w; s21 += x2 * w; s31 += x3 * w;
        w = H[bp + 2];
        s02 += x0 * w; s12 += x1 * w; s22 += x2 * w; s32 += x3 * w;
        w = H[bp + 3];
        s03 += x0 * w; s13 += x1 * w; s23 += x2 * w; s33 += x3 * w;
      }
      const n = cols - j;
      H[c0 + j] += s00; H[c1 + j] += s10; H[c2 + j] += s20; H[c3 + j] += s30;
      if (n > 1) {
        H[c0 + j + 1] += s01; H[c1 + j + 1] += s11; H[c2 + j + 1] += s21; H[c3 + j + 1] += s31;
      }
      if (n > 2) {
        H[c0 + j + 2] += s02; H[c1 + j + 2] += s12; H[c2 + j + 2] += s22; H[c3 + j + 2] += s32;
      }
      if (n > 3) {
        H[c0 + j + 3] += s03; H[c1 + j + 3] += s13; H[c2 + j + 3] += s23; H[c3 + j + 3] += s33;
      }
    }
  }
  for (; r < rows; r++) {
    const a0 = I[aRow + r] >> 2;
    const c0 = I[cRow + r] >> 2;
    for (let j = 0; j < cols; j++) {
      let bp = b + (j >> 3) * panelSize + (j & 7);
      let s = 0;
      for (let k = 0; k < depth; k++, bp += PANEL) s += H[a0 + k] * H[bp];
      H[c0 + j] += s;
    }
  }
}

/** The same contract as the WebAssembly gemmGather, on the heap's typed views. */
export function gemmGatherJs(
    H: Float32Array, I: Int32Array, aRowAt: number, bRowAt: number, n: number, rows: number,
    cols: number, cAt: number, cStride: number): void {
  const aRow = aRowAt >> 2;
  const bRow = bRowAt >> 2;
  const stride = cStride >> 2;
  const c = cAt >> 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    for (let j = 0; j < cols; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      const m = cols - j;
      for (let q = 0; q < n; q++) {
        const xa = (I[aRow + q] >> 2) + r;
        const yb = (I[bRow + q] >> 2) + j;
        const x0 = H[xa], x1 = H[xa + 1], x2 = H[xa + 2], x3 = H[xa + 3];
        // Columns past `cols` read whatever follows (B's region has slack); they are not stored.
        const w0 = H[yb], w1 = H[yb + 1], w2 = H[yb + 2], w3 = H[yb + 3];
        s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2; s03 += x0 * w3;
        s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2; s13 += x1 * w3;
        s20 += x2 * w0; s21 += x2 * w1; s22 += x2 * w2; s23 += x2 * w3;
        s30 += x3 * w0; s31 += x3 * w1; s32 += x3 * w2; s33 += x3 * w3;
      }
      const c0 = c + r * stride + j, c1 = c0 + stride, c2 = c1 + stride, c3 = c2 + stride;
      H[c0] += s00; H[c1] += s10; H[c2] += s20; H[c3] += s30;
      if (m > 1) {
        H[c0 + 1] += s01; H[c1 + 1] += s11; H[c2 + 1] += s21; H[c3 + 1] += s31;
      }
      if (m > 2) {
        H[c0 + 2] += s02; H[c1 + 2] += s12; H[c2 + 2] += s22; H[c3 + 2] += s32;
      }
      if (m > 3) {
        H[c0 + 3] += s03; H[c1 + 3] += s13; H[c2 + 3] += s23; H[c3 + 3] += s33;
      }
    }
  }
  for (; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let q = 0; q < n; q++) s += H[(I[aRow + q] >> 2) + r] * H[(I[bRow + q] >> 2) + j];
      H[c + r * stride + j] += s;
    }
  }
}
