// Helpers shared by the tensorflow-backend (tfjs-node) kernels: running one TensorFlow op
// through tfjs-node's binding with typed attributes, and small constant tensors built from
// shapes and attributes.
//
// Why not import tfjs-node here: it is an optional peer, and the kernels need only the backend
// object tfjs hands them. Its `executeSingleOutput` runs one TensorFlow eager op and returns a
// tfjs Tensor registered with the engine (so it can be returned from a kernel as is, or
// disposed like any tensor). Kernels also call tfjs-core ops (transpose, reshape, ...): on this
// backend those run tfjs-node's own kernels, i.e. one native op each, and nested inside a
// kernel they are not recorded on the gradient tape.
//
// Lifetime: every intermediate a kernel makes is disposed before it returns; a kernel body runs
// inside `tidy` (which keeps only what it returns) or disposes by hand where a tidy would be
// awkward. Inputs are never disposed.
import * as tf from '@tensorflow/tfjs-core';
import type {DataType, KernelBackend, Tensor, TensorInfo} from '@tensorflow/tfjs-core';

/** The constants of tfjs-node's binding that kernels use (TF_DataType and TF_AttrType). */
interface TFBinding {
  TF_FLOAT: number;
  TF_INT32: number;
  TF_BOOL: number;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
}

/** One attribute of a TensorFlow op, as tfjs-node's binding takes it. */
export interface OpAttr {
  name: string;
  type: number;
  value: string|number|boolean|number[];
}

/** The part of tfjs-node's NodeJSKernelBackend the kernels use. */
export interface NodeBackend extends KernelBackend {
  binding: TFBinding;
  executeSingleOutput(name: string, opAttrs: OpAttr[], inputs: TensorInfo[]): Tensor;
  executeMultipleOutputs(name: string, opAttrs: OpAttr[], inputs: TensorInfo[], numOutputs: number):
      Tensor[];
}

/** Attribute builders bound to one backend's binding constants. */
export class Attrs {
  constructor(private readonly b: TFBinding) {}

  type(name: string, dtype: DataType): OpAttr {
    let value: number;
    switch (dtype) {
      case 'float32': value = this.b.TF_FLOAT; break;
      case 'int32': value = this.b.TF_INT32; break;
      case 'bool': value = this.b.TF_BOOL; break;
      default: throw new Error(`tfjs-torch node kernels: unsupported dtype ${dtype}`);
    }
    return {name, type: this.b.TF_ATTR_TYPE, value};
  }

  int(name: string, value: number|number[]): OpAttr {
    return {name, type: this.b.TF_ATTR_INT, value};
  }

  bool(name: string, value: boolean): OpAttr {
    return {name, type: this.b.TF_ATTR_BOOL, value};
  }

  string(name: string, value: string): OpAttr {
    return {name, type: this.b.TF_ATTR_STRING, value};
  }
}

/** The backend a kernel received, typed, with attribute builders. */
export function nodeOf(backend: unknown): {node: NodeBackend, attr: Attrs} {
  const node = backend as NodeBackend;
  return {node, attr: new Attrs(node.binding)};
}

/**
 * Runs one TensorFlow op with a single output. Inputs given as plain number arrays become int32
 * constants (shapes, sizes, perms), disposed afterwards.
 */
export function runOp(
    node: NodeBackend, name: string, attrs: OpAttr[],
    inputs: Array<TensorInfo|number[]>): Tensor {
  const made: Tensor[] = [];
  const infos = inputs.map((t) => {
    if (!Array.isArray(t)) return t;
    const c = tf.tensor1d(t, 'int32');
    made.push(c);
    return c;
  });
  try {
    return node.executeSingleOutput(name, attrs, infos);
  } finally {
    for (const c of made) c.dispose();
  }
}

/** The TensorInfo a kernel received, as a tfjs Tensor (no copy: the same data). */
export function asTensor(t: TensorInfo): Tensor {
  return t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t);
}

/**
 * Whether an op this TensorFlow build may lack runs here: `tryIt` is called once per backend
 * object (inside a tidy; a throw counts as no) and must check only its result's shape, never read
 * values back (Note [conv and bias in one TensorFlow op] in conv_bias.ts); the answer is kept in
 * `seen`.
 */
export function probeOnce(seen: WeakMap<object, boolean>, backend: unknown,
                          tryIt: (node: NodeBackend) => boolean): boolean {
  const node = backend as NodeBackend;
  const known = seen.get(node);
  if (known !== undefined) return known;
  let ok = false;
  tf.tidy(() => {
    try {
      ok = tryIt(node);
    } catch {
      ok = false;
    }
  });
  seen.set(node, ok);
  return ok;
}
