// tfjs-torch's layers for tf.LayersModel (`pt.layers.*`): PyTorch modules with PyTorch's
// numerics, each registered with tfjs's serialization registry so that a model using them
// survives model.save / tf.loadLayersModel.
import {registerLayerClasses} from './common.js';
import {type ArgGatherArgs, type ArgGatherOp, TorchArgGather} from './arg_gather.js';
import {type ConvTransposeLayerArgs, TorchConvTranspose1d, TorchConvTranspose2d, TorchConvTranspose3d} from './conv_transpose.js';
import {type MaxPoolLayerArgs, type MaxUnpoolLayerArgs, TorchMaxPool1d, TorchMaxPool2d, TorchMaxPool3d, TorchMaxUnpool1d, TorchMaxUnpool2d, TorchMaxUnpool3d} from './max_pool.js';
import {type NormalizeLayerArgs, TorchDenormalize, TorchNormalize} from './normalize.js';
import {type PixelShuffleArgs, type PixelUnshuffleArgs, TorchPixelShuffle, TorchPixelUnshuffle} from './pixel_shuffle.js';
import {TorchUpsample, type UpsampleArgs} from './upsample.js';
import {type BatchNormArgs, type GroupNormArgs, type InstanceNormArgs, type LayerNormArgs, TorchBatchNorm, TorchGroupNorm, TorchInstanceNorm, TorchLayerNorm} from './norm.js';
import {type FusedConv2dArgs, type FusedConvActivation, TorchFusedConv2d} from './fused_conv.js';
import {type PadArgs, TorchPad} from './pad.js';
import {type PReLUArgs, TorchPReLU} from './prelu.js';
import {TorchFill, TorchPermute, TorchReshape, TorchShapeCheck} from './shape_layers.js';
import {TorchActivation, TorchElementwise, TorchReduce, TorchSlice, TorchWhere} from './tensor_ops.js';
import {TorchGroupedConv2d} from './grouped_conv.js';
import {type EinsumArgs, type LinearArgs, type MatMulArgs, type ScaledDotProductAttentionArgs, TorchEinsum, TorchLinear, TorchMatMul, TorchScaledDotProductAttention} from './attention.js';
import {type ExpandArgs, type FlipArgs, type IndexArgs, type RepeatArgs, type RepeatInterleaveArgs, type RollArgs, type StackArgs, TorchExpand, TorchFlip, TorchIndex, TorchRepeat, TorchRepeatInterleave, TorchRoll, TorchStack} from './indexing.js';

export type {TorchLayerArgs, InitializerLike} from './common.js';
export {TorchLayer, useTfjsLayers} from './base.js';
export {TorchBatchNorm, TorchGroupNorm, TorchInstanceNorm, TorchLayerNorm, TorchPad, TorchPReLU};
export type {BatchNormArgs, GroupNormArgs, InstanceNormArgs, PadArgs, PReLUArgs};
export {convTransposeInitBound, TorchConvTransposeNd} from './conv_transpose.js';
export {TorchMaxPoolNd, TorchMaxUnpoolNd} from './max_pool.js';
export {
  TorchConvTranspose1d, TorchConvTranspose2d, TorchConvTranspose3d, TorchDenormalize,
  TorchMaxPool1d, TorchMaxPool2d, TorchMaxPool3d, TorchMaxUnpool1d, TorchMaxUnpool2d,
  TorchMaxUnpool3d, TorchNormalize, TorchPixelShuffle, TorchPixelUnshuffle, TorchUpsample,
};
// Written by the Python exporter (python/tfjs_torch) for PyTorch's tensor functions.
export {TorchFusedConv2d};
export type {FusedConv2dArgs, FusedConvActivation};
export {TorchActivation, TorchElementwise, TorchReduce, TorchSlice, TorchWhere};
export {TorchGroupedConv2d};
// A vector quantizer's nearest-row lookup: table[argmin(x, -1)] (or argmax).
export {TorchArgGather};
export type {ArgGatherArgs, ArgGatherOp};
export type {GroupedConv2dLayerArgs} from './grouped_conv.js';
export {TorchFill, TorchPermute, TorchReshape, TorchShapeCheck};
export type {ShapeRule, TorchFillArgs, TorchPermuteArgs, TorchReshapeArgs, TorchShapeCheckArgs} from './shape_layers.js';
export type {ShapeExpr} from './shape_expr.js';
export type {TorchActivationArgs, TorchActivationFn, TorchElementwiseArgs, TorchElementwiseOp, TorchReduceArgs, TorchReduceOp, TorchSliceArgs, TorchWhereArgs} from './tensor_ops.js';
// Attention and transformer vocabulary (PyTorch's dim order, no dataFormat).
export {TorchEinsum, TorchExpand, TorchFlip, TorchIndex, TorchLinear, TorchMatMul, TorchRepeat, TorchRepeatInterleave, TorchRoll, TorchScaledDotProductAttention, TorchStack};
export type {AttentionMaskType} from './attention.js';
export type {IndexTensor} from './indexing.js';
export type {EinsumArgs, ExpandArgs, FlipArgs, IndexArgs, MatMulArgs, RepeatArgs, RepeatInterleaveArgs, RollArgs, ScaledDotProductAttentionArgs, StackArgs};
export type {
  ConvTransposeLayerArgs, MaxPoolLayerArgs, MaxUnpoolLayerArgs, NormalizeLayerArgs,
  PixelShuffleArgs, PixelUnshuffleArgs, UpsampleArgs,
};

