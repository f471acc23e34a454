// Small layers for the tensor functions a PyTorch forward uses between its modules, which
// tfjs-layers has no layer for (or none with PyTorch's numbers): activations (GELU, SiLU,
// Hardswish, softmax over any axis, ...), elementwise arithmetic with broadcasting against another
// tensor, a scalar or a stored constant, reductions over dims, and slices. The Python exporter
// (python/tfjs_torch) writes them into model.json; each composes tfjs-core ops, so gradients and
// every backend come for free, except GELU and SiLU, which run one kernel of ours each
// (src/ops/gelu.ts, src/ops/silu.ts) with a registered gradient.
import * as tf from '@tensorflow/tfjs-core';
import {gelu as geluOp} from '../ops/gelu.js';
import {silu as siluOp} from '../ops/silu.js';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {check, fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {baseArgs, checkLayerArgs, fromJsonNumber, resolveInitializer, type Shape, single, singleShape, toJsonNumber, type TorchLayerArgs} from './common.js';
import {evalExpr, evalSizes, evalSizesNow, isExpr, maxInput, parseExpr, type ShapeExpr, shapesOf} from './shape_expr.js';

// ---- activations --------------------------------------------------------------------------------

export type TorchActivationFn =
    'gelu'|'geluTanh'|'silu'|'mish'|'hardswish'|'hardsigmoid'|'elu'|'celu'|'selu'|'softplus'|
    'softsign'|'logsigmoid'|'clamp'|'softmax'|'logSoftmax'|'neg'|'abs'|'exp'|'log'|'sqrt'|'rsqrt';

const ACTIVATIONS: TorchActivationFn[] = [
  'gelu', 'geluTanh', 'silu', 'mish', 'hardswish', 'hardsigmoid', 'elu', 'celu', 'selu',
  'softplus', 'softsign', 'logsigmoid', 'clamp', 'softmax', 'logSoftmax', 'neg', 'abs', 'exp',
  'log', 'sqrt', 'rsqrt',
];

export interface TorchActivationArgs extends TorchLayerArgs {
  /** The PyTorch function: 'gelu' (F.gelu), 'geluTanh' (approximate='tanh'), 'silu', ... */
  fn: TorchActivationFn;
  /** elu / celu's alpha (default 1). */
  alpha?: number;
  /** softplus's beta (default 1) and threshold (default 20). */
  beta?: number;
  threshold?: number;
  /** clamp's bounds (null: unbounded), as torch.clamp / F.hardtanh. */
  min?: number|null;
  max?: number|null;
  /** softmax / logSoftmax's axis in the tfjs tensor (default -1). */
  axis?: number;
}

// torch.nn.SELU's constants (Klambauer et al. 2017), as PyTorch writes them.
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

function num(op: string, name: string, given: unknown, fallback: number|null): number|null {
  if (given === undefined || given === null) return fallback;
  const v = fromJsonNumber(given);   // Note [non-finite numbers in model.json]
  check(typeof v === 'number' && !Number.isNaN(v), op,
        () => `argument '${name}' must be a number, got ${show(v)}`);
  return v as number;
}

export class TorchActivation extends TorchLayer {
  static className = 'TorchActivation';
  readonly fn: TorchActivationFn;
  readonly alpha: number;
  readonly beta: number;
  readonly threshold: number;
  readonly min: number|null;
  readonly max: number|null;
  readonly axis: number;

  constructor(args: TorchActivationArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.activation';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    if (!ACTIVATIONS.includes(args.fn)) {
      fail(op, `argument 'fn' must be one of ${ACTIVATIONS.join(', ')}, got ${show(args.fn)}`);
    }
    this.fn = args.fn;
    this.alpha = num(op, 'alpha', args.alpha, 1)!;
    this.beta = num(op, 'beta', args.beta, 1)!;
    this.threshold = num(op, 'threshold', args.threshold, 20)!;
    this.min = num(op, 'min', args.min, null);
    this.max = num(op, 'max', args.max, null);
    this.axis = num(op, 'axis', args.axis, -1)!;
    check(Number.isInteger(this.axis), op, () => `argument 'axis' must be an integer, got ${this.axis}`);
    if (this.min != null && this.max != null && this.min > this.max) {
      fail(op, `argument 'min' (${this.min}) must not exceed 'max' (${this.max})`);
    }
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    return tf.tidy(() => {
      switch (this.fn) {
        case 'gelu':  // x * Phi(x): one TorchGelu kernel (src/ops/gelu.ts)
          return geluOp(x);
        case 'geluTanh':  // PyTorch's approximate='tanh', one kernel too
          return geluOp(x, {approximate: 'tanh'});
        case 'silu':  // x * sigmoid(x): one TorchSilu kernel (src/ops/silu.ts)
          return siluOp(x);
        case 'mish':
          return tf.mul(x, tf.tanh(tf.softplus(x)));
        case 'hardswish':
          return tf.div(tf.mul(x, tf.clipByValue(tf.add(x, 3), 0, 6)), 6);
        case 'hardsigmoid':
          return tf.div(tf.clipByValue(tf.add(x, 3), 0, 6), 6);
        case 'elu':
          return tf.where(tf.greater(x, 0), x, tf.mul(this.alpha, tf.expm1(x)));
        case 'celu':
          return tf.where(tf.greater(x, 0), x, tf.mul(this.alpha, tf.expm1(tf.div(x, this.alpha))));
        case 'selu':
          return tf.mul(SELU_SCALE, tf.where(tf.greater(x, 0), x, tf.mul(SELU_ALPHA, tf.expm1(x))));
        case 'softplus': {
          // PyTorch: x where beta * x > threshold (linear there), else log(1 + exp(beta x)) / beta.
          const bx = tf.mul(x, this.beta);
          return tf.where(tf.greater(bx, this.threshold), x, tf.div(tf.softplus(bx), this.beta));
        }
        case 'softsign':
          return tf.div(x, tf.add(1, tf.abs(x)));
        case 'logsigmoid':
          return tf.logSigmoid(x);
        case 'clamp': {
          let y = x;
          if (this.min != null) y = tf.maximum(y, this.min);
          if (this.max != null) y = tf.minimum(y, this.max);
          return y === x ? tf.clone(x) : y;
        }
        case 'softmax':
        case 'logSoftmax': {
          // Over any axis (tf.softmax takes only the last). On wasm a softmax over the last axis
          // is tfjs's Softmax, XNNPACK's one kernel (max, exp and sum in one pass, then a scale:
          // a third of the composition's time on SAM's attention scores, [1, 8, 4096, 7]); it
          // subtracts the row maximum as this composition does, and gives the same NaN rows for
          // a row holding NaN or +inf or only -inf (the softmax cases in transformer_ops.json).
          // On tensorflow tfjs's Softmax is TensorFlow's, one op (max, subtract, exp, sum and
          // divide in Eigen) where the composition is five eager ops and four passes (SAM's
          // mask decoder: 7 softmaxes, 4.5 of its 120 ms), with the same rows.
          const backend = tf.getBackend();
          if (this.fn === 'softmax' && (backend === 'wasm' || backend === 'tensorflow') &&
              (this.axis === -1 || this.axis === x.rank - 1)) {
            return tf.softmax(x);
          }
          const shifted = tf.sub(x, tf.max(x, this.axis, true));
          if (this.fn === 'softmax') {
            const e = tf.exp(shifted);
            return tf.div(e, tf.sum(e, this.axis, true));
          }
          return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), this.axis, true)));
        }
        case 'neg':
          return tf.neg(x);
        case 'abs':
          return tf.abs(x);
        case 'exp':
          return tf.exp(x);
        case 'log':
          return tf.log(x);
        case 'sqrt':
          return tf.sqrt(x);
        case 'rsqrt':
          return tf.rsqrt(x);
        default:
          return fail('layers.activation', `unknown fn ${show(this.fn)}`);
      }
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      fn: this.fn, alpha: this.alpha, beta: this.beta, threshold: this.threshold,
      min: toJsonNumber(this.min), max: toJsonNumber(this.max), axis: this.axis, ...super.getConfig(),
    };
  }
}

