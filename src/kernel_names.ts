// Kernel names and the shapes of their inputs and attributes, declared once for every backend.
//
// An op (src/ops) resolves and checks user arguments, then calls ENGINE.runKernel with one of
// these names. Attributes are always fully resolved: per-spatial-axis arrays have one entry per
// spatial dim, sizes are final, so a kernel never re-derives a user-facing default.
import type {NamedAttrMap, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';
import type {PadMode} from './index_math/pad.js';

export type DataFormat = 'channelsLast'|'channelsFirst';

// ---- interpolate -------------------------------------------------------------------------------
export const Interpolate = 'TorchInterpolate';
export const InterpolateGrad = 'TorchInterpolateGrad';

/** Every mode of interpolate, PyTorch's names (F.interpolate's `mode`), in PyTorch's order. */
export const INTERPOLATE_MODES =
    ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'] as const;

export type InterpolateMode = typeof INTERPOLATE_MODES[number];

/** True when `mode` is one of INTERPOLATE_MODES. */
export function isInterpolateMode(mode: unknown): mode is InterpolateMode {
  return (INTERPOLATE_MODES as readonly unknown[]).includes(mode);
}

export interface InterpolateInputs extends NamedTensorInfoMap {
  x: TensorInfo;
}
export interface InterpolateGradInputs extends NamedTensorInfoMap {
  dy: TensorInfo;
}
export interface InterpolateAttrs {
  mode: InterpolateMode;
  /** Input spatial sizes, one per spatial dim (needed by the gradient kernel). */
  inSize: number[];
  /** Output spatial sizes, one per spatial dim. */
  outSize: number[];
  alignCorners: boolean;
  /**
   * The scale PyTorch samples with, per spatial dim: the user's scaleFactor when one was given
   * and recomputeScaleFactor is false, else null (meaning in/out is used).
   */
  scales: Array<number|null>;
  antialias: boolean;
  dataFormat: DataFormat;
  /**
   * True only when the op checked that x holds no Inf or NaN: a kernel may then take a shortcut
   * whose result differs from PyTorch's for such values (tensorflow's native ResizeBilinear, Note
   * [native resize and non-finite input] in src/index_math/finite.ts). Absent or false:
   * unknown.
   */
  finite?: boolean;
}

// ---- transposed convolution --------------------------------------------------------------------
export const ConvTranspose = 'TorchConvTranspose';
/** Gradient of ConvTranspose with respect to x: a plain strided (grouped, dilated) convolution. */
export const ConvTransposeBackpropInput = 'TorchConvTransposeBackpropInput';
/** Gradient of ConvTranspose with respect to the weight. */
export const ConvTransposeBackpropFilter = 'TorchConvTransposeBackpropFilter';

export interface ConvTransposeInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  /** PyTorch layout: [inChannels, outChannels / groups, ...kernel]. */
  weight: TensorInfo;
  /** [outChannels], optional. */
  bias?: TensorInfo;
}
export interface ConvTransposeBackpropInputInputs extends NamedTensorInfoMap {
  dy: TensorInfo;
  weight: TensorInfo;
}
export interface ConvTransposeBackpropFilterInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  dy: TensorInfo;
}
export interface ConvTransposeAttrs {
  stride: number[];
  padding: number[];
  /** Already resolved from outputSize when the user gave one. */
  outputPadding: number[];
  dilation: number[];
  groups: number;
  dataFormat: DataFormat;
}
export interface ConvTransposeBackpropInputAttrs extends ConvTransposeAttrs {
  /** Full shape of x, in the given dataFormat. */
  xShape: number[];
}
export interface ConvTransposeBackpropFilterAttrs extends ConvTransposeAttrs {
  /** Full weight shape, PyTorch layout. */
  weightShape: number[];
}

// ---- grouped convolution ----------------------------------------------------------------------
/**
 * F.conv2d with groups > 1 (not depthwise) in one kernel: on tensorflow one TensorFlow Conv2D
 * with a filter of inChannels / groups input channels (its CPU kernel runs the groups itself);
 * elsewhere one tfjs convolution per group inside the kernel. Its gradients are the transposed
 * convolution's kernels (src/gradients/grouped_conv_grad.ts).
 */
export const GroupedConv2d = 'TorchGroupedConv2d';

export interface GroupedConv2dInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  /** TensorFlow's layout with the group's input channels: [kH, kW, inChannels / groups, outChannels]. */
  filter: TensorInfo;
  /** [outChannels], optional. */
  bias?: TensorInfo;
}
export interface GroupedConv2dAttrs {
  /** [sH, sW]. */
  stride: number[];
  /** Zero padding [top, bottom, left, right] (PyTorch's 'same' may be uneven). */
  padding: number[];
  /** [dH, dW]. */
  dilation: number[];
  groups: number;
  dataFormat: DataFormat;
}

// ---- 2-d convolution with bias and activation -------------------------------------------------
/**
 * F.conv2d (groups 1) with its bias, its zero padding and the activation after it in one kernel:
 * the route of every 2-D convolution the exporter writes (TorchFusedConv2d). Each backend's
 * default is tfjs's own FusedConv2D kernel of that backend with explicit padding
 * (src/ops/conv2d.ts); a backend may answer some shapes with a kernel of its own first.
 * Inference only: the layer takes tfjs's differentiable ops under a gradient.
 */
