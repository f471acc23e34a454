// Helpers shared by the webgl kernels: the backend type, GLSL snippets for coordinates of any
// rank, the texture-size check every kernel runs before its program, and small float tables
// (index tables, per-channel values) handed to shaders as textures.
import {webgl_util} from '@tensorflow/tfjs-backend-webgl';
import type {GPGPUProgram, MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
import type {DataType, TensorInfo} from '@tensorflow/tfjs-core';
import type {DataFormat} from '../../src/kernel_names.js';
import {fail, show} from '../../src/util/args.js';

// The layout helpers live in src/util/layout.ts; the webgl kernels take them from here too.
export {axisNames, dimsOf, sizeOf, withShape} from '../../src/util/layout.js';

export type WebGLBackend = MathBackendWebGL;

/**
 * Note [webgl programs keyed by code]
 * tfjs's webgl backend caches a compiled program under makeShaderKey: the program's class, its
 * GLSL (userCode) and, unless the program sets `enableShapeUniforms`, the shape and texture
 * shape of every input and of the output. Our GLSL never holds a size: every number that
 * changes with the tensors' sizes (sizes, plane strides, window edges, tap ranges, the batch)
 * comes from int uniforms (`Ints`: `ints.of(v)` writes a uniform's name into the GLSL, its value
 * travels with the run). Only what shapes the code is compiled in: ranks, tap counts and loop
 * bounds over kernels, channel counts, factors, the layout. tfjs declares custom uniforms
 * outside userCode, so runProgram writes their declarations (an array's length can be all that
 * differs) into it as a comment.
 * What is left is tfjs's own samplers (getX(...), getOutputCoords()), and for them our programs
 * follow tfjs's flag WEBGL_USE_SHAPES_UNIFORMS exactly as tfjs's own programs do
 * (gpgpu_math's useShapeUniforms):
 * - off (tfjs's default): the samplers compile the shapes in and the key holds them, so a new
 *   image size compiles each program once more (kept in tfjs's binary cache), and no sample
 *   pays for reading shapes from uniforms;
 * - on: the samplers read the shapes from uniforms and the key holds only the ranks and a few
 *   layout facts of the textures, so new sizes reuse the binaries, and every sample computes its
 *   texel from uniforms (on SwiftShader `npm run bench:webgl` measured our convTranspose
 *   programs, which read taps x channels samples per output, 1.6-1.9x slower per call with it
 *   on, the lighter programs 10-30%).
 * Where tfjs cannot take the shapes as uniforms (`shapeUniformsFit`: ranks 5 and 6, the 3-D
 * ops; inputs that squeeze to rank 2) a program keys on its shapes whatever the flag says.
 * test/browser/gpu_chain.test.ts counts the programs a decoder-like chain compiles per image
 * size with the flag off and on.
 */

/**
 * The size-dependent integers of one program, read from int uniforms (Note [webgl programs
 * keyed by code]). Every call of `of` / `array` gets a uniform of its own, in call order, so the
 * GLSL does not depend on which values happen to be equal. Pass `values` as runWebGLProgram's
 * customUniformValues (after the program's other custom uniforms, in `customUniforms` order).
 */
export class Ints {
  readonly customUniforms: Array<{name: string, type: 'int', arrayIndex?: number}> = [];
  readonly values: number[][] = [];
  /** GLSL int expression reading `v` from a uniform. */
  readonly of = (v: number): string => this.add([v], false);
  /** `v` compiled in when `fixed` (a number that does not change with the image's size). */
  readonly or = (v: number, fixed: boolean): string => (fixed ? `${v}` : this.of(v));
  /** Name of a uniform `int name[values.length]` holding `values` (its length is compiled in). */
  readonly array = (values: readonly number[]): string =>
      this.add(values.length > 0 ? values : [0], true);  // GLSL has no zero-length arrays

  private add(values: readonly number[], isArray: boolean): string {
    for (const v of values) {
      if (!Number.isInteger(v) || Math.abs(v) > 2147483647) {
        throw new Error(`webgl program: uniform ${v} is not an int32`);
      }
    }
    const name = `tk${this.customUniforms.length}`;
    this.customUniforms.push(isArray ? {name, type: 'int', arrayIndex: values.length} :
                                       {name, type: 'int'});
    this.values.push(values.slice());
    return name;
  }
}

const UNIFORMS_TAG = '// custom uniforms:';

/**
 * backend.runWebGLProgram for our programs: the custom uniform values are `values`, else the
 * program's own int uniforms (`uniformValues`, from its Ints); tfjs's shape uniforms are on
 * when tfjs's WEBGL_USE_SHAPES_UNIFORMS flag is on and shapeUniformsFit says tfjs handles these
 * shapes (the GLSL of our programs never reads a shape, so the switch changes only how tfjs
 * keys and samples); and the custom uniform declarations are written into userCode, tfjs's
 * cache key.
 */
export function runProgram(
    backend: WebGLBackend,
    program: GPGPUProgram&{uniformValues?: number[][], enableShapeUniforms?: boolean},
    inputs: TensorInfo[], dtype: DataType, values?: number[][]): TensorInfo {
  program.enableShapeUniforms = tf.env().getBool('WEBGL_USE_SHAPES_UNIFORMS') &&
      shapeUniformsFit(program.outputShape, inputs.map((t) => t.shape));
  // tfjs declares the custom uniforms outside userCode, and its cache key holds userCode but
  // not them: two programs whose GLSL differs only in a uniform array's length would share a
  // binary. The declarations go into userCode as a comment, so the key sees them.
  const uniforms = program.customUniforms ?? [];
  if (uniforms.length > 0 && !program.userCode.startsWith(UNIFORMS_TAG)) {
    const decls = uniforms.map((d) => `${d.type} ${d.name}${d.arrayIndex ? `[${d.arrayIndex}]` : ''}`);
    program.userCode = `${UNIFORMS_TAG} ${decls.join(', ')}\n${program.userCode}`;
  }
  return backend.runWebGLProgram(program, inputs, dtype, values ?? program.uniformValues);
}

/**
 * Whether tfjs reads every shape of a program from uniforms correctly (Note [webgl programs
 * keyed by code]). Its shader compiler does so for ranks up to 4 only (webgl's
 * useShapeUniforms); for rank 5 and 6 it compiles the shape in while the cache key leaves it
 * out. And an input of rank 3 or 4 whose size-1 dims squeeze it to rank 2 gets a sampler that
 * depends on whether the squeezed shape equals its texture's shape, which tfjs 4.22's key does
 * not record (it compares the unsqueezed shape): a [3, 1, 24] view of a [3, 4, 6] texture would
 * reuse the binary compiled for a [3, 1, 24] texture of its own and read the wrong texels. Such
 * programs key on their shapes instead.
 */
export function shapeUniformsFit(
    outShape: readonly number[], inShapes: ReadonlyArray<readonly number[]>): boolean {
  if (outShape.length > 4) return false;
  return inShapes.every((s) => s.length <= 4 &&
                               !(s.length > 2 && s.filter((d) => d !== 1).length === 2));
}

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
