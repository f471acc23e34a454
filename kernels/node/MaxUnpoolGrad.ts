// tensorflow-backend kernel of the gradient of max unpooling: dy gathered at indices from each
// output plane (every duplicate index reads the same dy, as PyTorch's backward; Note [unpool
// writes] in src/index_math/pool.ts) with GatherV2 on the flat dy. An index outside the plane
// (possible only in a direct kernel call, or from an all-padding pooling window when this runs
// as the second derivative of pooling) reads 0, as on cpu, instead of reaching another plane.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxUnpoolGrad} from '../../src/kernel_names.js';
import type {MaxUnpoolGradAttrs, MaxUnpoolGradInputs} from '../../src/kernel_names.js';
import {planeView, sizeOf} from '../../src/util/layout.js';
import {flatIds} from './pool_common.js';
import {asTensor, nodeOf, runOp} from './util.js';

export const maxUnpoolGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, indices} = inputs as MaxUnpoolGradInputs;
  const {dataFormat} = attrs as unknown as MaxUnpoolGradAttrs;
  const shape = indices.shape.slice();
  if (sizeOf(shape) === 0 || sizeOf(dy.shape) === 0) return tf.zeros(shape);
  const {node, attr} = nodeOf(backend);
  return tf.tidy(() => {
    const view = planeView(shape, dataFormat);
    const {ids, valid} = flatIds(asTensor(indices), view, planeView(dy.shape, dataFormat).plane);
    const zeroI = tf.scalar(0, 'int32');
    const safe = runOp(node, 'SelectV2', [attr.type('T', 'int32')], [valid, ids, zeroI]);
    const read = tf.gather(tf.reshape(asTensor(dy), [-1]), tf.reshape(safe, [-1]));
    const dx = runOp(node, 'SelectV2', [attr.type('T', 'float32')],
                     [tf.reshape(valid, [-1]), read, tf.scalar(0)]);
    return tf.reshape(dx, shape);
  });
};

export const maxUnpoolGradConfig: KernelConfig = {
  kernelName: MaxUnpoolGrad,
  backendName: 'tensorflow',
  kernelFunc: maxUnpoolGrad,
};
