// Index math of interpolate (PyTorch's torch.nn.functional.interpolate), written once for every
// backend.
//
// Every mode of interpolate is separable: along each spatial axis, output position o is a
// weighted sum of a few input positions, and the n-D result is that 1-D map applied axis after
// axis. axisTable() gives the map of one axis as a small table (source indices and weights per
// output position); the cpu kernels run typed-array passes over it, a webgl shader reads it as
// a texture, a tfjs-node kernel gathers and multiplies with it. No backend re-derives a rule.
//
// The rules are PyTorch 1.13's (aten/src/ATen/native/UpSample.h, cpu/UpSampleKernel.cpp,
// UpSampleBicubic2d.cpp, AdaptiveAveragePooling.cpp, torch/nn/functional.py), each checked
// against PyTorch by scripts/fixtures/gen_interpolate.py. Where PyTorch computes in float32 and
// the result feeds a discrete choice (the nearest modes' floor), we round to float32 at the same
// steps (Math.fround); elsewhere the weights are continuous in the coordinate and double
// precision stays well inside the 1e-4 tolerance.
import type {InterpolateAttrs, InterpolateMode} from '../kernel_names.js';

export type {InterpolateMode};

// Note [output size from a scale factor]
// PyTorch's output size for one axis is floor(inSize * scaleFactor), the product taken in double
// precision (Python's float in functional.py when recomputing, and the C++ compute_output_size,
// which truncates the same double, otherwise). A product that lands just below an integer
// (in = 10, scale = 0.29 gives 2.8999999999999995) floors down, as in PyTorch.
/** PyTorch's output size for one axis from a scale factor: floor(inSize * scale). */
export function outputSizeFromScale(inSize: number, scale: number): number {
  return Math.floor(inSize * scale);
}

// Note [compute_scales_value]
// The ratio "input units per output unit" used for sampling. When the user gave a scale factor
// (and recomputeScaleFactor is not true) PyTorch samples with 1 / scaleFactor, not with
// in / out: with in = 5 and scaleFactor 2.5 both give 0.4, but with in = 5 and scaleFactor 2.3
// (out = 11) sampling uses 1/2.3 = 0.4348 while in/out = 0.4545. This follows OpenCV, so that a
// fractional factor keeps the same grid whatever the rounding of the output size. Without a
// scale factor the ratio is in / out. PyTorch holds the ratio as a float32 (`1.0 / scale` is
// computed in double and then rounded; `in / out` is a float32 division): we round the same way.
/** PyTorch's compute_scales_value<float>: 1/scale when a scale is given, else in/out. */
export function computeScalesValue(scale: number|null, inSize: number, outSize: number): number {
  return scale != null && scale > 0 ? Math.fround(1 / scale) : Math.fround(inSize / outSize);
}

// Note [area_pixel_compute_scale]
// With alignCorners the centres of the two corner pixels of input and output coincide, so the
// ratio is (in - 1) / (out - 1) (and 0 for a 1-pixel output, which then samples input 0); a user
// scale factor is ignored. Without alignCorners each pixel is an area with its centre at
// index + 0.5 and the whole range is scaled: the ratio of Note [compute_scales_value].
/** PyTorch's area_pixel_compute_scale<float>. */
export function areaPixelComputeScale(
    inSize: number, outSize: number, alignCorners: boolean, scale: number|null): number {
  if (alignCorners) return outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
  return computeScalesValue(scale, inSize, outSize);
}

// Note [area_pixel_compute_source_index]
// The (fractional) input coordinate that output position o samples.
// - alignCorners: scale * o (corner centres coincide).
// - otherwise half-pixel centres: scale * (o + 0.5) - 0.5. For the linear modes a negative
//   coordinate (the first output pixels when upsampling) is clamped to 0: both taps of the
//   pair would read input 0 anyway, but unclamped the weights would be computed from a
//   fraction of a negative number. The cubic modes keep the negative coordinate, because their
//   four taps (clamped to the border one by one) have weights that depend on it.
// PyTorch 1.13 evaluates this in double (acc_type<float> on cpu) from the float32 ratio.
/** PyTorch's area_pixel_compute_source_index. */
export function areaPixelComputeSourceIndex(
    scale: number, dstIndex: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return scale * dstIndex;
  const src = scale * (dstIndex + 0.5) - 0.5;
  return !cubic && src < 0 ? 0 : src;
}

