// tfjs-torch's layers for tf.LayersModel (`pt.layers.*`): PyTorch modules with PyTorch's
// numerics, each registered with tfjs's serialization registry so that a model using them
// survives model.save / tf.loadLayersModel.
import {registerLayerClasses} from './common.js';
import {type ConvTransposeLayerArgs, TorchConvTranspose1d, TorchConvTranspose2d, TorchConvTranspose3d} from './conv_transpose.js';
import {type MaxPoolLayerArgs, type MaxUnpoolLayerArgs, TorchMaxPool1d, TorchMaxPool2d, TorchMaxPool3d, TorchMaxUnpool1d, TorchMaxUnpool2d, TorchMaxUnpool3d} from './max_pool.js';
import {type NormalizeLayerArgs, TorchDenormalize, TorchNormalize} from './normalize.js';
import {type PixelShuffleArgs, type PixelUnshuffleArgs, TorchPixelShuffle, TorchPixelUnshuffle} from './pixel_shuffle.js';
import {TorchUpsample, type UpsampleArgs} from './upsample.js';
import {TorchActivation, TorchElementwise, TorchReduce, TorchSlice} from './tensor_ops.js';

export type {TorchLayerArgs, InitializerLike} from './common.js';
export {convTransposeInitBound, TorchConvTransposeNd} from './conv_transpose.js';
export {TorchMaxPoolNd, TorchMaxUnpoolNd} from './max_pool.js';
export {
  TorchConvTranspose1d, TorchConvTranspose2d, TorchConvTranspose3d, TorchDenormalize,
  TorchMaxPool1d, TorchMaxPool2d, TorchMaxPool3d, TorchMaxUnpool1d, TorchMaxUnpool2d,
  TorchMaxUnpool3d, TorchNormalize, TorchPixelShuffle, TorchPixelUnshuffle, TorchUpsample,
};
// Written by the Python exporter (python/tfjs_torch) for PyTorch's tensor functions.
export {TorchActivation, TorchElementwise, TorchReduce, TorchSlice};
export type {TorchActivationArgs, TorchActivationFn, TorchElementwiseArgs, TorchElementwiseOp, TorchReduceArgs, TorchReduceOp, TorchSliceArgs} from './tensor_ops.js';
export type {
  ConvTransposeLayerArgs, MaxPoolLayerArgs, MaxUnpoolLayerArgs, NormalizeLayerArgs,
  PixelShuffleArgs, PixelUnshuffleArgs, UpsampleArgs,
};

/** torch.nn.Upsample: interpolate with PyTorch's coordinate rules. */
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

registerLayerClasses([
  TorchUpsample, TorchConvTranspose1d, TorchConvTranspose2d, TorchConvTranspose3d,
  TorchPixelShuffle, TorchPixelUnshuffle, TorchMaxPool1d, TorchMaxPool2d, TorchMaxPool3d,
  TorchMaxUnpool1d, TorchMaxUnpool2d, TorchMaxUnpool3d, TorchNormalize, TorchDenormalize,
]);
registerLayerClasses([TorchActivation, TorchElementwise, TorchReduce, TorchSlice]);
