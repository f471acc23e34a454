// cpu kernel of TorchBatchMatMul: each product of the batch on the convTranspose kernels' matrix
// product (conv_transpose_gemm.ts: WebAssembly SIMD where the runtime has it, a 4 x 8 register
// tile), A's rows and C's rows contiguous and B packed in panels of 8 columns once per product.
// tfjs's own BatchMatMul is a plain JavaScript loop on cpu, and on wasm a plain C loop for a batch
// of more than one product (Note [batched products of our own] in src/layers/attention.ts).
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BatchMatMul} from '../../src/kernel_names.js';
import type {BatchMatMulInputs} from '../../src/kernel_names.js';
import {gemmHeap, HeapLayout, MAX_HEAP_BYTES, PANEL} from './conv_transpose_gemm.js';
import {output, valuesOf} from './util.js';
import {assembleFunction, I32, op, uleb, vec} from './wasm_assembler.js';
import type {CpuBackend} from './util.js';

/** [batch, m, k] and [batch, k, n] as the kernel takes them, or an error naming the argument. */
export function batchMatMulShape(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== 3 || b.length !== 3 || a[0] !== b[0] || a[2] !== b[1]) {
    throw new Error(`TorchBatchMatMul: a must be [batch, m, k] and b [batch, k, n], got shapes ${
        JSON.stringify(a)} and ${JSON.stringify(b)}`);
  }
  return [a[0], a[1], b[2]];
}

/**
 * Compute core of TorchBatchMatMul (exported through shared.ts): out[i] = a[i] @ b[i] for each of
 * `batch` products, a[i] [m, k] and b[i] [k, n] row-major, out[i] [m, n]; float32 sums (as
 * PyTorch's cpu kernels). Any views: the operands are copied into the product's own heap.
 */
export function batchMatMulImplCPU(
    a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number,
    out: Float32Array): void {
  if (out.length === 0) return;
  if (k === 0) {
    out.fill(0);
    return;
  }
  const panels = Math.ceil(n / PANEL);
  const full = Math.floor(n / PANEL);
  const layout = new HeapLayout();
  const A = layout.take(m * k);
  const B = layout.take(panels * PANEL * k);
  // b[i] as it lies, for the SIMD packing of its whole panels (Note [packing B in SIMD]).
  const raw = full > 0 ? layout.take(k * n) : 0;
  const C = layout.take(m * n);
  const aRow = layout.take(m);
  const cRow = layout.take(m);
  if (layout.bytes > MAX_HEAP_BYTES) {
    throw new Error(`TorchBatchMatMul: one product of [${m}, ${k}] @ [${k}, ${n}] needs ${
        layout.bytes} bytes of scratch, over the ${MAX_HEAP_BYTES} the product can address`);
  }
  const {f32, i32, gemm, memory} = gemmHeap(layout.bytes);
  const pack = full > 0 && memory != null ? packLoop(memory) : null;
  for (let r = 0; r < m; r++) {
    i32[(aRow >> 2) + r] = A + 4 * r * k;
    i32[(cRow >> 2) + r] = C + 4 * r * n;
  }
  const a0 = A >> 2, b0 = B >> 2, c0 = C >> 2;
  for (let i = 0; i < batch; i++) {
    f32.set(a.subarray(i * m * k, (i + 1) * m * k), a0);
    // Panel p: for each row kk of b, its columns 8p..8p+7 (0 past n: computed, never stored).
    const src = i * k * n;
    let d = b0;
    let p0 = 0;
    if (pack != null) {
      f32.set(b.subarray(src, src + k * n), raw >> 2);
      pack(raw, B, k, 4 * n, full);
      p0 = full;
      d = b0 + full * PANEL * k;
    }
    for (let p = p0; p < panels; p++) {
      const col0 = p * PANEL;
      const width = Math.min(PANEL, n - col0);
      for (let kk = 0; kk < k; kk++, d += PANEL) {
        const row = src + kk * n + col0;
        for (let j = 0; j < width; j++) f32[d + j] = b[row + j];
        for (let j = width; j < PANEL; j++) f32[d + j] = 0;
      }
    }
    f32.fill(0, c0, c0 + m * n);   // the product accumulates into C
    gemm(aRow, m, B, k, cRow, n);
    out.set(f32.subarray(c0, c0 + m * n), i * m * n);
  }
}

