// Small helpers shared by the cpu kernels: typed access to a tensor's values and creation of
// output tensors in the cpu backend's storage.
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import type {DataType, TensorInfo, TypedArray} from '@tensorflow/tfjs-core';

export type CpuBackend = MathBackendCPU;

/** The values of a tensor stored on the cpu backend (no copy). */
export function valuesOf(backend: CpuBackend, t: TensorInfo): TypedArray {
  return backend.data.get(t.dataId).values as TypedArray;
}

/** A zero-filled typed array for a dtype. */
export function zeros(dtype: DataType, size: number): Float32Array|Int32Array {
  return dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
}

/** Hands `values` to the backend as a new tensor (the array is taken over, not copied). */
export function output(
    backend: CpuBackend, shape: number[], dtype: DataType, values: TypedArray): TensorInfo {
  return backend.makeTensorInfo(shape, dtype, values);
}
