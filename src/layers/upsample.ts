// upsample: torch.nn.Upsample as a tfjs layer, running tfjs-torch's interpolate.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {outputSizeFromScale} from '../index_math/resize.js';
import {INTERPOLATE_MODES} from '../kernel_names.js';
import type {DataFormat, InterpolateMode} from '../kernel_names.js';
import * as ops from '../ops/index.js';
import {fail, show} from '../util/args.js';
import {baseArgs, bool, boolOrNull, channelsOf, checkLayerArgs, checkOutputShape, layerDataFormat, numberOrTuple, oneOf, type Shape, single, singleShape, spatialOf, type TorchLayerArgs, withSpatial} from './common.js';

export interface UpsampleArgs extends TorchLayerArgs {
  /** Output spatial size: a number or one per spatial dim. Exactly one of size / scaleFactor. */
  size?: number|number[]|null;
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

export class TorchUpsample extends tfl.layers.Layer {
  static className = 'TorchUpsample';
  readonly size: number|number[]|null;
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
    this.size = args.size == null ? null : numberOrTuple(op, 'size', args.size, {integer: true});
    this.scaleFactor = args.scaleFactor == null ?
        null :
        numberOrTuple(op, 'scaleFactor', args.scaleFactor, {positive: true});
    if ((this.size == null) === (this.scaleFactor == null)) {
      fail(op, `exactly one of 'size' and 'scaleFactor' must be given, got size ${
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
    if (this.size != null) o.size = this.size;
    if (this.scaleFactor != null) o.scaleFactor = this.scaleFactor;
    if (this.alignCorners != null) o.alignCorners = this.alignCorners;
    if (this.recomputeScaleFactor != null) o.recomputeScaleFactor = this.recomputeScaleFactor;
    if (this.antialias) o.antialias = true;
    return o;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = singleShape(inputShape);
    const spatial = spatialOf(shape, this.dataFormat);
    const n = spatial.length;
    const per = (v: number|number[], i: number) => typeof v === 'number' ? v : v[i];
    const out = spatial.map((s, i) => {
      if (this.size != null) return per(this.size, i);
      return s == null ? null : outputSizeFromScale(s, per(this.scaleFactor!, i));
    });
    if (out.length !== n || out.some((v) => v === undefined)) {
      fail('layers.upsample', `size / scaleFactor ${show(this.size ?? this.scaleFactor)} must ${
          ''}have one entry per spatial dim of the input shape ${show(shape)}`);
    }
    const outShape = withSpatial(shape, channelsOf(shape, this.dataFormat), out, this.dataFormat);
    checkOutputShape('layers.upsample', this.name, outShape);
    return outShape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return ops.interpolate(single(inputs), this.options());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      size: this.size,
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
