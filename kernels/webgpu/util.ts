// Helpers shared by the webgpu kernels: the backend type, the program object tfjs-backend-webgpu
// runs (TorchProgram), index tables handed to shaders as storage buffers, the buffer-size check
// every kernel runs before its program, and WGSL snippets for flat offsets.
//
// Note [webgpu programs]
// tfjs-backend-webgpu compiles a program's WGSL once per shader key: the program's `shaderKey`
// plus the ranks and dtypes of its inputs and output (webgpu_program.makeShaderKey), NOT their
// shapes, which reach the shader as uniforms. Our programs follow the same rule: every number
// that changes with the tensors' sizes (sizes, strides, table offsets and lengths, channel
// offsets) is read from a uniform of the program (`Ints`: `ints.of(v)` writes `uniforms.k<j>`
// into the WGSL and hands v to the dispatch), and only what shapes the code is compiled in: the
// rank, tap counts and table row widths (loop bounds that are unrolled), the dtype, the layout,
// channel counts and the strides that depend on them only (the model's, not the image's: they
// let the compiler fold and unroll channel loops), and whether a stride is 1. TorchProgram's key is the namespace `tfjsTorch`, the program's name
// and the whole generated WGSL, which therefore names only those; a new image size reuses the
// pipelines of the last one (test/browser/gpu_chain.test.ts counts them). Index data that
// depends on more than a few numbers (interpolate's tables, convTranspose's tap tables, pooling
// windows) travels as int32 / float32 storage buffers made from src/index_math's typed arrays,
// so it never needs to be written in WGSL.
//
// Note [int32 on webgpu]
// tfjs-backend-webgpu keeps an int32 tensor in an array<i32> storage buffer, exact. Its own
// accessors (getX, setOutputAtIndex) convert through f32, which rounds integers beyond 2^24, so
// our shaders index the buffers directly (`x[offset]`, `result[index] = ...`): a copying kernel
// (pixel shuffle, the nearest modes of interpolate, the gathers of the pooling kernels) moves
// int32 values bit for bit, and pooling indices are i32 end to end.
import {webgpu_util} from '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend as Backend, WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {DataType, TensorInfo} from '@tensorflow/tfjs-core';
import {fail, show} from '../../src/util/args.js';

export type WebGPUBackend = Backend;

/** Workgroup size of every program here: one output value per invocation, 64 per group. */
const WORKGROUP: [number, number, number] = [64, 1, 1];

/**
 * The size-dependent integers of one program, read from its uniforms (Note [webgpu programs]).
 * Every call of `of` gets a slot of its own, in call order, so the WGSL (and the shader key)
 * does not depend on which of the values happen to be equal.
 */
export class Ints {
  readonly values: number[] = [];
  /** WGSL i32 expression reading `v` from the program's uniforms. */
  readonly of = (v: number): string => {
    if (!Number.isInteger(v) || Math.abs(v) > 2147483647) {
      throw new Error(`webgpu program: uniform ${v} is not an int32`);
    }
    this.values.push(v);
    return `uniforms.k${this.values.length - 1}`;
  };
  /**
   * `v` compiled in when `fixed` (a number that does not change with the image's size: a channel
   * count, the stride of a dim after every spatial dim), else a uniform.
   */
  readonly or = (v: number, fixed: boolean): string => (fixed ? `${v}` : this.of(v));
}

/**
 * Whether the row-major stride of dim d of a tensor does not depend on its spatial sizes: no
 * spatial dim comes after d (the channel dim of channelsLast, the last spatial dim's stride C).
 */
export function strideIsFixed(d: number, spatialDims: readonly number[]): boolean {
  return !spatialDims.some((s) => s > d);
}

/**
 * A program for backend.runWebGPUProgram that computes one output value per invocation. `body`
 * is WGSL run for every flat output index `index` below the output size (`coords` holds its
 * coordinates); it writes `result[index]`. `helpers` is WGSL placed before main (functions,
 * constants). The shader key is the name and the whole WGSL (Note [webgpu programs]).
 */
export class TorchProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize = WORKGROUP;
  size = true;
  atomic?: boolean;
  variableComponents?: number[];
  /** WGSL declarations of the program's own uniforms (one i32 per value of `ints`). */
  uniforms?: string;
  /** Their values, handed to runWebGPUProgram by `run`. */
  readonly intValues: number[];
  private readonly code: string;

  /**
   * With `domain`, the program runs once per element of `outputShape` (its domain) but writes
   * into a given output of another shape (run's `output`); `coords` is then not defined (tfjs
   * would derive it from the output's shape) and the body decodes `index` itself. `atomic`
   * implies `domain` and has tfjs declare that output array<atomic<i32>>. `variableComponents`:
   * per input, 1 (an array of scalars) or 4 (an array of vec4s of its dtype). `ints`: the
   * uniforms the WGSL reads (made with `ints.of` while writing it).
   */
  constructor(
      name: string, outputShape: number[], variableNames: string[], body: string,
      helpers = '',
      {atomic = false, domain = false, variableComponents, ints}:
          {atomic?: boolean, domain?: boolean, variableComponents?: number[], ints?: Ints} = {}) {
    this.variableNames = variableNames;
    this.intValues = ints != null ? ints.values.slice() : [];
    if (this.intValues.length > 0) {
      this.uniforms = this.intValues.map((_, j) => `k${j} : i32, `).join('');
    }
    if (atomic) this.atomic = true;
    if (variableComponents != null) this.variableComponents = variableComponents;
    const ownCoords = !atomic && !domain;
    this.outputShape = outputShape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, WORKGROUP);
    this.code = `
      ${helpers}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${outputShape.length > 0 && ownCoords ? 'let coords = getCoordsFromIndex(index);' : ''}
          ${body}
        }
      }
    `;
    this.shaderKey = `tfjsTorch${name}:${this.code}`;
  }

  getUserCode(): string {
    return this.code;
  }
}

