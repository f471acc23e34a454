// tensorflow-backend kernel of maxUnpool{1,2,3}d: x written into a zero output at indices, the
// LAST duplicate in x's row-major plane order winning (Note [unpool writes] in
// src/index_math/pool.ts).
//
// TensorFlow's scatters either add duplicates (ScatterNd) or leave their order undefined
// (TensorScatterUpdate), so the kernel scatters positions instead of values:
// TensorScatterMax writes, at each output element, the largest (plane position + 1) of the
// inputs aimed at it, i.e. the last writer; a gather of x at those positions gives the output
// (0 where nobody wrote). The scatter coordinates are (row, index, column) in the plane view
// (Note [plane view] in src/util/layout.ts), and TensorFlow checks every component against the
// output's shape, so an index outside its plane raises an error and is never written to
// another plane or out of bounds. (maxUnpoolNd already rejects such indices with PyTorch's
// message before the kernel runs: 'tensorflow' declares unpoolIndices 'op' in src/node.ts.)
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxUnpool} from '../../src/kernel_names.js';
import type {MaxUnpoolAttrs, MaxUnpoolInputs} from '../../src/kernel_names.js';
import {layoutOf, planeView, shapeOf, sizeOf} from '../../src/util/layout.js';
import {flatIds} from './pool_common.js';
import {asTensor, nodeOf, runOp} from './util.js';

export const maxUnpool: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, indices} = inputs as MaxUnpoolInputs;
  const {outSize, dataFormat} = attrs as unknown as MaxUnpoolAttrs;
  const {batch, channels} = layoutOf(x.shape, dataFormat);
  const outShape = shapeOf(batch, channels, outSize, dataFormat);
  // Nothing to write (an empty x, or an output size of 0: no index is then read).
  if (sizeOf(x.shape) === 0 || sizeOf(outShape) === 0) return tf.zeros(outShape);
  const {node, attr} = nodeOf(backend);
  const view = planeView(x.shape, dataFormat);
  const {rows, plane, cols} = view;
  const outPlane = sizeOf(outSize);
  return tf.tidy(() => {
    const q = tf.reshape(asTensor(indices), [rows, plane, cols]);
    const grid = [rows, plane, cols];
    const rowOf = tf.broadcastTo(tf.reshape(tf.range(0, rows, 1, 'int32'), [rows, 1, 1]), grid);
    const colOf = tf.broadcastTo(tf.reshape(tf.range(0, cols, 1, 'int32'), [1, 1, cols]), grid);
    const coords = tf.stack([rowOf, q, colOf], 3);
    const writer = tf.broadcastTo(tf.reshape(tf.range(1, plane + 1, 1, 'int32'), [1, plane, 1]), grid);
    const winner = runOp(node, 'TensorScatterMax',
                         [attr.type('T', 'int32'), attr.type('Tindices', 'int32')],
                         [tf.zeros([rows, outPlane, cols], 'int32'), coords, writer]);
    // Position winner - 1 in the same (row, column) of x; 0 where nobody wrote (read, unused).
    const source = tf.maximum(tf.sub(winner, tf.scalar(1, 'int32')), tf.scalar(0, 'int32'));
    const {ids} = flatIds(source, view, plane);
    const read = tf.gather(tf.reshape(asTensor(x), [-1]), tf.reshape(ids, [-1]));
    const y = runOp(node, 'SelectV2', [attr.type('T', 'float32')],
                    [tf.reshape(tf.greater(winner, tf.scalar(0, 'int32')), [-1]), read, tf.scalar(0)]);
    return tf.reshape(y, outShape);
  });
};

export const maxUnpoolConfig: KernelConfig = {
  kernelName: MaxUnpool,
  backendName: 'tensorflow',
  kernelFunc: maxUnpool,
};
