// pixelShuffle / pixelUnshuffle: torch.nn.PixelShuffle and PixelUnshuffle as tfjs layers.
import * as tf from '@tensorflow/tfjs-core';
import {pixelShuffleAxes} from '../index_math/pixel_shuffle.js';
import type {DataFormat} from '../kernel_names.js';
import * as ops from '../ops/index.js';
import {fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {baseArgs, checkLayerArgs, checkOutputShape, layerDataFormat, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';

export interface PixelShuffleArgs extends TorchLayerArgs {
  upscaleFactor: number;
}
export interface PixelUnshuffleArgs extends TorchLayerArgs {
  downscaleFactor: number;
}

function factorOf(op: string, name: string, args: object|undefined): number {
  const v = (args as Record<string, unknown>|undefined)?.[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    fail(op, `argument '${name}' must be a positive integer, got ${show(v)}`);
  }
  return v;
}

/** Output shape with C * r * r <-> H * r, W * r; unknown (null) dims stay unknown. */
function shuffledShape(
    op: string, shape: Shape, r: number, up: boolean, dataFormat: DataFormat): Shape {
  if (shape.length < 4) {
    fail(op, `input must have rank >= 4 (batch, then ${
        dataFormat === 'channelsLast' ? 'H, W, C' : 'C, H, W'}), got shape ${show(shape)}`);
  }
  const [ca, ha, wa] = pixelShuffleAxes(shape.length, dataFormat);
  const out = shape.slice();
  const c = shape[ca];
  const h = shape[ha];
  const w = shape[wa];
  if (up) {
    if (c != null && c % (r * r) !== 0) {
      fail(op, `input channels ${c} (shape ${show(shape)}) must be divisible by upscaleFactor^2 = ${
          r * r}`);
    }
    out[ca] = c == null ? null : c / (r * r);
    out[ha] = h == null ? null : h * r;
    out[wa] = w == null ? null : w * r;
  } else {
    for (const s of [h, w]) {
      if (s != null && s % r !== 0) {
        fail(op, `input spatial sizes (shape ${show(shape)}) must be divisible by ${
            ''}downscaleFactor = ${r}`);
      }
    }
    out[ca] = c == null ? null : c * r * r;
    out[ha] = h == null ? null : h / r;
    out[wa] = w == null ? null : w / r;
  }
  return out;
}

export class TorchPixelShuffle extends TorchLayer {
  static className = 'TorchPixelShuffle';
  readonly upscaleFactor: number;
  readonly dataFormat: DataFormat;

  constructor(args: PixelShuffleArgs) {
    super(baseArgs(args ?? {}));
    checkLayerArgs('layers.pixelShuffle', args, ['upscaleFactor']);
    this.upscaleFactor = factorOf('layers.pixelShuffle', 'upscaleFactor', args);
    this.dataFormat = layerDataFormat('layers.pixelShuffle', args.dataFormat);
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const out = shuffledShape(
        'layers.pixelShuffle', singleShape(inputShape), this.upscaleFactor, true, this.dataFormat);
    checkOutputShape('layers.pixelShuffle', this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return ops.pixelShuffle(single(inputs), this.upscaleFactor, {dataFormat: this.dataFormat});
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {upscaleFactor: this.upscaleFactor, dataFormat: this.dataFormat, ...super.getConfig()};
  }
}

export class TorchPixelUnshuffle extends TorchLayer {
  static className = 'TorchPixelUnshuffle';
  readonly downscaleFactor: number;
  readonly dataFormat: DataFormat;

  constructor(args: PixelUnshuffleArgs) {
    super(baseArgs(args ?? {}));
    checkLayerArgs('layers.pixelUnshuffle', args, ['downscaleFactor']);
    this.downscaleFactor = factorOf('layers.pixelUnshuffle', 'downscaleFactor', args);
    this.dataFormat = layerDataFormat('layers.pixelUnshuffle', args.dataFormat);
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const out = shuffledShape(
        'layers.pixelUnshuffle', singleShape(inputShape), this.downscaleFactor, false,
        this.dataFormat);
    checkOutputShape('layers.pixelUnshuffle', this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return ops.pixelUnshuffle(single(inputs), this.downscaleFactor, {dataFormat: this.dataFormat});
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {downscaleFactor: this.downscaleFactor, dataFormat: this.dataFormat, ...super.getConfig()};
  }
}
