// tensorflow-backend kernel of interpolate's gradient (the attributes carry the scales PyTorch's
// backward uses, Note [backward scales] in src/index_math/resize.ts): sums over the repeats of
// an integer-factor nearest (Note [nearest by an integer factor] in interpolate_common.ts),
// TensorFlow's ResizeBilinearGrad / ResizeNearestNeighborGrad where the forward sampling is
// native (Note [native resize on TensorFlow]), else the forward's gather passes over the
// transposed tables (transposeTable of interpolateTables' forward tables), so the adjoint is a
// gather, never a scatter.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {interpolateTables, transposeTable} from '../../src/index_math/resize.js';
import {InterpolateGrad} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateGradInputs} from '../../src/kernel_names.js';
import {firstSpatialAxis, sizeOf} from '../../src/util/layout.js';
import {nativeResize, repeatFactors, resampleComposed, resampleNative, sumRepeats} from './interpolate_common.js';
import {asTensor} from './util.js';

export const interpolateGrad: KernelFunc = ({inputs, attrs}) => {
  const {dy} = inputs as InterpolateGradInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const dxShape = dy.shape.slice();
  const first = firstSpatialAxis(a.dataFormat);
  a.inSize.forEach((s, i) => dxShape[first + i] = s);
  if (sizeOf(dxShape) === 0 || sizeOf(dy.shape) === 0) return tf.zeros(dxShape);
  return tf.tidy(() => {
    const t = asTensor(dy);
    const tables = interpolateTables(a, {transposed: false});
    const native = nativeResize(a);
    const factors = native == null || a.dataFormat === 'channelsFirst' ? repeatFactors(tables) : null;
    if (factors != null) return sumRepeats(t, a.dataFormat, a.inSize, factors);
    if (native != null) return resampleNative(t, a, a.outSize, a.inSize, true, native);
    // Transposed tables pad their rows with zero-weight taps.
    return resampleComposed(t, a.dataFormat, tables.map(transposeTable), true);
  });
};

export const interpolateGradConfig: KernelConfig = {
  kernelName: InterpolateGrad,
  backendName: 'tensorflow',
  kernelFunc: interpolateGrad,
};
