// Gradient of TorchBatchMatMul (y = a @ b per product): da = dy @ b^T, db = a^T @ dy, as tfjs's
// own BatchMatMul gradient computes them (tf.matMul with its transpose flags).
import * as tf from '@tensorflow/tfjs-core';
import type {GradConfig, Tensor, Tensor3D} from '@tensorflow/tfjs-core';
import {BatchMatMul} from '../kernel_names.js';

export const batchMatMulGradConfig: GradConfig = {
  kernelName: BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor|Tensor[], saved: Tensor[]) => {
    const [a, b] = saved as Tensor3D[];
    const g = dy as Tensor3D;
    return {
      a: () => tf.matMul(g, b, false, true),
      b: () => tf.matMul(a, g, true, false),
    };
  },
};