export const TorchConv2d = 'TorchConv2d';

export type TorchConv2dActivation = 'linear'|'relu'|'leakyrelu'|'prelu';

export interface TorchConv2dInputs extends NamedTensorInfoMap {
  /** [batch, H, W, inChannels] (NHWC), float32. */
  x: TensorInfo;
  /** [kH, kW, inChannels, outChannels]. */
  filter: TensorInfo;
  /** [outChannels], optional. */
  bias?: TensorInfo;
  /** [outChannels]: PReLU's weight per output channel (activation 'prelu' only). */
  preluWeights?: TensorInfo;
}
export interface TorchConv2dAttrs {
  /** [sH, sW]. */
  strides: [number, number];
  /** Zero padding [top, bottom, left, right]. */
  pad: [number, number, number, number];
  /** [dH, dW]. */
  dilations: [number, number];
  activation: TorchConv2dActivation;
  /** The slope for x < 0 with activation 'leakyrelu'. */
  leakyreluAlpha: number;
}

// ---- pixel shuffle -----------------------------------------------------------------------------
export const PixelShuffle = 'TorchPixelShuffle';
export const PixelUnshuffle = 'TorchPixelUnshuffle';

export interface PixelShuffleInputs extends NamedTensorInfoMap {
  x: TensorInfo;
}
export interface PixelShuffleAttrs {
  upscaleFactor: number;
  dataFormat: DataFormat;
}
export interface PixelUnshuffleAttrs {
  downscaleFactor: number;
  dataFormat: DataFormat;
}

// ---- max pooling with indices, unpooling -------------------------------------------------------
/** Outputs [values, indices]; indices int32, flat offset inside one (batch, channel) plane. */
export const MaxPoolWithIndices = 'TorchMaxPoolWithIndices';
/** Gradient of MaxPoolWithIndices: dy scattered (summed) into the input plane at indices. */
export const MaxPoolWithIndicesGrad = 'TorchMaxPoolWithIndicesGrad';
/** Writes x into a zero output plane at indices. */
export const MaxUnpool = 'TorchMaxUnpool';
/** Gradient of MaxUnpool: dy gathered from the output plane at indices. */
export const MaxUnpoolGrad = 'TorchMaxUnpoolGrad';

export interface MaxPoolWithIndicesInputs extends NamedTensorInfoMap {
  x: TensorInfo;
}
export interface MaxPoolWithIndicesAttrs {
  kernelSize: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
  dataFormat: DataFormat;
}
/**
 * The values of a 2-D channelsLast max pool over input known to be finite, through the backend's
 * own pool op (Note [max pool values on TensorFlow's MaxPool] in src/index_math/pool.ts). An
 * optional kernel, outside ALL_KERNEL_NAMES: only a backend whose finite check is 'op' and that
 * has such an op registers it (tensorflow), and the op runs it only where getKernel finds it.
 * Its gradient is PyTorch's (MaxPoolWithIndices' on the saved x).
 */
export const FiniteMaxPool = 'TorchFiniteMaxPool';

/**
 * One number that is finite only if every value of x is (Note [the finite check as one op] in
 * kernels/node/FiniteProbe.ts): the op-side finite check (src/ops/finite_check.ts) of a backend
 * whose check is 'op'. An optional kernel, outside ALL_KERNEL_NAMES: a backend without it checks
 * with tfjs's Sum. Not differentiable (the check is untaped).
 */
export const FiniteProbe = 'TorchFiniteProbe';
export interface FiniteProbeInputs extends NamedTensorInfoMap {
  x: TensorInfo;
}

export interface FiniteMaxPoolAttrs extends MaxPoolWithIndicesAttrs {
  /** The backend op's padding for these windows (nativeMaxPoolPadding). */
  nativePadding: 'valid'|'same';
}
export interface MaxPoolWithIndicesGradInputs extends NamedTensorInfoMap {
  dy: TensorInfo;
  indices: TensorInfo;
}
export interface MaxPoolWithIndicesGradAttrs {
  /** Input spatial sizes, one per spatial dim. */
  inSize: number[];
  dataFormat: DataFormat;
}
export interface MaxUnpoolInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  indices: TensorInfo;
}
export interface MaxUnpoolAttrs {
  /** Output spatial sizes, one per spatial dim (already resolved). */
  outSize: number[];
  dataFormat: DataFormat;
}
export interface MaxUnpoolGradInputs extends NamedTensorInfoMap {
  dy: TensorInfo;
  indices: TensorInfo;
}
export interface MaxUnpoolGradAttrs {
  dataFormat: DataFormat;
}

// ---- normalize ---------------------------------------------------------------------------------
export const Normalize = 'TorchNormalize';
export const Denormalize = 'TorchDenormalize';

export interface NormalizeInputs extends NamedTensorInfoMap {
  x: TensorInfo;
}
export interface NormalizeAttrs {
  /** One entry per channel. */
  mean: number[];
  /** One entry per channel, none zero. */
  std: number[];
  dataFormat: DataFormat;
}
/** Normalize and Denormalize share their attrs; a backend's one kernel takes the direction. */
export type NormalizeDirection = 'normalize'|'denormalize';

