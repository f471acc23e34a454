// Attention vocabulary for exported transformers: torch.matmul (mm, bmm, baddbmm's product),
// torch.einsum's two-operand patterns, and F.scaled_dot_product_attention. These layers take and
// return tensors in PyTorch's own dim order (the exporter hands them tensors in that order): they
// have no dataFormat, and dim 0 is an ordinary dim to them (it need not stay the batch; SwinIR's
// windows fold into it).
//
// Note [attention as a composition]
// Everything here is tfjs's BatchMatMul, elementwise ops and reductions: tf.matMul accumulates in
// float32 on every backend (as PyTorch's CPU kernel does), and the softmax subtracts the row
// maximum before exp, so a composition loses nothing against PyTorch at 1e-4, and a fused kernel
// would save only the score tensor's round trip. No kernel of our own, then; one function per
// rule (matmul's broadcasting, the causal and boolean masks, the safe softmax), used by the layers.
import * as tf from '@tensorflow/tfjs-core';
import {getKernel} from '@tensorflow/tfjs-core';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {check, fail, show} from '../util/args.js';
import {BatchMatMul} from '../kernel_names.js';
import {capabilitiesOf} from '../util/capabilities.js';
import {TorchLayer} from './base.js';
import {broadcastTo, repeatEach} from './indexing.js';
import {baseArgs, bool, checkLayerArgs, checkOutputShape, checkWeightShape, numberArg, resolveInitializer, type Shape, type TorchLayerArgs} from './common.js';

// ---- shapes ---------------------------------------------------------------------------------

/** PyTorch's broadcast of two shapes (null: unknown until run time). */
export function broadcastShape(op: string, a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const da = i - rank + a.length >= 0 ? a[i - rank + a.length] : 1;
    const db = i - rank + b.length >= 0 ? b[i - rank + b.length] : 1;
    if (da === 1) out.push(db);
    else if (db === 1 || db === da) out.push(da);
    else if (da == null || db == null) out.push(da ?? db);
    else fail(op, `shapes ${show(a)} and ${show(b)} do not broadcast`);
  }
  return out;
}