// ---- elementwise arithmetic ------------------------------------------------------------------

export type TorchElementwiseOp =
    'add'|'sub'|'mul'|'div'|'pow'|'maximum'|'minimum'|'eq'|'ne'|'lt'|'le'|'gt'|'ge';
const ELEMENTWISE: TorchElementwiseOp[] = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
];
// PyTorch's comparisons give bool tensors; in the model a mask is float32, 1 where true and 0
// where not (TorchWhere reads any nonzero as true).
const mask = (t: tf.Tensor) => tf.cast(t, 'float32');
const ELEMENTWISE_FNS: Record<TorchElementwiseOp, (a: tf.Tensor|number, b: tf.Tensor|number) => tf.Tensor> = {
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  pow: (a, b) => tf.pow(a, b),
  maximum: (a, b) => tf.maximum(a, b),
  minimum: (a, b) => tf.minimum(a, b),
  eq: (a, b) => mask(tf.equal(a, b)),
  ne: (a, b) => mask(tf.notEqual(a, b)),
  lt: (a, b) => mask(tf.less(a, b)),
  le: (a, b) => mask(tf.lessEqual(a, b)),
  gt: (a, b) => mask(tf.greater(a, b)),
  ge: (a, b) => mask(tf.greaterEqual(a, b)),
};

