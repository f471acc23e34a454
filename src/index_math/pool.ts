// Index math of max pooling with indices and max unpooling, written once for every backend.
//
// The cpu kernels call these functions; a webgl shader generator or a tfjs-node kernel takes the
// same tables (poolWindowTable) and the same index encoding (flatPlaneIndex) instead of
// re-deriving a rule. Every rule below is PyTorch 1.13's (aten/src/ATen/native/Pool.h,
// MaxPoolKernel.cpp, DilatedMaxPool3d.cpp, MaxUnpooling.cpp, torch/nn/functional.py), checked
// against PyTorch by scripts/fixtures/gen_pool.py.

import {BoundedMemo} from '../util/memo.js';

// Note [pooling output size]
// PyTorch's pooling_output_shape:
//   out = floor((in + 2p - d(k-1) - 1 + (ceilMode ? s-1 : 0)) / s) + 1
// with a floor division that rounds toward -infinity (div_rtn), so a too-small input gives
// out <= 0, which the op rejects ("Output size is too small"). With ceilMode the last window
// must start inside the input or the left padding, (out-1)*s < in + p, else it is dropped:
// without that rule ceilMode could add a window that sees only right padding.
/** Output size of one spatial dim of max pooling (may be <= 0: the op rejects that). */
export function poolingOutputSize(
    inSize: number, kernelSize: number, padding: number, stride: number, dilation: number,
    ceilMode: boolean): number {
  const numerator = inSize + 2 * padding - dilation * (kernelSize - 1) - 1 +
      (ceilMode ? stride - 1 : 0);
  let out = Math.floor(numerator / stride) + 1;
  if (ceilMode && (out - 1) * stride >= inSize + padding) out--;
  return out;
}

// Note [pooling padding limit]
// PyTorch: "pad should be at most half of kernel size", per axis padding <= floor(k / 2).
// Without that rule a window could be all padding even without dilation (Note [pooling
// window]).
/** The limit above over every axis: null when it holds, else the error text after "<op>: ". */
export function poolPaddingLimitError(
    padding: readonly number[], kernelSize: readonly number[]): string|null {
  if (padding.every((p, a) => p <= Math.floor(kernelSize[a] / 2))) return null;
  return `argument 'padding' must be at most half of kernelSize, got padding [${
      padding.join(', ')}] and kernelSize [${kernelSize.join(', ')}]`;
}

// Note [pooling window]
// Output position o of one spatial dim looks at the taps o*s - p + t*d, t = 0..k-1, that lie in
// [0, in). PyTorch walks them as: start = o*s - p, end = min(start + (k-1)*d + 1, in), then
// advances start by d while it is negative. `start` is therefore the first tap inside the
// input, or, when every tap is padding, a position >= end. Taps are start, start+d, ... below
// end, so count = ceil((end - start) / d), 0 for an all-padding window. That needs d > 1: with
// d = 1 a window covers [o*s - p, o*s - p + k - 1], whose start is >= -p >= -floor(k/2) (so
// its end is >= 0) and, ceilMode included, < in (Note [pooling output size]).
//
// Note [all-padding windows]
// PyTorch starts the running max at -infinity with the index of the window's `start` on every
// axis, so a window without a real element gives value -inf and the index flatPlaneIndex of
// those starts, although a start lies outside its axis. That index can alias another element
// of the plane (w = W reads as (h+1, 0)) or fall outside the plane. We return the same index.
// Consumers treat indices only as flat plane offsets: the pooling gradient adds dy at an index
// inside the plane (what PyTorch does for an aliasing index) and drops one outside it (PyTorch
// writes past the plane there: into the next plane's gradient or past its buffer).

/** The taps of one window along one axis: first tap inside the input (see the note), count. */
export interface PoolWindow {
  start: number;
  count: number;
}

