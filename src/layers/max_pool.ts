// maxPool1d / 2d / 3d and maxUnpool1d / 2d / 3d: torch.nn.MaxPool{1,2,3}d (with
// returnIndices, two outputs [values, indices]) and torch.nn.MaxUnpool{1,2,3}d (applied to
// [values, indices], optionally a third tensor whose shape names the output size) as tfjs layers.
import * as tf from '@tensorflow/tfjs-core';
import type {SymbolicTensor} from '@tensorflow/tfjs-layers';
import {poolingOutputSize, poolPaddingLimitError, unpoolDefaultOutputSize} from '../index_math/pool.js';
import type {DataFormat} from '../kernel_names.js';
import * as ops from '../ops/index.js';
import {maxPoolValues} from '../ops/max_pool_values.js';
import {fail, show} from '../util/args.js';
import {inputSpec, isSymbolicTensor, TorchLayer} from './base.js';
import {baseArgs, bool, checkLayerArgs, checkOutputShape, checkRank, intTuple, layerDataFormat, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';
import {channelsOf, shapeOf, spatialOf} from '../util/layout.js';
import {evalSizes, evalSizesNow, hasExpr, parseSize, type ShapeExpr} from './shape_expr.js';

export interface MaxPoolLayerArgs extends TorchLayerArgs {
  kernelSize: number|number[];
  /** Default (undefined or null): kernelSize, as PyTorch. */
  stride?: number|number[]|null;
  padding?: number|number[];
  dilation?: number|number[];
  ceilMode?: boolean;
  /** When true the layer has two outputs, [values, indices] (indices int32). */
  returnIndices?: boolean;
}

export interface MaxUnpoolLayerArgs extends TorchLayerArgs {
  kernelSize: number|number[];
  /** Default (undefined or null): kernelSize, as PyTorch. */
  stride?: number|number[]|null;
  padding?: number|number[];
  /**
   * A fixed output spatial size (one entry per spatial dim). Alternatively apply the layer to
   * [values, indices, like]: the output then takes the spatial size of `like` (the tensor that
   * was pooled), as PyTorch's `unpool(y, indices, output_size=x.size())`.
   */
  outputSize?: number[]|null;
}

const POOL_OPS = [ops.maxPool1dWithIndices, ops.maxPool2dWithIndices, ops.maxPool3dWithIndices] as
    Array<(x: tf.Tensor, o: ops.MaxPoolOptions) => [tf.Tensor, tf.Tensor]>;
const UNPOOL_OPS = [ops.maxUnpool1d, ops.maxUnpool2d, ops.maxUnpool3d] as
    Array<(x: tf.Tensor, i: tf.Tensor, o: ops.MaxUnpoolOptions) => tf.Tensor>;

export abstract class TorchMaxPoolNd extends TorchLayer {
  readonly rank: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly ceilMode: boolean;
  readonly returnIndices: boolean;
  readonly dataFormat: DataFormat;
  private readonly op: string;

  constructor(rank: number, args: MaxPoolLayerArgs) {
    super(baseArgs(args ?? {}));
    const op = `layers.maxPool${rank}d`;
    this.op = op;
    this.rank = rank;
    checkLayerArgs(op, args, ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
    this.kernelSize = intTuple(op, 'kernelSize', args.kernelSize, rank, 1);
    this.stride = intTuple(op, 'stride', args.stride ?? undefined, rank, 1, this.kernelSize);
    this.padding = intTuple(op, 'padding', args.padding, rank, 0, 0);
    this.dilation = intTuple(op, 'dilation', args.dilation, rank, 1, 1);
    // Note [pooling padding limit].
    const paddingError = poolPaddingLimitError(this.padding, this.kernelSize);
    if (paddingError != null) fail(op, paddingError);
    this.ceilMode = bool(op, 'ceilMode', args.ceilMode, false);
    this.returnIndices = bool(op, 'returnIndices', args.returnIndices, false);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
    this.inputSpec = [inputSpec({ndim: rank + 2})];
  }

  private options(): ops.MaxPoolOptions {
    return {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      dataFormat: this.dataFormat,
    };
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape|Shape[] {
    const shape = singleShape(inputShape);
    checkRank(this.op, shape, this.rank + 2, `batch, channels and ${this.rank} spatial dims`);
    const spatial = spatialOf(shape, this.dataFormat).map(
        (s, i) => s == null ? null :
                              poolingOutputSize(s, this.kernelSize[i], this.padding[i],
                                                this.stride[i], this.dilation[i], this.ceilMode));
    if (spatial.some((s) => s != null && s < 1)) {
      fail(this.op, `output size is too small: input shape ${show(shape)} gives ${show(spatial)}`);
    }
    const out = shapeOf(shape[0], channelsOf(shape, this.dataFormat), spatial, this.dataFormat);
    checkOutputShape(this.op, this.name, out);
    return this.returnIndices ? [out, out.slice()] : out;
  }

  override apply(
      inputs: tf.Tensor|tf.Tensor[]|SymbolicTensor|SymbolicTensor[],
      kwargs?: Record<string, unknown>): tf.Tensor|tf.Tensor[]|SymbolicTensor|
      SymbolicTensor[] {
    const out = super.apply(inputs, kwargs);
    // tfjs-layers gives every symbolic output the input's dtype; the indices are int32.
    if (Array.isArray(out) && isSymbolicTensor(out[1])) (out[1] as {dtype: tf.DataType}).dtype = 'int32';
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor|tf.Tensor[] {
    if (!this.returnIndices) return maxPoolValues(this.rank, single(inputs), this.options());
    return POOL_OPS[this.rank - 1](single(inputs), this.options());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}

export class TorchMaxPool1d extends TorchMaxPoolNd {
  static className = 'TorchMaxPool1d';
  constructor(args: MaxPoolLayerArgs) {
    super(1, args);
  }
}
export class TorchMaxPool2d extends TorchMaxPoolNd {
  static className = 'TorchMaxPool2d';
  constructor(args: MaxPoolLayerArgs) {
    super(2, args);
  }
}
export class TorchMaxPool3d extends TorchMaxPoolNd {
  static className = 'TorchMaxPool3d';
  constructor(args: MaxPoolLayerArgs) {
    super(3, args);
  }
}

export abstract class TorchMaxUnpoolNd extends TorchLayer {
  readonly rank: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outputSize: Array<number|ShapeExpr>|null;
  readonly dataFormat: DataFormat;
  private readonly op: string;

  constructor(rank: number, args: MaxUnpoolLayerArgs) {
    super(baseArgs(args ?? {}));
    const op = `layers.maxUnpool${rank}d`;
    this.op = op;
    this.rank = rank;
    checkLayerArgs(op, args, ['kernelSize', 'stride', 'padding', 'outputSize']);
    this.kernelSize = intTuple(op, 'kernelSize', args.kernelSize, rank, 1);
    this.stride = intTuple(op, 'stride', args.stride ?? undefined, rank, 1, this.kernelSize);
    this.padding = intTuple(op, 'padding', args.padding, rank, 0, 0);
    // Entries may be shape expressions over the inputs' shapes (the inputs after [values,
    // indices] then only lend their shapes): an output size known only at run time.
    this.outputSize = args.outputSize == null ? null :
        hasExpr(args.outputSize as unknown[]) ?
        (args.outputSize.length === rank ?
             (args.outputSize as unknown[]).map((e, i) => parseSize(op, `outputSize[${i}]`, e, 1)) :
             fail(op, `argument 'outputSize' needs ${rank} entries, got ${show(args.outputSize)}`)) :
        intTuple(op, 'outputSize', args.outputSize, rank, 1);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  private get computed(): boolean {
    return hasExpr(this.outputSize);
  }

  private shapes(inputShape: Shape|Shape[]): Shape[] {
    const shapes = Array.isArray(inputShape[0]) ? inputShape as Shape[] : [inputShape as Shape];
    if (this.computed && shapes.length >= 2) {
      for (const s of shapes.slice(0, 2)) {
        checkRank(this.op, s, this.rank + 2, `batch, channels and ${this.rank} spatial dims`);
      }
      return shapes;
    }
    if (shapes.length !== 2 && shapes.length !== 3) {
      fail(this.op, `must be applied to [values, indices] or [values, indices, like], got ${
          shapes.length} input(s)`);
    }
    for (const s of shapes) {
      checkRank(this.op, s, this.rank + 2, `batch, channels and ${this.rank} spatial dims`);
    }
    return shapes;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shapes = this.shapes(inputShape);
    const shape = shapes[0];
    let spatial: Shape;
    if (this.computed) {
      spatial = evalSizes(this.op, this.outputSize!, shapes);
    } else if (shapes.length === 3) {
      spatial = spatialOf(shapes[2], this.dataFormat);
    } else if (this.outputSize != null) {
      spatial = this.outputSize.slice() as number[];
    } else {
      spatial = spatialOf(shape, this.dataFormat).map(
          (s, i) => s == null ? null :
                                unpoolDefaultOutputSize(s, this.kernelSize[i], this.stride[i],
                                                        this.padding[i]));
    }
    const out = shapeOf(shape[0], channelsOf(shape, this.dataFormat), spatial, this.dataFormat);
    checkOutputShape(this.op, this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    if (!Array.isArray(inputs) || inputs.length < 2 || (!this.computed && inputs.length > 3)) {
      fail(this.op, `must be applied to [values, indices] or [values, indices, like], got ${
          Array.isArray(inputs) ? `${inputs.length} tensor(s)` : 'one tensor'}`);
    }
    const [values, indices, like] = inputs;
    const outputSize = this.computed ?
        evalSizesNow(this.op, 'outputSize', this.outputSize!, inputs.map((t) => t.shape), 1) :
        like != null ? spatialOf(like.shape, this.dataFormat) as number[] :
                       this.outputSize as number[]|null;
    return UNPOOL_OPS[this.rank - 1](values, indices, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      outputSize,
      dataFormat: this.dataFormat,
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      outputSize: this.outputSize as unknown as tf.serialization.ConfigDictValue,
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}

export class TorchMaxUnpool1d extends TorchMaxUnpoolNd {
  static className = 'TorchMaxUnpool1d';
  constructor(args: MaxUnpoolLayerArgs) {
    super(1, args);
  }
}
export class TorchMaxUnpool2d extends TorchMaxUnpoolNd {
  static className = 'TorchMaxUnpool2d';
  constructor(args: MaxUnpoolLayerArgs) {
    super(2, args);
  }
}
export class TorchMaxUnpool3d extends TorchMaxUnpoolNd {
  static className = 'TorchMaxUnpool3d';
  constructor(args: MaxUnpoolLayerArgs) {
    super(3, args);
  }
}
