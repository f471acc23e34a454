// Layers whose sizes are shape expressions (Note [shape expressions are data] in
// shape_expr.ts), written by the Python exporter for sizes known only at run time:
//   TorchReshape     view / reshape / flatten / unflatten / squeeze to sizes computed from shapes
//   TorchFill        zeros / ones / full of such sizes (inputs only lend their shapes)
//   TorchShapeCheck  the identity on its first input, after checking the rules PyTorch inferred
//                    for the input sizes (H a multiple of 8, ranges) with an error naming the
//                    input, the dim and the rule
// Each takes, after its own input, the tensors its expressions read sizes from.
import * as tf from '@tensorflow/tfjs-core';
import type {SymbolicTensor} from '@tensorflow/tfjs-layers';
import {checkSize, fail, show} from '../util/args.js';
import {transposeExact} from '../util/layout.js';
import {isSymbolicTensor, TorchLayer} from './base.js';
import {baseArgs, checkLayerArgs, checkOutputShape, fromJsonNumber, type Shape, type TorchLayerArgs, toJsonNumber} from './common.js';
import {evalExpr, evalSizes, evalSizesNow, parseExpr, parseSize, type ShapeExpr, shapesOf} from './shape_expr.js';

const MAX_RANK = 8;

function sizeList(layer: string, name: string, v: unknown, min: number): Array<number|ShapeExpr> {
  if (!Array.isArray(v) || v.length > MAX_RANK) {
    fail(layer, `argument '${name}' must be an array of at most ${MAX_RANK} sizes, got ${show(v)}`);
  }
  return v.map((e, i) => parseSize(layer, `${name}[${i}]`, e, min));
}

