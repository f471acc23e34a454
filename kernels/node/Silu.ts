// tensorflow-backend kernel of silu (Note [silu numerics] in src/ops/silu.ts).
//
// Note [silu as oneDNN's swish]
// tfjs-node has no SiLU: composed, it is TensorFlow's Sigmoid then Mul, two passes over the
// tensor (2% + 2% of the SD VAE decoder's time on tensorflow in the bench's profile). TensorFlow's
// Linux x86 builds carry oneDNN's ops (as Note [conv and bias in one TensorFlow op] in
// conv_bias.ts uses), and one of them is `_MklSwish` (input, attribute T only): oneDNN's
// eltwise_swish with alpha 1, x * sigmoid(x) in one pass. Its CPU kernel is registered without a
// label; called eagerly without a `_kernel` attribute, TensorFlow (2.9) looks it up under the
// label "MklNameChangeOp" and finds none ("Could not find device for node"), so the call passes
// `_kernel` = '' (the default, unlabelled kernel). It is an internal op (TensorFlow's graph
// rewrite is its usual caller; a build without oneDNN, or a later TensorFlow, may lack it), so
// it is probed once per backend object (a [1, 3] input must give a [1, 3] output; no values are
// read back) and anything else keeps Sigmoid + Mul for the life of the process.
//
// Its values, checked against PyTorch by test/silu.test.ts and test/node/node_kernels.test.ts
// (test/fixtures/silu.json): -Infinity gives NaN, +Infinity gives +Infinity and NaN gives NaN,
// at every position of a vector (oneDNN's SIMD body and its tail alike), as PyTorch's; finite
// values within float32 rounding, except that for x below about -87 oneDNN flushes the tiny
// result (PyTorch's -5e-37 at x = -88) to 0, an absolute difference under 1e-36. So nothing is
// kept from it. Flag TORCH_TF_ONEDNN_SILU (default true) turns it off.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, Tensor, TensorInfo} from '@tensorflow/tfjs-core';
import {Silu} from '../../src/kernel_names.js';
import type {SiluInputs} from '../../src/kernel_names.js';
import {asTensor, nodeOf, probeOnce, runOp} from './util.js';
import type {NodeBackend} from './util.js';

/** tfjs flag: whether silu on tensorflow may use oneDNN's swish op (default true). */
export const TF_ONEDNN_SILU_FLAG = 'TORCH_TF_ONEDNN_SILU';
tf.env().registerFlag(TF_ONEDNN_SILU_FLAG, () => true);

const SWISH_OP = '_MklSwish';
const probed = new WeakMap<object, boolean>();

function swish(node: NodeBackend, x: TensorInfo): Tensor {
  const {attr} = nodeOf(node);
  return runOp(node, SWISH_OP, [attr.type('T', 'float32'), attr.string('_kernel', '')], [x]);
}

/** Whether oneDNN's swish op runs here (probed once per backend). */
export function hasOneDnnSwish(backend: unknown): boolean {
  return probeOnce(probed, backend, (node) => swish(node, tf.zeros([1, 3])).shape.join() === '1,3');
}

export const silu: KernelFunc = ({inputs, backend}) => {
  const {x} = inputs as SiluInputs;
  if (tf.env().getBool(TF_ONEDNN_SILU_FLAG) && hasOneDnnSwish(backend)) {
    return swish(backend as NodeBackend, x);
  }
  const t = asTensor(x);
  return tf.tidy(() => tf.mul(t, tf.sigmoid(t))) as TensorInfo;
};

export const siluConfig: KernelConfig = {kernelName: Silu, backendName: 'tensorflow', kernelFunc: silu};
