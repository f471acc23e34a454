// Index math of the transposed convolution (convTranspose1d/2d/3d), shared by every backend:
// the cpu kernels call these functions, webgl shader generators turn them into GLSL and the
// tfjs-node kernels use them to set up TensorFlow's own ops. No kernel re-derives a rule.
// Every function works on ONE spatial axis; the axes of a transposed convolution are independent.
import type {ConvTransposeAttrs, DataFormat} from '../kernel_names.js';
//
// Note [transposed convolution tap relation]
// A transposed convolution is the adjoint (the gradient with respect to its input) of the plain
// convolution with the same stride s, padding p and dilation d. The plain convolution reads, for
// output position i and tap t (0 <= t < k), the input position  i*s - p + t*d.  Its adjoint
// therefore *scatters*: input position i, through tap t, adds into output position
//     o = i*s - p + t*d                                                         (scatter form)
// and contributions with o outside [0, outSize) are dropped (they fell on the padding).
// Read the other way round, output position o gathers, for each tap t, from the input position
//     i = (o + p - t*d) / s    when that division is exact and 0 <= i < inSize  (gather form)
// Both forms describe the same sum; the cpu kernel uses the scatter form per tap (one matrix
// product per tap over the input positions that tap keeps inside the output), a shader uses the
// gather form (one output pixel per invocation). The weight is [inC, outC/groups, ...kernel]:
// tap t of the kernel is the same index t in both forms, so the kernel is NOT flipped here (the
// flip people mention belongs to writing the transposed convolution as a plain convolution of a
// zero-stuffed input).
// The gradient with respect to x is the plain convolution itself: dx at input position i is the
// sum over taps of dy at  i*s - p + t*d  (the same relation, read as a gather from dy). The
// gradient with respect to the weight pairs, for each tap, x at i with dy at  i*s - p + t*d.
//
// Note [transposed convolution output size]
// PyTorch's output size per spatial dim (torch.nn.ConvTranspose2d's documentation, and the shape
// check of ATen's slow_conv_transpose2d/3d, NaiveConvolutionTranspose{2,3}d.cpp):
//     out = (in - 1)*s - 2*p + d*(k - 1) + outputPadding + 1
// (in - 1)*s + d*(k - 1) + 1 is the span the scatter form covers; padding removes p positions at
// each end; outputPadding adds positions at the END only (there is no padding to remove there,
// so they only receive contributions a larger input would have made, plus bias). outputPadding
// exists because the plain convolution maps several input sizes to one output size: every size
// in [min, min + s - 1] convolves down to `in` positions, and outputPadding picks which one.
//
// Note [transposed convolution outputPadding limit]
// PyTorch 1.13 accepts, per spatial dim, outputPadding < stride OR outputPadding < dilation
// ("output padding must be smaller than either stride or dilation"). Only the stride bound
// follows from the note above; the dilation alternative is PyTorch's rule as it is (it lets
// stride 1 with dilation 2 take outputPadding 1), kept so that every model PyTorch accepts runs.
//
// Note [transposed convolution outputSize]
// torch.nn.ConvTranspose*d's forward(input, output_size) turns a requested output size into
// outputPadding (its _output_padding): output_size may hold only the spatial sizes, or a full
// shape (batch and channel dims included) whose trailing spatial dims are used. Each size must lie
// in [min, min + s - 1] with min the size at outputPadding 0; the outputPadding is size - min.
// tfjs-torch reads a full shape in the op's dataFormat (see outputSizeSpatial).
// Because that is < s, a resolved outputPadding always passes the limit above.

/**
 * Output size of a transposed convolution along one spatial axis
 * (Note [transposed convolution output size]). May be <= 0: callers reject that.
 */
export function convTransposeOutputSize(
    inSize: number, kernelSize: number, stride: number, padding: number, dilation: number,
    outputPadding: number): number {
  return (inSize - 1) * stride - 2 * padding + dilation * (kernelSize - 1) + outputPadding + 1;
}

/**
 * The output sizes an outputSize request may ask for along one axis: [min, max] with min the size
 * at outputPadding 0 and max = min + stride - 1 (Note [transposed convolution outputSize]).
 */
export function convTransposeOutputSizeRange(
    inSize: number, kernelSize: number, stride: number, padding: number,
    dilation: number): [number, number] {
  const min = convTransposeOutputSize(inSize, kernelSize, stride, padding, dilation, 0);
  return [min, min + stride - 1];
}

/**
 * PyTorch's limit on outputPadding along one axis (Note [transposed convolution outputPadding
 * limit]): smaller than the stride or smaller than the dilation.
 */
export function isValidOutputPadding(outputPadding: number, stride: number, dilation: number):
    boolean {
  return outputPadding < stride || outputPadding < dilation;
}

/**
 * The limit of Note [transposed convolution outputPadding limit] over every axis, for the op and
 * the layer: null when it holds, else the text of the error after "<op>: ".
 */