/** torch.nn.Upsample: interpolate with PyTorch's coordinate rules; applied to [x, like] it takes like's spatial size. */
export function upsample(args: UpsampleArgs): TorchUpsample {
  return new TorchUpsample(args);
}

/** torch.nn.ConvTranspose1d; kernel in PyTorch's layout [in, out / groups, k]. */
export function convTranspose1d(args: ConvTransposeLayerArgs): TorchConvTranspose1d {
  return new TorchConvTranspose1d(args);
}
/** torch.nn.ConvTranspose2d; kernel in PyTorch's layout [in, out / groups, kH, kW]. */
export function convTranspose2d(args: ConvTransposeLayerArgs): TorchConvTranspose2d {
  return new TorchConvTranspose2d(args);
}
/** torch.nn.ConvTranspose3d; kernel in PyTorch's layout [in, out / groups, kD, kH, kW]. */
export function convTranspose3d(args: ConvTransposeLayerArgs): TorchConvTranspose3d {
  return new TorchConvTranspose3d(args);
}

/** torch.nn.PixelShuffle (PyTorch's channel order, not tf.depthToSpace's). */
export function pixelShuffle(args: PixelShuffleArgs): TorchPixelShuffle {
  return new TorchPixelShuffle(args);
}
/** torch.nn.PixelUnshuffle. */
export function pixelUnshuffle(args: PixelUnshuffleArgs): TorchPixelUnshuffle {
  return new TorchPixelUnshuffle(args);
}

/** torch.nn.MaxPool1d; with returnIndices the outputs are [values, indices]. */
export function maxPool1d(args: MaxPoolLayerArgs): TorchMaxPool1d {
  return new TorchMaxPool1d(args);
}
/** torch.nn.MaxPool2d; with returnIndices the outputs are [values, indices]. */
export function maxPool2d(args: MaxPoolLayerArgs): TorchMaxPool2d {
  return new TorchMaxPool2d(args);
}
/** torch.nn.MaxPool3d; with returnIndices the outputs are [values, indices]. */
export function maxPool3d(args: MaxPoolLayerArgs): TorchMaxPool3d {
  return new TorchMaxPool3d(args);
}

/** torch.nn.MaxUnpool1d, applied to [values, indices] (or [values, indices, like]). */
export function maxUnpool1d(args: MaxUnpoolLayerArgs): TorchMaxUnpool1d {
  return new TorchMaxUnpool1d(args);
}
/** torch.nn.MaxUnpool2d, applied to [values, indices] (or [values, indices, like]). */
export function maxUnpool2d(args: MaxUnpoolLayerArgs): TorchMaxUnpool2d {
  return new TorchMaxUnpool2d(args);
}
/** torch.nn.MaxUnpool3d, applied to [values, indices] (or [values, indices, like]). */
export function maxUnpool3d(args: MaxUnpoolLayerArgs): TorchMaxUnpool3d {
  return new TorchMaxUnpool3d(args);
}

/** torchvision's Normalize: (x - mean) / std per channel. */
export function normalize(args: NormalizeLayerArgs): TorchNormalize {
  return new TorchNormalize(args);
}
/** The exact inverse of normalize: x * std + mean per channel. */
export function denormalize(args: NormalizeLayerArgs): TorchDenormalize {
  return new TorchDenormalize(args);
}

/**
 * torch.nn.BatchNorm1d / 2d / 3d (one layer for every rank): PyTorch's defaults (eps 1e-5,
 * momentum 0.1, affine, trackRunningStats), batch statistics in training, running ones in eval.
 */
