// interpolate: PyTorch's torch.nn.functional.interpolate. The argument rules below are those of
// functional.py (1.13); the sampling rules are in src/index_math/resize.ts.
import * as tf from '@tensorflow/tfjs-core';
import {opChecksFinite} from '../index_math/finite.js';
import {outputSizeFromScale} from '../index_math/resize.js';
import {asAttrs, Interpolate, INTERPOLATE_MODES, isInterpolateMode} from '../kernel_names.js';
import type {DataFormat, InterpolateAttrs, InterpolateMode} from '../kernel_names.js';
import {checkDataFormat, checkOptionKeys, checkSize, expandTuple, fail, show, toTensor} from '../util/args.js';
import {capabilitiesOf} from '../util/capabilities.js';
import {allFinite} from './finite_check.js';
import {layoutOf, shapeOf} from '../util/layout.js';

export interface InterpolateOptions {
  /** Output spatial size: a number (every spatial dim) or one entry per spatial dim. */
  size?: number|number[];
  /** Multiplier of the spatial size: a number or one entry per spatial dim. */
  scaleFactor?: number|number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /**
   * Only for linear, bilinear, bicubic, trilinear (default false): align the centres of the
   * corner pixels instead of the corners of the pixel areas. Setting it (true or false) for the
   * other modes is an error, as in PyTorch.
   */
  alignCorners?: boolean;
  /**
   * With scaleFactor: compute the output size from it, then sample with in/out instead of
   * 1/scaleFactor (Note [compute_scales_value]). Not allowed with size.
   */
  recomputeScaleFactor?: boolean;
  /** Only bilinear and bicubic (4-D input): Pillow-style antialiasing (Note [antialias]). */
  antialias?: boolean;
  dataFormat?: DataFormat;
}

/** The keys InterpolateOptions takes (anything else is an error naming the key). */
export const INTERPOLATE_OPTION_KEYS: readonly string[] =
    ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'antialias', 'dataFormat'];

/** The only spatial-dim count of the modes that need one (PyTorch's NotImplementedError). */
const MODE_DIMS: Partial<Record<InterpolateMode, number>> = {
  linear: 1,
  bilinear: 2,
  bicubic: 2,
  trilinear: 3,
};

const RANK_NAMES = ['', '3-D (batch, channels, width)', '4-D (batch, channels, height, width)',
  '5-D (batch, channels, depth, height, width)'];

function checkBool(op: string, name: string, v: unknown): boolean|undefined {
  if (v !== undefined && typeof v !== 'boolean') {
    fail(op, `argument '${name}' must be a boolean, got ${show(v)}`);
  }
  return v;
}

