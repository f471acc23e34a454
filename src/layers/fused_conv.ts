// TorchFusedConv2d: a 2-d convolution with its activation in the same kernel (tf.fused.conv2d),
// for activations tfjs-layers' Conv2D does not pass to the fused kernel (it fuses 'relu' and
// 'elu' only). The exporter writes it where a LeakyReLU reads a convolution's output and nothing
// else does (python/tfjs_torch/ops/activation.py, Note [activation folded into its
// convolution]). Its kernel and bias are tfjs-layers Conv2D's ([kh, kw, in, out] named 'kernel',
// [out] named 'bias'), so loadTorchWeights fills it as it fills a Conv2D.
//
// y = act(conv2d(x, kernel) + bias), act:
//   'relu'       max(x, 0) with NaN kept (x < 0 ? 0 : x)
//   'leakyrelu'  x < 0 ? leakyreluAlpha * x : x, PyTorch's leaky_relu(x, negative_slope)
// channelsFirst input goes through NHWC and back, as tfjs-layers' Conv2D does. Under a gradient
// tf.fused.conv2d runs unfused (conv, bias, activation) and takes each op's gradient.
import * as tf from '@tensorflow/tfjs-core';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import type {DataFormat} from '../kernel_names.js';
import {check, fail, show} from '../util/args.js';
import {channelsOf, shapeOf, spatialOf} from '../util/layout.js';
import {inputSpec, TorchLayer} from './base.js';
import {baseArgs, bool, checkLayerArgs, checkOutputShape, checkRank, checkWeightShape, type InitializerLike, intArg, intTuple, layerDataFormat, numberArg, oneOf, resolveInitializer, serializeInitializer, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';

export type FusedConvActivation = 'relu'|'leakyrelu';

export interface FusedConv2dArgs extends TorchLayerArgs {
  filters: number;
  kernelSize: number|number[];
  strides?: number|number[];
  /** tfjs's 'valid' (default) or 'same' (at stride 1 only: TensorFlow's split, the extra pixel after). */
  padding?: 'valid'|'same';
  dilationRate?: number|number[];
  useBias?: boolean;
  activation: FusedConvActivation;
  /** The slope for x < 0 with activation 'leakyrelu' (PyTorch's negative_slope; default 0.2). */
  leakyreluAlpha?: number;
  kernelInitializer?: InitializerLike;
  biasInitializer?: InitializerLike;
}

const FUSED_CONV_KEYS = [
  'filters', 'kernelSize', 'strides', 'padding', 'dilationRate', 'useBias', 'activation',
  'leakyreluAlpha', 'kernelInitializer', 'biasInitializer',
];

export class TorchFusedConv2d extends TorchLayer {
  static className = 'TorchFusedConv2d';
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid'|'same';
  readonly dilationRate: number[];
  readonly useBias: boolean;
  readonly activation: FusedConvActivation;
  readonly leakyreluAlpha: number;
  readonly dataFormat: DataFormat;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable|null = null;
  bias: LayerVariable|null = null;
  private readonly op = 'layers.fusedConv2d';

  constructor(args: FusedConv2dArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.fusedConv2d';
    checkLayerArgs(op, args, FUSED_CONV_KEYS);
    this.filters = intArg(op, 'filters', args.filters, 1);
    this.kernelSize = intTuple(op, 'kernelSize', args.kernelSize, 2, 1);
    this.strides = intTuple(op, 'strides', args.strides, 2, 1, 1);
    this.dilationRate = intTuple(op, 'dilationRate', args.dilationRate, 2, 1, 1);
    check(this.strides.every((s) => s === 1) || this.dilationRate.every((d) => d === 1), op,
          () => `strides ${show(this.strides)} together with dilationRate ${
              show(this.dilationRate)}: tfjs's convolutions take one or the other, not both`);
    this.padding = oneOf(op, 'padding', args.padding, ['valid', 'same'] as const, 'valid');
    this.useBias = bool(op, 'useBias', args.useBias, true);
    if (args.activation === undefined || args.activation === null) {
      fail(op, `argument 'activation' is required ('relu' or 'leakyrelu')`);
    }
    this.activation = oneOf(op, 'activation', args.activation, ['relu', 'leakyrelu'] as const, 'relu');
    this.leakyreluAlpha = numberArg(op, 'leakyreluAlpha', args.leakyreluAlpha, 0.2);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
    this.kernelInitializer =
        resolveInitializer(op, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = resolveInitializer(op, 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.inputSpec = [inputSpec({ndim: 4})];
  }

  override build(inputShape: Shape|Shape[]): void {
    const shape = singleShape(inputShape);
    checkRank(this.op, shape, 4, 'batch, channels and 2 spatial dims');
    const channels = channelsOf(shape, this.dataFormat);
    if (channels == null) {
      fail(this.op, `the channel dim of the input must be known, got shape ${show(shape)}`);
    }
    const kernelShape = [...this.kernelSize, channels, this.filters];
    // Note [size guard]: before the weights exist, and the output's too.
    checkWeightShape(this.op, this.name, kernelShape);
    this.computeOutputShape(shape);
    const axis = this.dataFormat === 'channelsLast' ? 3 : 1;
    this.inputSpec = [inputSpec({ndim: 4, axes: {[axis]: channels}})];
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', this.kernelInitializer, undefined, true);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInitializer, undefined, true);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = singleShape(inputShape);
    checkRank(this.op, shape, 4, 'batch, channels and 2 spatial dims');
    // tfjs's output sizes ('same': ceil(L / s); 'valid': ceil((L - dilated kernel + 1) / s)).
    const spatial = spatialOf(shape, this.dataFormat).map((s, i) => {
      if (s == null) return null;
      const k = (this.kernelSize[i] - 1) * this.dilationRate[i] + 1;
      return this.padding === 'same' ? Math.ceil(s / this.strides[i]) :
                                       Math.ceil((s - k + 1) / this.strides[i]);
    });
    if (spatial.some((s) => s != null && s < 1)) {
      fail(this.op, `input shape ${show(shape)} is smaller than the kernel ${
          show(this.kernelSize)} (dilation ${show(this.dilationRate)})`);
    }
    const out = shapeOf(shape[0], this.filters, spatial, this.dataFormat);
    checkOutputShape(this.op, this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    return tf.tidy(() => {
      const nhwc = this.dataFormat === 'channelsFirst' ? tf.transpose(x, [0, 2, 3, 1]) : x;
      const y = tf.fused.conv2d({
        x: nhwc as tf.Tensor4D,
        filter: this.kernel!.read() as tf.Tensor4D,
        strides: this.strides as [number, number],
        pad: this.padding,
        dilations: this.dilationRate as [number, number],
        dataFormat: 'NHWC',
        bias: this.bias == null ? undefined : this.bias.read(),
        activation: this.activation,
        leakyreluAlpha: this.leakyreluAlpha,
      });
      return this.dataFormat === 'channelsFirst' ? tf.transpose(y, [0, 3, 1, 2]) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      useBias: this.useBias,
      activation: this.activation,
      leakyreluAlpha: this.leakyreluAlpha,
      dataFormat: this.dataFormat,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      ...super.getConfig(),
    };
  }
}
