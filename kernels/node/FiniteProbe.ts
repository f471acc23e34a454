// tensorflow-backend kernel of FiniteProbe: the op-side finite check's one number (Note [native
// resize and non-finite input] in src/index_math/finite.ts) as one TensorFlow op.
//
// Note [the finite check as one op]
// The check was tfjs's sum: on tfjs-node its Sum kernel builds an int32 tensor of the axes for
// each call (a tensor made through the engine and freed again), then runs Sum. U^2-Net runs the
// check 71 times per call (before each of its 38 bilinear upsamples and 33 max pools), most on
// small maps ([1, 10, 10, 16] to [1, 40, 40, 16]), where that tensor costs more than the sum:
// medians of 200 calls side by side (1 intra-op thread, 2026-12-07, load 3): 0.035 ms for
// tf.sum of [1, 20, 20, 16] against 0.009 for one L2Loss (0.050 against 0.034 at [1, 160, 160,
// 16], 0.68 against 0.62 at [1, 320, 320, 64]). TensorFlow's L2Loss, sum(x * x) / 2 over every
// value, takes no axes input. Its result is Inf or NaN where any value is (Inf * Inf = Inf,
// NaN stays NaN), so finite means every value is. Like the Sum's overflow, it errs one way only:
// a finite input whose squares sum past float32's range (a value above ~1.8e19 in magnitude)
// counts as not finite, which only sends the op to the exact path (PyTorch's taps, no shortcut).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {FiniteProbe} from '../../src/kernel_names.js';
import type {FiniteProbeInputs} from '../../src/kernel_names.js';
import {nodeOf} from './util.js';

export const finiteProbe: KernelFunc = ({inputs, backend}) => {
  const {x} = inputs as FiniteProbeInputs;
  if (x.dtype !== 'float32') throw new Error(`TorchFiniteProbe: x must be float32, got ${x.dtype}`);
  const {node, attr} = nodeOf(backend);
  return node.executeSingleOutput('L2Loss', [attr.type('T', 'float32')], [x]);
};

export const finiteProbeConfig: KernelConfig = {
  kernelName: FiniteProbe,
  backendName: 'tensorflow',
  kernelFunc: finiteProbe,
};
