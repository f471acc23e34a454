// Case lists shared by the GPU-backend suites that compare a GPU backend's kernels with the cpu
// kernels (test/browser/webgl_*.test.ts, test/browser/webgpu_kernels.test.ts): shapes and
// options the PyTorch fixtures do not reach, chosen to exercise every program form.
import type {ConvTransposeOptions, MaxPoolOptions} from '../../src/index.js';
import type {InterpolateOptions} from '../../src/ops/interpolate.js';

/**
 * interpolate: one pass over every axis (few taps) and one pass per axis (area and antialias
 * windows, gradient tables of 3-D and strong downscales).
 */
export const INTERPOLATE_CASES: Array<{shape: number[], options: InterpolateOptions}> = [
  {shape: [2, 3, 37], options: {size: 80, mode: 'linear'}},
  {shape: [2, 3, 37, 29], options: {size: [61, 64], mode: 'bilinear'}},
  {shape: [1, 2, 37, 29], options: {scaleFactor: [1.7, 2.3], mode: 'bilinear', alignCorners: true}},
  {shape: [1, 2, 37, 29], options: {size: [80, 13], mode: 'bicubic'}},
  {shape: [1, 2, 37, 29], options: {scaleFactor: 2.2, mode: 'nearest'}},
  {shape: [1, 2, 37, 29], options: {size: [18, 70], mode: 'nearest-exact'}},
  {shape: [1, 2, 37, 29], options: {size: [5, 7], mode: 'area'}},
  {shape: [1, 2, 37, 29], options: {size: [9, 11], mode: 'bilinear', antialias: true}},
  {shape: [1, 2, 37, 29], options: {size: [7, 40], mode: 'bicubic', antialias: true}},
  {shape: [1, 2, 9, 11, 7], options: {size: [17, 5, 14], mode: 'trilinear'}},
  {shape: [1, 2, 9, 11, 7], options: {scaleFactor: 2, mode: 'nearest'}},
  {shape: [1, 2, 9, 11, 7], options: {size: [4, 3, 2], mode: 'area'}},
];

/** convTranspose: 1-D to 3-D, strides, padding, dilation, outputPadding, groups, bias. */
export const CONV_TRANSPOSE_CASES: Array<{
  inC: number, outC: number, spatial: number[], kernel: number[], opts: ConvTransposeOptions,
  bias: boolean
}> = [
  {inC: 3, outC: 2, spatial: [5], kernel: [3], opts: {stride: 2, padding: 1}, bias: true},
  {inC: 4, outC: 6, spatial: [7], kernel: [4],
   opts: {stride: 3, padding: 2, dilation: 2, outputPadding: 1, groups: 2}, bias: false},
  {inC: 8, outC: 4, spatial: [4, 5], kernel: [4, 4], opts: {stride: 2, padding: 1}, bias: true},
  {inC: 6, outC: 9, spatial: [3, 4], kernel: [3, 2],
   opts: {stride: [2, 3], padding: [1, 0], dilation: [2, 1], outputPadding: [1, 2], groups: 3},
   bias: true},
  {inC: 5, outC: 3, spatial: [3, 3], kernel: [5, 5], opts: {stride: 1, padding: 2}, bias: false},
  {inC: 2, outC: 4, spatial: [2, 3, 2], kernel: [2, 3, 2],
   opts: {stride: [2, 1, 2], padding: [0, 1, 1], outputPadding: [1, 0, 0], groups: 2},
   bias: true},
];

/**
 * Max pooling. unpool: whether maxUnpool with the same kernel, stride and padding accepts the
 * pooled input's size as outputSize (PyTorch's bounds), so the round trip can be checked too.
 */
export const POOL_CASES: Array<{spatial: number[], opts: MaxPoolOptions, what: string,
                                unpool: boolean}> = [
  {spatial: [11], opts: {kernelSize: 3, stride: 2, padding: 1}, what: 'overlap', unpool: true},
  {spatial: [10], opts: {kernelSize: 2, dilation: 3, padding: 1, ceilMode: true},
   what: 'dilation, ceilMode', unpool: false},
  {spatial: [9, 8], opts: {kernelSize: 2}, what: 'k2 s2', unpool: true},
  {spatial: [7, 9], opts: {kernelSize: 3, stride: 2, padding: 1, ceilMode: true},
   what: 'k3 s2 p1 ceilMode', unpool: true},
  {spatial: [6, 7], opts: {kernelSize: [2, 3], stride: 1, padding: [1, 1], dilation: [2, 1]},
   what: 'stride 1, dilation', unpool: false},
  // Along W (size 2, taps -1 and 2) every window is padding: value -inf and the index of
  // (h, 2), which is (h + 1, 0) of the plane or past its end.
  {spatial: [3, 2], opts: {kernelSize: 2, stride: 1, padding: 1, dilation: 3},
   what: 'all-padding windows', unpool: false},
  {spatial: [4, 5, 6], opts: {kernelSize: [2, 3, 2], stride: [2, 2, 1], padding: [0, 1, 1]},
   what: '3-D', unpool: true},
];

/** int32 values no float32 holds exactly (and small ones), for the copying kernels. */
export const BIG_INT32 = [2 ** 30 + 1, -(2 ** 31), 2 ** 31 - 1, 16777217, -16777219, 5, 2047, -2049];

/**
 * TorchPrelu (the PReLU layer's kernel): ranks 2 to 6, both layouts, one weight and one per
 * channel, sizes that are and are not multiples of 4 (webgpu's vec4 and scalar programs), odd
 * last dims (padding in webgl's packed texels), the channel axis last, second to last and outer
 * (the three channel patterns of a packed texel), and many channels.
 */
export const PRELU_SHAPES: number[][] = [
  [3, 5], [2, 3, 7], [2, 6, 5, 4], [1, 3, 4, 5, 6], [2, 1, 3, 2, 5, 3], [1, 33, 17, 40],
];

/** Deterministic values in [-8, 8] with exact zeros and, with `nonFinite`, +-Infinity and NaN. */
export function preluValues(n: number, seed: number, nonFinite: boolean): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push(((s % 1025) - 512) / 64);
  }
  for (let i = 0; i < n; i += 7) out[i] = 0;
  if (nonFinite) {
    for (let i = 1; i < n; i += 11) out[i] = Infinity;
    for (let i = 2; i < n; i += 13) out[i] = -Infinity;
    for (let i = 3; i < n; i += 17) out[i] = NaN;
  }
  return out;
}

/** PReLU weights: negative, zero, above 1 and ordinary slopes (Note [PReLU on tensorflow]). */
export function preluWeights(c: number): number[] {
  return Array.from({length: c}, (_, i) => [0.25, -0.5, 0, 1.5, 0.125][i % 5] + i / 256);
}