// Note [nearest source index]
// PyTorch's `nearest` (kept for backward compatibility; it matches OpenCV's INTER_NEAREST) takes
// index = min(floor(o * scale), in - 1), the product in float32: it is NOT centred, so
// downscaling by 2 reads inputs 0, 2, 4, ... and upscaling by 3 from 2 reads 0,0,0,0,1,1. With a
// scale factor the ratio is 1/scaleFactor (Note [compute_scales_value]), and where o * ratio is
// close to an integer the float32 rounding decides the floor: 16 pixels with factor 2.2 give
// output 33 input 15 (33 * float32(1/2.2) rounds to 15.0), while the double quotient 33 / 2.2 =
// 14.999999999999998 would give 14. So the rounding steps are mirrored exactly. tfjs's
// resizeNearestNeighbor rounds instead (or uses half-pixel centres), a different map.
/** PyTorch's nearest_neighbor_compute_source_index (float32 product, floor, clamp). */
export function nearestSourceIndex(scale: number, dstIndex: number, inSize: number): number {
  return Math.min(Math.floor(Math.fround(Math.fround(dstIndex) * scale)), inSize - 1);
}

// Note [nearest-exact source index]
// `nearest-exact` samples the input pixel whose area holds the output pixel's centre (as Pillow
// and scipy.ndimage.zoom): index = min(floor((o + 0.5) * scale), in - 1). PyTorch forms
// (o + 0.5) * scale in double and rounds it to float32 before the floor (floorf's argument).
/** PyTorch's nearest_neighbor_exact_compute_source_index. */
export function nearestExactSourceIndex(scale: number, dstIndex: number, inSize: number): number {
  return Math.min(Math.floor(Math.fround((dstIndex + 0.5) * scale)), inSize - 1);
}

// Note [cubic convolution coefficients]
// Keys' cubic convolution kernel with A = -0.75 (as OpenCV and TensorFlow's legacy bicubic; the
// antialiased mode uses A = -0.5, Note [antialias]). For a coordinate with fraction t past input
// index i, the taps i-1, i, i+1, i+2 get W(t+1), W(t), W(1-t), W(2-t) with
//   W(x) = ((A+2)x - (A+3))x^2 + 1           for |x| <= 1
//   W(x) = ((Ax - 5A)x + 8A)x - 4A           for 1 < |x| < 2.
// Taps outside the input are clamped to the border index (their weight is added to the border
// pixel), as upsample_get_value_bounded does; the weights always sum to 1 (up to rounding).
//
// Note [cubic coefficients in float32]
// PyTorch evaluates the four weights in float32 (the input's dtype) from the fraction t rounded
// to float32. Where t is close to 0 or 1 (every alignCorners coordinate that lands near an input
// pixel: o * ratio with a float32 ratio is rarely an exact integer) the polynomials cancel, and
// their float32 rounding decides whether a weight that is mathematically tiny is +tiny, -tiny or
// exactly 0. With an infinite input that decides the output: +Inf, -Inf or NaN (0 * Inf, or
// Inf - Inf). So the evaluation is mirrored step by step: 1 - t and t + 1 rounded to float32,
// and each polynomial in float32 with the multiply-adds PyTorch's x86-64 build fuses (one
// rounding: (A+2)x - (A+3), Ax - 5A, then (.)x + 8A) and the others rounded per operation. This
// reproduces PyTorch 1.13's weights bit for bit (checked on one-hot inputs, 4..8 -> 2..14
// pixels, every output position, with and without alignCorners; evaluated in double instead,
// 180 of 254 inner positions differ, without the fused steps 26). The tap index is the floor of
// the coordinate rounded to float32 (floorf), t the double difference rounded to float32.
// PyTorch 2.x rounds the coordinate itself to float32 first (its opmath), so next to Inf / NaN
// inputs 2.x and 1.13 differ at such positions (33 of 600 random alignCorners probes); the op
// fixtures, and this table, follow 1.13. Finite outputs agree to float32 rounding. A fused step is formed in double (the product of two float32 is
// exact there) and rounded to float32 once more, which differs from a true fused multiply-add
// only where the double sum lies exactly halfway between two float32 values.
export const CUBIC_A = -0.75;

