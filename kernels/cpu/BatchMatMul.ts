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
  const layout = new HeapLayout();
  const A = layout.take(m * k);
  const B = layout.take(panels * PANEL * k);
  const C = layout.take(m * n);
  const aRow = layout.take(m);
  const cRow = layout.take(m);
  if (layout.bytes > MAX_HEAP_BYTES) {
    throw new Error(`TorchBatchMatMul: one product of [${m}, ${k}] @ [${k}, ${n}] needs ${
        layout.bytes} bytes of scratch, over the ${MAX_HEAP_BYTES} the product can address`);
  }
  const {f32, i32, gemm} = gemmHeap(layout.bytes);
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
    for (let p = 0; p < panels; p++) {
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
