// tensorflow-backend kernel of interpolate: a broadcast for nearest by integer factors (Note
// [nearest by an integer factor] in interpolate_common.ts), TensorFlow's ResizeBilinear /
// ResizeNearestNeighbor where their sampling is PyTorch's (Note [native resize on TensorFlow]),
// otherwise gather passes over the shared per-axis tables
// (interpolateTables in src/index_math/resize.ts): bicubic, area, antialias, and scale factors whose
// ratio TensorFlow would not reproduce.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {hasFiniteOnlyShortcut} from '../../src/index_math/finite.js';
import {interpolateTables} from '../../src/index_math/resize.js';
import {Interpolate} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateInputs} from '../../src/kernel_names.js';
import {firstSpatialAxis, sizeOf} from '../../src/util/layout.js';
import {forwardHasPaddingTaps, nativeResize, repeatFactors, repeatNearest, resampleComposed, resampleNative} from './interpolate_common.js';
import {asTensor} from './util.js';

// TensorFlow's ResizeBilinear is a finite-only shortcut (Note [native resize and non-finite
// input] in src/index_math/finite.ts): taken when the op has checked the input (attrs.finite;
// this backend's check is 'op', src/node.ts), the table path (PyTorch's formula, every tap)
// otherwise.
export const interpolate: KernelFunc = ({inputs, attrs}) => {
  const {x} = inputs as InterpolateInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const outShape = x.shape.slice();
  const first = firstSpatialAxis(a.dataFormat);
  a.outSize.forEach((o, i) => outShape[first + i] = o);
  if (sizeOf(outShape) === 0) return tf.zeros(outShape, x.dtype);
  return tf.tidy(() => {
    const t = asTensor(x);
    const native = nativeResize(a);
    const nativeAllowed = native != null && (!hasFiniteOnlyShortcut(a) || a.finite === true);
    // channelsLast: TensorFlow's own op, without building the tables it does not read (their
    // JavaScript was about a third of the CPU time of U^2-Net's smallest resize, [1,10,10,16] to
    // 20x20, and 1-5% of its larger ones); channelsFirst would give it one-channel images, where
    // the repeat is faster.
    if (nativeAllowed && a.dataFormat === 'channelsLast') {
      return resampleNative(t, a, a.inSize, a.outSize, false, native);
    }
    const tables = interpolateTables(a, {transposed: false});
    const factors = native == null || a.dataFormat === 'channelsFirst' ? repeatFactors(tables) : null;
    if (factors != null) return repeatNearest(t, a.dataFormat, a.inSize, factors);
    if (nativeAllowed) return resampleNative(t, a, a.inSize, a.outSize, false, native!);
    return resampleComposed(t, a.dataFormat, tables, forwardHasPaddingTaps(a));
  });
};

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'tensorflow',
  kernelFunc: interpolate,
};
