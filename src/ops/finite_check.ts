// The op-side finite check of Note [native resize and non-finite input] (src/index_math/finite.ts),
// shared by the ops whose kernels have a finite-only shortcut on a backend whose check is 'op'
// (interpolate; the TorchMaxPool layers' values-only pool). Not a public op.
import * as tf from '@tensorflow/tfjs-core';
import {getKernel} from '@tensorflow/tfjs-core';
import {sumIsFinite} from '../index_math/finite.js';
import {FiniteProbe} from '../kernel_names.js';
import {untaped} from '../util/args.js';

/**
 * Whether every value of x is finite: the op's check of Note [native resize and non-finite
 * input] (src/index_math/finite.ts), one reduction and a read of one number: the backend's
 * FiniteProbe kernel where it has one for float32 input (tensorflow: one L2Loss, Note [the
 * finite check as one op] in kernels/node/FiniteProbe.ts), else tfjs's Sum. Untaped, so inside
 * tf.grad it keeps no copy of x.
 */
export function allFinite(x: tf.Tensor): boolean {
  const probe = x.dtype === 'float32' && getKernel(FiniteProbe, tf.getBackend()) != null;
  const sum = untaped(x, (t) => probe ? tf.engine().runKernel(FiniteProbe, {x: t}) as tf.Tensor : tf.sum(t));
  const finite = sumIsFinite(sum.dataSync()[0]);
  sum.dispose();
  return finite;
}
