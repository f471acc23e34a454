// upsample: torch.nn.Upsample as a tfjs layer, running tfjs-torch's interpolate.
import * as tf from '@tensorflow/tfjs-core';
import {outputSizeFromScale} from '../index_math/resize.js';
import {INTERPOLATE_MODES} from '../kernel_names.js';
import type {DataFormat, InterpolateMode} from '../kernel_names.js';
import * as ops from '../ops/index.js';
import {fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {evalSizes, evalSizesNow, hasExpr, parseSize, type ShapeExpr, shapesOf} from './shape_expr.js';
import {baseArgs, bool, boolOrNull, checkLayerArgs, checkOutputShape, layerDataFormat, numberOrTuple, oneOf, type Shape, type TorchLayerArgs} from './common.js';
import {channelsOf, shapeOf, spatialOf} from '../util/layout.js';

// Note [upsample to a reference size]
// `F.interpolate(x, size=skip.shape[-2:])` (torchvision's segmentation heads, U-Net ports) takes
// its size from another tensor: applied to [x, like], the layer's output has like's spatial size
// and like contributes nothing else (no gradient flows to it). Then neither size nor scaleFactor
// is given; applied to x alone exactly one of them is.

export interface UpsampleArgs extends TorchLayerArgs {
  /**
   * Output spatial size: a number or one per spatial dim. Exactly one of size / scaleFactor,
   * unless the layer is applied to [x, like] (then neither: like's spatial size is used).
   */
  size?: number|Array<number|ShapeExpr>|null;
  /** Multiplier of each spatial size: a number or one per spatial dim. */
  scaleFactor?: number|number[]|null;
  /** Default 'nearest', as torch.nn.Upsample. */
  mode?: InterpolateMode;
  alignCorners?: boolean|null;
  recomputeScaleFactor?: boolean|null;
  antialias?: boolean;
}

const UPSAMPLE_KEYS =
    ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'antialias'];

export class TorchUpsample extends TorchLayer {
  static className = 'TorchUpsample';
  readonly size: number|Array<number|ShapeExpr>|null;
  readonly scaleFactor: number|number[]|null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean|null;
  readonly recomputeScaleFactor: boolean|null;
  readonly antialias: boolean;
  readonly dataFormat: DataFormat;