const f32 = Math.fround;

/** a * b + c with one float32 rounding (a fused multiply-add of float32 values). */
function fma32(a: number, b: number, c: number): number {
  return f32(a * b + c);
}

/** ((A+2)x - (A+3))x^2 + 1 in float32, the first multiply-add fused. */
function cubicConvolution1(x: number, a: number): number {
  const p = fma32(f32(a + 2), x, -f32(a + 3));
  return f32(f32(f32(p * x) * x) + 1);
}

/** ((Ax - 5A)x + 8A)x - 4A in float32, the first two multiply-adds fused. */
function cubicConvolution2(x: number, a: number): number {
  const p = fma32(a, x, -f32(5 * a));
  const q = fma32(p, x, f32(8 * a));
  return f32(f32(q * x) - f32(4 * a));
}

/**
 * PyTorch's get_cubic_upsample_coefficients: the weights of taps i-1..i+2 for fraction t, in
 * float32 (Note [cubic coefficients in float32]).
 */
export function cubicCoefficients(t: number, a = CUBIC_A): [number, number, number, number] {
  const x1 = f32(t);
  const x2 = f32(1 - x1);
  return [
    cubicConvolution2(f32(x1 + 1), a), cubicConvolution1(x1, a), cubicConvolution1(x2, a),
    cubicConvolution2(f32(x2 + 1), a),
  ];
}

// Note [area mode is adaptive average pooling]
// mode 'area' is adaptive_avg_pool{1,2,3}d to the output size: output o averages the inputs in
// [floor(o * in / out), ceil((o + 1) * in / out)), integer arithmetic (no rounding question).
// Windows overlap when in is not a multiple of out, and when upsampling each window is one or
// two pixels. The n-D window is the product of the 1-D windows, so the average is separable.
/** PyTorch's start_index for adaptive pooling: floor(o * in / out). */
export function adaptiveStartIndex(o: number, outSize: number, inSize: number): number {
  return Math.floor((o * inSize) / outSize);
}

/** PyTorch's end_index for adaptive pooling: ceil((o + 1) * in / out). */
export function adaptiveEndIndex(o: number, outSize: number, inSize: number): number {
  return Math.ceil(((o + 1) * inSize) / outSize);
}

// Note [antialias]
// With antialias (bilinear and bicubic on 4-D input, PyTorch's _upsample_*_aa, after Pillow's
// resampling) the filter is stretched by the scale when downscaling, so every input pixel
// contributes: for ratio `scale` (Note [area_pixel_compute_scale], alignCorners included: it
// changes the ratio but NOT the centre formula below) and filter half-width interpSize/2 (1 for
// bilinear, 2 for bicubic):
//   support  = interpSize/2 * scale   if scale >= 1 (downscaling), else interpSize/2
//   center   = scale * (o + 0.5)
//   xmin     = max(trunc(center - support + 0.5), 0)
//   xsize    = min(trunc(center + support + 0.5), in) - xmin
//   weight_j = filter((j + xmin - center + 0.5) * invscale), j < xsize, invscale = 1/scale when
//              downscaling else 1, then normalised to sum 1.
// The filters are the triangle (bilinear) and Keys' cubic with A = -0.5 (bicubic), not the
// A = -0.75 of plain bicubic. Upsampling with antialias is not the same as without it: the
// taps at the border are renormalised instead of clamped.
/** Pillow's triangle filter (antialiased bilinear). */
export function aaFilterLinear(x: number): number {
  const ax = Math.abs(x);
  return ax < 1 ? 1 - ax : 0;
}