export interface TorchElementwiseArgs extends TorchLayerArgs {
  op: TorchElementwiseOp;
  /**
   * The second operand when the layer has one input: a number, or (with constantShape) a stored
   * tensor, the layer's non-trainable weight `constant`, broadcast as PyTorch broadcasts. With
   * two inputs the layer computes op(inputs[0], inputs[1]) with broadcasting.
   */
  scalar?: number|null;
  constantShape?: number[]|null;
  /** op(operand, x) instead of op(x, operand) (PyTorch's `2 - x`, `1 / x`). */
  reversed?: boolean;
  /**
   * Instead of `scalar`: a size known only at run time, a shape expression over the shapes of
   * the layer's inputs (Note [a size as an operand]). The layer takes x and then the tensors the
   * expression reads sizes from (their values are unused). add, sub, mul, div, pow and the
   * comparisons (eq, ne, lt, le, gt, ge).
   */
  scalarExpr?: ShapeExpr|null;
}

// Note [a size as an operand]
// Published decoders do arithmetic with a size: AdaIN's calc_mean_std (`var(dim=2)`, unbiased,
// so sum / (h * w - 1)), `x.std((2, 3))`, IMDN's contrast channel attention (`... / (F.size(2) *
// F.size(3))`). Exported at free image sizes the size is a shape expression (Note [shape
// expressions are data]) the layer evaluates when it is called, from the shapes of the extra
// inputs the exporter gives it. PyTorch's `tensor / n` (n an int, or a float holding an integer,
// as std's `float(n) - 1.0`) converts n to the tensor's dtype, float32 (rounding to nearest past
// 2^24), and then divides in float32 (true division); the layer does the same: the exact integer,
// rounded to float32 by tf.scalar, then tfjs's op with a scalar operand, as with `scalar`.
// A comparison with a size (Swin2SR's shifted-window mask, `arange(h) >= h - window`) compares
// with that integer rounded to float32 as PyTorch's `float_tensor >= n` does; an integer tensor
// from sizes (arange) is float32 in the model, exact while within 2^24 (TorchFill checks).
const SIZE_OPS: TorchElementwiseOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

function broadcastShapes(op: string, a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    // A missing leading dim broadcasts as 1; a null dim (not known until run time) stays null.
    const ia = a.length - rank + i;
    const ib = b.length - rank + i;
    const da = ia >= 0 ? a[ia] : 1;
    const db = ib >= 0 ? b[ib] : 1;
    if (da === 1) out.push(db);
    else if (db === 1 || db === da) out.push(da);
    else if (da == null || db == null) out.push(da ?? db);
    else fail(op, `shapes ${show(a)} and ${show(b)} do not broadcast`);
  }
  return out;
}

// Note [pow by 2]
// x ** 2 (LayerNorm2d's (x - u).pow(2) in SAM and ConvNeXt-style decoders) is x * x in PyTorch,
// whose pow kernel takes exponent 2 as a multiplication (aten's pow_tensor_scalar_optimized
// kernel), so tf.square is PyTorch's arithmetic exactly, Inf, NaN and the gradient 2 x dy
// included; tfjs's pow with a scalar exponent is TensorFlow's generic Pow (std::pow per element
// on tensorflow, 7% of SAM's mask decoder there) and a Pow kernel everywhere else.
export class TorchElementwise extends TorchLayer {
  static className = 'TorchElementwise';
  readonly op: TorchElementwiseOp;
  readonly scalar: number|null;
  readonly constantShape: number[]|null;
  readonly reversed: boolean;
  readonly scalarExpr: ShapeExpr|null;
  constant: LayerVariable|null = null;

