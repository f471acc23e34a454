// prelu: torch.nn.PReLU as a tfjs layer. Its weight has PyTorch's shape [numParameters] and
// name (`weight`), so a state dict's tensor is copied as is; tfjs's own PReLU keeps one alpha per
// input element instead (loadTorchWeights fills that one too).
//
// y = x where x > 0, weight * x elsewhere (x = 0 included, as PyTorch: the gradient there is
// weight for x and 0 for weight). numParameters is 1 (one weight for every channel) or the
// number of channels, on the channel axis (axis 1 for (N, C), else per dataFormat). One
// TorchPrelu kernel where the backend has one (Note [PReLU at Infinity]); on tensorflow two or
// three ops with PyTorch's backward formula as the gradient (Note [PReLU on tensorflow]).
import * as tf from '@tensorflow/tfjs-core';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {asAttrs, Prelu} from '../kernel_names.js';
import type {DataFormat, PreluAttrs} from '../kernel_names.js';
import {preluBackwardWeight, preluBackwardX} from '../gradients/prelu_grad.js';
import {fail, show} from '../util/args.js';
import {capabilitiesOf} from '../util/capabilities.js';
import {baseArgs, layerDataFormat, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';
import {channelAffine, channelView} from './channel_math.js';
import {normChannelAxis, SameShapeLayer} from './norm.js';

export interface PReLUArgs extends TorchLayerArgs {
  /** 1 (default: one weight shared by every channel) or the number of channels. */
  numParameters?: number;
  /** The weight's initial value; default 0.25, as PyTorch. */
  init?: number;
}

// Note [PReLU on tensorflow]
// tfjs-node's Prelu kernel is six TensorFlow ops (relu(x) + alpha * (x - |x|) * 0.5: Relu, Abs,
// Sub, two Mul, Add), each a pass over the tensor, and it gives NaN for x = +Infinity (Inf - Inf)
// where PyTorch gives Infinity. TensorFlow has no per-channel PReLU op. Where every alpha is
// finite, non-zero and at most 1, PyTorch's x > 0 ? x : alpha * x is Maximum(x, alpha * x): for
// x > 0, alpha * x <= x; for x < 0, alpha * x >= x; for x = 0 both are 0 (up to the sign of
// zero); Inf and NaN: +Inf stays +Inf (alpha * Inf is +-Inf, never NaN as alpha != 0), -Inf gives
// alpha * -Inf, NaN gives NaN. Two ops, and alpha * x is the same single product PyTorch
// computes. Other alphas (alpha > 1 makes alpha * x the larger for x > 0; alpha = 0 makes
// 0 * Inf = NaN) take SelectV2(x > 0, x, alpha * x): three ops, PyTorch's expression itself.
// The alphas are read on the host (tensorflow keeps tensors there: no GPU stall). The gradient is
// PyTorch's backward formula (at x = 0: alpha for x, 0 for alpha; NaN x: alpha for x, NaN for
// alpha).
/**
 * forward(x, w) with PyTorch's PReLU gradient; trailing: the unit axes after the weight's
 * channel axis that broadcast it (channels first), 0 for a last-axis or single weight.
 */
function withPreluGradient(forward: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor, x: tf.Tensor,
                           weight: tf.Tensor, trailing: number): tf.Tensor {
  // x and w are saved (cloned): tfjs-layers may dispose the layer's input before the backward
  // pass. Only the tensorflow, webgl and webgpu paths run this (wasm's Identity copies, so a
  // saved clone shows to its leak check as two leaked data ids).
  const run = tf.customGrad(((t: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    save([t, w]);
    return {
      value: forward(t, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [preluBackwardX(dy, saved[0], saved[1], trailing),
                                                        preluBackwardWeight(dy, saved[0], saved[1], trailing)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(x, weight);
}

/** PReLU on a backend whose Prelu kernel is composed (Note [PReLU on tensorflow]). */
function preluByMaximum(x: tf.Tensor, weight: tf.Tensor, trailing: number): tf.Tensor {
  return withPreluGradient((t, w) => preluForwardByMaximum(t, w, trailing), x, weight, trailing);
}

/**
 * The forward of preluByMaximum (no gradient): Maximum(x, alpha * x), or SelectV2 where an alpha
 * is not in (0, 1]; the alphas are read on the host. Also the tensorflow TorchConv2d kernel's
 * PReLU (kernels/node/Conv2d.ts).
 */
export function preluForwardByMaximum(t: tf.Tensor, w: tf.Tensor, trailing: number): tf.Tensor {
  const alpha = w.dataSync();
  const byMaximum = Array.from(alpha).every((a) => Number.isFinite(a) && a !== 0 && a <= 1);
  const scaled = tf.mul(t, w.size === 1 ? tf.reshape(w, []) :
                              tf.reshape(w, [w.size, ...new Array<number>(trailing).fill(1)]));
  return byMaximum ? tf.maximum(t, scaled) : tf.where(tf.greater(t, 0), t, scaled);
}

/**
 * Note [PReLU at Infinity]
 * PyTorch's PReLU is x where x > 0, weight * x elsewhere: +Infinity stays +Infinity, -Infinity
 * becomes weight * -Infinity (NaN for a zero weight), NaN stays NaN. tfjs 4.22's webgl Prelu
 * (packed) and webgpu Prelu (vec4) compute mask * (alpha * x) + (1 - mask) * x, so both terms are
 * evaluated and 0 * Infinity makes every infinite input NaN (the PyTorch modules fixtures with
 * Infinity input caught it); tfjs's Prelu also takes its alpha along the last axis only, and
 * fails above rank 4 on webgl and webgpu. So the layer runs a kernel of its own, TorchPrelu
 * (src/kernel_names.ts), on every backend that registers one (cpu, wasm, webgl, webgpu): one
 * pass that selects the branch per value, with the weight read at each value's channel in
 * either layout and any rank, and PyTorch's backward as its registered gradient
 * (src/gradients/prelu_grad.ts: w * dy for x and NaN for w at a NaN x). tensorflow keeps its two
 * or three TensorFlow ops (Note [PReLU on tensorflow]).
 */

export class TorchPReLU extends SameShapeLayer {
  static className = 'TorchPReLU';
  readonly numParameters: number;
  readonly init: number;
  readonly dataFormat: DataFormat;
  weight: LayerVariable|null = null;
  private readonly op = 'layers.prelu';

  constructor(args: PReLUArgs = {}) {
    super(baseArgs(args ?? {}));
    const op = 'layers.prelu';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    const p = args.numParameters ?? 1;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1) {
      fail(op, `argument 'numParameters' must be a positive integer, got ${show(p)}`);
    }
    this.numParameters = p;
    const init = args.init ?? 0.25;
    if (typeof init !== 'number' || !Number.isFinite(init)) {
      fail(op, `argument 'init' must be a finite number, got ${show(init)}`);
    }
    this.init = init;
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  protected checkShape(shape: Shape): void {
    if (this.numParameters === 1) {
      if (shape.length < 1) fail(this.op, `input must have rank >= 1, got shape ${show(shape)}`);
      return;
    }
    if (shape.length < 2) {
      fail(this.op, `with numParameters ${this.numParameters} the input needs a channel axis ${
          ''}(rank >= 2), got shape ${show(shape)}`);
    }
    const c = shape[normChannelAxis(shape.length, this.dataFormat)];
    if (c != null && c !== this.numParameters) {
      fail(this.op, `input has ${c} channels (shape ${show(shape)}, ${this.dataFormat}), but ${
          ''}numParameters is ${this.numParameters} (it must be 1 or the channel count)`);
    }
  }

  override build(inputShape: Shape|Shape[]): void {
    this.checkShape(singleShape(inputShape));
    this.weight = this.addTorchWeight(
        this.op, 'weight', this.numParameters, {className: 'Constant', config: {value: this.init}}, true);
    this.built = true;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    this.checkShape(x.shape);
    return tf.tidy(() => {
      const weight = this.weight!.read();
      const channelsLast = this.dataFormat === 'channelsLast' || x.rank === 2;
      if (capabilitiesOf(tf.getBackend()).composedPrelu === true) {
        return preluByMaximum(x, weight, this.numParameters === 1 || channelsLast ? 0 : x.rank - 2);
      }
      if (tf.getKernel(Prelu, tf.getBackend()) != null) {
        // Note [PReLU at Infinity]. Rank 2 has its channels on axis 1, the last.
        const attrs: PreluAttrs = {dataFormat: channelsLast ? 'channelsLast' : 'channelsFirst'};
        return tf.engine().runKernel(Prelu, {x, weight}, asAttrs(attrs)) as tf.Tensor;
      }
      // A backend with no TorchPrelu kernel (registered by another package): tfjs's Prelu where
      // it takes the weight (up to rank 4, along the last axis), else composed.
      if (x.rank <= 4 && (this.numParameters === 1 || (channelsLast && x.rank >= 2))) {
        // tfjs's Prelu: x where x >= 0, alpha * x elsewhere, PyTorch's values for finite x (not
        // at Infinity where it blends, Note [PReLU at Infinity]), and its gradient is PyTorch's
        // at x = 0 too (alpha for x, 0 for alpha). One weight per channel goes in as
        // [1, ..., 1, C], the input's rank.
        const alpha = this.numParameters === 1 ?
            tf.reshape(weight, []) :
            tf.reshape(weight, [...new Array<number>(x.rank - 1).fill(1), this.numParameters]);
        return tf.prelu(x, alpha);
      }
      // Otherwise: relu(x) + weight * min(x, 0), x where x > 0, weight * x elsewhere.
      // Its gradient at x = 0 is PyTorch's (tf.minimum passes it to its first input on ties; relu
      // passes none); at a NaN x it is NaN (tfjs's relu gradient), where PyTorch's is weight * dy.
      const negative = tf.minimum(x, 0);
      const scaled = channelAffine(negative, channelView(x.shape, this.dataFormat), weight, null);
      return tf.add(tf.relu(x), scaled);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      numParameters: this.numParameters,
      init: this.init,
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}