export const AA_CUBIC_A = -0.5;

/** Keys' cubic with A = -0.5 (antialiased bicubic). */
export function aaFilterCubic(x: number): number {
  const ax = Math.abs(x);
  const a = AA_CUBIC_A;
  if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
  return 0;
}

/** Filter half-width times two: 2 taps for antialiased bilinear, 4 for bicubic, unstretched. */
function aaInterpSize(cubic: boolean): number {
  return cubic ? 4 : 2;
}

/** Pillow's support of the stretched filter (Note [antialias]). */
function aaSupport(scale: number, cubic: boolean): number {
  const half = aaInterpSize(cubic) / 2;
  return scale >= 1 ? half * scale : half;
}

/** The first input index and the tap count of one antialiased output position. */
function aaWindow(o: number, inSize: number, scale: number, cubic: boolean):
    {xmin: number, xsize: number} {
  const support = aaSupport(scale, cubic);
  const center = scale * (o + 0.5);
  const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
  const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
  return {xmin, xsize};
}

/**
 * The taps of one antialiased output position, written into `weights` (length >= the tap
 * count): returns the first input index and the count; the weights are normalised to sum 1.
 */
export function antialiasTaps(
    o: number, inSize: number, scale: number, cubic: boolean,
    weights: Float64Array): {xmin: number, xsize: number} {
  const filter = cubic ? aaFilterCubic : aaFilterLinear;
  const invscale = scale >= 1 ? 1 / scale : 1;
  const center = scale * (o + 0.5);
  const {xmin, xsize} = aaWindow(o, inSize, scale, cubic);
  let total = 0;
  for (let j = 0; j < xsize; j++) {
    const w = filter((j + xmin - center + 0.5) * invscale);
    weights[j] = w;
    total += w;
  }
  if (total !== 0) for (let j = 0; j < xsize; j++) weights[j] /= total;
  return {xmin, xsize};
}

// Note [linear copy when sizes match]
// The linear modes copy an axis whose output size equals its input size (weights 1 and 0),
// whatever scale factor the user gave: a scaleFactor of 1.05 on 10 pixels gives 10 pixels,
// copied, not resampled with ratio 1/1.05 (PyTorch's compute_source_index_and_lambda). The
// other modes have no such shortcut in their forward pass (but see Note [backward scales]).

// Note [axis tables]
// A table is two flat typed arrays with a fixed number of taps per output position: for output
// o, taps o*taps .. o*taps + taps - 1 hold a source index (Int32Array) and its weight
// (Float32Array: the weights are rounded to float32 once, here, and every backend reads the
// same rounded numbers). A row with fewer taps than the table's (area and antialias windows
// vary, transposed rows vary) is padded with weight -0 at the row's first index (index 0 for an
// empty row), so a padding tap reads a valid position; kernels skip it (Note [taps PyTorch
// evaluates]).
// A long axis costs taps * 8 bytes per output position and nothing else: no JS object per
// position is made, while building either, so a table's memory stays proportional to its size.
//
// Note [taps PyTorch evaluates]
// PyTorch's kernels evaluate every tap of their formula, so a zero weight still multiplies its
// value: a linear coordinate that lands on an input (lambda 0, as in every position of the copy
// of Note [linear copy when sizes match] and every downscale by an integer with alignCorners)
// computes 1 * x[i0] + 0 * x[i1], NaN when x[i1] is infinite; the cubic taps of an exact
// coordinate (weights 0, 1, 0, 0) and the antialias taps whose filter value is 0 (a same-size
// antialiased resize has weights 1, 0) do the same. So every tap PyTorch evaluates is in the
// table with its weight, +0 included, and no backend may drop one or take a copy shortcut over
// it. The padding taps of the shorter rows (area and antialias windows, transposed tables) are
// not PyTorch's and must add nothing even when the value they name is Inf or NaN: they carry the
// weight -0, which no real tap has (a weight PyTorch computes as zero is +0 here), and
// isPaddingTap tells them apart.

