// Contenders shared by the Node bench sections: a tfjs call timed until its values are read, and
// an onnxruntime-node session over one of the models in bench/models (PyTorch's ONNX exports,
// written by scripts/export_onnx_*.py).
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import * as path from 'path';
import type {Contender} from './harness.js';

export const MODELS = path.join(__dirname, 'models');

/** A tfjs contender: every output's values are read (the kernel is complete), then freed. */
export function tfContender(name: string, fn: () => tf.Tensor|tf.Tensor[]): Contender {
  return {
    name,
    run: () => {
      const out = fn();
      const list = Array.isArray(out) ? out : [out];
      for (const t of list) t.dataSync();
      tf.dispose(list);
    },
  };
}

/**
 * A tfjs contender on a backend whose kernels have finished when they return (wasm): its outputs
 * are freed unread. Reading an output back (dataSync: a copy out of the backend's heap into a
 * fresh JavaScript buffer, and the page faults and garbage collection that follow) costs the
 * same for every contender with outputs of that size, yet as much as a memory-bound kernel
 * itself, and far more than it under load: it would pull the ratios of tfjs kernels towards 1
 * and add the noise of the copy to them.
 */
export function kernelContender(name: string, fn: () => tf.Tensor|tf.Tensor[]): Contender {
  return {name, run: () => tf.dispose(fn())};
}

/** An onnxruntime session on bench/models/<file> with `threads` intra-op threads. */
export function ortSession(file: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path.join(MODELS, file), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

/** The part of an onnxruntime session (onnxruntime-node or onnxruntime-web) a contender runs. */
export interface OrtRunner<Feeds> {
  run(feeds: Feeds): Promise<Record<string, {dispose(): void}>>;
}

/** An onnxruntime contender: one run of the session on `feeds`, outputs freed. */
export function ortContender<Feeds>(name: string, s: OrtRunner<Feeds>, feeds: Feeds): Contender {
  return {
    name,
    run: async () => {
      const out = await s.run(feeds);
      for (const k of Object.keys(out)) out[k].dispose();
    },
  };
}
