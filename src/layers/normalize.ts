// normalize / denormalize: torchvision's Normalize (and its inverse) as tfjs layers, so that a
// model can take raw [0, 1] images and return them.
import * as tf from '@tensorflow/tfjs-core';
import type {DataFormat} from '../kernel_names.js';
import * as ops from '../ops/index.js';
import {fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {baseArgs, checkLayerArgs, layerDataFormat, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';

export interface NormalizeLayerArgs extends TorchLayerArgs {
  /** One number for every channel, or one per channel. */
  mean: number|number[];
  /** One number for every channel, or one per channel; none zero. */
  std: number|number[];
}

function stat(op: string, name: string, v: unknown): number|number[] {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const finite = (e: unknown) => typeof e === 'number' && Number.isFinite(e);
  if (Array.isArray(v) && v.length >= 1 && v.every(finite)) return v.slice();
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && (v as Float32Array).length >= 1 &&
      Array.from(v as Float32Array).every(finite)) {
    return Array.from(v as Float32Array);
  }
  fail(op, `argument '${name}' must be a number or an array of numbers (finite), got ${
      show(v)}`);
}

abstract class NormalizeBase extends TorchLayer {
  readonly mean: number|number[];
  readonly std: number|number[];
  readonly dataFormat: DataFormat;

  constructor(op: string, args: NormalizeLayerArgs) {
    super(baseArgs(args ?? {}));
    checkLayerArgs(op, args, ['mean', 'std']);
    this.mean = stat(op, 'mean', args.mean);
    this.std = stat(op, 'std', args.std);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    return singleShape(inputShape).slice();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {mean: this.mean, std: this.std, dataFormat: this.dataFormat, ...super.getConfig()};
  }
}

export class TorchNormalize extends NormalizeBase {
  static className = 'TorchNormalize';
  constructor(args: NormalizeLayerArgs) {
    super('layers.normalize', args);
  }
  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return ops.normalize(single(inputs), this.mean, this.std, {dataFormat: this.dataFormat});
  }
}

export class TorchDenormalize extends NormalizeBase {
  static className = 'TorchDenormalize';
  constructor(args: NormalizeLayerArgs) {
    super('layers.denormalize', args);
  }
  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return ops.denormalize(single(inputs), this.mean, this.std, {dataFormat: this.dataFormat});
  }
}