/** Whether a table weight marks a padding tap (-0; Note [taps PyTorch evaluates]). */
export function isPaddingTap(weight: number): boolean {
  return weight === 0 && 1 / weight < 0;
}

/** Per-axis resampling table (Note [axis tables]): every interpolate mode is a separable map. */
export interface AxisTable {
  inSize: number;
  outSize: number;
  /** Taps per output position (the max, for antialias/area which vary). */
  taps: number;
  /** [outSize * taps], source index in [0, inSize). */
  index: Int32Array;
  /** [outSize * taps], weight of that source (0 in unused taps). */
  weight: Float32Array;
}

/** The kind of 1-D filter a mode applies along each axis. */
export type AxisKind = 'nearest'|'nearest-exact'|'linear'|'cubic'|'area';

export function axisKind(mode: InterpolateMode): AxisKind {
  switch (mode) {
    case 'linear':
    case 'bilinear':
    case 'trilinear':
      return 'linear';
    case 'bicubic':
      return 'cubic';
    default:
      return mode;
  }
}

function emptyTable(inSize: number, outSize: number, taps: number): AxisTable {
  return {
    inSize, outSize, taps, index: new Int32Array(outSize * taps),
    weight: new Float32Array(outSize * taps),
  };
}

/** Whether a table has padding taps (rows shorter than its `taps`). */
export function hasPaddingTaps(t: AxisTable): boolean {
  for (let i = 0; i < t.weight.length; i++) if (isPaddingTap(t.weight[i])) return true;
  return false;
}

/**
 * The resampling table of one axis for a mode (bilinear etc. are 'linear' per axis).
 * `scale` is the user's scale factor for this axis when it drives the sampling (given and not
 * recomputed), else null.
 */
