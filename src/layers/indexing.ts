// Shape and index vocabulary of exported transformers: expand, repeat, repeat_interleave, stack,
// roll, flip, and indexing with constant indices (select, index_select, x[idx] with index
// tensors: relative position tables). Like the attention layers, they work on tensors in
// PyTorch's dim order, every dim included (dim 0 is not special to them), and have no
// dataFormat: an axis is a dim of the tensor the layer gets. Each is a composition of tfjs ops
// with gradients on every backend; indexing computes its gather's gradient with ScatterNd, which
// every backend has (tfjs's own Gather gradient needs UnsortedSegmentSum, which wasm lacks).
import * as tf from '@tensorflow/tfjs-core';
import {check, fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {baseArgs, checkLayerArgs, checkOutputShape, checkWeightShape, resolveInitializer, type Shape, type TorchLayerArgs} from './common.js';
import {evalSizes, parseSize, type ShapeExpr} from './shape_expr.js';

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function intList(op: string, name: string, v: unknown, rule: (d: number) => boolean, what: string,
                 minLength = 1): number[] {
  if (!Array.isArray(v) || v.length < minLength || v.length > 64 ||
      !v.every((d) => isInt(d) && rule(d))) {
    fail(op, `argument '${name}' must be an array of ${minLength} to 64 ${what}, got ${show(v)}`);
  }
  return v.slice() as number[];
}

/** A dim in [-rank, rank) as a dim in [0, rank). */
function normDim(op: string, name: string, d: number, rank: number): number {
  if (!(d >= -rank && d < rank)) {
    fail(op, `${name} ${d} is out of range for a tensor of rank ${rank}`);
  }
  return d < 0 ? d + rank : d;
}

function inputsOf<T>(inputs: T|T[]): T[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

function shapesOf(inputShape: Shape|Shape[]): Shape[] {
  return (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
}

const prod = (ds: number[]) => ds.reduce((p, d) => p * d, 1);

/**
 * tf.broadcastTo with a gradient at any rank: tfjs records broadcastTo as its Tile kernel, whose
 * gradient stops at rank 4; the gradient of a broadcast is the sum over the broadcast dims.
 */
export function broadcastTo(x: tf.Tensor, shape: number[]): tf.Tensor {
  // Nothing to broadcast: a new tensor on the same data (tf.clone copies it on wasm).
  if (sameDims(x.shape, shape)) return tf.reshape(x, shape);
  const lead = shape.length - x.rank;
  const axes = shape.map((d, i) => i < lead || (x.shape[i - lead] === 1 && d !== 1) ? i : -1)
                   .filter((i) => i >= 0);
  const f = tf.customGrad(((t: tf.Tensor) => ({
    value: tf.broadcastTo(t, shape),
    gradFunc: (dy: tf.Tensor) => tf.reshape(tf.sum(dy, axes), t.shape),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

// ---- expand ----------------------------------------------------------------------------------

export interface ExpandArgs extends TorchLayerArgs {
  /**
   * Tensor.expand's sizes: one per output dim, -1 keeps the input's dim (new leading dims too).
   * A size known only at run time is a shape expression over the layer's inputs' dims
   * (src/layers/shape_expr.ts): after the tensor come the inputs the expressions read.
   */
  shape: Array<number|ShapeExpr>;
  /**
   * Shape of a stored tensor to expand (the layer's weight 'constant', a parameter or constant of
   * the model, say SAM's output tokens expanded to the batch size): the layer's inputs are then
   * only the ones its expressions read. Absent: input 0 is the tensor.
   */
  constantShape?: number[]|null;
}

/** Tensor.expand(*sizes): broadcast dims of size 1 (and new leading dims) to the given sizes. */
export class TorchExpand extends TorchLayer {
  static className = 'TorchExpand';
  readonly shape: Array<number|ShapeExpr>;
  readonly constantShape: number[]|null;
  constant: LayerVariable|null = null;

  constructor(args: ExpandArgs) {
    const op = 'layers.expand';
    checkLayerArgs(op, args, ['shape', 'constantShape']);
    super(baseArgs(args));
    const shape = args.shape;
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 64) {
      fail(op, `argument 'shape' must be an array of 1 to 64 sizes, got ${show(shape)}`);
    }
    this.shape = shape.map((d, i) => d === -1 ? -1 : parseSize(op, `shape[${i}]`, d, 0));
    const cs = args.constantShape ?? null;
    this.constantShape = cs == null ? null :
        intList(op, 'constantShape', cs, (d) => d >= 1, 'integers >= 1');
    if (this.constantShape != null) checkWeightShape(op, this.name, this.constantShape);
  }

  override build(_inputShape: Shape|Shape[]): void {
    if (this.constantShape != null && this.constant == null) {
      this.constant = this.addWeight('constant', this.constantShape, 'float32',
                                     resolveInitializer('layers.expand', 'constant', 'zeros'),
                                     undefined, false);
    }
    this.built = true;
  }

  /** The output shape for this source shape and these layer input shapes (null: unknown). */
  private outShape(x: Shape, inputs: Shape[]): Shape {
    const op = 'layers.expand';
    const n = this.shape.length;
    if (x.length > n) {
      fail(op, `${n} sizes cannot expand an input of rank ${x.length} (shape ${show(x)})`);
    }
    const sizes = evalSizes(op, this.shape, inputs);
    return sizes.map((s, i) => {
      const j = i - (n - x.length);
      if (j < 0) {
        if (s === -1) fail(op, `size -1 is not allowed for the new leading dim ${i}`);
        return s;
      }
      const d = x[j];
      if (s === -1) return d;
      if (d != null && s != null && d !== 1 && d !== s) {
        fail(op, `dim ${j} of size ${d} cannot expand to ${s} (only size-1 dims expand; input ${
            ''}shape ${show(x)}, sizes ${show(sizes)})`);
      }
      return s ?? (d != null && d !== 1 ? d : null);
    });
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shapes = shapesOf(inputShape);
    const source = this.constantShape ?? shapes[0];
    const shape = this.outShape(source, shapes);
    checkOutputShape('layers.expand', this.name, shape);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = inputsOf(inputs);
    return tf.tidy(() => {
      const x = this.constantShape != null ? this.constant!.read() : xs[0];
      const shape = this.outShape(x.shape, xs.map((t) => t.shape));
      if (shape.some((d) => d == null || d < 0)) {
        fail('layers.expand', `sizes ${show(this.shape)} evaluate to ${show(shape)} for input ${
            ''}shapes ${show(xs.map((t) => t.shape))}`);
      }
      checkOutputShape('layers.expand', this.name, shape);
      return broadcastTo(x, shape as number[]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {shape: this.shape as unknown as tf.serialization.ConfigDictValue,
            constantShape: this.constantShape, ...super.getConfig()};
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ---- repeat ---------------------------------------------------------------------------------

export interface RepeatArgs extends TorchLayerArgs {
  /** Tensor.repeat's counts: one per output dim, at least the input's rank (new leading dims). */
  repeats: number[];
}

/** Tensor.repeat(*repeats): the tensor tiled, with new leading dims for extra counts. */
export class TorchRepeat extends TorchLayer {
  static className = 'TorchRepeat';
  readonly repeats: number[];

  constructor(args: RepeatArgs) {
    const op = 'layers.repeat';
    checkLayerArgs(op, args, ['repeats']);
    super(baseArgs(args));
    this.repeats = intList(op, 'repeats', args.repeats, (d) => d >= 0, 'integers >= 0');
  }

  private check(x: Shape): void {
    if (x.length > this.repeats.length) {
      fail('layers.repeat', `${this.repeats.length} repeat counts for an input of rank ${
          x.length} (shape ${show(x)}); give at least one per dim`);
    }
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const x = shapesOf(inputShape)[0];
    this.check(x);
    const lead = this.repeats.length - x.length;
    const shape = this.repeats.map((r, i) => {
      const d = i < lead ? 1 : x[i - lead];
      return d == null ? null : d * r;
    });
    checkOutputShape('layers.repeat', this.name, shape);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = inputsOf(inputs)[0];
    this.check(x.shape);
    const lead = this.repeats.length - x.rank;
    const full = [...new Array<number>(lead).fill(1), ...x.shape];
    checkOutputShape('layers.repeat', this.name, full.map((d, i) => d * this.repeats[i]));
    return tf.tidy(() => {
      // Each dim repeated r > 1 times gets a new dim of size r in front of it, broadcast and
      // merged: broadcastTo's gradient (a sum) works at any rank, tfjs's Tile gradient only up
      // to rank 4.
      const split: number[] = [];
      const target: number[] = [];
      full.forEach((d, i) => {
        if (this.repeats[i] !== 1) {
          split.push(1);
          target.push(this.repeats[i]);
        }
        split.push(d);
        target.push(d);
      });
      return tf.reshape(broadcastTo(tf.reshape(x, split), target),
                        full.map((d, i) => d * this.repeats[i]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {repeats: this.repeats, ...super.getConfig()};
  }
}

// ---- repeat_interleave ----------------------------------------------------------------------

export interface RepeatInterleaveArgs extends TorchLayerArgs {
  /** One count for every element, or one count per element of the dim. */
  repeats: number|number[];
  /** The dim (null: the flattened tensor, as PyTorch's dim=None). */
  axis?: number|null;
}

/** torch.repeat_interleave(x, repeats, dim): each element repeated in place along the dim. */
export class TorchRepeatInterleave extends TorchLayer {
  static className = 'TorchRepeatInterleave';
  readonly repeats: number|number[];
  readonly axis: number|null;

  constructor(args: RepeatInterleaveArgs) {
    const op = 'layers.repeatInterleave';
    checkLayerArgs(op, args, ['repeats', 'axis']);
    super(baseArgs(args));
    const r = args.repeats;
    if (isInt(r) && r >= 0) {
      this.repeats = r;
    } else if (Array.isArray(r) && r.length >= 1 && r.length <= 1 << 20 &&
               r.every((d) => isInt(d) && d >= 0)) {
      this.repeats = r.slice();
    } else {
      fail(op, `argument 'repeats' must be an integer >= 0 or an array of them, got ${show(r)}`);
    }
    const a = args.axis ?? null;
    check(a === null || isInt(a), op, () => `argument 'axis' must be an integer or null, got ${show(a)}`);
    this.axis = a;
  }

  private plan(shape: Shape): {axis: number, size: number|null, out: Shape} {
    const op = 'layers.repeatInterleave';
    const flat = this.axis === null;
    const dims = flat ? [shape.some((d) => d == null) ? null : prod(shape as number[])] : shape;
    const axis = flat ? 0 : normDim(op, 'axis', this.axis!, shape.length);
    const d = dims[axis];
    let size: number|null;
    if (Array.isArray(this.repeats)) {
      if (d != null && this.repeats.length !== d && this.repeats.length !== 1) {
        fail(op, `${this.repeats.length} repeat counts for dim ${axis} of size ${d} (give one ${
            ''}per element, or one for all)`);
      }
      size = this.repeats.length === 1 ? (d == null ? null : d * this.repeats[0]) :
                                         this.repeats.reduce((p, c) => p + c, 0);
    } else {
      size = d == null ? null : d * this.repeats;
    }
    const out = dims.slice();
    out[axis] = size;
    return {axis, size, out};
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const {out} = this.plan(shapesOf(inputShape)[0]);
    checkOutputShape('layers.repeatInterleave', this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x0 = inputsOf(inputs)[0];
    const {axis, out} = this.plan(x0.shape);
    checkOutputShape('layers.repeatInterleave', this.name, out);
    return tf.tidy(() => {
      const x = this.axis === null ? tf.reshape(x0, [-1]) : x0;
      const counts = this.repeats;
      if (!Array.isArray(counts) || counts.length === 1) {
        // Each element once per count: a new dim after the axis, tiled, merged back.
        const r = Array.isArray(counts) ? counts[0] : counts;
        return repeatEach(x, axis, r);
      }
      const index: number[] = [];
      counts.forEach((c, i) => { for (let j = 0; j < c; j++) index.push(i); });
      return gatherConstant(x, index, [index.length], axis);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {repeats: this.repeats, axis: this.axis, ...super.getConfig()};
  }
}

/**
 * Each element of dim `axis` repeated `times` times in place (repeat_interleave with one count):
 * a new dim behind the axis, broadcast to `times` and merged into it.
 */
export function repeatEach(x: tf.Tensor, axis: number, times: number): tf.Tensor {
  return tf.tidy(() => {
    const s = x.shape;
    const y = broadcastTo(tf.expandDims(x, axis + 1),
                             [...s.slice(0, axis + 1), times, ...s.slice(axis + 1)]);
    return tf.reshape(y, [...s.slice(0, axis), s[axis] * times, ...s.slice(axis + 1)]);
  });
}

// ---- stack ----------------------------------------------------------------------------------

export interface StackArgs extends TorchLayerArgs {
  /** torch.stack's dim, in [-(rank + 1), rank]. */
  axis: number;
}

/** torch.stack(tensors, dim): the inputs (equal shapes) along a new dim. */
export class TorchStack extends TorchLayer {
  static className = 'TorchStack';
  readonly axis: number;

  constructor(args: StackArgs) {
    const op = 'layers.stack';
    checkLayerArgs(op, args, ['axis']);
    super(baseArgs(args));
    check(isInt(args.axis), op, () => `argument 'axis' must be an integer, got ${show(args.axis)}`);
    this.axis = args.axis;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const op = 'layers.stack';
    const shapes = shapesOf(inputShape);
    const first = shapes[0];
    const shape = first.map((d, i) => {
      let out = d;
      for (const s of shapes) {
        if (s.length !== first.length || (s[i] != null && out != null && s[i] !== out)) {
          fail(op, `every input must have the same shape, got ${show(shapes)}`);
        }
        out = out ?? s[i];
      }
      return out;
    });
    const axis = normDim(op, 'axis', this.axis, first.length + 1);
    shape.splice(axis, 0, shapes.length);
    checkOutputShape(op, this.name, shape);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const op = 'layers.stack';
    const xs = inputsOf(inputs);
    for (const x of xs) {
      if (!sameDims(x.shape, xs[0].shape)) {
        fail(op, `every input must have the same shape, got ${show(xs.map((t) => t.shape))}`);
      }
    }
    return tf.stack(xs, normDim(op, 'axis', this.axis, xs[0].rank + 1));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {axis: this.axis, ...super.getConfig()};
  }
}

// ---- roll and flip --------------------------------------------------------------------------

export interface RollArgs extends TorchLayerArgs {
  /** torch.roll's shifts, one per entry of axis (one shift when axis is null). */
  shifts: number[];
  /** The dims to roll (null: the flattened tensor, as PyTorch's dims=None). */
  axis?: number[]|null;
}

/** torch.roll(x, shifts, dims): elements shifted cyclically (SwinIR's shifted windows). */
export class TorchRoll extends TorchLayer {
  static className = 'TorchRoll';
  readonly shifts: number[];
  readonly axis: number[]|null;

  constructor(args: RollArgs) {
    const op = 'layers.roll';
    checkLayerArgs(op, args, ['shifts', 'axis']);
    super(baseArgs(args));
    this.shifts = intList(op, 'shifts', args.shifts, () => true, 'integers');
    const a = args.axis ?? null;
    this.axis = a === null ? null : intList(op, 'axis', a, () => true, 'integers');
    if (this.axis === null ? this.shifts.length !== 1 : this.axis.length !== this.shifts.length) {
      fail(op, `needs one shift per axis (one shift when 'axis' is null), got shifts ${
          show(this.shifts)} and axis ${show(this.axis)}`);
    }
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = shapesOf(inputShape)[0];
    for (const a of this.axis ?? []) normDim('layers.roll', 'axis', a, shape.length);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = inputsOf(inputs)[0];
    const axes = (this.axis ?? []).map((a) => normDim('layers.roll', 'axis', a, x.rank));
    return tf.tidy(() => {
      if (this.axis === null) return tf.reshape(roll1(tf.reshape(x, [-1]), this.shifts[0], 0), x.shape);
      let y = x;
      axes.forEach((a, i) => { y = roll1(y, this.shifts[i], a); });
      return y === x ? tf.clone(x) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {shifts: this.shifts, axis: this.axis, ...super.getConfig()};
  }
}

/** One dim rolled: out[i] = x[(i - shift) mod n], as two slices in swapped order. */
function roll1(x: tf.Tensor, shift: number, axis: number): tf.Tensor {
  const n = x.shape[axis];
  const s = n === 0 ? 0 : ((shift % n) + n) % n;
  if (s === 0) return x;
  const [head, tail] = tf.split(x, [n - s, s], axis);
  return tf.concat([tail, head], axis);
}

export interface FlipArgs extends TorchLayerArgs {
  /** torch.flip's dims. */
  axis: number[];
}

/** torch.flip(x, dims). */
export class TorchFlip extends TorchLayer {
  static className = 'TorchFlip';
  readonly axis: number[];

  constructor(args: FlipArgs) {
    const op = 'layers.flip';
    checkLayerArgs(op, args, ['axis']);
    super(baseArgs(args));
    this.axis = intList(op, 'axis', args.axis, () => true, 'integers');
  }

  private axes(rank: number): number[] {
    const axes = this.axis.map((a) => normDim('layers.flip', 'axis', a, rank));
    if (new Set(axes).size !== axes.length) fail('layers.flip', `axis ${show(this.axis)} repeats a dim`);
    return axes;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = shapesOf(inputShape)[0];
    this.axes(shape.length);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = inputsOf(inputs)[0];
    return tf.reverse(x, this.axes(x.rank));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {axis: this.axis, ...super.getConfig()};
  }
}

// ---- indexing with constant indices ---------------------------------------------------------

/** A constant index tensor: its shape and its values in row-major order. */
export interface IndexTensor {
  shape: number[];
  data: number[];
}

// Note [indexing with constant index tensors]
// PyTorch's x[i0, i1, ...] with index tensors (aten.index.Tensor; select and index_select are its
// one-index cases): `indices` has one entry per leading dim of x, null for a full slice `:`.
// The index tensors broadcast to one shape B; the indexed dims are replaced by B, in place when
// the indexed dims are adjacent, else at the front (NumPy's rule, which PyTorch follows). Negative
// indices count from the end. Here the indexed dims are moved to the front and flattened into
// one, the indices turned into flat offsets into it (checked against the dims at run time), one
// gather takes the rows, and B is unflattened and moved back into place.

function broadcastIndexShapes(op: string, shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = i - rank + s.length >= 0 ? s[i - rank + s.length] : 1;
      if (e !== 1 && d !== 1 && e !== d) fail(op, `index shapes ${show(shapes)} do not broadcast`);
      if (e !== 1) d = e;
    }
    out.push(d);
  }
  return out;
}

function broadcastIndexValues(t: IndexTensor, shape: number[]): number[] {
  const n = prod(shape);
  const lead = shape.length - t.shape.length;
  const strides = new Array<number>(t.shape.length).fill(1);
  for (let d = t.shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1] * t.shape[d + 1];
  const out = new Array<number>(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < t.shape.length; d++) {
      src += (t.shape[d] === 1 ? 0 : idx[d + lead]) * strides[d];
    }
    out[i] = t.data[src];
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  return out;
}

/**
 * x's rows `index` (flat offsets into dim `axis`), as an array of shape indexShape in that dim:
 * a tf.gather whose gradient is a ScatterNd (summing repeated indices).
 */
function gatherConstant(x: tf.Tensor, index: number[], indexShape: number[], axis: number): tf.Tensor {
  const moved = axis === 0 ? x : tf.transpose(x, [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)]);
  const rows = moved.shape[0];
  const rest = moved.shape.slice(1);
  // The gradient makes its own index tensor from the numbers: a tensor saved from outside the
  // forward function (save()) counts as a leaked data id in the wasm backend's IS_TEST check.
  const indexTensor = () => tf.tensor2d(index, [index.length, 1], 'int32');
  const gather = tf.customGrad(((t: tf.Tensor) => ({
    value: tf.tidy(() => tf.gatherND(t, indexTensor())),
    gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.scatterND(indexTensor(), dy, [rows, ...rest])),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = tf.reshape(gather(moved), [...indexShape, ...rest]);
  // The index dims back to where the gathered dim was.
  return axis === 0 ? y : tf.transpose(y, indexPerm(indexShape.length, rest.length, axis));
}

export interface IndexArgs extends TorchLayerArgs {
  /**
   * One entry per leading dim of the input: null (a full slice) or a constant index tensor
   * {shape, data} (shape [] for one index: Tensor.select). At least one is a tensor.
   */
  indices: Array<IndexTensor|null>;
}

const MAX_INDEX_VALUES = 1 << 24;

/** x[i0, i1, ...] with constant index tensors (Note [indexing with constant index tensors]). */
export class TorchIndex extends TorchLayer {
  static className = 'TorchIndex';
  readonly indices: Array<IndexTensor|null>;
  private readonly positions: number[];
  private readonly indexShape: number[];
  private readonly front: boolean;

  constructor(args: IndexArgs) {
    const op = 'layers.index';
    checkLayerArgs(op, args, ['indices']);
    super(baseArgs(args));
    const list = args.indices;
    if (!Array.isArray(list) || list.length < 1 || list.length > 64) {
      fail(op, `argument 'indices' must be an array of 1 to 64 entries, got ${show(list)}`);
    }
    let total = 0;
    this.indices = list.map((t, i) => {
      if (t === null || t === undefined) return null;
      const shape = (t as IndexTensor).shape;
      const data = (t as IndexTensor).data;
      if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => isInt(d) && d >= 0)) {
        fail(op, `indices[${i}].shape must be an array of at most 8 integers >= 0, got ${show(shape)}`);
      }
      const n = prod(shape);
      total += n;
      if (!Array.isArray(data) || data.length !== n || total > MAX_INDEX_VALUES ||
          !data.every((v) => isInt(v))) {
        fail(op, `indices[${i}].data must be ${n} integers (the shape's element count, at most ${
            MAX_INDEX_VALUES} in all), got ${show(data)}`);
      }
      return {shape: shape.slice(), data: data.slice()};
    });
    this.positions = this.indices.map((t, i) => t == null ? -1 : i).filter((i) => i >= 0);
    if (this.positions.length === 0) fail(op, `argument 'indices' holds no index tensor`);
    this.indexShape = broadcastIndexShapes(op, this.positions.map((p) => this.indices[p]!.shape));
    checkOutputShape(op, this.name, this.indexShape);
    const adjacent = this.positions.every((p, i) => p === this.positions[0] + i);
    this.front = !adjacent;
  }

  private outShape(x: Shape): Shape {
    const op = 'layers.index';
    if (x.length < this.indices.length) {
      fail(op, `${this.indices.length} index entries for an input of rank ${x.length} (shape ${
          show(x)})`);
    }
    const rest = x.filter((_, i) => !this.positions.includes(i));
    const at = this.front ? 0 : this.positions[0];
    return [...rest.slice(0, at), ...this.indexShape, ...rest.slice(at)];
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = this.outShape(shapesOf(inputShape)[0]);
    checkOutputShape('layers.index', this.name, shape);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const op = 'layers.index';
    const x = inputsOf(inputs)[0];
    const out = this.outShape(x.shape) as number[];
    checkOutputShape(op, this.name, out);
    // Flat offsets into the indexed dims taken together (row-major in their order).
    const dims = this.positions.map((p) => x.shape[p]);
    const n = prod(this.indexShape);
    const flat = new Array<number>(n).fill(0);
    let stride = 1;
    for (let j = this.positions.length - 1; j >= 0; j--) {
      const p = this.positions[j];
      const values = broadcastIndexValues(this.indices[p]!, this.indexShape);
      const d = dims[j];
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (!(v >= -d && v < d)) {
          fail(op, `index ${v} is out of range for dim ${p} of size ${d} (layer '${this.name}')`);
        }
        flat[i] += (v < 0 ? v + d : v) * stride;
      }
      stride *= d;
    }
    return tf.tidy(() => {
      const others = x.shape.map((_, i) => i).filter((i) => !this.positions.includes(i));
      const moved = tf.reshape(
          sameDims([...this.positions, ...others], x.shape.map((_, i) => i)) ? x :
              tf.transpose(x, [...this.positions, ...others]),
          [prod(dims), ...others.map((i) => x.shape[i])]);
      const y = gatherConstant(moved, flat, this.indexShape, 0);
      const at = this.front ? 0 : this.positions[0];
      return at === 0 ? y : tf.transpose(y, indexPerm(this.indexShape.length, others.length, at));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {indices: this.indices as unknown as tf.serialization.ConfigDictValue, ...super.getConfig()};
  }
}

/** The permutation moving k leading (index) dims behind the first `at` of the r other dims. */
function indexPerm(k: number, r: number, at: number): number[] {
  return [...Array.from({length: at}, (_, i) => k + i), ...Array.from({length: k}, (_, i) => i),
          ...Array.from({length: r - at}, (_, i) => k + at + i)];
}
