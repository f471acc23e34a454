// The state-dict mapping of loadTorchWeights: which layer a key fills and how its tensor is
// converted.
//
// Note [state dict naming]
// PyTorch names a parameter `<module path>.<param>` (`decoder.up1.weight`, `features.0.bias`);
// tfjs names a layer once, without dots by convention. The default rule maps the module path to
// the layer named with its dots turned into underscores (`decoder.up1` -> `decoder_up1`), so a
// model ported with `name: 'decoder_up1'` on each layer loads with no further configuration;
// options.map overrides it per module path.
//
// Note [weight layouts]
// PyTorch and tfjs store the same kernels in different axis orders. Every conversion is one
// transpose (plus, for depthwise kernels, a reshape), written once in LAYER_RULES below:
//   Conv{1,2,3}d         [out, in, ...k]          -> Conv{1,2,3}D        [...k, in, out]
//   ConvTranspose{2,3}d  [in, out, ...k]          -> Conv{2,3}DTranspose [...k, out, in]
//   Conv2d, groups = in  [in * mult, 1, kh, kw]   -> DepthwiseConv2D     [kh, kw, in, mult]
//   Conv2d, other groups [out, in / g, kh, kw]    -> TorchGroupedConv2d  [kh, kw, in / g, out]
//   Linear               [out, in]                -> Dense, TorchLinear  [in, out]
//   PReLU                [1] or [C]               -> PReLU alpha         (Note [tfjs PReLU alpha])
// tfjs-torch's own convTranspose layers keep PyTorch's layout, so their weights are copied.
// Misshapen tensors are reported in PyTorch's layout (the shape the state dict should have had),
// which is the one the user can compare with their PyTorch module.
import * as tf from '@tensorflow/tfjs-core';
import type {Layer} from '@tensorflow/tfjs-layers/dist/engine/topology';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {showShape} from './errors.js';
import type {LoadTorchWeightsOptions} from './load.js';

export interface ParamRule {
  /** The tfjs weight name (the part of LayerVariable.originalName after the layer name). */
  tfjs: string;
  /** PyTorch's parameter name. */
  torch: string;
  /** PyTorch shape the tfjs weight of this shape corresponds to (Note [weight layouts]). */
  torchShape: (tfjsShape: number[]) => number[];
  /** PyTorch layout -> tfjs layout. */
  convert: (t: tf.Tensor, tfjsShape: number[]) => tf.Tensor;
  /**
   * Whether a state-dict tensor of shape `torch` fits a tfjs weight of shape `tfjs`, where more
   * than torchShape's one shape fits (tfjs's PReLU); `expected` then says which in an error.
   */
  fits?: {test: (torch: number[], tfjs: number[]) => boolean, expected: (tfjs: number[]) => string};
}

/** The inverse of a permutation. */
function inverse(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => inv[p] = i);
  return inv;
}

function copied(tfjs: string, torch: string): ParamRule {
  return {tfjs, torch, torchShape: (s) => s.slice(), convert: (t) => t.clone()};
}

/** tfjs = transpose(torch, perm). */
function transposed(tfjs: string, torch: string, perm: number[]): ParamRule {
  const inv = inverse(perm);
  return {
    tfjs,
    torch,
    torchShape: (s) => inv.map((a) => s[a]),
    convert: (t) => tf.transpose(t, perm),
  };
}

const BIAS = copied('bias', 'bias');

// Note [tfjs PReLU alpha]
// tfjs's PReLU keeps one alpha per input element (shape: the input's without the batch dim), or
// 1 along its sharedAxes; PyTorch's PReLU has num_parameters weights: 1, or one per channel on
// the channel axis. A weight of shape [1] fills every alpha. One of shape [C] fills alpha along
// the axis of size C that is alone in not being shared (channelsFirst PReLU with sharedAxes
// [2, 3]: alpha [C, 1, 1]), else along the last axis (channels last, tfjs's default), else the
// first; the other axes repeat it, which is what PyTorch computes.
export function preluChannelAxis(a: number[], c: number): number {
  const alone = a.findIndex((s, i) => s === c && a.every((t, j) => j === i || t === 1));
  if (alone >= 0) return alone;
  if (a[a.length - 1] === c) return a.length - 1;
  return a[0] === c ? 0 : -1;
}

const PRELU_ALPHA: ParamRule = {
  tfjs: 'alpha',
  torch: 'weight',
  torchShape: (a) => {
    const big = a.filter((s) => s !== 1);
    return [big.length === 1 ? big[0] : a[a.length - 1]];
  },
  convert: (t, a) => {
    if (t.size === 1) return tf.broadcastTo(tf.reshape(t, a.map(() => 1)), a);
    const axis = preluChannelAxis(a, t.size);
    return tf.broadcastTo(tf.reshape(t, a.map((s, i) => i === axis ? s : 1)), a);
  },
  fits: {
    test: (torch, a) => torch.length === 1 && (torch[0] === 1 || preluChannelAxis(a, torch[0]) >= 0),
    expected: (a) => `[1] or [C] with C an axis of its alpha ${showShape(a)}`,
  },
};