export function axisTable(
    mode: InterpolateMode, inSize: number, outSize: number, alignCorners: boolean,
    scale: number|null, antialias: boolean): AxisTable {
  const kind = axisKind(mode);
  const clamp = (i: number) => Math.max(0, Math.min(i, inSize - 1));
  if (kind === 'nearest' || kind === 'nearest-exact') {
    const t = emptyTable(inSize, outSize, 1);
    const ratio = computeScalesValue(scale, inSize, outSize);
    const pick = kind === 'nearest' ? nearestSourceIndex : nearestExactSourceIndex;
    for (let o = 0; o < outSize; o++) {
      t.index[o] = pick(ratio, o, inSize);
      t.weight[o] = 1;
    }
    return t;
  }
  if (kind === 'area') {
    let taps = 1;
    for (let o = 0; o < outSize; o++) {
      taps = Math.max(
          taps, adaptiveEndIndex(o, outSize, inSize) - adaptiveStartIndex(o, outSize, inSize));
    }
    const t = emptyTable(inSize, outSize, taps);
    for (let o = 0; o < outSize; o++) {
      const start = adaptiveStartIndex(o, outSize, inSize);
      const end = adaptiveEndIndex(o, outSize, inSize);
      const row = o * taps;
      for (let k = 0; k < taps; k++) {
        const inside = start + k < end;
        t.index[row + k] = inside ? start + k : start;
        t.weight[row + k] = inside ? 1 / (end - start) : -0;
      }
    }
    return t;
  }
  const ratio = areaPixelComputeScale(inSize, outSize, alignCorners, scale);
  if (antialias) {
    const cubic = kind === 'cubic';
    let taps = 1;
    for (let o = 0; o < outSize; o++) {
      taps = Math.max(taps, aaWindow(o, inSize, ratio, cubic).xsize);
    }
    const t = emptyTable(inSize, outSize, taps);
    const w = new Float64Array(taps);
    for (let o = 0; o < outSize; o++) {
      const {xmin, xsize} = antialiasTaps(o, inSize, ratio, cubic, w);
      const row = o * taps;
      for (let k = 0; k < taps; k++) {
        const inside = k < xsize;
        t.index[row + k] = inside ? xmin + k : (xsize > 0 ? xmin : 0);
        // + 0: a filter value of -0 (the cubic's last product) is a real zero weight, +0.
        t.weight[row + k] = inside ? w[k] + 0 : -0;
      }
    }
    return t;
  }
  if (kind === 'linear') {
    const t = emptyTable(inSize, outSize, 2);
    for (let o = 0; o < outSize; o++) {
      if (outSize === inSize) {
        t.index[2 * o] = o;
        t.index[2 * o + 1] = o;
        t.weight[2 * o] = 1;
        continue;
      }
      const src = areaPixelComputeSourceIndex(ratio, o, alignCorners, false);
      const i0 = Math.trunc(src);
      const lambda1 = Math.fround(src - i0);
      t.index[2 * o] = i0;
      t.index[2 * o + 1] = i0 < inSize - 1 ? i0 + 1 : i0;
      t.weight[2 * o] = 1 - lambda1;
      t.weight[2 * o + 1] = lambda1;
    }
    return t;
  }
  const t = emptyTable(inSize, outSize, 4);
  for (let o = 0; o < outSize; o++) {
    const src = areaPixelComputeSourceIndex(ratio, o, alignCorners, true);
    // PyTorch's floorf(real_input_index): the floor of the coordinate rounded to float32, so a
    // coordinate just below an integer takes that integer, with t = src - i slightly negative
    // (Note [cubic coefficients in float32]).
    const i = Math.floor(Math.fround(src));
    const [w0, w1, w2, w3] = cubicCoefficients(src - i);
    const row = 4 * o;
    t.index[row] = clamp(i - 1);
    t.index[row + 1] = clamp(i);
    t.index[row + 2] = clamp(i + 1);
    t.index[row + 3] = clamp(i + 2);
    t.weight[row] = w0;
    t.weight[row + 1] = w1;
    t.weight[row + 2] = w2;
    t.weight[row + 3] = w3;
  }
  return t;
}

/**
 * The transposed map (for each input position, the output positions and weights that read it):
 * the gradient as a gather, for backends that cannot scatter. The result maps outSize -> inSize
 * (its `inSize` is the forward's outSize). Taps reading the same source are merged (their
 * weights summed in double precision, in output order) and zero-weight taps dropped; an input
 * position no output reads gets one zero-weight tap. Built in typed arrays only (a counting
 * sort by source position), so its memory is a few bytes per tap.
 */
export function transposeTable(t: AxisTable): AxisTable {
  const {inSize, outSize, taps} = t;
  // Nonzero taps per source position, then their offsets (CSR by source).
  const start = new Int32Array(inSize + 1);
  for (let r = 0; r < outSize * taps; r++) if (t.weight[r] !== 0) start[t.index[r] + 1]++;
  for (let i = 0; i < inSize; i++) start[i + 1] += start[i];
  const nnz = start[inSize];
  const outs = new Int32Array(nnz);
  const weights = new Float64Array(nnz);
  const fill = start.slice(0, inSize);
  // Walking outputs in order lists each source's readers in increasing output position.
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < taps; k++) {
      const w = t.weight[o * taps + k];
      if (w === 0) continue;
      const at = fill[t.index[o * taps + k]]++;
      outs[at] = o;
      weights[at] = w;
    }
  }
  // Merge the readers that are the same output (several taps of one row on one source),
  // in place; `count[i]` is then the merged length of row i.
  const count = new Int32Array(inSize);
  let width = 1;
  for (let i = 0; i < inSize; i++) {
    let n = 0;
    for (let at = start[i]; at < start[i + 1]; at++) {
      const dst = start[i] + n;
      if (n > 0 && outs[dst - 1] === outs[at]) {
        weights[dst - 1] += weights[at];
      } else {
        outs[dst] = outs[at];
        weights[dst] = weights[at];
        n++;
      }
    }
    count[i] = n;
    width = Math.max(width, n);
  }
  const tt = emptyTable(outSize, inSize, width);
  for (let i = 0; i < inSize; i++) {
    const row = i * width;
    const first = count[i] > 0 ? outs[start[i]] : 0;
    for (let k = 0; k < width; k++) {
      const inside = k < count[i];
      tt.index[row + k] = inside ? outs[start[i] + k] : first;
      tt.weight[row + k] = inside ? weights[start[i] + k] + 0 : -0;
    }
  }
  return tt;
}