export function outputPaddingLimitError(
    outputPadding: readonly number[], stride: readonly number[],
    dilation: readonly number[]): string|null {
  if (outputPadding.every((p, a) => isValidOutputPadding(p, stride[a], dilation[a]))) return null;
  return `argument 'outputPadding' must be smaller than either stride or dilation in every dim, ${
      ''}got outputPadding [${outputPadding.join(', ')}], stride [${stride.join(', ')}], ${
      ''}dilation [${dilation.join(', ')}]`;
}

/**
 * The spatial part of an outputSize request, as PyTorch's _output_padding reads it: either one
 * size per spatial dim, or a full shape of the input's rank `inputRank` (PyTorch also accepts
 * unbatched input, one non-spatial dim fewer). A full shape is read in the op's dataFormat, the
 * way the input's own shape is laid out: channelsFirst (PyTorch's N, C, ...spatial) uses the
 * trailing dims, as PyTorch does; channelsLast (N, ...spatial, C) uses the dims before the last.
 * So `outputSize: x.shape` asks for x's spatial size in either layout. Returns null when the
 * length fits neither form.
 */
export function outputSizeSpatial(
    outputSize: readonly number[], numSpatialDims: number, inputRank: number,
    dataFormat: DataFormat): number[]|null {
  if (outputSize.length === numSpatialDims) return outputSize.slice();
  if (outputSize.length !== inputRank) return null;
  return dataFormat === 'channelsFirst' ?
      outputSize.slice(inputRank - numSpatialDims) :
      outputSize.slice(inputRank - numSpatialDims - 1, inputRank - 1);
}

/**
 * outputPadding for a requested spatial output size (Note [transposed convolution outputSize]),
 * per axis; null where a size is out of range (the caller reports every range, as PyTorch does).
 */
export function resolveOutputPadding(
    outSize: readonly number[], inSize: readonly number[], kernelSize: readonly number[],
    stride: readonly number[], padding: readonly number[],
    dilation: readonly number[]): number[]|null {
  const res: number[] = [];
  for (let a = 0; a < outSize.length; a++) {
    const [min, max] =
        convTransposeOutputSizeRange(inSize[a], kernelSize[a], stride[a], padding[a], dilation[a]);
    if (outSize[a] < min || outSize[a] > max) return null;
    res.push(outSize[a] - min);
  }
  return res;
}

/** Scatter form: the output position input position i reaches through tap t (may be outside). */
export function convTransposeOutputIndex(
    i: number, tap: number, stride: number, padding: number, dilation: number): number {
  return i * stride - padding + tap * dilation;
}

/**
 * Gather form: the input position that reaches output position o through tap t, or -1 when none
 * does (the division by the stride is not exact, or the position lies outside the input).
 */
export function convTransposeInputIndex(
    o: number, tap: number, stride: number, padding: number, dilation: number,
    inSize: number): number {
  const num = o + padding - tap * dilation;
  if (num < 0 || num % stride !== 0) return -1;
  const i = num / stride;
  return i < inSize ? i : -1;
}

/**
 * For tap t, the input positions whose scatter target lies inside the output: the half-open
 * range [start, end) of i with 0 <= i*s - p + t*d < outSize (empty when start >= end). Kernels
 * loop over this range instead of testing every (position, tap) pair; the same range serves the
 * gradients (dx at i reads dy at i*s - p + t*d; the weight gradient pairs the same positions).
 */