function tensorsOf(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

type ApplyIn = tf.Tensor|tf.Tensor[]|SymbolicTensor|SymbolicTensor[];
type ApplyOut = tf.Tensor|tf.Tensor[]|SymbolicTensor|SymbolicTensor[];

/**
 * tfjs-layers makes every symbolic output float32 and casts the values to it when a model runs;
 * a layer that only moves data (reshape, permute) keeps its first input's dtype (max pooling's
 * int32 indices on their way to max unpooling).
 */
function keepDtype(inputs: ApplyIn, out: ApplyOut): ApplyOut {
  const first = Array.isArray(inputs) ? inputs[0] : inputs;
  if (isSymbolicTensor(out) && isSymbolicTensor(first)) {
    (out as {dtype: tf.DataType}).dtype = (first as {dtype: tf.DataType}).dtype;
  }
  return out;
}

export interface TorchPermuteArgs extends TorchLayerArgs {
  /** As tfjs-layers' Permute: the order of the dims after the batch, 1-based. */
  dims?: number[];
  /**
   * Instead of `dims`: a permutation of every dim, dim 0 included (0-based, as tf.transpose).
   * Note [dim 0 inside a model]: a view that merges the batch with other dims ((b h) n c in
   * attention, windows folded into dim 0) or a transpose of dim 0 gives a tensor whose dim 0 is
   * not the batch; the model's inputs and outputs keep the batch at dim 0.
   */
  perm?: number[];
}

function isPermutation(p: unknown, from: number): p is number[] {
  return Array.isArray(p) && p.length <= MAX_RANK &&
      [...p].sort((a, b) => a - b).every((v, i) => v === i + from);
}

/** tfjs-layers' Permute that keeps its input's dtype (int32 indices stay int32), or a transpose
 *  of every dim (`perm`, dim 0 included). */
export class TorchPermute extends TorchLayer {
  static className = 'TorchPermute';
  readonly dims: number[]|null;
  readonly perm: number[]|null;

  constructor(args: TorchPermuteArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.permute';
    checkLayerArgs(op, args, ['dims', 'perm']);
    if ((args.dims == null) === (args.perm == null)) {
      fail(op, `exactly one of 'dims' (after the batch) and 'perm' (every dim) is needed, got ${
          show({dims: args.dims, perm: args.perm})}`);
    }
    if (args.dims != null && !isPermutation(args.dims, 1)) {
      fail(op, `argument 'dims' must be a permutation of 1..n, got ${show(args.dims)}`);
    }
    if (args.perm != null && !isPermutation(args.perm, 0)) {
      fail(op, `argument 'perm' must be a permutation of 0..n-1, got ${show(args.perm)}`);
    }
    this.dims = args.dims != null ? args.dims.slice() : null;
    this.perm = args.perm != null ? args.perm.slice() : null;
  }

  private full(): number[] {
    return this.perm ?? [0, ...(this.dims as number[])];
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = shapesOf(inputShape)[0];
    const p = this.full();
    if (shape.length !== p.length) {
      fail('layers.permute', `input of shape ${show(shape)} does not have the ${p.length} dims ${
          ''}of permutation ${show(p)}`);
    }
    return p.map((d) => shape[d]);
  }

  override apply(inputs: ApplyIn, kwargs?: Record<string, unknown>): ApplyOut {
    return keepDtype(inputs, super.apply(inputs, kwargs));
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = tensorsOf(inputs)[0];
    const p = this.full();
    if (x.rank !== p.length) {
      fail('layers.permute', `input of shape ${show(x.shape)} does not have the ${p.length} dims ${
          ''}of permutation ${show(p)} (layer '${this.name}')`);
    }
    return transposeExact(x, p);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {...(this.perm != null ? {perm: this.perm} : {dims: this.dims}), ...super.getConfig()};
  }
}

export interface TorchReshapeArgs extends TorchLayerArgs {
  /** The sizes of every dim after the batch: integers or shape expressions. */
  shape: Array<number|ShapeExpr>;
  /**
   * The size of dim 0 (an integer or a shape expression) where the view changes it: the batch
   * merged with other dims or split from them (Note [dim 0 inside a model]). Default: dim 0 of
   * the input, whatever it is at run time.
   */
  batch?: number|ShapeExpr;
}

/** A reshape (PyTorch's memory order) to sizes computed from the inputs' shapes. */
export class TorchReshape extends TorchLayer {
  static className = 'TorchReshape';
  readonly shape: Array<number|ShapeExpr>;
  readonly batch: number|ShapeExpr|null;

  constructor(args: TorchReshapeArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.reshape';
    checkLayerArgs(op, args, ['shape', 'batch']);
    this.shape = sizeList(op, 'shape', args.shape, 0);
    this.batch = args.batch == null ? null : parseSize(op, 'batch', args.batch, 0);
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shapes = shapesOf(inputShape);
    const batch = this.batch == null ? shapes[0][0] : evalExpr('layers.reshape', this.batch, shapes);
    const out = [batch, ...evalSizes('layers.reshape', this.shape, shapes)];
    checkOutputShape('layers.reshape', this.name, out);
    return out;
  }

  override apply(inputs: ApplyIn, kwargs?: Record<string, unknown>): ApplyOut {
    return keepDtype(inputs, super.apply(inputs, kwargs));
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = tensorsOf(inputs);
    const x = xs[0];
    const shapes = xs.map((t) => t.shape);
    const sizes = evalSizesNow('layers.reshape', 'shape', this.shape, shapes, 0);
    const batch = this.batch == null ? x.shape[0] :
        evalSizesNow('layers.reshape', 'batch', [this.batch], shapes, 0)[0];
    const target = [batch, ...sizes];
    if (target.reduce((p, q) => p * q, 1) !== x.size) {
      fail('layers.reshape', `cannot view input of shape ${show(x.shape)} as ${show(target)} ${
          ''}(layer '${this.name}')`);
    }
    return tf.reshape(x, target);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {shape: this.shape as unknown as tf.serialization.ConfigDictValue,
            ...(this.batch != null ? {batch: this.batch as unknown as tf.serialization.ConfigDictValue} : {}),
            ...super.getConfig()};
  }
}

export interface TorchFillArgs extends TorchLayerArgs {
  /** The full shape (batch included): integers or shape expressions over the inputs' shapes. */
  shape: Array<number|ShapeExpr>;
  /** The fill value (default 0); with `step`, the first value (an integer). */
  value?: number;
  /**
   * torch.arange(start, end, step) of a length known only at run time: element i along the last
   * dim is value + step * i (integers, exact in float32 while every value is at most 2^24 in
   * magnitude; a larger one throws). Default: none (every element is `value`).
   */
  step?: number|null;
}

const EXACT_INT = 2 ** 24;

/**
 * zeros / ones / full of a size computed from the inputs' shapes (their values are unused), or
 * with `step` an integer arange along the last dim.
 */
export class TorchFill extends TorchLayer {
  static className = 'TorchFill';
  readonly shape: Array<number|ShapeExpr>;
  readonly value: number;
  readonly step: number|null;

  constructor(args: TorchFillArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.fill';
    checkLayerArgs(op, args, ['shape', 'value', 'step']);
    this.shape = sizeList(op, 'shape', args.shape, 0);
    const v = fromJsonNumber(args.value ?? 0);   // Note [non-finite numbers in model.json]
    if (typeof v !== 'number') fail(op, `argument 'value' must be a number, got ${show(args.value)}`);
    this.value = v;
    const step = args.step ?? null;
    if (step != null) {
      if (typeof step !== 'number' || !Number.isInteger(step) || step === 0 ||
          Math.abs(step) > EXACT_INT) {
        fail(op, `argument 'step' must be a nonzero integer of magnitude at most 2^24, got ${show(step)}`);
      }
      if (!Number.isInteger(v) || Math.abs(v) > EXACT_INT) {
        fail(op, `argument 'value' must be an integer of magnitude at most 2^24 with 'step', got ${show(v)}`);
      }
      if (this.shape.length < 1) fail(op, `argument 'shape' must have a dim with 'step'`);
    }
    this.step = step;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const out = evalSizes('layers.fill', this.shape, shapesOf(inputShape));
    checkOutputShape('layers.fill', this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = tensorsOf(inputs);
    const shape = evalSizesNow('layers.fill', 'shape', this.shape, xs.map((t) => t.shape), 0);
    checkSize('layers.fill', 'output', shape, ` (layer '${this.name}')`);
    if (this.step == null) return tf.fill(shape, this.value, 'float32');
    const n = shape[shape.length - 1];
    const last = this.value + this.step * Math.max(n - 1, 0);
    if (Math.abs(last) > EXACT_INT || Math.abs(this.step * Math.max(n - 1, 0)) > EXACT_INT) {
      fail('layers.fill', `arange from ${this.value} by ${this.step} to length ${n} reaches ${last}, ${
          ''}past 2^24, where float32 no longer holds every integer (layer '${this.name}')`);
    }
    return tf.tidy(() => {
      const row = tf.add(tf.mul(tf.range(0, n, 1, 'float32'), this.step!), this.value);
      return tf.broadcastTo(tf.reshape(row, [...shape.slice(0, -1).map(() => 1), n]), shape);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {shape: this.shape as unknown as tf.serialization.ConfigDictValue, value: toJsonNumber(this.value),
            ...(this.step != null ? {step: this.step} : {}), ...super.getConfig()};
  }
}

export interface ShapeRule {
  /** Nonzero when the sizes are allowed (a rule of the grammar). */
  rule: ShapeExpr;
  /** The rule as PyTorch states it, in PyTorch's dim order: 'x.shape[2] % 8 == 0'. */
  text: string;
  /** The dims it reads: [input, tfjs axis, PyTorch's name of the dim ('x.shape[2]')]. */
  dims: Array<[number, number, string]>;
}

export interface TorchShapeCheckArgs extends TorchLayerArgs {
  rules: ShapeRule[];
  /** The model inputs' names, in the layer's input order. */
  inputNames: string[];
}

const MAX_RULES = 512;
const MAX_TEXT = 400;

/**
 * The identity on its first input, after checking the sizes of all its inputs against rules
 * PyTorch inferred when the model was exported; a broken rule throws an error naming the input,
 * the dim, its size and the rule.
 */
export class TorchShapeCheck extends TorchLayer {
  static className = 'TorchShapeCheck';
  readonly rules: ShapeRule[];
  readonly inputNames: string[];

  constructor(args: TorchShapeCheckArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.shapeCheck';
    checkLayerArgs(op, args, ['rules', 'inputNames']);
    const {rules, inputNames} = args;
    if (!Array.isArray(inputNames) || inputNames.length < 1 || inputNames.length > 64 ||
        !inputNames.every((n) => typeof n === 'string' && n.length <= MAX_TEXT)) {
      fail(op, `argument 'inputNames' must be an array of 1 to 64 names, got ${show(inputNames)}`);
    }
    if (!Array.isArray(rules) || rules.length > MAX_RULES) {
      fail(op, `argument 'rules' must be an array of at most ${MAX_RULES} rules, got ${show(rules)}`);
    }
    this.rules = rules.map((r, i) => {
      if (r == null || typeof r !== 'object' || typeof r.text !== 'string' ||
          r.text.length > MAX_TEXT || !Array.isArray(r.dims) || r.dims.length > 16) {
        fail(op, `rules[${i}] must be {rule, text, dims}, got ${show(r)}`);
      }
      const dims = r.dims.map((d) => {
        if (!Array.isArray(d) || d.length !== 3 || !Number.isInteger(d[0]) || d[0] < 0 ||
            d[0] >= inputNames.length || !Number.isInteger(d[1]) || d[1] < 0 || d[1] > MAX_RANK ||
            typeof d[2] !== 'string' || d[2].length > MAX_TEXT) {
          fail(op, `rules[${i}].dims entry ${show(d)} must be [input, axis, name]`);
        }
        return [d[0], d[1], d[2]] as [number, number, string];
      });
      return {rule: parseExpr(op, `rules[${i}].rule`, r.rule), text: r.text, dims};
    });
    this.inputNames = inputNames.slice();
  }

  private check(shapes: Shape[]): void {
    for (const r of this.rules) {
      const v = evalExpr('layers.shapeCheck', r.rule, shapes);
      if (v == null || v !== 0) continue;
      const dims = r.dims.map(([k, axis, name]) => `${name} = ${shapes[k][axis]}`);
      const first = r.dims.length > 0 ? this.inputNames[r.dims[0][0]] : this.inputNames[0];
      const shown = r.dims.length > 0 ? shapes[r.dims[0][0]] : shapes[0];
      fail('layers.shapeCheck', `input '${first}' of shape ${show(shown)} (${dims.join(', ')}, ${
          ''}in PyTorch's dim order) breaks the model's size rule ${r.text} (inferred by ${
          ''}PyTorch when the model was exported)`);
    }
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shapes = shapesOf(inputShape);
    this.check(shapes);
    return shapes[0];
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = tensorsOf(inputs);
    this.check(xs.map((t) => t.shape));
    // A new tensor on the same data (a reshape to its own shape): tf.clone is tfjs's Identity,
    // which copies the data on wasm (4 MiB per SAM input, each predict).
    return tf.reshape(xs[0], xs[0].shape);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {rules: this.rules as unknown as tf.serialization.ConfigDictValue,
            inputNames: this.inputNames, ...super.getConfig()};
  }
}