/** What interpolateTables reads of the kernel attributes. */
export type InterpolateTableAttrs =
    Pick<InterpolateAttrs, 'mode'|'inSize'|'outSize'|'alignCorners'|'scales'|'antialias'>;

/**
 * The tables of an interpolate kernel call, one per spatial axis (outermost first): the forward
 * map inSize -> outSize, or with `transposed` its transpose outSize -> inSize (the gradient as a
 * gather). Every backend's Interpolate and InterpolateGrad kernels get their tables here.
 */
export function interpolateTables(
    attrs: InterpolateTableAttrs, {transposed}: {transposed: boolean}): AxisTable[] {
  return attrs.inSize.map((inSize, i) => {
    const t = axisTable(
        attrs.mode, inSize, attrs.outSize[i], attrs.alignCorners, attrs.scales[i],
        attrs.antialias);
    return transposed ? transposeTable(t) : t;
  });
}

/**
 * True when every output reads one source with weight exactly 1: tap 0 has weight 1 and every
 * other tap is a padding tap (the nearest modes, area windows of one pixel). Backends then copy
 * instead of weighting. A linear table is never one, not even the copy of Note [linear copy
 * when sizes match]: PyTorch multiplies its zero weights (Note [taps PyTorch evaluates]).
 */
export function isGatherTable(t: AxisTable): boolean {
  const {outSize, taps, weight} = t;
  for (let o = 0; o < outSize; o++) {
    if (weight[o * taps] !== 1) return false;
    // A zero weight PyTorch evaluates is not nothing (Note [taps PyTorch evaluates]).
    for (let k = 1; k < taps; k++) if (!isPaddingTap(weight[o * taps + k])) return false;
  }
  return true;
}

/**
 * True when the table maps every position to itself: a gather (isGatherTable) whose output o
 * reads input o. Backends skip the axis. (A cubic table of an unscaled same-size axis, weights
 * [0, 1, 0, 0], is not counted: its weight-1 tap is not tap 0, and every backend resamples it.)
 */
export function isIdentityTable(t: AxisTable): boolean {
  if (t.inSize !== t.outSize || !isGatherTable(t)) return false;
  for (let o = 0; o < t.outSize; o++) if (t.index[o * t.taps] !== o) return false;
  return true;
}

// Note [backward scales]
// PyTorch 1.13's backward kernels do not always sample like its forward kernels, and autograd
// (which the fixtures record) returns what the backward kernels compute:
// - nearest: the backward (cpu_upsample_nearest_backward, via nearest_idx) copies an axis with
//   out == in and reads o >> 1 on an axis with out == 2 * in, whatever the scale factor; the
//   forward on contiguous NC(D)HW input uses floor(o / scaleFactor) there too. They differ when
//   a scale factor gives out == in or 2 * in without being 1 or 2 (10 pixels, factor 1.05:
//   forward output 9 reads input 8, its gradient goes to input 9). (PyTorch's channels_last
//   forward kernel, which it also picks for a 4-D/5-D input with one channel, does use the
//   shortcuts; we follow the contiguous NC(D)HW kernel, whose result does not depend on C.)
// - bicubic (not antialiased): the backward copies when every output size equals its input
//   size, while the forward resamples with 1/scaleFactor.
// Both shortcuts are the forward rule with the ratio in / out (which is exactly 1 or 1/2 there),
// so the gradient is the transpose of the forward tables built with these scales.
/** The per-axis scales that PyTorch's backward kernels sample with, for the gradient. */
export function backwardScales(
    mode: InterpolateMode, antialias: boolean, inSize: readonly number[],
    outSize: readonly number[], scales: ReadonlyArray<number|null>): Array<number|null> {
  if (mode === 'nearest') {
    return scales.map(
        (s, d) => outSize[d] === inSize[d] || outSize[d] === 2 * inSize[d] ? null : s);
  }
  if (mode === 'bicubic' && !antialias && outSize.every((o, d) => o === inSize[d])) {
    return scales.map(() => null);
  }
  return scales.slice();
}