  constructor(args: UpsampleArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.upsample';
    checkLayerArgs(op, args, UPSAMPLE_KEYS);
    // Note [upsample to a computed size]: size entries may be shape expressions over the shapes
    // of the layer's inputs (F.interpolate(x, size=(h * 2, skip.shape[3]))); the inputs after x
    // then only lend their shapes.
    this.size = args.size == null ? null :
        Array.isArray(args.size) && hasExpr(args.size) ?
        (args.size.length > 3 ? fail(op, `argument 'size' has more than 3 entries: ${show(args.size)}`) :
                                args.size.map((e, i) => parseSize(op, `size[${i}]`, e, 1))) :
        numberOrTuple(op, 'size', args.size, {integer: true});
    this.scaleFactor = args.scaleFactor == null ?
        null :
        numberOrTuple(op, 'scaleFactor', args.scaleFactor, {positive: true});
    // Neither is allowed here: applied to [x, like] the layer takes like's size (Note [upsample
    // to a reference size]); splitInputs checks the pairing when the layer is applied.
    if (this.size != null && this.scaleFactor != null) {
      fail(op, `only one of 'size' and 'scaleFactor' may be given, got size ${
          show(this.size)} and scaleFactor ${show(this.scaleFactor)}`);
    }
    this.mode = oneOf(op, 'mode', args.mode, INTERPOLATE_MODES, 'nearest');
    this.alignCorners = boolOrNull(op, 'alignCorners', args.alignCorners);
    this.recomputeScaleFactor = boolOrNull(op, 'recomputeScaleFactor', args.recomputeScaleFactor);
    this.antialias = bool(op, 'antialias', args.antialias, false);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  private options(): ops.InterpolateOptions {
    const o: ops.InterpolateOptions = {mode: this.mode, dataFormat: this.dataFormat};
    if (this.size != null && !this.computed) o.size = this.size as number|number[];
    if (this.scaleFactor != null) o.scaleFactor = this.scaleFactor;
    if (this.alignCorners != null) o.alignCorners = this.alignCorners;
    if (this.recomputeScaleFactor != null) o.recomputeScaleFactor = this.recomputeScaleFactor;
    if (this.antialias) o.antialias = true;
    return o;
  }

  /**
   * [x] or [x, like] (Note [upsample to a reference size]); checks that exactly one of size,
   * scaleFactor and like names the output size.
   */
  private get computed(): boolean {
    return Array.isArray(this.size) && hasExpr(this.size);
  }

  private splitInputs<T>(inputs: T|T[], isList: boolean): {x: T, like: T|null} {
    const list = isList ? inputs as T[] : [inputs as T];
    if (this.computed) return {x: list[0], like: null};
    if (list.length !== 1 && list.length !== 2) {
      fail('layers.upsample', `must be applied to x or to [x, like], got ${list.length} inputs`);
    }
    const like = list.length === 2 ? list[1] : null;
    const given = this.size != null || this.scaleFactor != null;
    if (like != null && given) {
      fail('layers.upsample', `applied to [x, like] the output takes like's spatial size, so ${
          ''}'size' and 'scaleFactor' must not be given, got size ${show(this.size)} and ${
          ''}scaleFactor ${show(this.scaleFactor)}`);
    }
    if (like == null && !given) {
      fail('layers.upsample', `give 'size' or 'scaleFactor', or apply the layer to [x, like] ${
          ''}to take like's spatial size`);
    }
    return {x: list[0], like};
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const {x: shape, like} = this.splitInputs<Shape>(
        inputShape as Shape|Shape[], Array.isArray(inputShape[0]));
    if (this.computed) {
      const sizes = evalSizes('layers.upsample', this.size as Array<number|ShapeExpr>,
                              shapesOf(inputShape as Shape|Shape[]));
      if (sizes.length !== spatialOf(shape, this.dataFormat).length) {
        fail('layers.upsample', `size ${show(this.size)} must have one entry per spatial dim of ${
            ''}the input shape ${show(shape)}`);
      }
      const outShape = shapeOf(shape[0], channelsOf(shape, this.dataFormat), sizes, this.dataFormat);
      checkOutputShape('layers.upsample', this.name, outShape);
      return outShape;
    }
    if (like != null) {
      const s = spatialOf(like, this.dataFormat);
      if (like.length !== shape.length) {
        fail('layers.upsample', `like (shape ${show(like)}) must have the rank of x (shape ${
            show(shape)})`);
      }
      return shapeOf(shape[0], channelsOf(shape, this.dataFormat), s, this.dataFormat);
    }
    const spatial = spatialOf(shape, this.dataFormat);
    const n = spatial.length;
    const per = (v: number|number[], i: number) => typeof v === 'number' ? v : v[i];
    const out = spatial.map((s, i) => {
      if (this.size != null) return per(this.size as number|number[], i);
      return s == null ? null : outputSizeFromScale(s, per(this.scaleFactor!, i));
    });
    if (out.length !== n || out.some((v) => v === undefined)) {
      fail('layers.upsample', `size / scaleFactor ${show(this.size ?? this.scaleFactor)} must ${
          ''}have one entry per spatial dim of the input shape ${show(shape)}`);
    }
    const outShape = shapeOf(shape[0], channelsOf(shape, this.dataFormat), out, this.dataFormat);
    checkOutputShape('layers.upsample', this.name, outShape);
    return outShape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const {x, like} = this.splitInputs<tf.Tensor>(inputs, Array.isArray(inputs));
    if (this.computed) {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      const size = evalSizesNow('layers.upsample', 'size', this.size as Array<number|ShapeExpr>,
                                xs.map((t) => t.shape), 1);
      return ops.interpolate(x, {...this.options(), size});
    }
    if (like == null) return ops.interpolate(x, this.options());
    if (like.rank !== x.rank) {
      fail('layers.upsample', `like (shape ${show(like.shape)}) must have the rank of x (shape ${
          show(x.shape)})`);
    }
    return ops.interpolate(
        x, {...this.options(), size: spatialOf(like.shape, this.dataFormat) as number[]});
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      size: this.size as unknown as tf.serialization.ConfigDictValue,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
      antialias: this.antialias,
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}
