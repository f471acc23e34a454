// webgl rows for maxPool2dWithIndices next to tfjs's own webgl tf.maxPoolWithArgmax (NHWC only)
// on the same work: [1, 128, 128, 64], kernel 2, stride 2, both outputs downloaded. The values
// are checked equal to tf's before timing; the indices (a different convention, and tf's webgl
// kernel resolves ties its own way) are checked equal to tfjs-torch's cpu kernel's.
// The cpu backend, for the indices check only (tfjs-torch's cpu kernel is the reference).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {maxPool2dWithIndices} from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';
import type {Contender, Row} from '../harness.js';
import {expectSame, input} from './common.js';

/** One timed call producing two tensors: both downloaded and freed. */
export function contender2(name: string, fn: () => tf.Tensor[]): Contender {
  return {
    name,
    run: async () => {
      const ys = fn();
      await Promise.all(ys.map((y) => y.data()));
      tf.dispose(ys);
    },
  };
}

/** x transposed, as a new tensor made from values (not yet on the GPU, like a fresh input). */
export async function freshTranspose(x: tf.Tensor, perm: number[]): Promise<tf.Tensor> {
  const t = tf.transpose(x, perm);
  const fresh = tf.tensor(await t.data(), t.shape);
  t.dispose();
  return fresh;
}

export async function poolRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const shape = [1, 128, 128, 64];
  const xNhwc = input(shape) as tf.Tensor4D;
  const theirs = () => {
    const {result, indexes} = tf.maxPoolWithArgmax(xNhwc, 2, 2, 'valid');
    return [result, indexes];
  };
  for (const dataFormat of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
    // A fresh upload in either layout, as xNhwc is for tf's op (a transposed tensor would be
    // packed, and unpacking it would be timed with our call).
    const x = dataFormat === 'channelsLast' ? xNhwc : await freshTranspose(xNhwc, [0, 3, 1, 2]);
    const ours = () => maxPool2dWithIndices(x, {kernelSize: 2, dataFormat});
    const [v, i] = ours();
    const [tv, ti] = theirs();
    const vNhwc = dataFormat === 'channelsLast' ? tf.clone(v) : tf.transpose(v, [0, 2, 3, 1]);
    await expectSame(vNhwc, tv, `maxPool2dWithIndices ${dataFormat} values vs tf.maxPoolWithArgmax`);
    await tf.setBackend('cpu');
    const xCpu = tf.tensor(await x.data(), x.shape);
    const [vc, ic] = maxPool2dWithIndices(xCpu, {kernelSize: 2, dataFormat});
    const [icValues, vcValues] = [await ic.data(), await vc.data()];
    tf.dispose([xCpu, vc, ic]);
    await tf.setBackend('webgl');
    await expectSame(i, tf.tensor(icValues, i.shape, 'int32'), `indices ${dataFormat} vs cpu`);
    await expectSame(v, tf.tensor(vcValues, v.shape), `values ${dataFormat} vs cpu`);
    tf.dispose([v, i, tv, ti, vNhwc]);
    rows.push({
      label: `maxPool2d with indices [1,128,128,64] k2 s2 ${dataFormat}`,
      contenders: [
        contender2('tfjs-torch maxPool2dWithIndices', ours),
        contender2('tfjs maxPoolWithArgmax (NHWC)', theirs),
      ],
    });
  }
  return rows;
}
