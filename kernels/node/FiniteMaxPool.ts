// tensorflow-backend kernel of FiniteMaxPool: the values of a 2-D channelsLast max pool over
// input the op has checked to be finite (Note [max pool values on TensorFlow's MaxPool] in
// src/index_math/pool.ts), as one TensorFlow op.
//
// Note [max pool as oneDNN's pool]
// TensorFlow's own CPU MaxPool (what tfjs's maxPool runs) is slow on few channels: side by side
// (1 intra-op thread, 2x2 stride 2 windows, medians of 15-30 calls, 2026-12-07) 0.42 ms for
// U^2-Net's [1, 160, 160, 16] against 0.06 ms for oneDNN's pool, and 2.2 against 1.2 ms for its
// largest, [1, 320, 320, 64]; 0.028 against 0.024 at [1, 20, 20, 16], so oneDNN's is the faster at
// every size the bench meets and no size gate is needed. TensorFlow's Linux x86 builds carry it as
// `_MklNativeMaxPool` (MaxPool's attributes; a second output, the workspace, empty unless
// workspace_enabled), registered under the label "MklNameChangeOp", selected through `_kernel`
// as Note [conv and bias in one TensorFlow op] (conv_bias.ts) does for the convolution, and
// probed the same way once per backend object: a [1, 3, 3, 2] input with 2x2 windows, stride 2
// and 'SAME' padding must give [1, 2, 2, 2] (no values read back). Anything else keeps
// TensorFlow's MaxPool for the life of the process. Flag TORCH_TF_ONEDNN_MAX_POOL (default true)
// turns it off.
//
// Both are finite-only shortcuts, NaN and Inf rules of their own: oneDNN's max, like
// TensorFlow's, starts from the lowest finite float (a 2x2 window of -Inf gives -3.4e38) and
// drops a NaN (a 2x2 window with one NaN at any of its four places gave the max of the other
// three on this build; PyTorch's NaN always wins, Note [max and ties]). Over finite input a max is exact wherever the maximum lies, so the values are
// PyTorch's bit for bit: test/node/finite_max_pool.test.ts compares both ops with the
// with-indices kernel, and the pool fixtures (test/fixtures/pool.json, NaN and Inf cases
// included) check the op that calls this kernel on tensorflow.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, Tensor, TensorInfo} from '@tensorflow/tfjs-core';
import {FiniteMaxPool} from '../../src/kernel_names.js';
import type {FiniteMaxPoolAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {asTensor, nodeOf, probeOnce} from './util.js';
import type {NodeBackend} from './util.js';

/** tfjs flag: whether finite max pools on tensorflow may use oneDNN's pool op (default true). */
export const TF_ONEDNN_MAX_POOL_FLAG = 'TORCH_TF_ONEDNN_MAX_POOL';
tf.env().registerFlag(TF_ONEDNN_MAX_POOL_FLAG, () => true);

const ONEDNN_OP = '_MklNativeMaxPool';
const probed = new WeakMap<object, boolean>();

function poolAttrs(node: NodeBackend, k: readonly number[], s: readonly number[], padding: 'valid'|'same') {
  const {attr} = nodeOf(node);
  return [
    attr.type('T', 'float32'), attr.int('ksize', [1, k[0], k[1], 1]),
    attr.int('strides', [1, s[0], s[1], 1]), attr.string('padding', padding.toUpperCase()),
    attr.string('data_format', 'NHWC'),
  ];
}

function oneDnnMaxPool(node: NodeBackend, x: TensorInfo, k: readonly number[], s: readonly number[],
                       padding: 'valid'|'same'): Tensor {
  const {attr} = nodeOf(node);
  const attrs = poolAttrs(node, k, s, padding);
  attrs.push(attr.bool('workspace_enabled', false), attr.string('_kernel', 'MklNameChangeOp'));
  const [y, workspace] = node.executeMultipleOutputs(ONEDNN_OP, attrs, [x], 2);
  workspace.dispose();
  return y;
}

/** Whether oneDNN's max pool op runs here (probed once per backend). */
export function hasOneDnnMaxPool(backend: unknown): boolean {
  return probeOnce(probed, backend, (node) =>
    oneDnnMaxPool(node, tf.zeros([1, 3, 3, 2]), [2, 2], [2, 2], 'same').shape.join() === '1,2,2,2');
}

export const finiteMaxPool: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as MaxPoolWithIndicesInputs;
  const a = attrs as unknown as FiniteMaxPoolAttrs;
  const node = backend as NodeBackend;
  if (tf.env().getBool(TF_ONEDNN_MAX_POOL_FLAG) && hasOneDnnMaxPool(node)) {
    return oneDnnMaxPool(node, asTensor(x), a.kernelSize, a.stride, a.nativePadding);
  }
  return node.executeSingleOutput('MaxPool', poolAttrs(node, a.kernelSize, a.stride, a.nativePadding), [x]);
};

export const finiteMaxPoolConfig: KernelConfig = {
  kernelName: FiniteMaxPool,
  backendName: 'tensorflow',
  kernelFunc: finiteMaxPool,
};
