// The values of a max pool without its indices: what the TorchMaxPool{1,2,3}d layers run when
// returnIndices is false (nn.MaxPool2d as most models use it). Not a public op: the public ones
// are maxPool{1,2,3}dWithIndices, and these values are exactly their first output.
//
// On a backend whose finite check is 'op' and that has the optional FiniteMaxPool kernel
// (tensorflow: oneDNN's max pool, else TensorFlow's MaxPool, Note [max pool as oneDNN's pool] in
// kernels/node/FiniteMaxPool.ts), a 2-D channelsLast pool whose windows are TensorFlow's
// (nativeMaxPoolPadding, Note [max pool values on TensorFlow's MaxPool] in src/index_math/pool.ts)
// over finite input (one Sum and a read of one number, as interpolate checks: finite_check.ts)
// runs that kernel instead of the with-indices kernel's composition (a tap per window element, a
// scan with index bookkeeping). Every other case runs the with-indices kernel and drops the
// indices. The gradient stays PyTorch's (FiniteMaxPool's in src/gradients/max_pool_grad.ts: dy
// to the element the with-indices kernel picks, ties to the first max, Note [max and ties]).
import * as tf from '@tensorflow/tfjs-core';
import {getKernel} from '@tensorflow/tfjs-core';
import {nativeMaxPoolPadding} from '../index_math/pool.js';
import {asAttrs, FiniteMaxPool, MaxPoolWithIndices} from '../kernel_names.js';
import type {FiniteMaxPoolAttrs} from '../kernel_names.js';
import {capabilitiesOf} from '../util/capabilities.js';
import {layoutOf} from '../util/layout.js';
import {allFinite} from './finite_check.js';
import {floatPoolInput, resolveMaxPoolAttrs, type MaxPoolOptions} from './max_pool.js';

const OPS = ['maxPool1d', 'maxPool2d', 'maxPool3d'];

/** max_pool{n}d's values (PyTorch's, every backend); x as maxPool{n}dWithIndices takes it. */
export function maxPoolValues(n: number, x: tf.Tensor, options: MaxPoolOptions): tf.Tensor {
  const op = OPS[n - 1];
  return tf.tidy(op, () => {
    const t = floatPoolInput(op, x);
    const attrs = resolveMaxPoolAttrs(op, n, t, options);
    const {kernelSize, stride, padding, dilation, ceilMode, dataFormat} = attrs;
    const inSize = layoutOf(t.shape, dataFormat).spatial;
    const backend = tf.getBackend();
    const native = n === 2 && dataFormat === 'channelsLast' && t.shape[0] > 0 &&
        capabilitiesOf(backend).finiteCheck === 'op' && getKernel(FiniteMaxPool, backend) != null ?
        nativeMaxPoolPadding(inSize, kernelSize, stride, padding, dilation, ceilMode) : null;
    if (native != null && allFinite(t)) {
      const finiteAttrs: FiniteMaxPoolAttrs = {...attrs, nativePadding: native};
      return tf.engine().runKernel(FiniteMaxPool, {x: t}, asAttrs(finiteAttrs)) as tf.Tensor;
    }
    const [values, indices] = tf.engine().runKernel(MaxPoolWithIndices, {x: t}, asAttrs(attrs)) as tf.Tensor[];
    indices.dispose();
    return values;
  });
}
