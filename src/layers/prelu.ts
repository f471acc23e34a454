// prelu: torch.nn.PReLU as a tfjs layer. Its weight has PyTorch's shape [numParameters] and
// name (`weight`), so a state dict's tensor is copied as is; tfjs's own PReLU keeps one alpha per
// input element instead (loadTorchWeights fills that one too).
//
// y = x where x > 0, weight * x elsewhere (x = 0 included, as PyTorch: the gradient there is
// weight for x and 0 for weight). numParameters is 1 (one weight for every channel) or the
// number of channels, on the channel axis (axis 1 for (N, C), else per dataFormat). Three
// elementwise tfjs ops, so no kernel: right on every backend, with tfjs's gradients (tf.where
// would not do: tfjs has no gradient for the comparison feeding its condition).
import * as tf from '@tensorflow/tfjs-core';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import type {DataFormat} from '../kernel_names.js';
import {fail, show} from '../util/args.js';
import {baseArgs, layerDataFormat, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';
import {channelAffine, channelView} from './channel_math.js';
import {normChannelAxis, SameShapeLayer} from './norm.js';

export interface PReLUArgs extends TorchLayerArgs {
  /** 1 (default: one weight shared by every channel) or the number of channels. */
  numParameters?: number;
  /** The weight's initial value; default 0.25, as PyTorch. */
  init?: number;
}

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
      // tfjs 4.22's Prelu fails above rank 4 on webgl (its Where) and webgpu (WGSL indexing a
      // vec5): those ranks stay composed.
      if (x.rank <= 4 && (this.numParameters === 1 || (channelsLast && x.rank >= 2))) {
        // tfjs's own Prelu kernel (XNNPACK's on wasm): x where x >= 0, alpha * x elsewhere, the
        // same values as PyTorch's, and its gradient is PyTorch's at x = 0 too (alpha for x, 0
        // for alpha). Its kernels take alpha along the last axis only (wasm's and the cpu's
        // walk alpha as the last dim), so this path is for one shared weight or channels last.
        // One weight per channel goes in as [1, ..., 1, C], the input's rank: tfjs's webgpu Prelu
        // takes a rank-1 alpha of under 128 values through a shared-memory program (scalar, a
        // workgroup barrier and index math per element), 14% of SRVGGNetCompact's kernel time on
        // webgpu (bench:webgpu -- models); at the input's rank it takes its vec4 broadcast
        // program. The values are the same (broadcasting over the last axis); the other
        // backends read alpha's values whatever its shape.
        const alpha = this.numParameters === 1 ?
            tf.reshape(weight, []) :
            tf.reshape(weight, [...new Array<number>(x.rank - 1).fill(1), this.numParameters]);
        return tf.prelu(x, alpha);
      }
      // Otherwise: relu(x) + weight * min(x, 0), x where x > 0,
      // weight * x elsewhere, with PyTorch's gradient at 0 (tf.minimum passes it to its first
      // input on ties; relu passes none).
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