// Note [native resize on TensorFlow]
// TensorFlow's ResizeBilinear / ResizeNearestNeighbor (and their gradients) sample with the
// ratio in/out (float32; (in-1)/(out-1) with align_corners) and these coordinates:
// - ResizeBilinear, half_pixel_centers: (o + 0.5) * ratio - 0.5, taps floor and ceil clamped to
//   [0, in-1]. That is PyTorch's bilinear without alignCorners (Note
//   [area_pixel_compute_source_index]): a negative coordinate reads input 0 either way, and a
//   tap past the end is clamped in both. With align_corners: o * ratio, PyTorch's alignCorners
//   rule (a 1-pixel output reads input 0 in both).
// - ResizeNearestNeighbor, neither flag: min(floor(o * ratio), in-1) with a float32 product:
//   PyTorch's `nearest` (Note [nearest source index]), rounding step for rounding step. With
//   half_pixel_centers: min(floor((o + 0.5) * ratio), in-1), the float32 product of the exact
//   o + 0.5: PyTorch's `nearest-exact` (Note [nearest-exact source index]).
// So they are used exactly when PyTorch's ratio equals TensorFlow's on every axis: always
// without a user scale factor, and with one only where float32(1/scale) == float32(in/out) (or,
// for the linear modes, where out == in: both copy; Note [linear copy when sizes match]).
// TensorFlow computes the bilinear coordinate in float32 where PyTorch uses double; the
// interpolation is continuous in it, so the difference stays far inside the tolerance. Not
// native: bicubic (TensorFlow's ResizeBicubic quantizes the cubic weights to a 1024-entry table
// and uses A = -0.5 with half-pixel centres), area, antialias, and any axis whose ratio differs.
// tfjs-backend-wasm's ResizeBilinear is XNNPACK's bilinear resize with these coordinates and
// clamps (half-pixel, or align corners): the wasm Interpolate kernel runs it where nativeResize
// allows (2-D, channelsLast, float32), and the fixture suite checks it there. (Its
// ResizeNearestNeighbor multiplies in double, not float32, so it is not used.)
/** TensorFlow's CalculateResizeScale. */
function tfRatio(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) :
                                       Math.fround(inSize / outSize);
}

/** TensorFlow's op and flags for these attributes, or null where its sampling differs. */
export function nativeResize(a: InterpolateAttrs):
    {op: 'Bilinear'|'NearestNeighbor', alignCorners: boolean, halfPixelCenters: boolean}|null {
  if (a.antialias) return null;
  const kind = axisKind(a.mode);
  const same = a.inSize.every((inSize, i) => {
    const out = a.outSize[i];
    const scale = a.scales[i];
    if (kind === 'linear') {
      // With alignCorners PyTorch ignores the user's scale.
      return a.alignCorners || out === inSize ||
          areaPixelComputeScale(inSize, out, false, scale) === tfRatio(inSize, out, false);
    }
    if (kind === 'nearest' || kind === 'nearest-exact') {
      return computeScalesValue(scale, inSize, out) === tfRatio(inSize, out, false);
    }
    return false;
  });
  if (!same) return null;
  if (kind === 'linear') {
    return {op: 'Bilinear', alignCorners: a.alignCorners, halfPixelCenters: !a.alignCorners};
  }
  return {op: 'NearestNeighbor', alignCorners: false, halfPixelCenters: kind === 'nearest-exact'};
}
