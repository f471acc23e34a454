// Index math of the norm kernels, written once: how a tensor of any rank is viewed as
// [N, C, P] (channels first) or [N, P, C] (channels last), and which group a channel is in.

import type {DataFormat} from '../kernel_names.js';

/**
 * The norm view of a shape: N (axis 0), C (the channel axis: 1 for rank 2 whatever the
 * dataFormat, else per dataFormat) and P (the product of the spatial dims, 1 for rank 2).
 * `channelsLast` says whether C is the innermost of the three (offset (n * P + p) * C + c) or
 * between N and P (offset (n * C + c) * P + p). With `trailing` = k > 0 (layer norm), N is the
 * product of all but the last k dims, C the product of the last k, P = 1.
 */
export interface NormView {
  n: number;
  c: number;
  p: number;
  channelsLast: boolean;
}

export function normView(
    shape: readonly number[], dataFormat: DataFormat, trailing = 0): NormView {
  const rank = shape.length;
  if (trailing > 0) {
    // Layer norm: every leading index is a batch entry, the trailing block its channels.
    const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
    return {n: size(shape.slice(0, rank - trailing)), c: size(shape.slice(rank - trailing)), p: 1,
            channelsLast: true};
  }
  const channelsLast = rank > 2 && dataFormat === 'channelsLast';
  const cAxis = channelsLast ? rank - 1 : 1;
  let p = 1;
  shape.forEach((d, a) => {
    if (a !== 0 && a !== cAxis) p *= d;
  });
  return {n: shape[0], c: shape[cAxis], p, channelsLast};
}

/** The view as a 3-D shape: [N, C, P] or [N, P, C]. */
export function normViewShape(v: NormView): number[] {
  return v.channelsLast ? [v.n, v.p, v.c] : [v.n, v.c, v.p];
}