export function poolWindow(
    outIndex: number, inSize: number, kernelSize: number, padding: number, stride: number,
    dilation: number): PoolWindow {
  let start = outIndex * stride - padding;
  const end = Math.min(start + (kernelSize - 1) * dilation + 1, inSize);
  while (start < 0) start += dilation;
  const count = start < end ? Math.ceil((end - start) / dilation) : 0;
  return {start, count};
}

// Note [taps that can be real]
// A window of kernelSize taps whose tap t reads o * stride - padding + t * dilation can be far
// larger than the input: PyTorch accepts kernelSize 2e5 + 1 with padding 1e5 over an input 6
// wide (output 6 wide: every window covers the whole row). A kernel that made a table, a loop or
// a tensor per tap would then cost 2e5 of them for 6 real elements. Only the taps that lie inside
// the input for at least one output position matter: tap t is real for some o in [0, out) iff
//   t * dilation >= padding - (out - 1) * stride    (real for the last window)  and
//   t * dilation <= padding + in - 1                (real for the first window),
// so the taps tMin..tMax of that range (clamped to [0, kernelSize)) form the same windows as the
// full kernel, with kernelSize' = tMax - tMin + 1 and padding' = padding - tMin * dilation: each
// window's real taps, their order, its first real element and its max are unchanged; only taps
// that are padding for every window are left out. tMin is lowered to at most floor(padding /
// dilation) so that padding' stays >= 0 (kernels pad, they do not crop, before the window). The
// output size is the one of the full kernel: compute it first, then take these.
/** The kernel size and padding of one axis without the taps that are never real (see the note). */
export function realTapWindow(
    inSize: number, outSize: number, kernelSize: number, padding: number, stride: number,
    dilation: number): {kernelSize: number, padding: number} {
  const tMin = Math.max(0, Math.min(Math.ceil((padding - (outSize - 1) * stride) / dilation),
                                    Math.floor(padding / dilation)));
  const tMax = Math.min(kernelSize - 1, Math.floor((padding + inSize - 1) / dilation));
  // No tap is ever real (not reachable with a non-empty output): keep the kernel as it is.
  if (tMax < tMin) return {kernelSize, padding};
  return {kernelSize: tMax - tMin + 1, padding: padding - tMin * dilation};
}

/** One spatial axis of a pooling, as the GPU kernels build their window tables from it. */
export interface PoolAxis {
  inSize: number;
  outSize: number;
  kernelSize: number;
  stride: number;
  padding: number;
  dilation: number;
}

/** poolWindow for every output position of one axis, as two typed arrays (for kernels). */
export interface PoolWindowTable {
  start: Int32Array;
  count: Int32Array;
}

export function poolWindowTable(
    outSize: number, inSize: number, kernelSize: number, padding: number, stride: number,
    dilation: number): PoolWindowTable {
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const w = poolWindow(o, inSize, kernelSize, padding, stride, dilation);
    start[o] = w.start;
    count[o] = w.count;
  }
  return {start, count};
}

// Note [max and ties]
// The window is scanned in row-major order (d, then h, then w, taps in increasing position) and
// a tap replaces the running max when `value > max || isNaN(value)`. So among equal values the
// FIRST in scan order wins, and a NaN always wins over numbers and over an earlier NaN: the
// LAST NaN in scan order gives the index. A window of only -inf keeps the first tap.
// This note is the rule's one statement: each kernel writes the comparison in its own terms
// (integer masks on cpu, GLSL on webgl, TensorFlow ops on tensorflow) and cites it; the pool
// fixtures (ties, NaN, all -inf windows) check every backend against PyTorch.

// Note [index encoding]
// An index is the flat offset of the element inside its own (batch, channel) plane, row-major
// over the spatial dims: w in 1-D, h*W + w in 2-D, d*H*W + h*W + w in 3-D, whatever the
// dataFormat (PyTorch's convention; ONNX's and tf.maxPoolWithArgmax's differ). MaxUnpool reads
// indices the same way, in its output plane.
/** Flat plane offset of a spatial position (outermost dim first). */
export function flatPlaneIndex(position: readonly number[], spatial: readonly number[]): number {
  let index = 0;
  for (let i = 0; i < spatial.length; i++) index = index * spatial[i] + position[i];
  return index;
}