  constructor(args: TorchElementwiseArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.elementwise';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    if (!ELEMENTWISE.includes(args.op)) {
      fail(op, `argument 'op' must be one of ${ELEMENTWISE.join(', ')}, got ${show(args.op)}`);
    }
    this.op = args.op;
    this.scalar = num(op, 'scalar', args.scalar, null);
    const cs = args.constantShape ?? null;
    if (cs != null) {
      check(Array.isArray(cs) && cs.every((d) => Number.isInteger(d) && d >= 1), op,
            () => `argument 'constantShape' must be an array of positive integers, got ${show(cs)}`);
      check(this.scalar == null, op, () => `give at most one of 'scalar' and 'constantShape'`);
    }
    this.constantShape = cs;
    this.reversed = args.reversed === true;
    const se = args.scalarExpr ?? null;
    if (se != null) {
      check(this.scalar == null && cs == null, op,
            () => `give at most one of 'scalar', 'constantShape' and 'scalarExpr'`);
      check(SIZE_OPS.includes(this.op), op,
            () => `argument 'scalarExpr' (a size known only at run time) goes with op ${
                SIZE_OPS.join(', ')}, got ${show(this.op)}`);
      parseExpr(op, `argument 'scalarExpr'`, se);
    }
    this.scalarExpr = se;
  }

  private get unary(): boolean {
    return this.scalar != null || this.constantShape != null || this.scalarExpr != null;
  }

  /** How many inputs the layer takes: x and the inputs scalarExpr reads; 2 without an operand. */
  private get arity(): number {
    if (this.scalarExpr != null) return Math.max(1, maxInput(this.scalarExpr) + 1);
    return this.unary ? 1 : 2;
  }

  private checkArity(given: number, what: string): void {
    if (given !== this.arity) {
      fail('layers.elementwise', `${this.scalarExpr != null ? `with 'scalarExpr' reading ${
          ''}input ${this.arity - 1} ` : this.unary ? 'with a scalar or constant operand ' : ''}${
          ''}the layer takes ${this.arity} input(s), got ${what}`);
    }
  }

  override build(inputShape: Shape|Shape[]): void {
    if (this.constantShape != null) {
      this.constant = this.addWeight('constant', this.constantShape, 'float32',
                                     resolveInitializer('layers.elementwise', 'constant', 'zeros'), undefined, false);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const op = 'layers.elementwise';
    if (this.scalarExpr != null) {
      const shapes = shapesOf(inputShape);
      this.checkArity(shapes.length, show(inputShape));
      evalExpr(op, this.scalarExpr, shapes);  // reads only dims the inputs have
      return shapes[0];
    }
    if (this.unary) {
      const shape = singleShape(inputShape);
      return this.constantShape == null ? shape : broadcastShapes(op, shape, this.constantShape);
    }
    const shapes = inputShape as Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) {
      fail(op, `without 'scalar' or 'constantShape' the layer takes two inputs, got ${
          show(inputShape)}`);
    }
    return broadcastShapes(op, shapes[0], shapes[1]);
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const fn = ELEMENTWISE_FNS[this.op];
    return tf.tidy(() => {
      if (!this.unary) {
        const xs = inputs as tf.Tensor[];
        if (!Array.isArray(xs) || xs.length !== 2) {
          fail('layers.elementwise', 'without a scalar or constant operand the layer takes two inputs');
        }
        return fn(xs[0], xs[1]);
      }
      if (this.scalarExpr != null) {
        const xs = Array.isArray(inputs) ? inputs : [inputs];
        this.checkArity(xs.length, `${xs.length}`);
        // Note [a size as an operand]
        const n = evalExpr('layers.elementwise', this.scalarExpr, xs.map((t) => t.shape));
        if (n == null) fail('layers.elementwise', `'scalarExpr' ${show(this.scalarExpr)} has no value`);
        // Note [pow by 2]
        if (this.op === 'pow' && n === 2 && !this.reversed) return tf.square(xs[0]);
        const c = tf.scalar(n, 'float32');
        return this.reversed ? fn(c, xs[0]) : fn(xs[0], c);
      }
      const x = single(inputs);
      // Note [pow by 2]
      if (this.op === 'pow' && this.scalar === 2 && !this.reversed) return tf.square(x);
      const c: tf.Tensor|number = this.scalar != null ? this.scalar : this.constant!.read();
      return this.reversed ? fn(c, x) : fn(x, c);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      op: this.op, scalar: toJsonNumber(this.scalar), constantShape: this.constantShape, reversed: this.reversed,
      ...(this.scalarExpr != null ?
          {scalarExpr: this.scalarExpr as unknown as tf.serialization.ConfigDictValue} : {}),
      ...super.getConfig(),
    };
  }
}