/**
 * Runs a program and returns its output (tfjs's runWebGPUProgram, with the program's own
 * uniforms). WebGPU
 * cannot bind an empty buffer: an input without values (the x of a weight gradient over an
 * empty batch, say), which the program's loops then never read, is bound as one zero of its
 * dtype instead, with the same rank.
 */
export function run(
    backend: WebGPUBackend, program: TorchProgram, inputs: TensorInfo[], dtype: DataType,
    output?: TensorInfo): TensorInfo {
  const empty = inputs.map((t) => t.shape.some((d) => d === 0));
  const uniforms = program.intValues.length > 0 ?
      program.intValues.map((v) => ({type: 'int32', data: [v]})) : undefined;
  if (!empty.some((e) => e) || program.outputShape.some((d) => d === 0)) {
    return backend.runWebGPUProgram(program, inputs, dtype, uniforms, output);
  }
  const stand = inputs.map((t, i) => empty[i] ?
      backend.makeTensorInfo(t.shape.map(() => 1), t.dtype,
                             t.dtype === 'int32' ? new Int32Array(1) : new Float32Array(1)) :
      t);
  try {
    return backend.runWebGPUProgram(program, stand, dtype, uniforms, output);
  } finally {
    stand.forEach((t, i) => {
      if (empty[i]) backend.disposeData(t.dataId);
    });
  }
}

/** A storage buffer (an int32 or float32 tensor on the backend) holding `values`. */
export function table(backend: WebGPUBackend, values: Int32Array|Float32Array): TensorInfo {
  const dtype = values instanceof Int32Array ? 'int32' : 'float32';
  return backend.makeTensorInfo([Math.max(values.length, 1)], dtype,
                                values.length > 0 ? values : new (values.constructor as
                                    Int32ArrayConstructor)(1));
}

/**
 * Runs `fn` with temporary tables and disposes them afterwards (tfjs keeps a buffer alive until
 * the commands that read it have run).
 */
export function withTables<T>(
    backend: WebGPUBackend, tables: Array<Int32Array|Float32Array>,
    fn: (infos: TensorInfo[]) => T): T {
  const infos = tables.map((t) => table(backend, t));
  try {
    return fn(infos);
  } finally {
    for (const t of infos) backend.disposeData(t.dataId);
  }
}

/**
 * Throws, before any work, when a tensor of `shape` (4-byte values) is larger than one storage
 * buffer binding may be on this device (maxStorageBufferBindingSize), or larger than the shaders'
 * i32 offset arithmetic addresses.
 */
export function checkFitsBuffer(
    backend: WebGPUBackend, op: string, what: string, shape: readonly number[]): void {
  const size = shape.reduce((a, b) => a * b, 1);
  const device = backend.device.limits.maxStorageBufferBindingSize;
  const head = `${what} of shape ${show(shape.slice())} (${size} values, ${size * 4} bytes)`;
  if (size * 4 > device) {
    fail(op, `${head} does not fit in one WebGPU storage buffer: this device's ` +
             `maxStorageBufferBindingSize is ${device} bytes (webgpu backend)`);
  }
  if (size * 4 > 2 ** 31 - 1) {
    fail(op, `${head} is more than the 2^31 - 1 bytes the webgpu kernels' i32 offsets address ` +
             `(webgpu backend)`);
  }
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/** WGSL expression for component d of the `coords` of an output of the given rank. */
export function coord(rank: number, d: number): string {
  if (rank <= 1) return 'coords';
  return `coords.${'xyzwuv'[d]}`;
}

/**
 * PyTorch's NaN test on the bits (a compiler may fold `v != v` away), and -infinity (from the
 * INFINITY uniform tfjs gives every program: WGSL rejects an infinite constant expression).
 */
export const FLOAT_BITS = `
      fn torchIsNaN(v : f32) -> bool {
        return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
      }
      fn negInf() -> f32 {
        return -uniforms.INFINITY;
      }`;

/** A WGSL f32 literal of v (constants of a formula, never sizes). */
export function wgslFloat(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw new Error(`wgslFloat: ${v} is not finite`);
  const s = f.toPrecision(9);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}
