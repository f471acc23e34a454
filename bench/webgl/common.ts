// Shared pieces of the webgl bench sections: a contender that times one call on the webgl
// backend up to its downloaded result, and a pass/fail check that two contenders agree before
// anything is timed.
import * as tf from '@tensorflow/tfjs-core';
import type {Contender} from '../harness.js';

/**
 * One timed call: runs fn, awaits the result's data() (the GPU work is complete and the values
 * are on the CPU, for every contender alike) and frees it.
 */
export function contender(name: string, fn: () => tf.Tensor): Contender {
  return {
    name,
    run: async () => {
      const y = fn();
      await y.data();
      y.dispose();
    },
  };
}

/** Throws unless a and b hold the same values (within tol), so a row times equal work. */
export async function expectSame(a: tf.Tensor, b: tf.Tensor, what: string, tol = 0):
    Promise<void> {
  const [av, bv] = await Promise.all([a.data(), b.data()]);
  if (av.length !== bv.length) throw new Error(`${what}: ${av.length} values vs ${bv.length}`);
  for (let i = 0; i < av.length; i++) {
    if (Math.abs(av[i] - bv[i]) > tol * (1 + Math.abs(bv[i]))) {
      throw new Error(`${what}: differs at ${i}: ${av[i]} vs ${bv[i]}`);
    }
  }
}

/** Deterministic values in [0, 1) (a bench needs no statistics, only reproducible input). */
export function input(shape: number[], dtype: 'float32'|'int32' = 'float32'): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = ((i * 2654435761) % 4096) / 4096;
  return dtype === 'int32' ? tf.tensor(Int32Array.from(v, (e) => Math.floor(e * 255)), shape, 'int32') :
                             tf.tensor(v, shape);
}
