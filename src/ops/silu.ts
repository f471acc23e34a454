// silu: F.silu(x) = x * sigmoid(x) as one elementwise kernel (TorchSilu), the route of the
// exporter's SiLU (the silu activation layer, src/layers/tensor_ops.ts). Internal: not part of
// the package's public ops.
//
// Note [silu numerics]
// PyTorch computes silu as x / (1 + exp(-x)) in float32 (its scalar and vectorized CPU kernels
// alike), so -Infinity gives -Infinity / Infinity = NaN, +Infinity gives +Infinity, NaN stays
// NaN, and a large negative x gives -0 once exp(-x) overflows (x < -88.7). Every kernel here
// computes the same quotient (cpu, webgl, webgpu) or x * sigmoid(x), which agrees with it at
// every one of those points (sigmoid(-Infinity) = 0 and -Infinity * 0 = NaN; sigmoid(+Infinity)
// = 1): wasm runs tfjs's Sigmoid and Mul; tensorflow runs oneDNN's swish where TensorFlow has it
// (Note [silu as oneDNN's swish] in kernels/node/Silu.ts), else Sigmoid and Mul. The gradient is
// PyTorch's silu_backward, dy * s * (1 + x * (1 - s)) with s = sigmoid(x) (NaN at +-Infinity, as
// PyTorch's). test/silu.test.ts holds every backend to PyTorch's values (test/fixtures/silu.json).
import * as tf from '@tensorflow/tfjs-core';
import {Silu} from '../kernel_names.js';
import {toTensor} from '../util/args.js';

/** F.silu(x) (Note [silu numerics]). float32 in and out. */
export function silu<T extends tf.Tensor>(x: T|tf.TensorLike): T {
  const op = 'silu';
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op, 'float32');
    return tf.engine().runKernel(Silu, {x: t}) as T;
  });
}
