// Helpers shared by the wasm kernels. A tensor on tfjs's wasm backend lives in the backend's
// WebAssembly heap; a kernel here reads and writes it through typed-array views of that heap and
// runs the cpu kernels' compute cores (kernels/cpu/shared.ts) on those views.
//
// Note [wasm heap views]
// Any allocation on the heap (a new tensor: makeOutput, tf ops) may grow it, and growing detaches
// every view taken before: its length becomes 0, reads give undefined and writes are dropped,
// with no error. So every kernel allocates all of its outputs first, then takes the views, then
// runs the core, and calls nothing that allocates on the heap in between (`runOnHeap`). A core's
// own scratch (JavaScript arrays, the convTranspose product's separate WebAssembly memory) does
// not touch tfjs's heap. The outputs' memory comes from malloc and is not cleared; the cores
// write every value (those that scatter zero their output first).
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {DataType, TensorInfo, TypedArray} from '@tensorflow/tfjs-core';

export type WasmBackend = BackendWasm;

/** An output to allocate: its shape and dtype. */
export interface OutputSpec {
  shape: number[];
  dtype: DataType;
}

/**
 * Allocates `outputs` on the wasm heap, then takes views of `inputs` and of the outputs and runs
 * `core(inputViews, outputViews)` (Note [wasm heap views]). If the core throws, the outputs are
 * freed and the error passes on, so a rejected call leaks nothing.
 */
export function runOnHeap(
    backend: WasmBackend, inputs: TensorInfo[], outputs: OutputSpec[],
    core: (ins: TypedArray[], outs: TypedArray[]) => void): TensorInfo[] {
  const made = outputs.map((o) => backend.makeOutput(o.shape, o.dtype));
  try {
    // No heap allocation from here on: the views stay valid while the core runs.
    const ins = inputs.map((t) => backend.typedArrayFromHeap(t));
    const outs = made.map((t) => backend.typedArrayFromHeap(t));
    core(ins, outs);
  } catch (e) {
    for (const t of made) backend.disposeData(t.dataId);
    throw e;
  }
  return made;
}
