// pad: F.pad and torch.nn.{Constant,Reflection,Replication,Circular}Pad{1,2,3}d / ZeroPad2d as a
// tfjs layer, with F.pad's padding order (last dim first) and negative pads that crop
// (Note [pad order], Note [pad source index] in src/index_math/pad.ts). The layer runs the pad
// op (src/ops/pad.ts): one TorchPad kernel, one pass, with its registered gradient.
import * as tf from '@tensorflow/tfjs-core';
import {padOutputSize, type PadMode} from '../index_math/pad.js';
import type {DataFormat} from '../kernel_names.js';
import {checkPadding, checkPadMode, checkPadValue, pad, padAxisPairs} from '../ops/pad.js';
import {fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {baseArgs, layerDataFormat, type Shape, single, singleShape, type TorchLayerArgs} from './common.js';

export interface PadArgs extends TorchLayerArgs {
  /**
   * F.pad's list: (before, after) pairs from the last PyTorch dim backwards ([left, right, top,
   * bottom, front, back]); negative entries crop. A single number pads every side of every
   * spatial dim, as nn.ReflectionPad2d(3).
   */
  padding: number|number[];
  /** 'constant' (default), 'reflect', 'replicate' or 'circular'. */
  mode?: PadMode;
  /** Fill value of 'constant'; default 0. */
  value?: number;
}

export class TorchPad extends TorchLayer {
  static className = 'TorchPad';
  readonly padding: number|number[];
  readonly mode: PadMode;
  readonly value: number;
  readonly dataFormat: DataFormat;
  private readonly op = 'layers.pad';

  constructor(args: PadArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.pad';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    this.padding = checkPadding(op, args.padding);
    this.mode = checkPadMode(op, args.mode);
    this.value = checkPadValue(op, args.value, this.mode);
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  /** [before, after] per tfjs axis, checked against the shape (null dims are checked at call). */
  private pairs(shape: Shape): Array<[number, number]> {
    return padAxisPairs(this.op, this.padding, this.mode, shape, this.dataFormat);
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = singleShape(inputShape);
    const pairs = this.pairs(shape);
    return shape.map((s, i) => s == null ? null : padOutputSize(s, pairs[i][0], pairs[i][1]));
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    // Checked here too, so an error names the layer.
    this.pairs(x.shape);
    return pad(x, this.padding, {mode: this.mode, value: this.value, dataFormat: this.dataFormat});
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      padding: this.padding,
      mode: this.mode,
      value: this.value,
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}
