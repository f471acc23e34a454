// tensorflow-backend kernel of interpolate: a broadcast for nearest by integer factors (Note
// [nearest by an integer factor] in interpolate_common.ts), TensorFlow's ResizeBilinear /
// ResizeNearestNeighbor where their sampling is PyTorch's (Note [native resize on TensorFlow]),
// otherwise gather passes over the shared per-axis tables
// (interpolateTables in src/index_math/resize.ts): bicubic, area, antialias, and scale factors whose
// ratio TensorFlow would not reproduce.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {interpolateTables} from '../../src/index_math/resize.js';
import {Interpolate} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateInputs} from '../../src/kernel_names.js';
import {firstSpatialAxis, sizeOf} from '../../src/util/layout.js';
import {forwardHasPaddingTaps, nativeResize, repeatFactors, repeatNearest, resampleComposed, resampleNative} from './interpolate_common.js';
import {asTensor} from './util.js';

// Note [native resize and non-finite input]
// TensorFlow's ResizeBilinear interpolates as a + (b - a) * t with taps floor and ceil of the
// coordinate, PyTorch as (1 - t) * a + t * b with taps i0 and i0 + 1 (Note [taps PyTorch
// evaluates]). For finite values the two agree within rounding; for Inf and NaN they do not:
// where t = 0 TensorFlow never reads the second tap (PyTorch: 0 * Inf = NaN), and two infinite
// taps give Inf - Inf = NaN in TensorFlow's form (PyTorch: Inf). So the native op is taken only
// when the op has checked that the input is finite (attrs.finite: one Sum and a one-number read
// in src/ops/interpolate.ts, as kernels here read nothing back), and the table path (PyTorch's
// formula, every tap) otherwise. Selecting between both results on the device would avoid the
// read but compute the resize twice.
export const interpolate: KernelFunc = ({inputs, attrs}) => {
  const {x} = inputs as InterpolateInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const outShape = x.shape.slice();
  const first = firstSpatialAxis(a.dataFormat);
  a.outSize.forEach((o, i) => outShape[first + i] = o);
  if (sizeOf(outShape) === 0) return tf.zeros(outShape, x.dtype);
  return tf.tidy(() => {
    const t = asTensor(x);
    const tables = interpolateTables(a, {transposed: false});
    const native = nativeResize(a);
    // channelsLast: TensorFlow's own op; channelsFirst would give it one-channel images, where
    // the repeat is faster.
    const factors = native == null || a.dataFormat === 'channelsFirst' ? repeatFactors(tables) : null;
    if (factors != null) return repeatNearest(t, a.dataFormat, a.inSize, factors);
    if (native != null && (native.op !== 'Bilinear' || a.finite === true)) {
      return resampleNative(t, a, a.inSize, a.outSize, false, native);
    }
    return resampleComposed(t, a.dataFormat, tables, forwardHasPaddingTaps(a));
  });
};

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'tensorflow',
  kernelFunc: interpolate,
};
