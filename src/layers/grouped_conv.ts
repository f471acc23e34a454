// TorchGroupedConv2d: torch.nn.Conv2d with groups > 1 as one layer, which the exporter writes
// for 2-D grouped convolutions and for dilated depthwise ones (tfjs-layers' DepthwiseConv2D drops
// its dilation: Note [depthwise convolution as tfjs's own] in src/ops/grouped_conv.ts; a depthwise
// one runs tfjs's depthwiseConv2d in the kernel) (internal to the exporter, like TorchActivation:
// no factory under pt.layers). Its kernel is tfjs's Conv2D kernel with inChannels / groups input
// channels, [kH, kW, inC / groups, outC], so loadTorchWeights fills it as it fills Conv2D.
//
// Note [grouped convolution layer: per-group filters]
// On tensorflow the layer runs the TorchGroupedConv2d kernel: one TensorFlow Conv2D (Note
// [grouped convolution on TensorFlow] in src/ops/grouped_conv.ts); so it does on webgpu and wasm where
// the kernel runs the groups in one pass (the capability groupedConvOnePass: each group within
// the direct convolution's channel limits). Elsewhere the kernel runs one
// tfjs convolution per group and must cut each group's filter out of the kernel on every call;
// on wasm a new filter tensor also makes XNNPACK build and pack a new operator every call (it
// caches operators by filter tensor). So in inference the layer keeps the groups' filters (and
// biases) as tensors of its own, cut once from the current weights and cut again when a weight
// changes (a new data id: setWeights / loadTorchWeights / an optimizer step), released with the
// layer; while gradients are recorded it runs the kernel, whose gradient reaches the weights.
import * as tf from '@tensorflow/tfjs-core';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import type {DataFormat, GroupedConv2dAttrs} from '../kernel_names.js';
import {groupBias, groupedKernelIsOnePass, groupFilter, perGroupConv2d, runGroupedConv2d} from '../ops/grouped_conv.js';
import {check, fail, show} from '../util/args.js';
import {channelsOf, shapeOf, spatialOf} from '../util/layout.js';
import {inputSpec, TorchLayer} from './base.js';
import {baseArgs, bool, checkLayerArgs, checkOutputShape, checkRank, checkWeightShape, type InitializerLike, intArg, intTuple, layerDataFormat, resolveInitializer, serializeInitializer, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';

export interface GroupedConv2dLayerArgs extends TorchLayerArgs {
  inChannels: number;
  outChannels: number;
  kernelSize: number|number[];
  stride?: number|number[];
  /** Zero padding [top, bottom, left, right], or an int / [pH, pW] for both sides. Default 0. */
  padding?: number|number[];
  dilation?: number|number[];
  groups: number;
  /** Default true (PyTorch's `bias=True`). */
  bias?: boolean;
  kernelInitializer?: InitializerLike;
  biasInitializer?: InitializerLike;
}

const KEYS = [
  'inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias',
  'kernelInitializer', 'biasInitializer',
];

interface GroupCache {
  kernelId: object;
  biasId: object|null;
  filters: tf.Tensor[];
  biases: Array<tf.Tensor|null>;
}

export class TorchGroupedConv2d extends TorchLayer {
  static className = 'TorchGroupedConv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  /** [top, bottom, left, right]. */
  readonly padding: number[];
  readonly dilation: number[];
  readonly groups: number;
  readonly useBias: boolean;
  readonly dataFormat: DataFormat;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable|null = null;
  bias: LayerVariable|null = null;
  private cache: GroupCache|null = null;

  constructor(args: GroupedConv2dLayerArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.groupedConv2d';
    checkLayerArgs(op, args, KEYS);
    this.inChannels = intArg(op, 'inChannels', args.inChannels, 1);
    this.outChannels = intArg(op, 'outChannels', args.outChannels, 1);
    this.kernelSize = intTuple(op, 'kernelSize', args.kernelSize, 2, 1);
    this.stride = intTuple(op, 'stride', args.stride, 2, 1, 1);
    this.dilation = intTuple(op, 'dilation', args.dilation, 2, 1, 1);
    const p = args.padding ?? 0;
    if (Array.isArray(p) && p.length === 4) {
      this.padding = intTuple(op, 'padding', p, 4, 0);
    } else {
      this.padding = intTuple(op, 'padding', p, 2, 0).flatMap((v) => [v, v]);
    }
    this.groups = intArg(op, 'groups', args.groups, 1);
    check(this.inChannels % this.groups === 0, op,
          () => `inChannels (${this.inChannels}) must be divisible by groups (${this.groups})`);
    check(this.outChannels % this.groups === 0, op,
          () => `outChannels (${this.outChannels}) must be divisible by groups (${this.groups})`);
    check(this.stride.every((s) => s === 1) || this.dilation.every((d) => d === 1), op,
          () => `stride ${show(this.stride)} together with dilation ${show(this.dilation)} is ${
              ''}not supported`);
    this.useBias = bool(op, 'bias', args.bias, true);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
    checkWeightShape(op, this.name, this.kernelShape);
    // PyTorch's default init (Note [ConvTranspose default init]; fan_in = inC / groups * k).
    const bound = 1 / Math.sqrt((this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1]);
    const uniform = () => resolveInitializer(
        op, 'kernelInitializer', {className: 'RandomUniform', config: {minval: -bound, maxval: bound}});
    this.kernelInitializer = args.kernelInitializer == null ?
        uniform() : resolveInitializer(op, 'kernelInitializer', args.kernelInitializer);
    this.biasInitializer = args.biasInitializer == null ?
        uniform() : resolveInitializer(op, 'biasInitializer', args.biasInitializer);
    this.inputSpec = [inputSpec({ndim: 4})];
  }

  /** tfjs's Conv2D layout with the group's input channels: [kH, kW, inC / groups, outC]. */
  get kernelShape(): number[] {
    return [...this.kernelSize, this.inChannels / this.groups, this.outChannels];
  }

  private get attrs(): GroupedConv2dAttrs {
    return {stride: this.stride, padding: this.padding, dilation: this.dilation,
            groups: this.groups, dataFormat: this.dataFormat};
  }

  override build(inputShape: Shape|Shape[]): void {
    const op = 'layers.groupedConv2d';
    const shape = singleShape(inputShape);
    checkRank(op, shape, 4, 'batch, channels and 2 spatial dims');
    const channels = channelsOf(shape, this.dataFormat);
    if (channels != null && channels !== this.inChannels) {
      fail(op, `input has ${channels} channels (shape ${show(shape)}, ${
          this.dataFormat}), but the layer was made for inChannels ${this.inChannels}`);
    }
    this.computeOutputShape(shape);
    const axis = this.dataFormat === 'channelsLast' ? 3 : 1;
    this.inputSpec = [inputSpec({ndim: 4, axes: {[axis]: this.inChannels}})];
    this.kernel = this.addWeight('kernel', this.kernelShape, 'float32', this.kernelInitializer,
                                 undefined, true);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.outChannels], 'float32', this.biasInitializer,
                                 undefined, true);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const op = 'layers.groupedConv2d';
    const shape = singleShape(inputShape);
    checkRank(op, shape, 4, 'batch, channels and 2 spatial dims');
    const spatial = spatialOf(shape, this.dataFormat).map(
        (s, i) => s == null ? null :
                              Math.floor((s + this.padding[2 * i] + this.padding[2 * i + 1] -
                                          this.dilation[i] * (this.kernelSize[i] - 1) - 1) /
                                         this.stride[i]) + 1);
    if (spatial.some((s) => s != null && s < 1)) {
      fail(op, `input shape ${show(shape)} is smaller than the dilated kernel (output ${
          show(spatial)})`);
    }
    const out = shapeOf(shape[0], this.outChannels, spatial, this.dataFormat);
    checkOutputShape(op, this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    const kernel = this.kernel!.read();
    const bias = this.bias == null ? null : this.bias.read();
    const recording = (tf.engine().state as unknown as {gradientDepth: number}).gradientDepth > 0;
    const backend = tf.getBackend();
    // A depthwise one is one tfjs depthwiseConv2d inside the kernel (Note [depthwise convolution
    // as tfjs's own]), no per-group filters to cache.
    if (backend === 'tensorflow' || recording || this.inChannels === this.groups ||
        groupedKernelIsOnePass(backend, this.inChannels, this.outChannels, this.groups)) {
      return runGroupedConv2d(x, kernel, bias, this.attrs);
    }
    // Note [grouped convolution layer: per-group filters].
    const c = this.groupCache(kernel, bias);
    return perGroupConv2d(x, (g) => c.filters[g], (g) => c.biases[g], this.attrs);
  }

  private groupCache(kernel: tf.Tensor, bias: tf.Tensor|null): GroupCache {
    const c = this.cache;
    if (c != null && c.kernelId === kernel.dataId && c.biasId === (bias?.dataId ?? null)) return c;
    this.dropCache();
    // Kept: the call may run inside the caller's tidy. With one group the cut is the weight
    // itself, cloned so that dropping the cache never disposes the weight.
    const cut = (t: tf.Tensor, part: (t: tf.Tensor) => tf.Tensor) =>
        tf.keep(tf.tidy(() => {
          const p = part(t);
          return p === t ? tf.clone(p) : p;
        }));
    const filters = Array.from({length: this.groups},
                               (_, g) => cut(kernel, (k) => groupFilter(k, this.groups, g)));
    const biases = Array.from({length: this.groups}, (_, g) =>
        bias == null ? null : cut(bias, (b) => groupBias(b, this.groups, g)!));
    const made = {kernelId: kernel.dataId, biasId: bias?.dataId ?? null, filters, biases};
    this.cache = made;
    return made;
  }

  private dropCache(): void {
    if (this.cache == null) return;
    tf.dispose(this.cache.filters);
    tf.dispose(this.cache.biases.filter((b): b is tf.Tensor => b != null));
    this.cache = null;
  }

  override dispose() {
    this.dropCache();
    return super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.useBias,
      dataFormat: this.dataFormat,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      ...super.getConfig(),
    };
  }
}