/** Recent strides by plane size (bounded: src/util/memo.ts). */
const planeStrideMemo = new BoundedMemo<string, number[]>(128);

/**
 * Note [index encoding] as strides, for kernels that compute an index as a dot product:
 * flatPlaneIndex(p, spatial) = sum(p[a] * strides[a]) (tested against flatPlaneIndex).
 */
export function planeStrides(spatial: readonly number[]): number[] {
  return planeStrideMemo.get(spatial.join(','), () => spatial.map(
      (_, a) => flatPlaneIndex(spatial.map((__, b) => (b === a ? 1 : 0)), spatial)));
}

/**
 * poolWindowTable of one axis, split into its regular middle and its edges: for lo <= o < hi,
 * start = o * stride - padding and count = kernelSize; the other entries (o < lo, then o >= hi)
 * are listed in edgeStart / edgeCount. A shader computes the middle and looks up the edges (a few
 * positions), so its table stays small whatever the image size. lo = hi = outSize when no entry
 * is regular.
 */
export interface PoolWindowSplit {
  lo: number;
  hi: number;
  edgeStart: number[];
  edgeCount: number[];
}

/** Recent splits by geometry (bounded: src/util/memo.ts). */
const windowSplitMemo = new BoundedMemo<string, PoolWindowSplit>(
    128, 1 << 20, (t) => t.edgeStart.length + t.edgeCount.length);

export function poolWindowSplit(ax: PoolAxis): PoolWindowSplit {
  const key = [ax.inSize, ax.outSize, ax.kernelSize, ax.stride, ax.padding, ax.dilation].join(',');
  return windowSplitMemo.get(key, () => {
    const {start, count} = poolWindowTable(
        ax.outSize, ax.inSize, ax.kernelSize, ax.padding, ax.stride, ax.dilation);
    const linear = (o: number) =>
        start[o] === o * ax.stride - ax.padding && count[o] === ax.kernelSize;
    // The longest run of entries the expression reproduces.
    let lo = ax.outSize;
    let hi = ax.outSize;
    for (let o = 0; o < ax.outSize;) {
      if (!linear(o)) {
        o++;
        continue;
      }
      let e = o;
      while (e < ax.outSize && linear(e)) e++;
      if (e - o > hi - lo) {
        lo = o;
        hi = e;
      }
      o = e;
    }
    const edges = [...Array.from({length: lo}, (_, o) => o),
                   ...Array.from({length: ax.outSize - hi}, (_, k) => hi + k)];
    return {
      lo,
      hi,
      edgeStart: edges.map((o) => start[o]),
      edgeCount: edges.map((o) => count[o]),
    };
  });
}

// Note [unpool output size]
// PyTorch's _unpool_output_size: by default out = (in-1)*s - 2p + k, the size of the input the
// matching MaxPool saw when it had no leftover. Because a pool with floor rounding maps several
// input sizes to one output size, a user may name the size, which must lie strictly between
// default - s and default + s (both ends excluded, as PyTorch's `min_size < size < max_size`).
/** Default output size of one spatial dim of max unpooling. */
export function unpoolDefaultOutputSize(
    inSize: number, kernelSize: number, stride: number, padding: number): number {
  return (inSize - 1) * stride + kernelSize - 2 * padding;
}

/** The open interval (min, max) a user's output size must lie in. */
export function unpoolOutputSizeBounds(
    inSize: number, kernelSize: number, stride: number, padding: number): [number, number] {
  const d = unpoolDefaultOutputSize(inSize, kernelSize, stride, padding);
  return [d - stride, d + stride];
}