// ---- pad ---------------------------------------------------------------------------------------
/** F.pad in one pass: every output value read from its source position (or the fill value). */
export const Pad = 'TorchPad';

export type {PadMode};

export interface PadInputs extends NamedTensorInfoMap {
  x: TensorInfo;
}
export interface PadAttrs {
  /**
   * [before, after] for every axis of x as given (tfjs order, dataFormat already applied);
   * negative entries crop. Checked by the op against PyTorch's rules (padDimError).
   */
  pairs: Array<[number, number]>;
  mode: PadMode;
  /** Fill value of 'constant' (0 for the other modes). */
  value: number;
}

// ---- group norm (instance norm, layer norm) ----------------------------------------------------
/**
 * F.group_norm in one kernel: per (batch, group) the mean and biased variance over the group's
 * channels and every position, then y = x * a[n, c] + s[n, c] with the affine folded in
 * (a = rstd * weight[c], s = bias[c] - mean * a), as PyTorch's own kernel. Instance norm is
 * numGroups = C; layer norm is attrs.trailing = normalizedShape.length with numGroups = 1.
 */
export const GroupNorm = 'TorchGroupNorm';

export interface GroupNormInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  /** [C] (the op passes ones without an affine). */
  weight: TensorInfo;
  /** [C] (the op passes zeros without an affine). */
  bias: TensorInfo;
}
export interface GroupNormAttrs {
  numGroups: number;
  eps: number;
  /** The channel axis: 1 for rank 2 in either format, else per dataFormat. */
  dataFormat: DataFormat;
  /**
   * Layer norm: > 0 means the last `trailing` dims are the channels (weight and bias shaped as
   * them) and all leading dims the batch (normView); dataFormat is then ignored.
   */
  trailing?: number;
}

// ---- GELU ----------------------------------------------------------------------------------------
/** F.gelu in one elementwise pass, both of PyTorch's forms (Note [gelu numerics] in src/ops/gelu.ts). */
export const Gelu = 'TorchGelu';

export interface GeluInputs extends NamedTensorInfoMap {
  x: TensorInfo;
}
export interface GeluAttrs {
  /** 'none': x * Phi(x) with the exact erf; 'tanh': PyTorch's tanh approximation. */
  approximate: 'none'|'tanh';
}

// ---- SiLU ----------------------------------------------------------------------------------------
/**
 * F.silu in one elementwise kernel: x * sigmoid(x), PyTorch's x / (1 + exp(-x)) (-Infinity gives
 * NaN, +Infinity stays +Infinity, NaN stays NaN; Note [silu numerics] in src/ops/silu.ts). The
 * exporter's SiLU (the silu activation layer) runs it; no attributes.
 */
export const Silu = 'TorchSilu';

export interface SiluInputs extends NamedTensorInfoMap {
  x: TensorInfo;
}

// ---- PReLU ---------------------------------------------------------------------------------------
/**
 * torch.nn.PReLU's forward in one elementwise pass: y = x > 0 ? x : weight[c] * x (NaN stays NaN,
 * +Infinity stays +Infinity, -Infinity gives weight * -Infinity; Note [PReLU at Infinity] in
 * src/layers/prelu.ts). The layer's kernel where a backend registers it (webgl, webgpu, cpu).
 */
export const Prelu = 'TorchPrelu';

export interface PreluInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  /** [1] (one weight for every element) or [C], C the size of x's channel axis. */
  weight: TensorInfo;
}
export interface PreluAttrs {
  /** Where the channel axis is: axis 1 for rank 2 in either format, else per dataFormat. */
  dataFormat: DataFormat;
}

// ---- batched matrix product ----------------------------------------------------------------

/**
 * a @ b for a batch of products: a [batch, m, k], b [batch, k, n] float32 (the same batch),
 * output [batch, m, n]. The matmul of the attention layers uses it where a backend has it
 * (Note [batched products of our own] in src/layers/attention.ts); its gradient is tfjs's matMul.
 */
export const BatchMatMul = 'TorchBatchMatMul';

export interface BatchMatMulInputs extends NamedTensorInfoMap {
  a: TensorInfo;
  b: TensorInfo;
}

/** Every kernel this package defines, for backends to check their coverage against. */
export const ALL_KERNEL_NAMES = [
  Interpolate, InterpolateGrad, ConvTranspose, ConvTransposeBackpropInput,
  ConvTransposeBackpropFilter, PixelShuffle, PixelUnshuffle, MaxPoolWithIndices,
  MaxPoolWithIndicesGrad, MaxUnpool, MaxUnpoolGrad, Normalize, Denormalize, Pad,
  GroupNorm, Gelu, Silu, Prelu, BatchMatMul, GroupedConv2d, TorchConv2d,
] as const;

/** Casts a resolved attrs interface to tfjs's attribute map type for runKernel. */
export function asAttrs<T extends object>(attrs: T): NamedAttrMap {
  return attrs as unknown as NamedAttrMap;
}
