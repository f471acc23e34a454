// pad: F.pad and torch.nn.{Constant,Reflection,Replication,Circular}Pad{1,2,3}d / ZeroPad2d as a
// tfjs layer, with F.pad's padding order (last dim first) and negative pads that crop
// (Note [pad order], Note [pad source index] in src/index_math/pad.ts).
//
// 'constant' is tf.slice (the negative pads) then tf.pad (the positive ones, with `value`); the
// other modes gather, per padded dim, the source indices of src/index_math/pad.ts (one small
// int32 table per dim), with a gradient made of gathers too (Note [pad gradient as gathers]). A
// rank-5 'constant' pad gathers as well, from the tensor with one slab of `value` appended:
// tfjs 4.22's packed webgl pad program does not compile for rank 5 (and tf.slice's gradient is a
// pad). Each padded dim is one copy of the tensor, so no kernel is needed. (tf.mirrorPad would
// cover 'reflect' only, and without negative pads.)
import * as tf from '@tensorflow/tfjs-core';
import {gatherTransposeTables, PAD_MODES, padDimError, padOutputSize, padPairs, type PadMode, padSourceTable} from '../index_math/pad.js';
import type {DataFormat} from '../kernel_names.js';
import {fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {baseArgs, layerDataFormat, type Shape, type TorchLayerArgs} from './common.js';
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

/** The tfjs axis of PyTorch dim d (N, C, ...spatial) of a rank-`rank` tensor. */
function axisOf(d: number, rank: number, dataFormat: DataFormat): number {
  if (dataFormat === 'channelsFirst' || rank < 3 || d === 0) return d;
  return d === 1 ? rank - 1 : d - 1;
}

/** A slab of `value`, one element thick along `axis`, the shape of t otherwise. */
function slab(t: tf.Tensor, axis: number, value: number): tf.Tensor {
  const shape = t.shape.slice();
  shape[axis] = 1;
  return tf.fill(shape, value, t.dtype);
}

/**
 * y = x gathered along `axis` by `table` (a negative entry reads `fill`), with its gradient as
 * gathers (Note [pad gradient as gathers] in src/index_math/pad.ts).
 */
function gatherAlong(x: tf.Tensor, axis: number, table: Int32Array, fill: number): tf.Tensor {
  const n = x.shape[axis];
  const reads = Int32Array.from(table, (t) => t < 0 ? n : t);
  const op = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const source = reads.some((t) => t === n) ? tf.concat([input, slab(input, axis, fill)], axis) :
                                                input;
    return {
      value: tf.gather(source, tf.tensor1d(reads, 'int32'), axis),
      gradFunc: (dy: tf.Tensor) => {
        const padded = tf.concat([dy, slab(dy, axis, 0)], axis);
        const parts = gatherTransposeTables(reads, n).map(
            (row) => tf.gather(padded, tf.tensor1d(row, 'int32'), axis));
        return parts.length === 1 ? parts[0] : tf.addN(parts);
      },
    };
  });
  return op(x);
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
    this.mode = args.mode ?? 'constant';
    if (!PAD_MODES.includes(this.mode)) {
      fail(op, `argument 'mode' must be one of ${PAD_MODES.join(', ')}, got ${show(this.mode)}`);
    }
    const value = args.value ?? 0;
    if (typeof value !== 'number') fail(op, `argument 'value' must be a number, got ${show(value)}`);
    if (this.mode !== 'constant' && value !== 0) {
      fail(op, `argument 'value' is only for mode 'constant', got value ${value} with mode '${
          this.mode}'`);
    }
    this.value = value;
    this.dataFormat = layerDataFormat(op, args.dataFormat);
  }

  /** [before, after] per tfjs axis, checked against the shape (null dims are checked at call). */
  private pairs(shape: Shape, resolved?: number[]): Array<[number, number]> {
    const rank = shape.length;
    const spatial = rank - 2;
    const list = resolved ?? (typeof this.padding === 'number' ?
        new Array<number>(2 * Math.max(spatial, 0)).fill(this.padding) : this.padding as number[]);
    if (this.mode === 'constant') {
      if (list.length / 2 > rank) {
        fail(this.op, `padding ${show(list)} names ${list.length / 2} dims, but the input has ${
            rank} (shape ${show(shape)})`);
      }
    } else if (spatial < 1 || list.length !== 2 * spatial) {
      fail(this.op, `mode '${this.mode}' pads the spatial dims of a batched input: padding needs ${
          ''}2 entries per spatial dim (${spatial < 1 ? 'none here' : 2 * spatial}), got ${
          show(list)} for input shape ${show(shape)}`);
    }
    const torchPairs = padPairs(list, rank);
    const out: Array<[number, number]> = Array.from({length: rank}, () => [0, 0]);
    torchPairs.forEach((pair, d) => {
      const axis = axisOf(d, rank, this.dataFormat);
      out[axis] = pair;
      const n = shape[axis];
      if (n == null || (pair[0] === 0 && pair[1] === 0)) return;
      const why = padDimError(this.mode, n, pair[0], pair[1]);
      if (why != null) {
        fail(this.op, `padding (${pair[0]}, ${pair[1]}) of dim ${d} (in PyTorch's order; axis ${
            axis} of input shape ${show(shape)}): ${why}`);
      }
    });
    return out;
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
    const pairs = this.pairs(x.shape, resolved as number[]|undefined);
    return tf.tidy(() => {
      if (this.mode === 'constant' && x.rank <= 4) {
        const begin = pairs.map(([b]) => Math.max(-b, 0));
        const size = x.shape.map((s, i) => s - begin[i] - Math.max(-pairs[i][1], 0));
        const cropped = begin.some((b, i) => b > 0 || size[i] < x.shape[i]) ?
            tf.slice(x, begin, size) : x;
        const padded = pairs.map(([b, a]) => [Math.max(b, 0), Math.max(a, 0)] as [number, number]);
        return tf.pad(cropped, padded, this.value);
      }
      let y = x;
      pairs.forEach(([b, a], axis) => {
        if (b === 0 && a === 0) return;
        y = gatherAlong(y, axis, padSourceTable(this.mode, y.shape[axis], b, a), this.value);
      });
      return y === x ? tf.clone(x) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      padding: this.padding as unknown as tf.serialization.ConfigDictValue,
      mode: this.mode,
      value: this.value,
      dataFormat: this.dataFormat,
      ...super.getConfig(),
    };
  }
}