// ---- where -----------------------------------------------------------------------------------

export interface TorchWhereArgs extends TorchLayerArgs {
  /**
   * torch.where(cond, x, y) (and masked_fill, which is one): x where cond is nonzero, y where it
   * is 0, broadcast as PyTorch broadcasts. The inputs are [cond, x, y], leaving out x or y where
   * it is a number given here instead.
   */
  x?: number|null;
  y?: number|null;
}

export class TorchWhere extends TorchLayer {
  static className = 'TorchWhere';
  readonly x: number|null;
  readonly y: number|null;

  constructor(args: TorchWhereArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.where';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    this.x = num(op, 'x', args.x, null);
    this.y = num(op, 'y', args.y, null);
  }

  private get arity(): number {
    return 1 + (this.x == null ? 1 : 0) + (this.y == null ? 1 : 0);
  }

  private shapes(inputShape: Shape|Shape[]): Shape[] {
    const shapes = this.arity === 1 ? [singleShape(inputShape)] : inputShape as Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== this.arity) {
      fail('layers.where', `takes ${this.arity} input(s) (cond${this.x == null ? ', x' : ''}${
          this.y == null ? ', y' : ''}), got ${show(inputShape)}`);
    }
    return shapes;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    return this.shapes(inputShape).reduce((a, b) => broadcastShapes('layers.where', a, b));
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    if (xs.length !== this.arity) {
      fail('layers.where', `takes ${this.arity} input(s), got ${xs.length}`);
    }
    return tf.tidy(() => {
      let k = 1;
      const cond = xs[0];
      const x = this.x == null ? xs[k++] : tf.scalar(this.x);
      const y = this.y == null ? xs[k++] : tf.scalar(this.y);
      const shape = [cond.shape as Shape, x.shape as Shape, y.shape as Shape].reduce(
          (a, b) => broadcastShapes('layers.where', a, b)) as number[];
      const b = (t: tf.Tensor) => t.shape.length === shape.length &&
          t.shape.every((d, i) => d === shape[i]) ? t : tf.broadcastTo(t, shape);
      return tf.where(tf.notEqual(b(cond), 0), b(tf.cast(x, 'float32')), b(tf.cast(y, 'float32')));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {x: toJsonNumber(this.x), y: toJsonNumber(this.y), ...super.getConfig()};
  }
}

// ---- reductions -------------------------------------------------------------------------------

export type TorchReduceOp = 'mean'|'sum'|'max'|'min';
const REDUCE: TorchReduceOp[] = ['mean', 'sum', 'max', 'min'];

export interface TorchReduceArgs extends TorchLayerArgs {
  /** torch.mean / sum / amax / amin. */
  op: TorchReduceOp;
  /** Axes of the tfjs tensor (never 0, the batch). */
  axis: number[];
  keepDims?: boolean;
}

export class TorchReduce extends TorchLayer {
  static className = 'TorchReduce';
  readonly op: TorchReduceOp;
  readonly axis: number[];
  readonly keepDims: boolean;