/** TorchFusedConv2d's alpha [out] from a PyTorch PReLU weight of [1] (broadcast) or [out]. */
const FUSED_PRELU_ALPHA: ParamRule = {
  tfjs: 'alpha',
  torch: 'weight',
  torchShape: (a) => a.slice(),
  convert: (t, a) => tf.broadcastTo(t, a),
  fits: {
    test: (torch, a) => torch.length === 1 && (torch[0] === 1 || torch[0] === a[0]),
    expected: (a) => `[1] or [${a[0]}] (a PReLU's weight)`,
  },
};

// The statistics and weights of tfjs-torch's norm layers carry PyTorch's names and shapes.
const NORM_RULES = {
  rules: [copied('weight', 'weight'), BIAS, copied('running_mean', 'running_mean'),
          copied('running_var', 'running_var')],
  // A counter PyTorch uses only when momentum is None; tfjs-torch's layers need a momentum.
  ignored: ['num_batches_tracked'],
};

/** For tfjs-layers class name or tfjs-torch layer class name: how its weights are filled. */
export const LAYER_RULES: Record<string, {rules: ParamRule[], ignored?: string[]}> = {
  Conv1D: {rules: [transposed('kernel', 'weight', [2, 1, 0]), BIAS]},
  Conv2D: {rules: [transposed('kernel', 'weight', [2, 3, 1, 0]), BIAS]},
  // tfjs-torch's Conv2D with a fused activation (src/layers/fused_conv.ts): Conv2D's weights, and
  // a PReLU's weight ([1] or [out]) as its alpha [out] where options.map sends the PReLU's module
  // to the same layer.
  TorchFusedConv2d: {rules: [transposed('kernel', 'weight', [2, 3, 1, 0]), BIAS, FUSED_PRELU_ALPHA]},
  Conv3D: {rules: [transposed('kernel', 'weight', [2, 3, 4, 1, 0]), BIAS]},
  TorchGroupedConv2d: {rules: [transposed('kernel', 'weight', [2, 3, 1, 0]), BIAS]},
  Conv2DTranspose: {rules: [transposed('kernel', 'weight', [2, 3, 1, 0]), BIAS]},
  Conv3DTranspose: {rules: [transposed('kernel', 'weight', [2, 3, 4, 1, 0]), BIAS]},
  DepthwiseConv2D: {
    rules: [
      {
        tfjs: 'depthwise_kernel',
        torch: 'weight',
        torchShape: ([kh, kw, cin, mult]) => [cin * mult, 1, kh, kw],
        // Output channel i * mult + m of PyTorch's grouped conv is tfjs's [.., .., i, m].
        convert: (t, [kh, kw, cin, mult]) =>
            tf.transpose(tf.reshape(t, [cin, mult, kh, kw]), [2, 3, 0, 1]),
      },
      BIAS,
    ],
  },
  Dense: {rules: [transposed('kernel', 'weight', [1, 0]), BIAS]},
  TorchLinear: {rules: [transposed('kernel', 'weight', [1, 0]), BIAS]},
  BatchNormalization: {
    rules: [
      copied('gamma', 'weight'), copied('beta', 'bias'), copied('moving_mean', 'running_mean'),
      copied('moving_variance', 'running_var'),
    ],
    // A counter PyTorch uses only when momentum is None; tfjs has no equivalent.
    ignored: ['num_batches_tracked'],
  },
  LayerNormalization: {rules: [copied('gamma', 'weight'), copied('beta', 'bias')]},
  Embedding: {rules: [copied('embeddings', 'weight')]},
  PReLU: {rules: [PRELU_ALPHA]},
  TorchBatchNorm: NORM_RULES,
  TorchInstanceNorm: NORM_RULES,
  TorchGroupNorm: {rules: [copied('weight', 'weight'), BIAS]},
  TorchLayerNorm: {rules: [copied('weight', 'weight'), BIAS]},
  TorchPReLU: {rules: [copied('weight', 'weight')]},
  TorchConvTranspose1d: {rules: [copied('weight', 'weight'), BIAS]},
  TorchConvTranspose2d: {rules: [copied('weight', 'weight'), BIAS]},
  TorchConvTranspose3d: {rules: [copied('weight', 'weight'), BIAS]},
};

/** Every layer of the model, nested models (a model used as a layer) included. */
export function allLayers(model: {layers: Layer[]}): Layer[] {
  const out: Layer[] = [];
  const visit = (layers: Layer[]) => {
    for (const layer of layers) {
      out.push(layer);
      const nested = (layer as unknown as {layers?: Layer[]}).layers;
      if (Array.isArray(nested)) visit(nested);
    }
  };
  visit(model.layers);
  return out;
}

/** The weight's own name: LayerVariable.originalName without its layer (name scope) prefix. */
export function weightName(v: LayerVariable): string {
  const parts = v.originalName.split('/');
  return parts[parts.length - 1];
}

export function splitKey(key: string): {modulePath: string, param: string} {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? {modulePath: '', param: key} :
                   {modulePath: key.slice(0, dot), param: key.slice(dot + 1)};
}

export function layerNameFor(
    modulePath: string, map: LoadTorchWeightsOptions['map']): string|null {
  if (typeof map === 'function') {
    const named = map(modulePath);
    if (named !== undefined) return named;
  } else if (map != null && Object.prototype.hasOwnProperty.call(map, modulePath)) {
    return map[modulePath];
  }
  return modulePath.replace(/\./g, '_');
}