function sameShape(a: readonly (number|null)[], b: readonly (number|null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** torch.matmul's output shape (Note [matmul's broadcasting]). */
export function matmulShape(op: string, a: Shape, b: Shape): Shape {
  if (a.length < 1 || b.length < 1) {
    fail(op, `both operands need rank >= 1, got shapes ${show(a)} and ${show(b)}`);
  }
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const k1 = a2[a2.length - 1];
  const k2 = b2[b2.length - 2];
  if (k1 != null && k2 != null && k1 !== k2) {
    fail(op, `shapes ${show(a)} and ${show(b)} cannot be multiplied (${k1} != ${k2})`);
  }
  const batch = broadcastShape(op, a2.slice(0, -2), b2.slice(0, -2));
  const out: Shape = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

// Note [matmul's broadcasting]
// torch.matmul: a 1-D operand is a row (left) or a column (right) vector whose unit dim is
// dropped from the result; the dims before the last two broadcast as elementwise ops do. A right
// operand without batch dims (a Linear-like product) folds the left's batch into its rows, one
// 2-D product, no copy; otherwise operands whose batch dims differ from the broadcast ones are
// tiled (tf.broadcastTo) and both go through one rank-3 BatchMatMul, which every backend has.
/** torch.matmul(a, b) on tfjs tensors (float32). */
export function matmul(op: string, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const outShape = matmulShape(op, a.shape, b.shape) as number[];
  checkOutputShape(op, 'matmul', outShape);
  return tf.tidy(() => {
    const a2 = a.rank === 1 ? tf.reshape(a, [1, a.shape[0]]) : a;
    const b2 = b.rank === 1 ? tf.reshape(b, [b.shape[0], 1]) : b;
    const [m, k] = a2.shape.slice(-2);
    const n = b2.shape[b2.rank - 1];
    let y: tf.Tensor;
    if (capabilitiesOf(tf.getBackend()).broadcastMatMul === true && a2.rank === b2.rank &&
        sameShape(a2.shape.slice(0, -2), b2.shape.slice(0, -2))) {
      // Note [products without reshapes on tensorflow]
      // On tfjs-node every tfjs kernel is one eager TensorFlow op, a reshape included (about
      // 25 us each; 362 of the 874 kernels of SAM's mask decoder were reshapes), and its
      // BatchMatMul is TensorFlow's BatchMatMulV2, which takes operands of any rank >= 2 as they
      // are. Operands with the same batch dims go to it unchanged: one op where the fold below
      // takes four (SAM's attention
      // products, [1, 8, 7, 16] @ [1, 8, 16, 4096]). Broadcast batch dims keep the fold: tfjs's
      // BatchMatMul gradient does not sum a broadcast operand's gradient back to its shape.
      y = tf.matMul(a2, b2);
    } else if (b2.rank === 2) {
      y = tf.matMul(tf.reshape(a2, [-1, k]), b2 as tf.Tensor2D);
    } else {
      const batch = broadcastShape(op, a2.shape.slice(0, -2), b2.shape.slice(0, -2)) as number[];
      const size = batch.reduce((p, d) => p * d, 1);
      const fit = (t: tf.Tensor, rows: number, cols: number): tf.Tensor3D => {
        const full = sameShape(t.shape.slice(0, -2), batch) ? t : broadcastTo(t, [...batch, rows, cols]);
        return tf.reshape(full, [size, rows, cols]);
      };
      const a3 = fit(a2, m, k);
      const b3 = fit(b2, k, n);
      // Note [batched products of our own]
      // tfjs's BatchMatMul runs a batch of more than one product through a plain loop on cpu
      // (JavaScript) and wasm (C; XNNPACK only for a batch of one): attention's per-head products
      // ([8, 7, 16] @ [8, 16, 4096] in SAM's mask decoder) took about 20 ms each there, 24% of
      // that decoder's time. Where the backend has tfjs-torch's TorchBatchMatMul (cpu and wasm:
      // each product on the convTranspose kernels' SIMD matrix product), a batch goes to it:
      // CPU time per call with fresh operands on wasm, against tfjs's, [8, 7, 16] @ [8, 16, 4096]
      // 0.43x, [8, 4096, 16] @ [8, 16, 7] 0.17x, [2, 1024, 64] @ [2, 64, 1024] 0.02x, [384, 49,
      // 32] @ [384, 32, 49] 0.24x. A single product stays tfjs's (XNNPACK's on wasm: [1, 4, 32] @
      // [1, 32, 65536] was 1.3x on ours). Same float32 sums per output element.
      y = size > 1 && getKernel(BatchMatMul, tf.getBackend()) != null ?
          tf.engine().runKernel(BatchMatMul, {a: a3, b: b3}) as tf.Tensor :
          tf.matMul(a3, b3);
    }
    return sameShape(y.shape, outShape) ? y : tf.reshape(y, outShape);
  });
}

// ---- matmul layer ---------------------------------------------------------------------------

export interface MatMulArgs extends TorchLayerArgs {
  /**
   * Shape of a stored operand (the layer's non-trainable-by-default weight 'constant', a
   * parameter the product reads): the layer then takes one input. Absent: two inputs [a, b].
   */
  constantShape?: number[]|null;
  /** With constantShape: the stored operand is the left one (constant @ x) instead of x @ constant. */
  constantFirst?: boolean;
}

const MATMUL_KEYS = ['constantShape', 'constantFirst'];

/**
 * torch.matmul / mm / bmm (and the product of addmm / baddbmm): PyTorch's broadcasting, 1-D
 * operands included. Inputs [a, b], or one input with a stored operand (constantShape).
 */
export class TorchMatMul extends TorchLayer {
  static className = 'TorchMatMul';
  readonly constantShape: number[]|null;
  readonly constantFirst: boolean;
  constant: LayerVariable|null = null;

  constructor(args: MatMulArgs) {
    const op = 'layers.matmul';
    checkLayerArgs(op, args, MATMUL_KEYS);
    super(baseArgs(args));
    const cs = args.constantShape ?? null;
    if (cs != null) {
      check(Array.isArray(cs) && cs.length >= 1 && cs.every((d) => Number.isInteger(d) && d >= 1),
            op, () => `argument 'constantShape' must be an array of integers >= 1, got ${show(cs)}`);
      checkWeightShape(op, this.name, cs);
    }
    this.constantShape = cs == null ? null : cs.slice();
    this.constantFirst = bool(op, 'constantFirst', args.constantFirst, false);
  }

  override build(_inputShape: Shape|Shape[]): void {
    if (this.constantShape != null && this.constant == null) {
      this.constant = this.addWeight('constant', this.constantShape, 'float32',
                                     resolveInitializer('layers.matmul', 'constant', 'zeros'));
    }
    this.built = true;
  }

  private operands(inputs: Shape[]|tf.Tensor[]): [unknown, unknown] {
    const op = 'layers.matmul';
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (this.constantShape == null) {
      if (list.length !== 2) fail(op, `takes two inputs [a, b], got ${list.length}`);
      return [list[0], list[1]];
    }
    if (list.length !== 1) fail(op, `with 'constantShape' takes one input, got ${list.length}`);
    return [list[0], null];
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const [a, b] = this.operands(shapes) as [Shape, Shape|null];
    const c = this.constantShape;
    const shape = c == null ? matmulShape('layers.matmul', a, b!) :
        this.constantFirst ? matmulShape('layers.matmul', c, a) :
                             matmulShape('layers.matmul', a, c);
    checkOutputShape('layers.matmul', this.name, shape);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const [a, b] = this.operands(xs) as [tf.Tensor, tf.Tensor|null];
    return tf.tidy(() => {
      if (this.constantShape == null) return matmul('layers.matmul', a, b!);
      const c = this.constant!.read();
      return this.constantFirst ? matmul('layers.matmul', c, a) : matmul('layers.matmul', a, c);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {constantShape: this.constantShape, constantFirst: this.constantFirst,
            ...super.getConfig()};
  }
}

// ---- linear ----------------------------------------------------------------------------------

// Note [a linear layer of our own]
// nn.Linear on [..., K] was tfjs-layers' Dense, which on an input of rank 3 or more runs a
// reshape to 2-D, an identity transpose and a reshape of its kernel, tfjs's fused matMul (a
// reshape of each operand to rank 3, the product, the bias Add, a reshape back) and a reshape to
// the input's rank: nine kernels. Each is a memory view on cpu, wasm and the GPU backends, but an
// eager TensorFlow op on tfjs-node (about 25 us each plus tfjs's bookkeeping): SAM's mask decoder
// has 47 Linears, 0.3 ms each of such ops, a tenth of its time there. TorchLinear is the same
// product and weights (kernel [K, N], PyTorch's weight transposed, as Dense holds it; bias [N])
// in the fewest kernels each backend allows: where BatchMatMul broadcasts a rank-2 right operand
// over the left one's batch dims (tensorflow: BatchMatMulV2), the product and the bias Add, two
// ops; elsewhere the reshape to 2-D, tfjs's fused matMul with the bias (one kernel on wasm's
// XNNPACK, cpu and the GPU backends) and the reshape back. Same float32 sums either way.
// Gradients: tfjs's BatchMatMul gradient leaves a broadcast operand's gradient at the broadcast
// shape, so the broadcast product has its own (dx = dy @ kernel^T; dkernel = x^T @ dy and dbias
// = the sum of dy, both over every row).

function linearBroadcast(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor|null): tf.Tensor {
  const [k, n] = kernel.shape;
  const rows = (t: tf.Tensor, cols: number) => tf.reshape(t, [-1, cols]);
  if (bias == null) {
    const f = tf.customGrad(((a: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
      save([a, w]);
      return {value: tf.matMul(a, w),
              gradFunc: (dy: tf.Tensor, [sa, sw]: tf.Tensor[]) =>
                  [tf.matMul(dy, sw, false, true), tf.matMul(rows(sa, k), rows(dy, n), true, false)]};
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, kernel);
  }
  const f = tf.customGrad(((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a, w]);
    return {value: tf.add(tf.matMul(a, w), b),
            gradFunc: (dy: tf.Tensor, [sa, sw]: tf.Tensor[]) => {
              const dy2 = rows(dy, n);
              return [tf.matMul(dy, sw, false, true), tf.matMul(rows(sa, k), dy2, true, false),
                      tf.sum(dy2, 0)];
            }};
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, kernel, bias);
}

/**
 * F.linear(x, weight, bias) with the weight held transposed (kernel = weight^T, [K, N]) over the
 * last dim of x [..., K] (Note [a linear layer of our own]).
 */
export function linear(op: string, x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor|null): tf.Tensor {
  if (x.rank < 1) fail(op, `the input needs rank >= 1, got a scalar`);
  const [k, n] = kernel.shape;
  if (x.shape[x.rank - 1] !== k) {
    fail(op, `the input's last dim is ${x.shape[x.rank - 1]} (shape ${show(x.shape)}), the layer's ${
        ''}kernel takes ${k}`);
  }
  const outShape = [...x.shape.slice(0, -1), n];
  checkOutputShape(op, 'linear', outShape);
  return tf.tidy(() => {
    if (x.rank >= 2 && capabilitiesOf(tf.getBackend()).broadcastMatMul === true) {
      return x.rank === 2 ? (bias == null ? tf.matMul(x, kernel) : tf.add(tf.matMul(x, kernel), bias)) :
                            linearBroadcast(x, kernel, bias);
    }
    const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, k]);
    const y = tf.fused.matMul({a: x2 as tf.Tensor2D, b: kernel as tf.Tensor2D, bias: bias ?? undefined});
    return x.rank === 2 ? y : tf.reshape(y, outShape);
  });
}

export interface LinearArgs extends TorchLayerArgs {
  /** out_features: the size of the output's last dim. */
  units: number;
  /** Whether the layer adds a bias (PyTorch's bias=True; default true). */
  useBias?: boolean;
}

/**
 * nn.Linear / F.linear over the last dim of any rank: x @ kernel + bias, with kernel [in, units]
 * (PyTorch's weight transposed, as tfjs-layers' Dense holds it) and bias [units]; PyTorch's
 * default init (uniform on +-1/sqrt(in)). Note [a linear layer of our own].
 */
export class TorchLinear extends TorchLayer {
  static className = 'TorchLinear';
  readonly units: number;
  readonly useBias: boolean;
  kernel: LayerVariable|null = null;
  bias: LayerVariable|null = null;

  constructor(args: LinearArgs) {
    const op = 'layers.linear';
    checkLayerArgs(op, args, ['units', 'useBias']);
    super(baseArgs(args));
    const units = args.units;
    check(Number.isInteger(units) && units >= 1, op,
          () => `argument 'units' must be an integer >= 1, got ${show(units)}`);
    this.units = units;
    this.useBias = bool(op, 'useBias', args.useBias, true);
  }

  private inFeatures(shape: Shape): number|null {
    const op = 'layers.linear';
    if (shape.length < 1) fail(op, `the input needs rank >= 1, got shape ${show(shape)}`);
    const k = shape[shape.length - 1];
    const built = this.kernel?.shape[0];
    if (k != null && built != null && k !== built) {
      fail(op, `the input's last dim is ${k} (shape ${show(shape)}), the layer's kernel takes ${built}`);
    }
    return k;
  }

  override build(inputShape: Shape|Shape[]): void {
    const op = 'layers.linear';
    const shape = (Array.isArray(inputShape[0]) ? (inputShape as Shape[])[0] : inputShape) as Shape;
    const k = this.inFeatures(shape);
    if (k == null) fail(op, `the input's last dim must be known to build the layer, got shape ${show(shape)}`);
    checkWeightShape(op, this.name, [k, this.units]);
    if (this.kernel == null) {
      // PyTorch's Linear.reset_parameters: kaiming_uniform_(a = sqrt(5)) on the weight and the
      // bias uniform on the same +-1 / sqrt(in_features).
      const bound = 1 / Math.sqrt(k);
      const uniform = () => resolveInitializer(
          op, 'kernel', {className: 'RandomUniform', config: {minval: -bound, maxval: bound}});
      this.kernel = this.addWeight('kernel', [k, this.units], 'float32', uniform(), undefined, true);
      if (this.useBias) {
        this.bias = this.addWeight('bias', [this.units], 'float32', uniform(), undefined, true);
      }
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? (inputShape as Shape[])[0] : inputShape) as Shape;
    this.inFeatures(shape);
    const out = [...shape.slice(0, -1), this.units];
    checkOutputShape('layers.linear', this.name, out);
    return out;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    if (xs.length !== 1) fail('layers.linear', `takes one input, got ${xs.length}`);
    return linear('layers.linear', xs[0], this.kernel!.read(), this.bias == null ? null : this.bias.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {units: this.units, useBias: this.useBias, ...super.getConfig()};
  }
}

// ---- einsum ---------------------------------------------------------------------------------

// Note [einsum as one matmul]
// A two-operand einsum without repeated letters inside an operand is one batched matmul: the
// letters in both operands and the output are batch dims, those in both operands only are summed
// (the K of the product), those in one operand and the output are its free dims (M or N), and
// those in one operand only are summed out of it first. Each operand is permuted to
// [batch, free, summed] / [batch, summed, free], its free and summed dims flattened, multiplied
// with matmul's broadcasting (batch dims of size 1 broadcast), then unflattened and permuted to
// the output's order. tf.einsum instead multiplies the broadcast operands elementwise and sums,
// which for attention materializes a [B, H, L, S, E] tensor.

interface EinsumPlan {
  inputs: string[][];   // letters of each operand ('...' expanded to upper-case-free markers)
  output: string[];
}

const ELLIPSIS_LETTERS = '0123456789'.split('');

function parseEinsum(op: string, equation: unknown, count: number): {inputs: string[], output: string|null} {
  if (typeof equation !== 'string' || equation.length === 0 || equation.length > 200) {
    fail(op, `argument 'equation' must be a non-empty string (at most 200 characters), got ${
        show(equation)}`);
  }
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs, more] = eq.split('->');
  if (more !== undefined) fail(op, `equation ${show(equation)} has more than one '->'`);
  const inputs = lhs.split(',');
  if (inputs.length !== count) {
    fail(op, `equation ${show(equation)} has ${inputs.length} operand(s); the layer takes ${
        count === 1 ? 'one input' : 'two inputs'}`);
  }
  const valid = /^(?:[a-zA-Z]|\.\.\.)*$/;
  for (const s of [...inputs, ...(rhs === undefined ? [] : [rhs])]) {
    if (!valid.test(s)) {
      fail(op, `equation ${show(equation)}: each term holds letters a-z, A-Z and at most one '...'`);
    }
    if (s.split('...').length > 2) fail(op, `equation ${show(equation)}: '...' twice in one term`);
  }
  return {inputs, output: rhs === undefined ? null : rhs};
}

/** The letters of each term with '...' replaced by one marker per broadcast dim. */
function planEinsum(op: string, equation: string, ranks: number[]): EinsumPlan {
  const {inputs, output} = parseEinsum(op, equation, ranks.length);
  let ellipsisRank = 0;
  const terms = inputs.map((s, i) => {
    const letters = s.replace('...', '').split('');
    const hasEllipsis = s.includes('...');
    const extra = ranks[i] - letters.length;
    if (extra < 0 || (!hasEllipsis && extra !== 0)) {
      fail(op, `equation ${show(equation)}: operand ${i} has rank ${ranks[i]}, the term '${s}' ${
          ''}names ${letters.length} dims`);
    }
    if (hasEllipsis) ellipsisRank = Math.max(ellipsisRank, extra);
    return {s, letters, hasEllipsis, extra};
  });
  if (ellipsisRank > ELLIPSIS_LETTERS.length) fail(op, `'...' covers too many dims`);
  const expand = (s: string, extra: number) => {
    const [pre, post] = s.includes('...') ? s.split('...') : [s, ''];
    const dots = ELLIPSIS_LETTERS.slice(ellipsisRank - extra, ellipsisRank);
    return [...pre.split('').filter(Boolean), ...(s.includes('...') ? dots : []),
            ...post.split('').filter(Boolean)];
  };
  const expanded = terms.map((t) => expand(t.s, t.extra));
  for (let i = 0; i < expanded.length; i++) {
    if (new Set(expanded[i]).size !== expanded[i].length) {
      fail(op, `equation ${show(equation)}: a letter repeated inside operand ${i} (a diagonal) ${
          ''}is not supported`);
    }
  }
  let out: string[];
  if (output == null) {
    // Implicit output: the broadcast dims, then the letters seen once, alphabetically.
    const counts = new Map<string, number>();
    for (const t of expanded) for (const l of t) counts.set(l, (counts.get(l) ?? 0) + 1);
    out = [...ELLIPSIS_LETTERS.slice(0, ellipsisRank),
           ...[...counts].filter(([l, c]) => c === 1 && /[a-zA-Z]/.test(l)).map(([l]) => l).sort()];
  } else {
    if (output.includes('...') === false && ellipsisRank > 0 &&
        terms.some((t) => t.hasEllipsis && t.extra > 0)) {
      fail(op, `equation ${show(equation)}: the output must keep '...'`);
    }
    out = expand(output, ellipsisRank);
    if (new Set(out).size !== out.length) fail(op, `equation ${show(equation)}: a letter repeated in the output`);
    for (const l of out) {
      if (!expanded.some((t) => t.includes(l))) {
        fail(op, `equation ${show(equation)}: output letter '${l}' is in no operand`);
      }
    }
  }
  return {inputs: expanded, output: out};
}

/** Letter sizes (a 1 broadcasts against another size, as PyTorch's einsum allows). */
function letterSizes(op: string, equation: string, plan: EinsumPlan, shapes: Shape[]):
    Map<string, number|null> {
  const sizes = new Map<string, number|null>();
  plan.inputs.forEach((letters, i) => letters.forEach((l, j) => {
    const d = shapes[i][j];
    const prev = sizes.get(l);
    if (prev === undefined || prev === 1 || (prev === null && d != null && d !== 1)) {
      sizes.set(l, d);
    } else if (d != null && d !== 1 && d !== prev) {
      fail(op, `equation ${show(equation)}: '${l}' has size ${prev} and ${d} in the operands ${
          show(shapes)}`);
    }
  }));
  return sizes;
}

function permuteTo(x: tf.Tensor, from: string[], to: string[]): tf.Tensor {
  const perm = to.map((l) => from.indexOf(l));
  return perm.every((p, i) => p === i) ? x : tf.transpose(x, perm);
}

/** torch.einsum(equation, *operands) for one or two operands (Note [einsum as one matmul]). */
export function einsum(op: string, equation: string, operands: tf.Tensor[]): tf.Tensor {
  const plan = planEinsum(op, equation, operands.map((t) => t.rank));
  const sizes = letterSizes(op, equation, plan, operands.map((t) => t.shape));
  const outShape = plan.output.map((l) => sizes.get(l) as number);
  checkOutputShape(op, 'einsum', outShape);
  return tf.tidy(() => {
    // Letters of one operand that appear nowhere else are summed out first.
    const used = (l: string, i: number) => plan.output.includes(l) ||
        plan.inputs.some((t, j) => j !== i && t.includes(l));
    const xs = operands.map((x, i) => {
      const letters = plan.inputs[i];
      const axes = letters.map((l, j) => used(l, i) ? -1 : j).filter((j) => j >= 0);
      return {x: axes.length > 0 ? tf.sum(x, axes) : x, letters: letters.filter((l) => used(l, i))};
    });
    if (xs.length === 1) return permuteTo(xs[0].x, xs[0].letters, plan.output);
    const [A, B] = xs;
    const batch = plan.output.filter((l) => A.letters.includes(l) && B.letters.includes(l));
    const freeA = A.letters.filter((l) => !B.letters.includes(l));
    const freeB = B.letters.filter((l) => !A.letters.includes(l));
    const summed = A.letters.filter((l) => B.letters.includes(l) && !plan.output.includes(l));
    const dimsOf = (t: {x: tf.Tensor, letters: string[]}, ls: string[]) =>
        ls.map((l) => t.x.shape[t.letters.indexOf(l)]);
    const prod = (ds: number[]) => ds.reduce((p, d) => p * d, 1);
    for (const l of summed) {
      const da = A.x.shape[A.letters.indexOf(l)];
      const db = B.x.shape[B.letters.indexOf(l)];
      if (da !== db) fail(op, `equation ${show(equation)}: summed letter '${l}' has sizes ${da} and ${db}`);
    }
    const a = tf.reshape(permuteTo(A.x, A.letters, [...batch, ...freeA, ...summed]),
                         [...dimsOf(A, batch), prod(dimsOf(A, freeA)), prod(dimsOf(A, summed))]);
    const b = tf.reshape(permuteTo(B.x, B.letters, [...batch, ...summed, ...freeB]),
                         [...dimsOf(B, batch), prod(dimsOf(B, summed)), prod(dimsOf(B, freeB))]);
    const y = matmul(op, a, b);
    const yLetters = [...batch, ...freeA, ...freeB];
    const yShape = [...y.shape.slice(0, batch.length), ...dimsOf(A, freeA), ...dimsOf(B, freeB)];
    return permuteTo(tf.reshape(y, yShape), yLetters, plan.output);
  });
}

export interface EinsumArgs extends TorchLayerArgs {
  /** torch.einsum's equation ('bhqd,bhkd->bhqk'; '...' and the implicit output supported). */
  equation: string;
}

/** torch.einsum over one or two inputs, as batched matmuls (Note [einsum as one matmul]). */
export class TorchEinsum extends TorchLayer {
  static className = 'TorchEinsum';
  readonly equation: string;

  constructor(args: EinsumArgs) {
    const op = 'layers.einsum';
    checkLayerArgs(op, args, ['equation']);
    super(baseArgs(args));
    const count = typeof args.equation === 'string' && args.equation.split('->')[0].includes(',') ?
        2 : 1;
    parseEinsum(op, args.equation, count);
    this.equation = args.equation;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const op = 'layers.einsum';
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const plan = planEinsum(op, this.equation, shapes.map((s) => s.length));
    const sizes = letterSizes(op, this.equation, plan, shapes);
    const shape = plan.output.map((l) => sizes.get(l) ?? null);
    checkOutputShape(op, this.name, shape);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return einsum('layers.einsum', this.equation, Array.isArray(inputs) ? inputs : [inputs]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {equation: this.equation, ...super.getConfig()};
  }
}

// ---- scaled dot-product attention -----------------------------------------------------------

// Note [sdpa's masks and the safe softmax]
// F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p=0, is_causal, scale, enable_gqa)
// in PyTorch's math form: scores = q @ k^T * scale (scale defaults to 1 / sqrt(E), E = q's last
// dim); is_causal keeps key j for query i when j <= i (the upper-left aligned lower triangle of
// an L x S matrix); a boolean attn_mask keeps the keys where it is true, a float one is added to
// the scores; both broadcast against the scores [..., L, S]. is_causal with an attn_mask is an
// error, as in PyTorch. The softmax over the keys is PyTorch's _safe_softmax (torch >= 2.5): a
// row whose every score is -inf (a query with every key masked) gives zeros, not NaN (torch 2.0
// to 2.4 gave NaN there). enable_gqa
// repeats each key/value head for q's heads / k's heads query heads (repeat_interleave on dim -3).
// A score that is -inf in PyTorch is MASKED (-1e30) here (Note [masks without infinities]).
// Dropout is for training only and is not supported (dropout_p must be 0).

// A masked score: exp(MASKED - max) is 0 as exp(-inf) is for any score above -1e30 + 88, so a
// row that sees some key is what PyTorch computes. Not -inf, nor the lowest float32: tfjs 4.22's
// webgpu Softmax gives NaN for a row of only -3.4e38 (and 1/n for a row of only -1e30).
const MASKED = -1e30;

/**
 * Softmax over the last axis of scores in which the keys a query may not see hold MASKED, times
 * `alive`: 1 for a query that sees some key, 0 for one that sees none (PyTorch's _safe_softmax
 * gives zeros there; a dead row comes out uniform here and `alive` zeroes it).
 */
function maskedSoftmax(scores: tf.Tensor, alive: tf.Tensor|null): tf.Tensor {
  const p = tf.softmax(scores);
  // A choice, not a product: in half-float textures (webgl with WEBGL_RENDER_FLOAT32_ENABLED off)
  // MASKED becomes -inf, a dead row's softmax NaN, and NaN * 0 is NaN.
  return alive == null ? p : tf.where(tf.cast(tf.broadcastTo(alive, p.shape), 'bool'), p, tf.zerosLike(p));
}

export type AttentionMaskType = 'boolean'|'additive';

export interface SdpaOptions {
  scale?: number|null;
  isCausal?: boolean;
  enableGqa?: boolean;
  /** How a mask operand is read: 'boolean' keeps the keys where it is true (or non-zero). */
  maskType?: AttentionMaskType;
}

function sdpaShape(op: string, q: Shape, k: Shape, v: Shape, mask: Shape|null, enableGqa: boolean): Shape {
  for (const [n, s] of [['query', q], ['key', k], ['value', v]] as Array<[string, Shape]>) {
    if (s.length < 2) fail(op, `${n} must have rank >= 2 ([..., L or S, E]), got shape ${show(s)}`);
  }
  const e = q[q.length - 1];
  const ek = k[k.length - 1];
  if (e != null && ek != null && e !== ek) {
    fail(op, `query's and key's last dims must agree, got shapes ${show(q)} and ${show(k)}`);
  }
  const s1 = k[k.length - 2];
  const s2 = v[v.length - 2];
  if (s1 != null && s2 != null && s1 !== s2) {
    fail(op, `key and value must have the same length (dim -2), got shapes ${show(k)} and ${show(v)}`);
  }
  let kb = k.slice(0, -2);
  let vb = v.slice(0, -2);
  if (enableGqa) {
    const hq = q[q.length - 3];
    const hk = k[k.length - 3];
    const hv = v[v.length - 3];
    if (q.length < 3 || hq == null || hk == null || hv == null || hq % hk !== 0 || hq % hv !== 0) {
      fail(op, `enableGqa needs query heads (dim -3) divisible by key and value heads, got shapes ${
          show(q)}, ${show(k)}, ${show(v)}`);
    }
    kb = [...kb.slice(0, -1), hq];
    vb = [...vb.slice(0, -1), hq];
  }
  const batch = broadcastShape(op, broadcastShape(op, q.slice(0, -2), kb), vb);
  const scores = [...batch, q[q.length - 2], k[k.length - 2]];
  if (mask != null) broadcastShape(op, scores, mask);
  return [...batch, q[q.length - 2], v[v.length - 1]];
}

function repeatHeads(x: tf.Tensor, times: number): tf.Tensor {
  return times === 1 ? x : repeatEach(x, x.rank - 3, times);
}

/** F.scaled_dot_product_attention (Note [sdpa's masks and the safe softmax]). */
export function scaledDotProductAttention(
    op: string, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor|null,
    options: SdpaOptions = {}): tf.Tensor {
  const isCausal = options.isCausal === true;
  const enableGqa = options.enableGqa === true;
  if (isCausal && mask != null) fail(op, 'an attention mask cannot be given with isCausal');
  const outShape = sdpaShape(op, q.shape, k.shape, v.shape, mask?.shape ?? null, enableGqa);
  checkOutputShape(op, 'attention', outShape);
  return tf.tidy(() => {
    const e = q.shape[q.rank - 1];
    const scale = options.scale ?? 1 / Math.sqrt(e);
    let kk = k;
    let vv = v;
    if (enableGqa) {
      const hq = q.shape[q.rank - 3];
      kk = repeatHeads(k, hq / k.shape[k.rank - 3]);
      vv = repeatHeads(v, hq / v.shape[v.rank - 3]);
    }
    const kt = tf.transpose(kk, [...kk.shape.slice(0, -2).map((_, i) => i), kk.rank - 1, kk.rank - 2]);
    let scores = tf.mul(matmul(op, q, kt), scale);
    const [l, s] = scores.shape.slice(-2);
    // Note [masks without infinities]: tfjs's GPU backends do not carry -inf through every op
    // (webgl's max reduction starts from -1e20; webgpu's Softmax of a row of -inf is NaN), so a
    // masked score is MASKED and whether a query sees any key is read from the mask itself.
    let keep: tf.Tensor|null = null;
    let alive: tf.Tensor|null = null;
    if (isCausal) {
      keep = tf.cast(tf.linalg.bandPart(tf.ones([l, s]), -1, 0), 'bool');
      // Query i sees key 0 (any S >= 1), so every row lives.
    } else if (mask != null) {
      if (options.maskType === 'additive') {
        const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
        scores = tf.maximum(tf.add(scores, m), MASKED);
        // A row lives where its mask has a finite entry (a row of torch.finfo.min lives in
        // PyTorch, and comes out uniform).
        alive = tf.max(tf.cast(tf.logicalNot(tf.isInf(m)), 'float32'), -1, true);
      } else {
        keep = mask.dtype === 'bool' ? mask : tf.notEqual(mask, 0);
        alive = tf.max(tf.cast(keep, 'float32'), -1, true);
      }
    }
    if (keep != null) {
      const shape = broadcastShape(op, scores.shape, keep.shape) as number[];
      scores = tf.where(tf.broadcastTo(keep, shape), broadcastTo(scores, shape),
                        tf.fill(shape, MASKED));
    }
    return matmul(op, maskedSoftmax(scores, alive), vv);
  });
}

export interface ScaledDotProductAttentionArgs extends TorchLayerArgs {
  /** The score scale (PyTorch's scale=None: 1 / sqrt(E)). */
  scale?: number|null;
  isCausal?: boolean;
  enableGqa?: boolean;
  /**
   * How a fourth input (attn_mask) is read: 'boolean' (default: true or non-zero keeps the key,
   * as PyTorch's bool masks) or 'additive' (added to the scores, as PyTorch's float masks).
   */
  maskType?: AttentionMaskType;
  /** dropout_p: only 0 (inference) is supported; present so an exporter can say so. */
  dropout?: number;
  /**
   * Shape of a stored mask (the layer's weight 'mask', read as maskType says; a boolean one as
   * 0 / 1): the layer then takes [query, key, value] only.
   */
  maskShape?: number[]|null;
}

const SDPA_KEYS = ['scale', 'isCausal', 'enableGqa', 'maskType', 'dropout', 'maskShape'];

/**
 * F.scaled_dot_product_attention applied to [query, key, value] or [query, key, value, mask]
 * (Note [sdpa's masks and the safe softmax]).
 */
export class TorchScaledDotProductAttention extends TorchLayer {
  static className = 'TorchScaledDotProductAttention';
  readonly scale: number|null;
  readonly isCausal: boolean;
  readonly enableGqa: boolean;
  readonly maskType: AttentionMaskType;
  readonly maskShape: number[]|null;
  mask: LayerVariable|null = null;

  constructor(args: ScaledDotProductAttentionArgs) {
    const op = 'layers.scaledDotProductAttention';
    checkLayerArgs(op, args, SDPA_KEYS);
    super(baseArgs(args));
    this.scale = args.scale == null ? null : numberArg(op, 'scale', args.scale);
    this.isCausal = bool(op, 'isCausal', args.isCausal, false);
    this.enableGqa = bool(op, 'enableGqa', args.enableGqa, false);
    const mt = args.maskType ?? 'boolean';
    if (mt !== 'boolean' && mt !== 'additive') {
      fail(op, `argument 'maskType' must be one of boolean, additive, got ${show(mt)}`);
    }
    this.maskType = mt;
    const ms = args.maskShape ?? null;
    if (ms != null) {
      check(Array.isArray(ms) && ms.length >= 1 && ms.length <= 8 &&
                ms.every((d) => Number.isInteger(d) && d >= 1),
            op, () => `argument 'maskShape' must be an array of 1 to 8 integers >= 1, got ${show(ms)}`);
      if (this.isCausal) fail(op, 'an attention mask cannot be given with isCausal');
      checkWeightShape(op, this.name, ms);
    }
    this.maskShape = ms == null ? null : ms.slice();
    const dropout = args.dropout ?? 0;
    if (dropout !== 0) {
      fail(op, `argument 'dropout' must be 0 (attention dropout is for training and is not ${
          ''}supported), got ${show(dropout)}`);
    }
  }

  override build(_inputShape: Shape|Shape[]): void {
    if (this.maskShape != null && this.mask == null) {
      this.mask = this.addWeight('mask', this.maskShape, 'float32',
                                 resolveInitializer('layers.scaledDotProductAttention', 'mask', 'zeros'),
                                 undefined, false);
    }
    this.built = true;
  }

  private split<T>(inputs: T[]): [T, T, T, T|null] {
    const op = 'layers.scaledDotProductAttention';
    if (this.maskShape != null) {
      if (!Array.isArray(inputs) || inputs.length !== 3) {
        fail(op, `with a stored mask (maskShape) takes [query, key, value], got ${
            Array.isArray(inputs) ? `${inputs.length} inputs` : 'one input'}`);
      }
      return [inputs[0], inputs[1], inputs[2], null];
    }
    if (!Array.isArray(inputs) || (inputs.length !== 3 && inputs.length !== 4)) {
      fail(op, `takes [query, key, value] or [query, key, value, mask], got ${
          Array.isArray(inputs) ? `${inputs.length} inputs` : 'one input'}`);
    }
    if (inputs.length === 4 && this.isCausal) {
      fail(op, 'an attention mask cannot be given with isCausal');
    }
    return [inputs[0], inputs[1], inputs[2], inputs[3] ?? null];
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const op = 'layers.scaledDotProductAttention';
    const [q, k, v, m] = this.split(
        (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[]);
    const shape = sdpaShape(op, q, k, v, m ?? this.maskShape, this.enableGqa);
    checkOutputShape(op, this.name, shape);
    return shape;
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const [q, k, v, m] = this.split(Array.isArray(inputs) ? inputs : [inputs]);
    const mask = m ?? (this.mask == null ? null : this.mask.read());
    return scaledDotProductAttention('layers.scaledDotProductAttention', q, k, v, mask, {
      scale: this.scale, isCausal: this.isCausal, enableGqa: this.enableGqa,
      maskType: this.maskType,
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      scale: this.scale, isCausal: this.isCausal, enableGqa: this.enableGqa,
      maskType: this.maskType, maskShape: this.maskShape, ...super.getConfig(),
    };
  }
}
