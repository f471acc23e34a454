// pad: F.pad and torch.nn.{Constant,Reflection,Replication,Circular}Pad{1,2,3}d / ZeroPad2d as a
// tfjs layer, with F.pad's padding order (last dim first) and negative pads that crop
// (Note [pad order], Note [pad source index] in src/index_math/pad.ts). The layer runs the pad
// op (src/ops/pad.ts): one TorchPad kernel, one pass, with its registered gradient.
import * as tf from '@tensorflow/tfjs-core';
import {padOutputSize, type PadMode} from '../index_math/pad.js';
import type {DataFormat} from '../kernel_names.js';
import {checkPadMode, checkPadValue, pad, padAxisPairs} from '../ops/pad.js';
import {fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {baseArgs, fromJsonNumber, layerDataFormat, type Shape, type TorchLayerArgs, toJsonNumber} from './common.js';
import {evalSizes, hasExpr, isExpr, parseExpr, type ShapeExpr, shapesOf} from './shape_expr.js';

export interface PadArgs extends TorchLayerArgs {
  /**
   * F.pad's list: (before, after) pairs from the last PyTorch dim backwards ([left, right, top,
   * bottom, front, back]); negative entries crop. A single number pads every side of every
   * spatial dim, as nn.ReflectionPad2d(3).
   */
  padding: number|Array<number|ShapeExpr>;
  /** 'constant' (default), 'reflect', 'replicate' or 'circular'. */
  mode?: PadMode;
  /** Fill value of 'constant'; default 0. */
  value?: number;
}

export class TorchPad extends TorchLayer {
  static className = 'TorchPad';
  readonly padding: number|Array<number|ShapeExpr>;
  readonly mode: PadMode;
  readonly value: number;
  readonly dataFormat: DataFormat;
  private readonly op = 'layers.pad';

  constructor(args: PadArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.pad';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    const p = args.padding;
    const ints = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
    // An entry may be a shape expression over the shapes of the layer's inputs (the inputs
    // after the first only lend their shapes): a pad by a size difference.
    if (!(ints(p) || (Array.isArray(p) && p.length > 0 && p.length <= 16 && p.length % 2 === 0 &&
                      p.every((e) => ints(e) || isExpr(e))))) {
      fail(op, `argument 'padding' must be an integer or an even-length array of integers or ${
          ''}shape expressions (F.pad's order: last dim first), got ${show(p)}`);
    }
    this.padding = Array.isArray(p) ?
        p.map((e, i) => isExpr(e) ? parseExpr(op, `padding[${i}]`, e) : e) : p;
    this.mode = checkPadMode(op, args.mode);
    this.value = checkPadValue(op, fromJsonNumber(args.value), this.mode);   // Note [non-finite numbers in model.json]
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  /** [before, after] per tfjs axis, checked against the shape (null dims are checked at call). */
  private pairs(shape: Shape, resolved?: number[]): Array<[number, number]> {
    return padAxisPairs(
        this.op, resolved ?? this.padding as number|number[], this.mode, shape, this.dataFormat);
  }

  /** The padding list with its expressions evaluated (null: not known yet). */
  private resolve(shapes: Shape[]): Array<number|null>|undefined {
    if (typeof this.padding === 'number' || !hasExpr(this.padding)) return undefined;
    return evalSizes(this.op, this.padding, shapes);
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shapes = shapesOf(inputShape);
    const shape = shapes[0];
    const resolved = this.resolve(shapes);
    if (resolved != null && resolved.some((v) => v == null)) {
      // A pad not known until run time: the dims it pads are unknown too.
      const unknown = this.pairs(shape.map(() => null), resolved.map((v) => v ?? 0));
      const flags = this.pairs(shape.map(() => null), resolved.map((v) => v == null ? 1 : 0));
      return shape.map((s, i) => s == null || flags[i][0] !== 0 || flags[i][1] !== 0 ?
                           null : padOutputSize(s, unknown[i][0], unknown[i][1]));
    }
    const pairs = this.pairs(shape, resolved as number[]|undefined);
    return shape.map((s, i) => s == null ? null : padOutputSize(s, pairs[i][0], pairs[i][1]));
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const x = xs[0];
    const resolved = this.resolve(xs.map((t) => t.shape));
    if (resolved != null && resolved.some((v) => v == null)) {
      fail(this.op, `padding ${show(this.padding)} could not be evaluated`);
    }
    const list = (resolved as number[]|undefined) ?? this.padding as number|number[];
    // Checked here too, so an error names the layer.
    this.pairs(x.shape, resolved as number[]|undefined);
    return pad(x, list, {mode: this.mode, value: this.value, dataFormat: this.dataFormat});
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      padding: this.padding as unknown as tf.serialization.ConfigDictValue,
      mode: this.mode,
      value: toJsonNumber(this.value),
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}