// Note [unpool writes]
// MaxUnpool writes x[i] at index indices[i] of a zero output plane, in the input plane's
// row-major order; with duplicate indices the LAST write wins (PyTorch's cpu loop). An index outside [0, output plane size) is an error (PyTorch's "Found
// an invalid max index"). The gradient of MaxUnpool gathers dy at indices, so every duplicate
// gets the gradient of the element that won.

// Note [unpool index check]
// PyTorch raises on an index outside the output plane. maxUnpoolNd does too, before anything is
// written, wherever that costs no synchronous read of a GPU: the cpu and wasm kernels check each
// index as they write into their fresh output (dropped on error, so nothing observable was
// written); on tensorflow the op takes a min and a max of the indices and reads those two numbers
// from host memory. A webgl or webgpu shader cannot throw, and the op's check there would be a
// synchronous read that stalls the GPU queue (and, on WebGPU without a GPU process, loses the
// device), so on those backends an out-of-plane index is never written: the unpool is a gather
// over the output positions, and no output position matches such an index (its value is lost,
// the other values are written as on cpu); the gradient gives it 0. Indices that come from
// maxPool*WithIndices with the same geometry are in range by construction, so only hand-made
// indices see the difference. Who checks is declared per backend (src/util/capabilities.ts,
// unpoolIndices); the message is this one.
/** The text after "<op>: " of the error for an index outside the output plane. */
export function invalidUnpoolIndexMessage(index: number, outSize: readonly number[]): string {
  const plane = outSize.reduce((a, b) => a * b, 1);
  return `indices must lie in [0, ${plane}) (flat offsets inside one ${
      outSize.join('x')} output plane), found ${index}`;
}

// Note [max pool values on TensorFlow's MaxPool]
// Where only the values of a max pool are wanted (nn.MaxPool2d without return_indices: U^2-Net's
// max_pool2d(2, 2, ceil_mode=True)), TensorFlow's own MaxPool (tfjs's maxPool) can give them
// when its windows are PyTorch's: no padding, no dilation, and per spatial dim the same output
// size with TensorFlow's 'valid' (out = floor((in - k) / s) + 1, every window inside) or 'same'
// (out = ceil(in / s), pad total max((out - 1) * s + k - in, 0), its floor half before: PyTorch
// puts nothing before, so that half must be 0; the windows past the end take the max over their
// real elements, as PyTorch's ceil_mode windows do). Over finite values a max is exact whichever
// element holds it, so the values match PyTorch's; for Inf and NaN they need not (TensorFlow's
// CPU MaxPool starts from the lowest finite float, not -Inf, and drops or keeps a NaN by
// position, while PyTorch's NaN always wins, Note [max and ties]): it is a finite-only shortcut
// (Note [native resize and non-finite input] in finite.ts says how a backend learns that).
// On tensorflow the op runs it as the FiniteMaxPool kernel, which takes oneDNN's pool with the same
// windows where the build has it (Note [max pool as oneDNN's pool] in kernels/node/FiniteMaxPool.ts).
/**
 * TensorFlow's padding for a max pool whose windows are PyTorch's (Note above), or null where
 * they are not.
 */
export function nativeMaxPoolPadding(
    inSize: readonly number[], kernelSize: readonly number[], stride: readonly number[],
    padding: readonly number[], dilation: readonly number[], ceilMode: boolean): 'valid'|'same'|null {
  if (padding.some((p) => p !== 0) || dilation.some((d) => d !== 1)) return null;
  const out = inSize.map((s, i) => poolingOutputSize(s, kernelSize[i], 0, stride[i], 1, ceilMode));
  const valid = inSize.every((s, i) => s >= kernelSize[i] &&
                                       out[i] === Math.floor((s - kernelSize[i]) / stride[i]) + 1);
  if (valid) return 'valid';
  const same = inSize.every((s, i) => {
    const o = Math.ceil(s / stride[i]);
    const total = Math.max((o - 1) * stride[i] + kernelSize[i] - s, 0);
    return o === out[i] && Math.floor(total / 2) === 0;
  });
  return same ? 'same' : null;
}