export function batchNorm(args: BatchNormArgs): TorchBatchNorm {
  return new TorchBatchNorm(args);
}
/** torch.nn.InstanceNorm1d / 2d / 3d: affine and trackRunningStats default to false. */
export function instanceNorm(args: InstanceNormArgs): TorchInstanceNorm {
  return new TorchInstanceNorm(args);
}
/** torch.nn.GroupNorm(numGroups, numChannels, eps, affine). */
export function groupNorm(args: GroupNormArgs): TorchGroupNorm {
  return new TorchGroupNorm(args);
}
/**
 * torch.nn.LayerNorm(normalizedShape, eps = 1e-5, elementwiseAffine = true): normalises over the
 * last normalizedShape.length axes of the tensor as given; weight / bias shaped normalizedShape.
 */
export function layerNorm(args: LayerNormArgs): TorchLayerNorm {
  return new TorchLayerNorm(args);
}
/**
 * F.pad / nn.*Pad*d: padding in F.pad's order (last dim first), negative entries crop; modes
 * 'constant' (with value), 'reflect', 'replicate', 'circular'.
 */
export function pad(args: PadArgs): TorchPad {
  return new TorchPad(args);
}
/** torch.nn.PReLU(numParameters = 1, init = 0.25); the weight on the channel axis. */
export function prelu(args: PReLUArgs = {}): TorchPReLU {
  return new TorchPReLU(args);
}

registerLayerClasses([
  TorchBatchNorm, TorchInstanceNorm, TorchGroupNorm, TorchLayerNorm, TorchPad, TorchPReLU,
  TorchUpsample, TorchConvTranspose1d, TorchConvTranspose2d, TorchConvTranspose3d,
  TorchPixelShuffle, TorchPixelUnshuffle, TorchMaxPool1d, TorchMaxPool2d, TorchMaxPool3d,
  TorchMaxUnpool1d, TorchMaxUnpool2d, TorchMaxUnpool3d, TorchNormalize, TorchDenormalize,
]);
registerLayerClasses([TorchActivation, TorchElementwise, TorchReduce, TorchSlice, TorchWhere]);
registerLayerClasses([TorchFusedConv2d, TorchGroupedConv2d]);

/** torch.matmul / mm / bmm with PyTorch's broadcasting; [a, b], or one input and a stored operand. */
export function matmul(args: MatMulArgs = {}): TorchMatMul {
  return new TorchMatMul(args);
}
/** nn.Linear over the last dim of any rank: kernel [in, units] (PyTorch's weight transposed), bias. */
export function linear(args: LinearArgs): TorchLinear {
  return new TorchLinear(args);
}
/** torch.einsum over one or two inputs (two operands as one batched matmul). */
export function einsum(args: EinsumArgs): TorchEinsum {
  return new TorchEinsum(args);
}
/**
 * F.scaled_dot_product_attention on [query, key, value] or [query, key, value, mask]: scale,
 * isCausal, enableGqa, a boolean or additive mask; rows with every key masked give zeros.
 */
export function scaledDotProductAttention(args: ScaledDotProductAttentionArgs = {}): TorchScaledDotProductAttention {
  return new TorchScaledDotProductAttention(args);
}
/** Tensor.expand(*sizes) (-1 keeps a dim). */
export function expand(args: ExpandArgs): TorchExpand {
  return new TorchExpand(args);
}
/** Tensor.repeat(*repeats). */
export function repeat(args: RepeatArgs): TorchRepeat {
  return new TorchRepeat(args);
}
/** torch.repeat_interleave(x, repeats, dim). */
export function repeatInterleave(args: RepeatInterleaveArgs): TorchRepeatInterleave {
  return new TorchRepeatInterleave(args);
}
/** torch.stack(inputs, dim). */
export function stack(args: StackArgs): TorchStack {
  return new TorchStack(args);
}
/** torch.roll(x, shifts, dims). */
export function roll(args: RollArgs): TorchRoll {
  return new TorchRoll(args);
}
/** torch.flip(x, dims). */
export function flip(args: FlipArgs): TorchFlip {
  return new TorchFlip(args);
}
/** x[i0, i1, ...] with constant index tensors (select, index_select, relative position tables). */
export function index(args: IndexArgs): TorchIndex {
  return new TorchIndex(args);
}

/** table[argmin(x, -1)] (or argmax), PyTorch's tie and NaN rules: a vector quantizer's lookup. */
export function argGather(args: ArgGatherArgs): TorchArgGather {
  return new TorchArgGather(args);
}

registerLayerClasses([TorchArgGather]);
registerLayerClasses([
  TorchMatMul, TorchLinear, TorchEinsum, TorchScaledDotProductAttention, TorchExpand, TorchRepeat,
  TorchRepeatInterleave, TorchStack, TorchRoll, TorchFlip, TorchIndex,
]);
registerLayerClasses([TorchReshape, TorchFill, TorchShapeCheck, TorchPermute]);
