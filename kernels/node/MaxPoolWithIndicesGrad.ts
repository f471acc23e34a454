// tensorflow-backend kernel of the gradient of max pooling with indices: dy added into a zero
// input at indices with UnsortedSegmentSum (windows that overlap add up). An index outside the
// input plane (only from an all-padding window) gets segment id -1, which UnsortedSegmentSum
// drops (Note [all-padding windows] in src/index_math/pool.ts).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndicesGrad} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesGradAttrs, MaxPoolWithIndicesGradInputs} from '../../src/kernel_names.js';
import {layoutOf, planeView, shapeOf, sizeOf} from '../../src/util/layout.js';
import {flatIds} from './pool_common.js';
import {asTensor, nodeOf, runOp} from './util.js';

export const maxPoolWithIndicesGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxPoolWithIndicesGradInputs;
  const {inSize, dataFormat} = attrs as unknown as MaxPoolWithIndicesGradAttrs;
  const {batch, channels} = layoutOf(dy.shape, dataFormat);
  const outShape = shapeOf(batch, channels, inSize, dataFormat);
  if (sizeOf(dy.shape) === 0 || sizeOf(outShape) === 0) return tf.zeros(outShape);
  const {node, attr} = nodeOf(backend);
  return tf.tidy(() => {
    const view = planeView(dy.shape, dataFormat);
    const {ids, valid} = flatIds(asTensor(indices), view, sizeOf(inSize));
    const segments = runOp(node, 'SelectV2', [attr.type('T', 'int32')],
                           [valid, ids, tf.scalar(-1, 'int32')]);
    const sum = tf.unsortedSegmentSum(tf.reshape(asTensor(dy), [-1]),
                                      tf.reshape(segments, [-1]), sizeOf(outShape));
    return tf.reshape(sum, outShape);
  });
};

export const maxPoolWithIndicesGradConfig: KernelConfig = {
  kernelName: MaxPoolWithIndicesGrad,
  backendName: 'tensorflow',
  kernelFunc: maxPoolWithIndicesGrad,
};