  constructor(args: TorchReduceArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.reduce';
    if (args == null || typeof args !== 'object') fail(op, `a config object is required, got ${show(args)}`);
    if (!REDUCE.includes(args.op)) {
      fail(op, `argument 'op' must be one of ${REDUCE.join(', ')}, got ${show(args.op)}`);
    }
    check(Array.isArray(args.axis) && args.axis.length > 0 &&
              args.axis.every((a) => Number.isInteger(a) && a >= 1), op,
          () => `argument 'axis' must be a non-empty array of axes >= 1 (0 is the batch), got ${
              show(args.axis)}`);
    this.op = args.op;
    this.axis = args.axis.slice();
    this.keepDims = args.keepDims === true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = singleShape(inputShape);
    for (const a of this.axis) {
      if (a >= shape.length) fail('layers.reduce', `axis ${a} is out of range for shape ${show(shape)}`);
    }
    return this.keepDims ? shape.map((d, i) => this.axis.includes(i) ? 1 : d) :
                           shape.filter((_, i) => !this.axis.includes(i));
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    const fns = {mean: tf.mean, sum: tf.sum, max: tf.max, min: tf.min};
    return fns[this.op](x, this.axis, this.keepDims);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {op: this.op, axis: this.axis, keepDims: this.keepDims, ...super.getConfig()};
  }
}

// ---- slices -----------------------------------------------------------------------------------

export interface TorchSliceArgs extends TorchLayerArgs {
  /**
   * Start of the slice in every dim after the batch: integers, or shape expressions over the
   * shapes of the layer's inputs (Note [shape expressions are data]); the inputs after the first
   * only lend their shapes to the expressions.
   */
  begin: Array<number|ShapeExpr>;
  /** Its size in every dim after the batch (-1: to the end), integers or shape expressions. */
  size: Array<number|ShapeExpr>;
  /**
   * [begin, size] in dim 0 where the slice cuts it: a tensor inside the model whose dim 0 is not
   * the batch (Note [dim 0 inside a model] in shape_layers.ts). Default: all of dim 0.
   */
  batch?: [number|ShapeExpr, number|ShapeExpr];
  /**
   * The step of the slice in every dim after the batch (PyTorch's x[a:b:step]), integers >= 1,
   * one per entry of 'begin'; 'size' then counts the elements taken (ceil((end - begin) / step)),
   * -1 all to the end. Default: 1 everywhere (a plain tf.slice).
   */
  strides?: number[];
}

const MAX_SLICE_STRIDE = 2 ** 31 - 1;

export class TorchSlice extends TorchLayer {
  static className = 'TorchSlice';
  readonly begin: Array<number|ShapeExpr>;
  readonly size: Array<number|ShapeExpr>;
  /** The step in every dim after the batch, or null where every step is 1. */
  readonly strides: number[]|null;

  constructor(args: TorchSliceArgs) {
    super(baseArgs(args ?? {}));
    const op = 'layers.slice';
    checkLayerArgs(op, args, ['begin', 'size', 'batch', 'strides']);
    const {begin, size} = args;
    const ok = (v: unknown, min: number) => isExpr(v) || (Number.isInteger(v) && (v as number) >= min);
    check(Array.isArray(begin) && begin.length <= 8 && begin.every((b) => ok(b, 0)), op,
          () => `argument 'begin' must be an array of integers >= 0 or shape expressions, got ${show(begin)}`);
    check(Array.isArray(size) && size.length === begin.length &&
              size.every((s) => isExpr(s) || ok(s, 0) || s === -1), op,
          () => `argument 'size' must be an array of integers >= 0 or -1 or shape expressions, ${
              ''}one per entry of 'begin', got ${show(size)}`);
    this.begin = begin.map((b, i) => isExpr(b) ? parseExpr(op, `begin[${i}]`, b) : b);
    this.size = size.map((b, i) => isExpr(b) ? parseExpr(op, `size[${i}]`, b) : b);
    const batch = args.batch;
    if (batch != null) {
      check(Array.isArray(batch) && batch.length === 2 && ok(batch[0], 0) && ok(batch[1], 0), op,
            () => `argument 'batch' must be [begin, size] (integers >= 0 or shape expressions), ${
                ''}got ${show(batch)}`);
      this.batch = batch.map((b, i) => isExpr(b) ? parseExpr(op, `batch[${i}]`, b) : b) as
          [number|ShapeExpr, number|ShapeExpr];
    } else {
      this.batch = null;
    }
    const strides = args.strides;
    if (strides != null) {
      check(Array.isArray(strides) && strides.length === begin.length &&
                strides.every((v) => Number.isInteger(v) && v >= 1 && v <= MAX_SLICE_STRIDE), op,
            () => `argument 'strides' must be an array of integers >= 1 (at most ${MAX_SLICE_STRIDE}), ${
                ''}one per entry of 'begin', got ${show(strides)}`);
      this.strides = strides.every((v) => v === 1) ? null : strides.slice();
    } else {
      this.strides = null;
    }
  }

  /** The step in dim i + 1. */
  private stride(i: number): number {
    return this.strides == null ? 1 : this.strides[i];
  }

  /** The elements a slice of `size` (-1: to the end) at `b` with step `st` spans in a dim of d. */
  private static span(b: number, size: number, st: number, d: number): number {
    if (size === -1) return d - b;
    return size === 0 ? 0 : (size - 1) * st + 1;
  }

  readonly batch: [number|ShapeExpr, number|ShapeExpr]|null;

