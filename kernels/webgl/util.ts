// Helpers shared by the webgl kernels: the backend type, GLSL snippets for coordinates of any
// rank, the texture-size check every kernel runs before its program, and small float tables
// (index tables, per-channel values) handed to shaders as textures.
import {webgl_util} from '@tensorflow/tfjs-backend-webgl';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {DataFormat} from '../../src/kernel_names.js';
import {fail, show} from '../../src/util/args.js';

// The layout helpers live in src/util/layout.ts; the webgl kernels take them from here too.
export {axisNames, dimsOf, sizeOf, withShape} from '../../src/util/layout.js';

export type WebGLBackend = MathBackendWebGL;

/** GLSL type getOutputCoords() returns for an output of this rank. */
export function coordsType(rank: number): string {
  return rank <= 1 ? 'int' : `ivec${rank}`;
}

/**
 * GLSL expression for component `i` of a `coords` variable of the given rank: vectors index,
 * tfjs's ivec5 / ivec6 structs (ranks 5, 6) name their fields.
 */
export function coord(name: string, rank: number, i: number): string {
  if (rank === 1) return name;
  if (rank <= 4) return `${name}[${i}]`;
  return `${name}.${'xyzwuv'[i]}`;
}

/** getName(...) in a tensor's dim order from batch, channel and spatial expressions. */
export function sampleAt(
    variable: string, dataFormat: DataFormat, b: string, c: string, spatial: string[]): string {
  const args = dataFormat === 'channelsLast' ? [b, ...spatial, c] : [b, c, ...spatial];
  return `get${variable[0].toUpperCase()}${variable.slice(1)}(${args.join(', ')})`;
}

/** A GLSL `const int NAME[n] = int[n](...)` declaration. */
export function glslIntArray(name: string, values: ArrayLike<number>): string {
  const list = Array.from(values, (v) => `${v}`).join(', ');
  return `const int ${name}[${values.length}] = int[${values.length}](${list});`;
}

/**
 * Throws, before any work, when `shape` cannot be stored in one WebGL texture on this device.
 * Uses the backend's own texture-shape rule (webgl_util.getTextureShapeFromLogicalShape, which
 * squarifies shapes that do not fit as they are) and the device limit
 * WEBGL_MAX_TEXTURE_SIZE; a packed texture holds 2x2 values per texel.
 */
export function checkFitsTexture(op: string, what: string, shape: number[], packed = false):
    void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === 0) return;
  const max = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
  const texShape = webgl_util.getTextureShapeFromLogicalShape(shape, packed);
  const texels = packed ? texShape.map((d) => Math.ceil(d / 2)) : texShape;
  if (texels[0] > max || texels[1] > max) {
    fail(op, `${what} of shape ${show(shape)} (${size} values) does not fit in a WebGL texture: ` +
             `it needs ${texels[0]} x ${texels[1]} texels, more than this device's ` +
             `WEBGL_MAX_TEXTURE_SIZE ${max} on a side (webgl backend)`);
  }
}

/** A float32 tensor on the webgl backend holding `values` (uploaded when a program reads it). */
export function floatTable(backend: WebGLBackend, shape: number[], values: Float32Array):
    TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/**
 * Shape with the dims in [start, end) merged into one. Merging leading dims keeps the last two
 * dims, so the backend's packed layout of the data stays valid (webgl_util.isReshapeFree).
 */
export function collapse(shape: readonly number[], start: number, end: number): number[] {
  const merged = shape.slice(start, end).reduce((a, b) => a * b, 1);
  return [...shape.slice(0, start), merged, ...shape.slice(end)];
}

/**
 * Note [int32 beyond float precision]
 * tfjs's webgl backend stores int32 tensors in float textures: exact up to 2^24 in magnitude
 * (2^11 with half-float textures); uploading a larger value rounds it. The copying kernels
 * (pixel shuffle, the nearest modes of interpolate) promise exact int32 results, so when an int32
 * input still lives on the CPU (created by tf.tensor and not yet uploaded) and holds a value a
 * texture would round, they run the cpu kernel's own loop on those values instead (no GPU read
 * is involved, the data is not uploaded, the result stays on the CPU). Data already in a texture
 * was rounded when tfjs uploaded it and is copied as it is.
 */
export function cpuInt32Values(backend: WebGLBackend, x: TensorInfo): Int32Array|null {
  if (x.dtype !== 'int32') return null;
  const data = backend.texData.get(x.dataId);
  if (data == null || data.texture != null || data.values == null || data.slice != null) {
    return null;
  }
  const values = data.values as Int32Array;
  const exact = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 2 ** 24 : 2 ** 11;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > exact || values[i] < -exact) return values;
  }
  return null;
}
