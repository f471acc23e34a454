// The webgpu bench rows. convTranspose2d, pixel shuffle and normalize reuse the webgl bench's
// sections, which only call ops (tfjs-torch's against tf.conv2dTranspose, tf.depthToSpace,
// reshape + transpose, sub + div) and so time whichever backend is active. interpolate and max
// pooling have rows of their own here: the tfjs kernels named by the speed target
// (resizeBilinear with half-pixel centres, resizeNearestNeighbor, maxPool), each checked to
// compute the same values first.
import * as tf from '@tensorflow/tfjs-core';
import {interpolate, maxPool2dWithIndices} from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';
import type {InterpolateOptions} from '../../src/ops/interpolate.js';
import type {Row} from '../harness.js';
import {contender, expectSame, input} from '../webgl/common.js';
import {contender2, freshTranspose} from '../webgl/pool.js';

export {convTransposeRows} from '../webgl/conv_transpose.js';
export {normalizeRows} from '../webgl/normalize.js';
export {pixelShuffleRows} from '../webgl/pixel_shuffle.js';

const FORMATS: DataFormat[] = ['channelsLast', 'channelsFirst'];

/**
 * interpolate against tfjs's image ops on [1, 256, 256, 3] (NHWC; ours also on NCHW, theirs
 * on NHWC): bilinear = resizeBilinear with halfPixelCenters, PyTorch's nearest
 * (floor(o * in / out)) = resizeNearestNeighbor without half-pixel centres.
 */
export async function interpolateRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const cases: Array<{label: string, options: InterpolateOptions, name: string,
                      fn: (x: tf.Tensor4D) => tf.Tensor}> = [
    {label: 'bilinear 2x', options: {scaleFactor: 2, mode: 'bilinear'},
     name: 'tfjs resizeBilinear (half-pixel)',
     fn: (x) => tf.image.resizeBilinear(x, [512, 512], false, true)},
    {label: 'nearest 2x', options: {scaleFactor: 2, mode: 'nearest'},
     name: 'tfjs resizeNearestNeighbor',
     fn: (x) => tf.image.resizeNearestNeighbor(x, [512, 512], false, false)},
  ];
  const nhwc = input([1, 256, 256, 3]) as tf.Tensor4D;
  for (const c of cases) {
    for (const dataFormat of FORMATS) {
      const x = dataFormat === 'channelsLast' ? input([1, 256, 256, 3]) :
                                                await freshTranspose(nhwc, [0, 3, 1, 2]);
      const ours = () => interpolate(x, {...c.options, dataFormat});
      const theirs = () => c.fn(nhwc);
      const a = ours();
      const aNhwc = dataFormat === 'channelsLast' ? tf.clone(a) : tf.transpose(a, [0, 2, 3, 1]);
      const b = theirs();
      await expectSame(aNhwc, b, `${c.label} ${dataFormat} vs ${c.name}`, 1e-5);
      tf.dispose([a, aNhwc, b]);
      rows.push({
        label: `${c.label} [${x.shape}] ${dataFormat}`,
        contenders: [contender('tfjs-torch interpolate', ours), contender(c.name, theirs)],
      });
    }
  }
  return rows;
}

/**
 * maxPool2dWithIndices (values and indices, both downloaded) against tf.maxPoolWithArgmax (both
 * outputs, TensorFlow's index convention) and tf.maxPool (values only), [1, 128, 128, 64],
 * kernel 2, stride 2. Values checked equal to tf.maxPool's first.
 */
export async function poolRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const xNhwc = input([1, 128, 128, 64]) as tf.Tensor4D;
  const theirs = () => tf.maxPool(xNhwc, 2, 2, 'valid');
  for (const dataFormat of FORMATS) {
    const x = dataFormat === 'channelsLast' ? input([1, 128, 128, 64]) :
                                              await freshTranspose(xNhwc, [0, 3, 1, 2]);
    const ours = () => maxPool2dWithIndices(x, {kernelSize: 2, dataFormat});
    const [v, i] = ours();
    const vNhwc = dataFormat === 'channelsLast' ? tf.clone(v) : tf.transpose(v, [0, 2, 3, 1]);
    const t = theirs();
    await expectSame(vNhwc, t, `maxPool2dWithIndices ${dataFormat} values vs tf.maxPool`);
    tf.dispose([v, i, vNhwc, t]);
    rows.push({
      label: `maxPool2d with indices [${x.shape}] k2 s2 ${dataFormat}`,
      contenders: [
        contender2('tfjs-torch maxPool2dWithIndices', ours),
        contender2('tfjs maxPoolWithArgmax (NHWC)', () => {
          const {result, indexes} = tf.maxPoolWithArgmax(xNhwc, 2, 2, 'valid');
          return [result, indexes];
        }),
        contender2('tfjs maxPool (values only, NHWC)', () => [theirs()]),
      ],
    });
  }
  return rows;
}