/** Checks the arguments as PyTorch does and returns the kernel's fully resolved attributes. */
export function resolveInterpolateAttrs(
    op: string, x: tf.Tensor, options: InterpolateOptions): InterpolateAttrs {
  if (options == null || typeof options !== 'object') {
    fail(op, `argument 'options' with size or scaleFactor is required, got ${show(options)}`);
  }
  checkOptionKeys(op, options, INTERPOLATE_OPTION_KEYS);
  const dataFormat = checkDataFormat(op, options.dataFormat);
  const mode = options.mode ?? 'nearest';
  if (!isInterpolateMode(mode)) {
    fail(op, `argument 'mode' must be one of ${INTERPOLATE_MODES.map((m) => `'${m}'`).join(', ')}, got ${
        show(mode)}`);
  }
  const alignCornersArg = checkBool(op, 'alignCorners', options.alignCorners);
  const recompute = checkBool(op, 'recomputeScaleFactor', options.recomputeScaleFactor);
  const antialias = checkBool(op, 'antialias', options.antialias) ?? false;
  const n = x.rank - 2;
  if (n < 1 || n > 3) {
    fail(op, `input x must have rank 3, 4 or 5 (batch, channels and 1 to 3 spatial dims), got rank ${
        x.rank} with shape ${show(x.shape)}`);
  }
  const needs = MODE_DIMS[mode];
  if (needs !== undefined && needs !== n) {
    fail(op, `argument 'mode' '${mode}' needs a ${RANK_NAMES[needs]} input, got rank ${
        x.rank} with shape ${show(x.shape)}`);
  }
  const interpolating = needs !== undefined;
  // functional.py: align_corners may only be set (to anything) for the interpolating modes.
  if (!interpolating && alignCornersArg !== undefined) {
    fail(op, `argument 'alignCorners' can only be set with the interpolating modes linear, ` +
         `bilinear, bicubic, trilinear, got mode '${mode}'`);
  }
  if (antialias && mode !== 'bilinear' && mode !== 'bicubic') {
    fail(op, `argument 'antialias' is only supported for modes bilinear and bicubic, got mode '${
        mode}'`);
  }
  // PyTorch implements no integer dtype for the interpolating modes or area; the nearest modes
  // are a gather, exact for int32.
  if (x.dtype === 'int32' && mode !== 'nearest' && mode !== 'nearest-exact') {
    fail(op, `input x of dtype int32 is only supported for modes nearest and nearest-exact, got mode '${
        mode}'`);
  }
  const layout = layoutOf(x.shape, dataFormat);
  const inSize = layout.spatial;
  if (inSize.some((s) => s === 0)) {
    fail(op, `input x must have non-zero spatial dims, got shape ${show(x.shape)} (${dataFormat})`);
  }
  const hasSize = options.size !== undefined && options.size !== null;
  const hasScale = options.scaleFactor !== undefined && options.scaleFactor !== null;
  if (hasSize && hasScale) fail(op, `only one of arguments 'size' and 'scaleFactor' may be given`);
  if (!hasSize && !hasScale) fail(op, `one of arguments 'size' and 'scaleFactor' is required`);
  if (hasSize && recompute) {
    fail(op, `argument 'recomputeScaleFactor' is not meaningful with an explicit 'size'`);
  }
  let outSize: number[];
  let scales: Array<number|null>;
  if (hasSize) {
    outSize = expandTuple(op, 'size', options.size, n);
    if (outSize.some((s) => !Number.isInteger(s) || s < 1)) {
      fail(op, `argument 'size' must hold integers >= 1, got ${show(options.size)}`);
    }
    scales = outSize.map(() => null);
  } else {
    const factors = expandTuple(op, 'scaleFactor', options.scaleFactor, n);
    if (factors.some((s) => !Number.isFinite(s) || s <= 0)) {
      fail(op, `argument 'scaleFactor' must hold finite numbers > 0, got ${
          show(options.scaleFactor)}`);
    }
    outSize = inSize.map((s, i) => outputSizeFromScale(s, factors[i]));
    if (outSize.some((s) => s < 1)) {
      fail(op, `argument 'scaleFactor' ${show(options.scaleFactor)} gives an empty output: input ${
          show(inSize)} -> output ${show(outSize)}`);
    }
    // functional.py: area always recomputes (adaptive pooling takes only an output size).
    const recomputed = recompute === true || mode === 'area';
    scales = recomputed ? outSize.map(() => null) : factors;
  }
  // Note [size guard]: before any table or output is made.
  checkSize(op, 'output', shapeOf(layout.batch, layout.channels, outSize, dataFormat));
  return {
    mode,
    inSize,
    outSize,
    alignCorners: interpolating ? alignCornersArg ?? false : false,
    scales,
    antialias,
    dataFormat,
  };
}

/**
 * Resizes the spatial dims of x (rank 3, 4, 5: 1, 2, 3 spatial dims) as
 * torch.nn.functional.interpolate, with PyTorch's coordinate rules and numerics. Exactly one of
 * size and scaleFactor. float32 input for every mode; int32 for nearest and nearest-exact.
 */
export function interpolate<T extends tf.Tensor>(
    x: T|tf.TensorLike, options: InterpolateOptions): T {
  const op = 'interpolate';
  // tidy disposes the tensor made when x is an array, as tfjs's own ops do.
  return tf.tidy(op, () => {
    const t = toTensor(x, 'x', op);
    const attrs = resolveInterpolateAttrs(op, t, options);
    if (opChecksFinite(capabilitiesOf(tf.getBackend()).finiteCheck, attrs)) {
      attrs.finite = allFinite(t);
    }
    return tf.engine().runKernel(Interpolate, {x: t}, asAttrs(attrs)) as T;
  });
}