  private resolve(shapes: Shape[]): {begin: Array<number|null>, size: Array<number|null>} {
    return {begin: evalSizes('layers.slice', this.begin, shapes),
            size: evalSizes('layers.slice', this.size, shapes)};
  }

  /** [begin, size] in dim 0, or null (all of it). */
  private batchSlice(shapes: Shape[], now: boolean): Array<number|null>|null {
    if (this.batch == null) return null;
    const v = now ? evalSizesNow('layers.slice', 'batch', this.batch, shapes, 0) :
                    evalSizes('layers.slice', this.batch, shapes);
    const d = shapes[0][0];
    if (d != null && v[0] != null && v[1] != null && v[0] + v[1] > d) {
      fail('layers.slice', `slice of dim 0 at ${v[0]} of size ${v[1]} exceeds the input shape ${
          ''}${show(shapes[0])} (layer '${this.name}')`);
    }
    return v;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shapes = shapesOf(inputShape);
    const shape = shapes[0];
    if (shape.length !== this.begin.length + 1) {
      fail('layers.slice', `input of shape ${show(shape)} needs ${shape.length - 1} entries in ${
          ''}'begin' and 'size', got ${this.begin.length}`);
    }
    const {begin, size} = this.resolve(shapes);
    const b0 = this.batchSlice(shapes, false);
    return [b0 == null ? shape[0] : b0[1], ...size.map((s, i) => {
      const d = shape[i + 1];
      const b = begin[i];
      const st = this.stride(i);
      if (d != null && b != null && s != null && b + (s === -1 ? 0 : TorchSlice.span(b, s, st, d)) > d) {
        fail('layers.slice', `slice begin ${show(begin)} size ${show(size)}${this.stridesText()} ${
            ''}exceeds the input shape ${show(shape)}`);
      }
      if (s == null) return null;
      return s === -1 ? (d == null || b == null ? null : Math.ceil((d - b) / st)) : s;
    })];
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const x = xs[0];
    const shapes = xs.map((t) => t.shape);
    const begin = evalSizesNow('layers.slice', 'begin', this.begin, shapes, 0);
    const size = evalSizesNow('layers.slice', 'size', this.size, shapes, -1);
    size.forEach((s, i) => {
      const d = x.shape[i + 1];
      if (begin[i] + (s === -1 ? 0 : TorchSlice.span(begin[i], s, this.stride(i), d)) > d) {
        fail('layers.slice', `slice begin ${show(begin)} size ${show(size)}${this.stridesText()} ${
            ''}exceeds the input shape ${show(x.shape)} (layer '${this.name}')`);
      }
    });
    const b0 = this.batchSlice(shapes, true);
    const begin0 = b0 == null ? 0 : b0[0] as number;
    const size0 = b0 == null ? -1 : b0[1] as number;
    // An empty result is made here, not by tfjs: tfjs-backend-webgpu's Slice gives an empty
    // result a plain [] as its values, and a later slice of that tensor, which the backend then
    // runs on the CPU, calls [].subarray (HAT's shifted-window mask at a one-window height
    // slices an empty region again). tf.zeros of an empty shape holds a typed array.
    const outShape = [size0 === -1 ? x.shape[0] - begin0 : size0, ...size.map((s, i) =>
      s === -1 ? Math.ceil((x.shape[i + 1] - begin[i]) / this.stride(i)) : s)];
    if (outShape.some((d) => d === 0)) return tf.zeros(outShape, x.dtype);
    if (this.strides == null) return tf.slice(x, [begin0, ...begin], [size0, ...size]);
    // A step somewhere: tf.stridedSlice over [begin, end) with end just past the last element
    // taken, so that no clamping of tf's is relied on.
    const end = size.map((s, i) => begin[i] + TorchSlice.span(begin[i], s, this.stride(i), x.shape[i + 1]));
    return tf.stridedSlice(x, [begin0, ...begin], [size0 === -1 ? x.shape[0] : begin0 + size0, ...end],
                           [1, ...this.strides]);
  }

  private stridesText(): string {
    return this.strides == null ? '' : ` strides ${show(this.strides)}`;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {begin: this.begin as unknown as tf.serialization.ConfigDictValue,
            size: this.size as unknown as tf.serialization.ConfigDictValue,
            ...(this.batch != null ? {batch: this.batch as unknown as tf.serialization.ConfigDictValue} : {}),
            ...(this.strides != null ? {strides: this.strides} : {}),
            ...super.getConfig()};
  }
}
