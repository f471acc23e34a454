// What the `models` bench's Node side (bench/model_one.ts) and its Chromium side
// (bench/webgpu/models.ts) share, free of Node modules so that the browser bundle can import it:
// which kernels count as convolutions, medians, the comparison with PyTorch's outputs, and the
// summary of a tf.profile run.

/** Kernels that are convolutions (tfjs's and tfjs-torch's). */
export const CONV_KERNELS = new Set([
  'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D',
  'Conv3D', 'TorchConvTranspose', 'TorchConvTranspose2D', 'TorchConv2d', 'TorchConvTranspose2d']);

export const isConvKernel = (name: string) => CONV_KERNELS.has(name) || /conv/i.test(name);

/**
 * Kernels that are matrix products: tfjs's MatMul / BatchMatMul / _FusedMatMul and tfjs-torch's
 * TorchBatchMatMul (attention's batched products on cpu and wasm) and TorchLinear. A kernel of
 * ours counts whole, the TensorFlow ops it runs itself included (they are not tfjs kernels, so
 * the profile has them inside its own time).
 */
export const MATMUL_KERNELS = new Set([
  'MatMul', 'BatchMatMul', '_FusedMatMul', 'FusedMatMul', 'TorchBatchMatMul', 'TorchLinear']);

export const isMatMulKernel = (name: string) => MATMUL_KERNELS.has(name);

export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The largest |got - want| and whether every element keeps pt.checkExport's rule
 * (|got - want| <= 1e-4 + 1e-4 |want|); a NaN difference or a length mismatch fails.
 */
export function compareWithTorch(got: ArrayLike<number>, want: ArrayLike<number>):
    {maxDiff: number, ok: boolean} {
  if (got.length !== want.length) return {maxDiff: Infinity, ok: false};
  let maxDiff = 0;
  let ok = true;
  for (let j = 0; j < got.length; j++) {
    const d = Math.abs(got[j] - want[j]);
    if (!(d <= maxDiff)) maxDiff = d;
    if (!(d <= 1e-4 + 1e-4 * Math.abs(want[j]))) ok = false;
  }
  return {maxDiff, ok};
}

export interface ProfileSummary {
  /** The sum of the kernels' times. */
  kernelMs: number;
  /** The six slowest kernels: [name, share of kernelMs]. */
  top: Array<[string, number]>;
  /** 1 - (convolution kernels' ms) / kernelMs. */
  outsideConvShare: number;
  /** 1 - (convolution and matrix product kernels' ms) / kernelMs. */
  outsideConvMatMulShare: number;
  /** Every kernel: [name, ms, calls], slowest first. */
  kernels: Array<[string, number, number]>;
}

/** Sums tf.profile's kernel records by kernel name (the `*__op` wrappers left out). */
export function summarizeProfile(kernels: Array<{name: string, kernelTimeMs: unknown}>): ProfileSummary {
  const byKernel = new Map<string, number>();
  const calls = new Map<string, number>();
  let kernelMs = 0;
  for (const k of kernels) {
    if (k.name.endsWith('__op')) continue;
    const ms = Number(k.kernelTimeMs) || 0;
    kernelMs += ms;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
    calls.set(k.name, (calls.get(k.name) ?? 0) + 1);
  }
  let convMs = 0;
  let matMulMs = 0;
  for (const [k, ms] of byKernel) {
    if (isConvKernel(k)) convMs += ms;
    else if (isMatMulKernel(k)) matMulMs += ms;
  }
  const sorted = [...byKernel].sort((a, b) => b[1] - a[1]);
  return {
    kernelMs,
    top: sorted.slice(0, 6).map(([k, ms]) => [k, kernelMs > 0 ? ms / kernelMs : 0]),
    outsideConvShare: kernelMs > 0 ? 1 - convMs / kernelMs : NaN,
    outsideConvMatMulShare: kernelMs > 0 ? 1 - (convMs + matMulMs) / kernelMs : NaN,
    kernels: sorted.map(([k, ms]) => [k, ms, calls.get(k)!]),
  };
}
