// TorchFusedConv2d: F.conv2d (groups 1) with its zero padding, its bias and the activation after
// it in one TorchConv2d kernel (src/ops/conv2d.ts, Note [the conv route]): the layer the exporter
// writes for every 2-d convolution of groups 1 (python/tfjs_torch/ops/conv.py, Note [every 2-d
// convolution through TorchConv2d]), with the zero padding folded in (no pad layer before it) and
// a ReLU, LeakyReLU or PReLU that reads only its output folded in (python/tfjs_torch/ops/
// activation.py, Note [activation folded into its convolution]). Its kernel and bias are
// tfjs-layers Conv2D's ([kh, kw, in, out] named 'kernel', [out] named 'bias'), so loadTorchWeights
// fills it as it fills a Conv2D; a PReLU's weight is 'alpha' [out] (PyTorch's [1] or [out]: a
// state dict's PReLU weight fills it where options.map sends the PReLU's module to this layer).
//
// y = act(conv2d(pad(x), kernel) + bias), act:
//   'linear'     y itself
//   'relu'       max(x, 0) with NaN kept (x < 0 ? 0 : x)
//   'leakyrelu'  x < 0 ? leakyreluAlpha * x : x, PyTorch's leaky_relu(x, negative_slope)
//   'prelu'      x < 0 ? alpha[c] * x : x, PyTorch's prelu(x, weight) per output channel
// padding: [top, bottom, left, right] zeros (PyTorch's padding, or F.pad's before the
// convolution), or tfjs's 'valid' / 'same' (TensorFlow's split, the extra pixel after) for models
// saved before explicit padding. channelsFirst input goes through NHWC and back, as tfjs-layers'
// Conv2D does. Under a gradient the layer runs differentiable ops (the TorchGroupedConv2d kernel
// with one group, whose gradients take any padding and dilation, then tfjs's relu / leakyRelu /
// prelu) instead of the inference-only TorchConv2d kernel.
import * as tf from '@tensorflow/tfjs-core';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import type {DataFormat} from '../kernel_names.js';
import {check, fail, show} from '../util/args.js';
import {torchConv2d} from '../ops/conv2d.js';
import {runGroupedConv2d} from '../ops/grouped_conv.js';
import type {TorchConv2dAttrs} from '../kernel_names.js';
import {channelsOf, shapeOf, spatialOf} from '../util/layout.js';
import {inputSpec, TorchLayer} from './base.js';
import {baseArgs, bool, checkLayerArgs, checkOutputShape, checkRank, checkWeightShape, type InitializerLike, intArg, intTuple, layerDataFormat, numberArg, oneOf, resolveInitializer, serializeInitializer, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';

export type FusedConvActivation = 'linear'|'relu'|'leakyrelu'|'prelu';

const ACTIVATIONS = ['linear', 'relu', 'leakyrelu', 'prelu'] as const;

export interface FusedConv2dArgs extends TorchLayerArgs {
  filters: number;
  kernelSize: number|number[];
  strides?: number|number[];
  /**
   * Zeros [top, bottom, left, right], or tfjs's 'valid' (default) or 'same' (TensorFlow's split:
   * out = ceil(in / stride), the extra pixel after).
   */
  padding?: 'valid'|'same'|number[];
  dilationRate?: number|number[];
  useBias?: boolean;
  activation: FusedConvActivation;
  /** The slope for x < 0 with activation 'leakyrelu' (PyTorch's negative_slope; default 0.2). */
  leakyreluAlpha?: number;
  kernelInitializer?: InitializerLike;
  biasInitializer?: InitializerLike;
  /** The PReLU weights' initializer (activation 'prelu'); default 0.25, as PyTorch. */
  alphaInitializer?: InitializerLike;
}

const FUSED_CONV_KEYS = [
  'filters', 'kernelSize', 'strides', 'padding', 'dilationRate', 'useBias', 'activation',
  'leakyreluAlpha', 'kernelInitializer', 'biasInitializer', 'alphaInitializer',
];

export class TorchFusedConv2d extends TorchLayer {
  static className = 'TorchFusedConv2d';
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid'|'same'|number[];
  readonly dilationRate: number[];
  readonly useBias: boolean;
  readonly activation: FusedConvActivation;
  readonly leakyreluAlpha: number;
  readonly dataFormat: DataFormat;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly alphaInitializer: Initializer;
  kernel: LayerVariable|null = null;
  bias: LayerVariable|null = null;
  alpha: LayerVariable|null = null;
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
    if (Array.isArray(args.padding)) {
      this.padding = intTuple(op, 'padding', args.padding, 4, 0);
    } else {
      this.padding = oneOf(op, 'padding', args.padding, ['valid', 'same'] as const, 'valid');
    }
    this.useBias = bool(op, 'useBias', args.useBias, true);
    if (args.activation === undefined || args.activation === null) {
      fail(op, `argument 'activation' is required (${ACTIVATIONS.map((a) => `'${a}'`).join(', ')})`);
    }
    this.activation = oneOf(op, 'activation', args.activation, ACTIVATIONS, 'linear');
    this.leakyreluAlpha = numberArg(op, 'leakyreluAlpha', args.leakyreluAlpha, 0.2);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
    this.kernelInitializer =
        resolveInitializer(op, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = resolveInitializer(op, 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.alphaInitializer = resolveInitializer(
        op, 'alphaInitializer', args.alphaInitializer ?? {className: 'Constant', config: {value: 0.25}});
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
    if (this.activation === 'prelu') {
      this.alpha = this.addWeight('alpha', [this.filters], 'float32', this.alphaInitializer, undefined, true);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = singleShape(inputShape);
    checkRank(this.op, shape, 4, 'batch, channels and 2 spatial dims');
    const spatial = spatialOf(shape, this.dataFormat).map((s, i) => {
      if (s == null) return null;
      const k = (this.kernelSize[i] - 1) * this.dilationRate[i] + 1;
      if (this.padding === 'same') return Math.ceil(s / this.strides[i]);
      const [before, after] = this.padding === 'valid' ? [0, 0] : this.padding.slice(2 * i, 2 * i + 2);
      return Math.floor((s + before + after - k) / this.strides[i]) + 1;
    });
    if (spatial.some((s) => s != null && s < 1)) {
      fail(this.op, `input shape ${show(shape)} is smaller than the kernel ${
          show(this.kernelSize)} (dilation ${show(this.dilationRate)})`);
    }
    const out = shapeOf(shape[0], this.filters, spatial, this.dataFormat);
    checkOutputShape(this.op, this.name, out);
    return out;
  }

  /** The zeros [top, bottom, left, right] for an input of spatial size [h, w]. */
  private padsFor(size: number[]): [number, number, number, number] {
    if (Array.isArray(this.padding)) return this.padding as [number, number, number, number];
    if (this.padding === 'valid') return [0, 0, 0, 0];
    // TensorFlow's SAME: out = ceil(in / s), the total's smaller half before.
    return size.flatMap((s, i) => {
      const k = (this.kernelSize[i] - 1) * this.dilationRate[i] + 1;
      const total = Math.max((Math.ceil(s / this.strides[i]) - 1) * this.strides[i] + k - s, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    }) as [number, number, number, number];
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    return tf.tidy(() => {
      const nhwc = (this.dataFormat === 'channelsFirst' ? tf.transpose(x, [0, 2, 3, 1]) : x) as tf.Tensor4D;
      const attrs: TorchConv2dAttrs = {
        strides: this.strides as [number, number],
        pad: this.padsFor(nhwc.shape.slice(1, 3)),
        dilations: this.dilationRate as [number, number],
        activation: this.activation,
        leakyreluAlpha: this.leakyreluAlpha,
      };
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const bias = this.bias == null ? null : this.bias.read() as tf.Tensor1D;
      const alpha = this.alpha == null ? null : this.alpha.read() as tf.Tensor1D;
      const recording = (tf.engine().state as unknown as {gradientDepth: number}).gradientDepth > 0;
      const y = recording ? differentiable(nhwc, kernel, bias, alpha, attrs) :
                            torchConv2d(nhwc, kernel, bias, alpha, attrs);
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
      alphaInitializer: serializeInitializer(this.alphaInitializer),
      ...super.getConfig(),
    };
  }
}

/** The layer's function in ops that record their gradients (PyTorch's at x = 0: see the header). */
function differentiable(
    x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D|null, alpha: tf.Tensor1D|null,
    a: TorchConv2dAttrs): tf.Tensor4D {
  const y = runGroupedConv2d(x, kernel, bias, {
    stride: a.strides, padding: a.pad, dilation: a.dilations, groups: 1, dataFormat: 'channelsLast',
  }) as tf.Tensor4D;
  switch (a.activation) {
    case 'linear': return y;
    case 'relu': return tf.relu(y);
    case 'leakyrelu': return tf.leakyRelu(y, a.leakyreluAlpha);
    case 'prelu': return tf.prelu(y, alpha! as unknown as tf.Tensor4D);
  }
}