// Note [packing B in SIMD]
// Packing B into panels of 8 columns in JavaScript (one element at a time) took three quarters
// of a product with a wide B ([7, 16] @ [16, 4096], [7, 4096] @ [4096, 16]: attention's scores and
// values in SAM's mask decoder). Where the product runs on WebAssembly, b[i] is copied into the
// product's memory as it lies (one block copy) and the loop packPanels moves each whole panel's
// rows, 8 floats (two vectors) at a time:
//     packPanels(src, dst, k, rowBytes, panels): for p < panels, kk < k:
//       dst[(p k + kk) 8 .. + 8] = src[kk rowBytes / 4 + 8 p .. + 8]
// The last, partial panel (n not a multiple of 8) is still packed in JavaScript. Bits are moved,
// not computed: the product's result is the same.

function packPanelsBody(): number[] {
  const src = 0, dst = 1, k = 2, rowBytes = 3, panels = 4;
  const p = 5, s = 6, kk = 7;
  const body = [
    ...op.i32(0), ...op.set(p),
    ...op.block(op.loop([
      ...op.get(p), ...op.get(panels), ...op.geU, ...op.brIf(1),
      ...op.get(src), ...op.get(p), ...op.i32(5), ...op.shl, ...op.add, ...op.set(s),
      ...op.i32(0), ...op.set(kk),
      ...op.block(op.loop([
        ...op.get(kk), ...op.get(k), ...op.geU, ...op.brIf(1),
        ...op.get(dst), ...op.get(s), ...op.vLoad(0), ...op.vStore(0),
        ...op.get(dst), ...op.get(s), ...op.vLoad(16), ...op.vStore(16),
        ...op.get(dst), ...op.i32(32), ...op.add, ...op.set(dst),
        ...op.get(s), ...op.get(rowBytes), ...op.add, ...op.set(s),
        ...op.get(kk), ...op.i32(1), ...op.add, ...op.set(kk),
        ...op.br(0),
      ])),
      ...op.get(p), ...op.i32(1), ...op.add, ...op.set(p),
      ...op.br(0),
    ])),
  ];
  return [...vec([[...uleb(3), I32]]), ...body, 0x0b];
}

type PackFn = (src: number, dst: number, k: number, rowBytes: number, panels: number) => void;
let packModule: WebAssembly.Module|null|undefined;
const packInstances = new WeakMap<WebAssembly.Memory, PackFn|null>();

/** packPanels on the product's memory, or null where it cannot be made. */
function packLoop(memory: WebAssembly.Memory): PackFn|null {
  if (packInstances.has(memory)) return packInstances.get(memory)!;
  let fn: PackFn|null = null;
  try {
    if (packModule === undefined) {
      const bytes = assembleFunction('packPanels', 5, false, packPanelsBody());
      packModule = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    }
    if (packModule != null) {
      fn = new WebAssembly.Instance(packModule, {env: {mem: memory}}).exports.packPanels as PackFn;
    }
  } catch {
    fn = null;
  }
  packInstances.set(memory, fn);
  return fn;
}

export const batchMatMul: KernelFunc = ({inputs, backend}) => {
  const {a, b} = inputs as BatchMatMulInputs;
  const cpu = backend as CpuBackend;
  const [batch, m, n] = batchMatMulShape(a.shape, b.shape);
  const out = new Float32Array(batch * m * n);
  batchMatMulImplCPU(valuesOf(cpu, a) as Float32Array, valuesOf(cpu, b) as Float32Array, batch, m,
                     a.shape[2], n, out);
  return output(cpu, [batch, m, n], 'float32', out) as TensorInfo;
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'cpu',
  kernelFunc: batchMatMul,
};