export function convTransposeTapRange(
    tap: number, inSize: number, outSize: number, stride: number, padding: number,
    dilation: number): [number, number] {
  const shift = padding - tap * dilation;  // o = i*s - shift
  // o >= 0  <=>  i >= shift / s;   o <= outSize - 1  <=>  i <= (outSize - 1 + shift) / s
  const start = Math.max(0, ceilDiv(shift, stride));
  const end = Math.min(inSize, floorDiv(outSize - 1 + shift, stride) + 1);
  return [start, Math.max(start, end)];
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function ceilDiv(a: number, b: number): number {
  return -Math.floor(-a / b);
}

/** The sizes of one transposed convolution, read off x's shape and the weight's. */
export interface ConvTransposeShapes {
  batch: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  /** Channels per group on each side. */
  inPerGroup: number;
  outPerGroup: number;
  /** Spatial sizes, outermost first. */
  inSize: number[];
  outSize: number[];
  kernelSize: number[];
  /** y's full shape, in the dataFormat. */
  yShape: number[];
}

/**
 * The sizes every backend's kernels need, from x's shape (batched, in the dataFormat), the
 * weight's shape (PyTorch's [inChannels, outChannels / groups, ...kernel]) and resolved attrs.
 */
export function convTransposeShapes(
    xShape: readonly number[], weightShape: readonly number[],
    attrs: ConvTransposeAttrs): ConvTransposeShapes {
  const {stride, padding, dilation, outputPadding, groups, dataFormat} = attrs;
  const n = xShape.length - 2;
  const channelsLast = dataFormat === 'channelsLast';
  const batch = xShape[0];
  const inChannels = channelsLast ? xShape[n + 1] : xShape[1];
  const inSize = channelsLast ? xShape.slice(1, n + 1) : xShape.slice(2);
  const kernelSize = weightShape.slice(2);
  const outPerGroup = weightShape[1];
  const outChannels = outPerGroup * groups;
  const outSize = inSize.map(
      (s, a) => convTransposeOutputSize(s, kernelSize[a], stride[a], padding[a], dilation[a],
                                        outputPadding[a]));
  return {
    batch,
    inChannels,
    outChannels,
    groups,
    inPerGroup: inChannels / groups,
    outPerGroup,
    inSize,
    outSize,
    kernelSize,
    yShape: channelsLast ? [batch, ...outSize, outChannels] : [batch, outChannels, ...outSize],
  };
}

// Note [strides and dilations that cannot matter]
// The stride of an axis with one input position places no second tap, and the dilation of an
// axis with a one-tap kernel spaces nothing: there any value gives the same output size and the
// same taps as 1 (with in = 1 the output size (in - 1) * stride - 2p + d(k - 1) + op + 1 does not
// hold the stride; with k = 1 it does not hold the dilation). PyTorch accepts any such value,
// 2**31 included, and the size guard (Note [size guard]) cannot bound it (the output stays
// small). Kernels whose tables are sized by the stride (webgl's per-residue gather tables) or
// whose library holds it in 32 bits (TensorFlow's int32 strides: 2**31 wraps to -2147483648)
// use 1 there instead; every other stride or dilation reaches the output and is bounded by it.
/** Stride and dilation with 1 where they cannot matter (see the note). */
export function unitWhereInert(
    inSize: readonly number[], kernelSize: readonly number[], stride: readonly number[],
    dilation: readonly number[]): {stride: number[], dilation: number[]} {
  return {
    stride: stride.map((v, a) => inSize[a] === 1 ? 1 : v),
    dilation: dilation.map((v, a) => kernelSize[a] === 1 ? 1 : v),
  };
}

// Note [transposed convolution as phase convolutions]
// With dilation 1, write the scatter form (Note [transposed convolution tap relation]) with
// q = o + p, the output position before the padding is cropped: input i adds through tap t into
// q = i*s + t. Split q = s*j + r with the phase r = q mod s: then t = r + s*u for u = 0, 1, ...
// and i = j - u, so
//     y[s*j + r - p] = sum_u x[j - u] * W[r + s*u]       (0 <= r + s*u < k, 0 <= j - u < in)
// Each phase r is an ordinary correlation of x with a ceil(k / s)-tap kernel: with
// K = ceil(k / s) and v = K - 1 - u,
//     y_r[j] = sum_{v < K} x[j - (K - 1) + v] * w_r[v],     w_r[v] = W[r + s*(K - 1 - v)]
// where a tap r + s*(K - 1 - v) >= k does not exist (w_r[v] = 0; only when s does not divide k).
// All s phases (s*s in 2-D, ...) are ONE plain convolution from inC to outC * s^n channels with a
// K-tap kernel, and interleaving them (pixel shuffle) gives q; the work is the transposed
// convolution's own (s^n * K^n taps against k^n, equal when s divides k), done by the backend's
// fast plain convolution. Only the rows j0 = floor(p / s) .. j1 - 1 = floor((p + out - 1) / s) are
// needed: the correlation reads x from j0 - (K - 1), so x is padded by K - 1 - j0 zeros before
// (cropped where negative) and up to j1 + 0 - in after, and of the s * (j1 - j0) interleaved
// positions, output o is at o + (p - s*j0) = o + p mod s; the tail beyond out is dropped. The
// outputPadding is only in out (positions no tap reaches are zero, as in the scatter form).

/** One axis of a transposed convolution done as phase convolutions (see the note above). */
export interface PhaseConvAxis {
  /** Taps of each phase's kernel, K = ceil(k / s). */
  phaseTaps: number;
  /** Zeros added before x (negative: that many positions cropped from its start). */
  padBefore: number;
  /** Zeros added after x (negative: that many positions cropped from its end). */
  padAfter: number;
  /** Positions of each phase's output, j1 - j0. */
  phaseSize: number;
  /** Where output position 0 sits in the interleaved phases: p mod s. */
  cropStart: number;
  /**
   * The kernel tap that phase r's tap v reads, at index v * s + r (K * s entries), or -1 where
   * that tap does not exist (r + s*(K - 1 - v) >= k).
   */
  taps: number[];
}

/** The phase decomposition of one axis with dilation 1 (Note [transposed convolution as phase convolutions]). */
export function phaseConvAxis(
    inSize: number, kernelSize: number, stride: number, padding: number,
    outSize: number): PhaseConvAxis {
  const s = stride;
  const phaseTaps = ceilDiv(kernelSize, s);
  const j0 = floorDiv(padding, s);
  const j1 = floorDiv(padding + outSize - 1, s) + 1;
  const phaseSize = j1 - j0;
  const padBefore = phaseTaps - 1 - j0;
  const padAfter = phaseSize + phaseTaps - 1 - inSize - padBefore;
  const taps: number[] = [];
  for (let v = 0; v < phaseTaps; v++) {
    for (let r = 0; r < s; r++) {
      const t = r + s * (phaseTaps - 1 - v);
      taps.push(t < kernelSize ? t : -1);
    }
  }
  return {phaseTaps, padBefore, padAfter, phaseSize, cropStart: padding - s * j0, taps};
}
