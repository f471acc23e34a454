// convTranspose1d / 2d / 3d: torch.nn.ConvTranspose{1,2,3}d as tfjs layers. The kernel keeps
// PyTorch's layout [inChannels, outChannels / groups, ...kernel] (so a state dict's tensor is
// copied as is) and is initialised as PyTorch initialises it (Note [ConvTranspose default init]).
import * as tf from '@tensorflow/tfjs-core';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {convTransposeOutputSize, outputPaddingLimitError} from '../index_math/conv.js';
import type {DataFormat} from '../kernel_names.js';
import * as ops from '../ops/index.js';
import {check, fail, show} from '../util/args.js';
import {inputSpec, TorchLayer} from './base.js';
import {baseArgs, bool, checkLayerArgs, checkOutputShape, checkRank, checkWeightShape, type InitializerLike, intArg, intTuple, layerDataFormat, resolveInitializer, serializeInitializer, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';
import {channelsOf, shapeOf, spatialOf} from '../util/layout.js';

export interface ConvTransposeLayerArgs extends TorchLayerArgs {
  inChannels: number;
  outChannels: number;
  kernelSize: number|number[];
  stride?: number|number[];
  padding?: number|number[];
  outputPadding?: number|number[];
  groups?: number;
  dilation?: number|number[];
  /** Whether the layer adds a learnable bias. Default true (PyTorch's `bias=True`). */
  bias?: boolean;
  /** Default: PyTorch's (Note [ConvTranspose default init]). */
  kernelInitializer?: InitializerLike;
  /** Default: PyTorch's (Note [ConvTranspose default init]). */
  biasInitializer?: InitializerLike;
}

// Note [ConvTranspose default init]
// PyTorch's _ConvNd.reset_parameters runs kaiming_uniform_(weight, a=sqrt(5)): a uniform
// distribution on [-bound, bound] with bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2))
// = sqrt(1/3), so bound = 1 / sqrt(fan_in). fan_in comes from
// torch.nn.init._calculate_fan_in_and_fan_out(weight) = weight.size(1) * kernel volume, and for
// a transposed convolution's weight [in, out / groups, ...k] size(1) is out / groups: the
// "fan in" is counted on the output side. The bias is uniform on the same [-bound, bound]. Both
// are plain RandomUniform initialisers here, so a saved config records the bound it used.
export function convTransposeInitBound(
    outChannels: number, groups: number, kernelSize: number[]): number {
  const fanIn = (outChannels / groups) * kernelSize.reduce((a, b) => a * b, 1);
  return 1 / Math.sqrt(fanIn);
}

const CONV_TRANSPOSE_KEYS = [
  'inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'outputPadding', 'groups',
  'dilation', 'bias', 'kernelInitializer', 'biasInitializer',
];

const OPS = [ops.convTranspose1d, ops.convTranspose2d, ops.convTranspose3d] as Array<
    (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor|null, o: ops.ConvTransposeOptions) => tf.Tensor>;

export abstract class TorchConvTransposeNd extends TorchLayer {
  readonly rank: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly dilation: number[];
  readonly useBias: boolean;
  readonly dataFormat: DataFormat;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  weight: LayerVariable|null = null;
  bias: LayerVariable|null = null;
  private readonly op: string;

  constructor(rank: number, args: ConvTransposeLayerArgs) {
    super(baseArgs(args ?? {}));
    const op = `layers.convTranspose${rank}d`;
    this.op = op;
    this.rank = rank;
    checkLayerArgs(op, args, CONV_TRANSPOSE_KEYS);
    this.inChannels = intArg(op, 'inChannels', args.inChannels, 1);
    this.outChannels = intArg(op, 'outChannels', args.outChannels, 1);
    this.kernelSize = intTuple(op, 'kernelSize', args.kernelSize, rank, 1);
    this.stride = intTuple(op, 'stride', args.stride, rank, 1, 1);
    this.padding = intTuple(op, 'padding', args.padding, rank, 0, 0);
    this.outputPadding = intTuple(op, 'outputPadding', args.outputPadding, rank, 0, 0);
    this.dilation = intTuple(op, 'dilation', args.dilation, rank, 1, 1);
    const groups = intArg(op, 'groups', args.groups, 1, 1);
    // torch.nn.ConvTranspose*d's constructor checks.
    check(this.inChannels % groups === 0, op,
          () => `inChannels (${this.inChannels}) must be divisible by groups (${groups})`);
    check(this.outChannels % groups === 0, op,
          () => `outChannels (${this.outChannels}) must be divisible by groups (${groups})`);
    this.groups = groups;
    const paddingError = outputPaddingLimitError(this.outputPadding, this.stride, this.dilation);
    if (paddingError != null) fail(op, paddingError);
    this.useBias = bool(op, 'bias', args.bias, true);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
    // Note [size guard]: before build creates the weight (a model.json's kernelSize 1e9 must not
    // allocate gigabytes when the weights file holds a 4x8x3x3 kernel).
    checkWeightShape(op, this.name, this.weightShape);
    const bound = convTransposeInitBound(this.outChannels, this.groups, this.kernelSize);
    const uniform = () => resolveInitializer(
        op, 'kernelInitializer', {className: 'RandomUniform', config: {minval: -bound, maxval: bound}});
    this.kernelInitializer = args.kernelInitializer == null ?
        uniform() :
        resolveInitializer(op, 'kernelInitializer', args.kernelInitializer);
    this.biasInitializer = args.biasInitializer == null ?
        uniform() :
        resolveInitializer(op, 'biasInitializer', args.biasInitializer);
    this.inputSpec = [inputSpec({ndim: rank + 2})];
  }

  /** PyTorch's weight shape [inChannels, outChannels / groups, ...kernel]. */
  get weightShape(): number[] {
    return [this.inChannels, this.outChannels / this.groups, ...this.kernelSize];
  }

  override build(inputShape: Shape|Shape[]): void {
    const shape = singleShape(inputShape);
    checkRank(this.op, shape, this.rank + 2, `batch, channels and ${this.rank} spatial dims`);
    const channels = channelsOf(shape, this.dataFormat);
    if (channels != null && channels !== this.inChannels) {
      fail(this.op, `input has ${channels} channels (shape ${show(shape)}, ${
          this.dataFormat}), but the layer was made for inChannels ${this.inChannels}`);
    }
    // The output's size guard before the weights exist: a refused model leaves nothing behind.
    this.computeOutputShape(shape);
    const axis = this.dataFormat === 'channelsLast' ? this.rank + 1 : 1;
    this.inputSpec = [inputSpec({ndim: this.rank + 2, axes: {[axis]: this.inChannels}})];
    this.weight = this.addWeight(
        'weight', this.weightShape, 'float32', this.kernelInitializer, undefined, true);
    if (this.useBias) {
      this.bias = this.addWeight(
          'bias', [this.outChannels], 'float32', this.biasInitializer, undefined, true);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = singleShape(inputShape);
    checkRank(this.op, shape, this.rank + 2, `batch, channels and ${this.rank} spatial dims`);
    const spatial = spatialOf(shape, this.dataFormat).map(
        (s, i) => s == null ? null :
                              convTransposeOutputSize(s, this.kernelSize[i], this.stride[i],
                                                      this.padding[i], this.dilation[i],
                                                      this.outputPadding[i]));
    if (spatial.some((s) => s != null && s < 1)) {
      fail(this.op, `argument 'padding' ${show(this.padding)} is too large for input shape ${
          show(shape)}: the output size would be ${show(spatial)}`);
    }
    const out = shapeOf(shape[0], this.outChannels, spatial, this.dataFormat);
    checkOutputShape(this.op, this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    return OPS[this.rank - 1](x, this.weight!.read(), this.bias == null ? null : this.bias.read(), {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      groups: this.groups,
      dilation: this.dilation,
      dataFormat: this.dataFormat,
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      groups: this.groups,
      dilation: this.dilation,
      bias: this.useBias,
      dataFormat: this.dataFormat,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      ...super.getConfig(),
    };
  }
}

export class TorchConvTranspose1d extends TorchConvTransposeNd {
  static className = 'TorchConvTranspose1d';
  constructor(args: ConvTransposeLayerArgs) {
    super(1, args);
  }
}

export class TorchConvTranspose2d extends TorchConvTransposeNd {
  static className = 'TorchConvTranspose2d';
  constructor(args: ConvTransposeLayerArgs) {
    super(2, args);
  }
}

export class TorchConvTranspose3d extends TorchConvTransposeNd {
  static className = 'TorchConvTranspose3d';
  constructor(args: ConvTransposeLayerArgs) {
    super(3, args);
  }
}
