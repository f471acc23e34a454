// TorchArgGather: table[argmin(x, -1)] (or argmax), the nearest-codebook-row lookup of a vector
// quantizer (diffusers' VQModel.decode, taming-transformers' VectorQuantizer / VectorQuantizer2),
// which the exporter writes for an argmin whose indices only look rows of a stored table up
// (python/tfjs_torch/ops/codebook.py, Note [argmin indices that only look up a table]).
//
// Note [PyTorch's argmin, composed]
// torch.argmin / argmax return, per row, the first index of the extreme value, and a NaN counts
// as the extreme (the row's first NaN wins). tfjs's argMin / argMax do not say which index wins
// a tie on each backend (the GPU backends reduce in passes), and skip NaN on cpu (`v < min` is
// false for a NaN). So the index is composed of ops whose results do not depend on the order in
// which a backend reduces:
//   key  = x with every NaN replaced by -Infinity (argmax: +Infinity), so a NaN is extreme;
//   m    = min(key) over the row (argmax: max), an exact value however it is reduced;
//   idx  = min over the row of (key == m ? j : K), an integer, the first j where key is m.
// Only a row holding both a NaN and a -Infinity (+Infinity for argmax) before it differs from
// PyTorch (it gives the infinity's index; PyTorch the NaN's): distances are never -Infinity.
// On webgl, whose min reduction starts from 1e20 (max from -1e20), a row whose entries are all
// 1e20 or more (argmax: all -1e20 or less) matches no j and takes index 0: PyTorch's answer for
// a row of +Infinity (equal values, the first wins), not for a row of finite values that large.
// The row indices are exact in float32 (K < 2^24); in webgl's float16 storage only up to 2048.
// Gradients: none for x (argmin is piecewise constant; PyTorch's embedding gives x none either);
// the table's is dy's rows summed into the rows they came from, as embedding's backward.
import * as tf from '@tensorflow/tfjs-core';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {check, fail, show} from '../util/args.js';
import {TorchLayer} from './base.js';
import {baseArgs, checkLayerArgs, checkOutputShape, checkWeightShape, oneOf, resolveInitializer,
        type Shape, single, singleShape, type TorchLayerArgs} from './common.js';

export type ArgGatherOp = 'argmin'|'argmax';

export interface ArgGatherArgs extends TorchLayerArgs {
  /** 'argmin' (default): the row of the smallest entry; 'argmax': of the largest. */
  op?: ArgGatherOp;
  /** The table's shape [K, ...rest] (the layer's weight 'table'); x's last dim must be K. */
  tableShape: number[];
}

const OWN_KEYS = ['op', 'tableShape'];
const LAYER = 'layers.argGather';

/** The first index of each row's extreme over the last dim, PyTorch's rules ([...] int32). */
export function argExtreme(x: tf.Tensor, op: ArgGatherOp): tf.Tensor {
  return tf.tidy(() => {
    const k = x.shape[x.rank - 1];
    const key = tf.where(tf.isNaN(x), tf.scalar(op === 'argmin' ? -Infinity : Infinity), x);
    const m = op === 'argmin' ? tf.min(key, -1, true) : tf.max(key, -1, true);
    const j = tf.range(0, k, 1, 'int32');
    const idx = tf.min(tf.where(tf.equal(key, m), j, tf.fill([k], k, 'int32')), -1);
    // A row where nothing equals m: tfjs's webgl min starts from 1e20 (max from -1e20), so for
    // a row of +Infinity (a distance that overflowed) m is 1e20; PyTorch's answer, the first of
    // equal values, is 0. No other backend (or row) gets here.
    return tf.where(tf.equal(idx, k), tf.zerosLike(idx), idx);
  });
}

/** table[idx]: rows of the table at int32 indices of any shape. */
function lookup(table: tf.Tensor, idx: tf.Tensor): tf.Tensor {
  const y = tf.gather(table, tf.reshape(idx, [-1]), 0);
  return tf.reshape(y, [...idx.shape, ...table.shape.slice(1)]);
}

/** table[argmin(x, -1)] (or argmax): PyTorch's first index on ties and its NaN rule. */
export class TorchArgGather extends TorchLayer {
  static className = 'TorchArgGather';
  readonly op: ArgGatherOp;
  readonly tableShape: number[];
  table: LayerVariable|null = null;

  constructor(args: ArgGatherArgs) {
    checkLayerArgs(LAYER, args, OWN_KEYS);
    super(baseArgs(args));
    this.op = oneOf(LAYER, 'op', args.op, ['argmin', 'argmax'] as const, 'argmin');
    const ts = args.tableShape;
    check(Array.isArray(ts) && ts.length >= 1 &&
              ts.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1),
          LAYER, () => `argument 'tableShape' must be an array of integers >= 1, got ${show(ts)}`);
    check(ts[0] < 2 ** 24, LAYER,
          () => `argument 'tableShape' has ${ts[0]} rows; at most 2^24 - 1 (float32 row indices)`);
    checkWeightShape(LAYER, this.name, ts);
    this.tableShape = ts.slice();
  }

  override build(inputShape: Shape|Shape[]): void {
    this.checkInput(singleShape(inputShape));   // before the weight is made
    if (this.table == null) {
      this.table = this.addWeight('table', this.tableShape, 'float32',
                                  resolveInitializer(LAYER, 'table', 'zeros'));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const s = singleShape(inputShape);
    this.checkInput(s);
    const shape = [...s.slice(0, -1), ...this.tableShape.slice(1)];
    checkOutputShape(LAYER, this.name, shape);
    return shape;
  }

  private checkInput(shape: Shape): void {
    const k = shape[shape.length - 1];
    if (shape.length < 1 || (k != null && k !== this.tableShape[0])) {
      fail(LAYER, `'${this.name}': the input's last dim must be the table's ${this.tableShape[0]} ` +
                  `rows, got an input of shape ${show(shape)}`);
    }
  }

  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    this.checkInput(x.shape);
    if (x.dtype !== 'float32') fail(LAYER, `'${this.name}': takes float32, got ${x.dtype}`);
    const table = this.table!.read();
    const rest = this.tableShape.slice(1);
    const k = this.tableShape[0];
    const op = this.op;
    // Gradients: none for x (PyTorch's embedding gives the indices none, and argmin has none);
    // the table's is dy's rows summed into the rows they came from (scatterND adds duplicates),
    // embedding's backward. The custom gradient keeps tfjs from differentiating the index ops;
    // the backward finds the indices again from x, which it reads from the closure: saving an
    // input that is a tf.Variable counts as a leaked data id on wasm.
    const f = tf.customGrad(((xv: tf.Tensor, t: tf.Tensor) => ({
      value: tf.tidy(() => lookup(t, argExtreme(xv, op))),
      gradFunc: (dy: tf.Tensor) => tf.tidy(() => [
        tf.zerosLike(xv),
        tf.scatterND(tf.reshape(argExtreme(xv, op), [-1, 1]), tf.reshape(dy, [-1, ...rest]),
                     [k, ...rest]),
      ]),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, table);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {op: this.op, tableShape: this.tableShape.slice(), ...super.getConfig()};
  }
}
