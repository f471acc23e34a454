// pad: F.pad in one kernel (TorchPad), every mode of PyTorch: 'constant' (with a fill value),
// 'reflect', 'replicate', 'circular'; F.pad's padding order (last dim first, Note [pad order])
// and negative pads that crop; the source index of every output position from
// src/index_math/pad.ts (Note [pad source index]). No gather and no intermediate tensor: one pass
// over the output on every backend.
//
// Note [pad dims]
// The padding list names PyTorch dims (N, C, ...spatial) from the last backwards; dataFormat says
// where those dims are in x ('channelsLast': the channel dim is last, so F.pad's "last dim" W is
// the one before it). 'constant' may name any number of dims up to the rank, batch and channels
// included; the other modes pad exactly the spatial dims of a batched input (rank 3, 4, 5 with
// 2, 4, 6 entries), as torch.nn's Reflection/Replication/CircularPad{1,2,3}d. A single number
// pads both sides of every spatial dim (nn.ReflectionPad2d(3)).
import * as tf from '@tensorflow/tfjs-core';
import {PAD_MODES, padDimError, padOutputSize, padPairs} from '../index_math/pad.js';
import type {PadMode} from '../index_math/pad.js';
import {asAttrs, Pad} from '../kernel_names.js';
import type {DataFormat, PadAttrs} from '../kernel_names.js';
import {checkDataFormat, checkOptionKeys, checkSize, fail, show, toTensor} from '../util/args.js';

export type {PadMode};

export interface PadOptions {
  /** 'constant' (default), 'reflect', 'replicate' or 'circular'. */
  mode?: PadMode;
  /** Fill value of 'constant'; default 0. */
  value?: number;
  /** Where PyTorch's dims are in x (Note [pad dims]); default 'channelsLast'. */
  dataFormat?: DataFormat;
}

/** The tfjs axis of PyTorch dim d (N, C, ...spatial) of a rank-`rank` tensor. */
function axisOf(d: number, rank: number, dataFormat: DataFormat): number {
  if (dataFormat === 'channelsFirst' || rank < 3 || d === 0) return d;
  return d === 1 ? rank - 1 : d - 1;
}

/** Checks `padding` (a number or F.pad's list of integers); throws naming `op`. */
export function checkPadding(op: string, padding: unknown): number|number[] {
  const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  if (!(isInt(padding) || (Array.isArray(padding) && padding.length > 0 &&
                           padding.length % 2 === 0 && padding.every(isInt)))) {
    fail(op, `argument 'padding' must be an integer or an even-length array of integers ${
        ''}(F.pad's order: last dim first), got ${show(padding)}`);
  }
  return Array.isArray(padding) ? padding.slice() : padding as number;
}

/** Checks `mode`; throws naming `op`. */
export function checkPadMode(op: string, mode: unknown): PadMode {
  const m = mode ?? 'constant';
  if (!PAD_MODES.includes(m as PadMode)) {
    fail(op, `argument 'mode' must be one of ${PAD_MODES.join(', ')}, got ${show(m)}`);
  }
  return m as PadMode;
}

/** Checks `value` against the mode; throws naming `op`. */
export function checkPadValue(op: string, value: unknown, mode: PadMode): number {
  const v = value ?? 0;
  if (typeof v !== 'number') fail(op, `argument 'value' must be a number, got ${show(v)}`);
  if (mode !== 'constant' && v !== 0) {
    fail(op, `argument 'value' is only for mode 'constant', got value ${v} with mode '${mode}'`);
  }
  return v;
}

/**
 * [before, after] per tfjs axis of a tensor of `shape` (Note [pad dims]), checked against
 * PyTorch's rules; null dims (a layer's symbolic batch) are checked when known.
 */
export function padAxisPairs(
    op: string, padding: number|number[], mode: PadMode, shape: ReadonlyArray<number|null>,
    dataFormat: DataFormat): Array<[number, number]> {
  const rank = shape.length;
  const spatial = rank - 2;
  const list = typeof padding === 'number' ?
      new Array<number>(2 * Math.max(spatial, 0)).fill(padding) : padding;
  if (mode === 'constant') {
    if (list.length / 2 > rank) {
      fail(op, `padding ${show(list)} names ${list.length / 2} dims, but the input has ${rank} ${
          ''}(shape ${show(shape)})`);
    }
  } else if (spatial < 1 || spatial > 3 || list.length !== 2 * spatial) {
    fail(op, `mode '${mode}' pads the spatial dims of a batched input: padding needs ${
        ''}2 entries per spatial dim (${spatial < 1 || spatial > 3 ? 'none here' : 2 * spatial}), ${
        ''}got ${show(list)} for input shape ${show(shape)}`);
  }
  const out: Array<[number, number]> = Array.from({length: rank}, () => [0, 0]);
  padPairs(list, rank).forEach((pair, d) => {
    const axis = axisOf(d, rank, dataFormat);
    out[axis] = pair;
    const n = shape[axis];
    if (n == null || (pair[0] === 0 && pair[1] === 0)) return;
    const why = padDimError(mode, n, pair[0], pair[1]);
    if (why != null) {
      fail(op, `padding (${pair[0]}, ${pair[1]}) of dim ${d} (in PyTorch's order; axis ${
          axis} of input shape ${show(shape)}): ${why}`);
    }
  });
  return out;
}

/**
 * F.pad(x, padding, mode, value) with PyTorch's dims placed by dataFormat (Note [pad dims]):
 * `padding` in F.pad's order (last dim first, [left, right, top, bottom, front, back]); negative
 * entries crop. float32 or int32; the output has x's dtype.
 */
export function pad<T extends tf.Tensor>(
    x: T|tf.TensorLike, padding: number|number[], options?: PadOptions): T {
  const op = 'pad';
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op);
    checkOptionKeys(op, options, ['mode', 'value', 'dataFormat']);
    const list = checkPadding(op, padding);
    const mode = checkPadMode(op, options?.mode);
    const value = checkPadValue(op, options?.value, mode);
    const dataFormat = checkDataFormat(op, options?.dataFormat);
    if (t.rank < 1) fail(op, `input x must have rank 1 or more, got a scalar`);
    const pairs = padAxisPairs(op, list, mode, t.shape, dataFormat);
    checkSize(op, 'output', t.shape.map((n, a) => padOutputSize(n, pairs[a][0], pairs[a][1])));
    const attrs: PadAttrs = {pairs, mode, value: t.dtype === 'int32' ? Math.trunc(value) : value};
    return tf.engine().runKernel(Pad, {x: t}, asAttrs(attrs)) as T;
  });
}
