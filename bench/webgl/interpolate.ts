// webgl rows for interpolate, next to tfjs's own webgl image ops where one computes the same
// values (checked equal first, within 1e-5):
// - bilinear (alignCorners false) = tf.image.resizeBilinear with halfPixelCenters;
//   alignCorners true = resizeBilinear with alignCorners,
// - nearest (PyTorch's legacy rule, floor(o * in/out)) = resizeNearestNeighbor without
//   half-pixel centres; nearest-exact = resizeNearestNeighbor with them,
// - area downscaling by an integer factor = tf.avgPool with that window and stride,
// - the gradient of bilinear with alignCorners = tf.grad of resizeBilinear (tfjs's
//   ResizeBilinearGrad; tfjs 4.22's gradient ignores halfPixelCenters, so not the default mode).
// bicubic and antialias have no tfjs counterpart and are listed alone (time only). tfjs's ops
// take NHWC only: the channelsFirst rows time ours on NCHW against theirs on the NHWC tensor.
import * as tf from '@tensorflow/tfjs-core';
import {interpolate} from '../../src/index.js';
import type {InterpolateOptions} from '../../src/ops/interpolate.js';
import type {Row} from '../harness.js';
import {contender, expectSame, input} from './common.js';

const NHWC = [1, 256, 256, 3];
const NCHW = [1, 3, 256, 256];

interface Case {
  label: string;
  options: InterpolateOptions;
  /** The tfjs op doing the same work on an NHWC tensor, if tfjs has one. */
  tfjs?: {name: string, fn: (x: tf.Tensor4D) => tf.Tensor};
  channelsFirst?: boolean;
}

const CASES: Case[] = [
  {
    label: 'bilinear 2x', options: {scaleFactor: 2, mode: 'bilinear'},
    tfjs: {name: 'tfjs resizeBilinear (half-pixel)',
           fn: (x) => tf.image.resizeBilinear(x, [512, 512], false, true)},
    channelsFirst: true,
  },
  {
    label: 'bilinear 2x alignCorners', options: {size: [512, 512], mode: 'bilinear', alignCorners: true},
    tfjs: {name: 'tfjs resizeBilinear (alignCorners)',
           fn: (x) => tf.image.resizeBilinear(x, [512, 512], true)},
  },
  {
    label: 'nearest 2x', options: {scaleFactor: 2, mode: 'nearest'},
    tfjs: {name: 'tfjs resizeNearestNeighbor',
           fn: (x) => tf.image.resizeNearestNeighbor(x, [512, 512], false, false)},
    channelsFirst: true,
  },
  {
    label: 'nearest-exact 2x', options: {scaleFactor: 2, mode: 'nearest-exact'},
    tfjs: {name: 'tfjs resizeNearestNeighbor (half-pixel)',
           fn: (x) => tf.image.resizeNearestNeighbor(x, [512, 512], false, true)},
  },
  {
    label: 'area 1/2', options: {size: [128, 128], mode: 'area'},
    tfjs: {name: 'tfjs avgPool 2x2', fn: (x) => tf.avgPool(x, 2, 2, 'valid')},
  },
  {label: 'bicubic 2x', options: {scaleFactor: 2, mode: 'bicubic'}},
  {label: 'bilinear antialias 1/3', options: {size: [85, 85], mode: 'bilinear', antialias: true}},
];

export async function interpolateRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const nhwc = input(NHWC) as tf.Tensor4D;
  for (const c of CASES) {
    const formats = c.channelsFirst ? ['channelsLast', 'channelsFirst'] as const :
                                      ['channelsLast'] as const;
    for (const dataFormat of formats) {
      // Each contender gets its own copy of the input, so each finds it in the texture layout
      // (packed or not) it asked for first, as it would coming from a pipeline of its own ops.
      const ours = input(dataFormat === 'channelsLast' ? NHWC : NCHW);
      const run = () => interpolate(ours, {...c.options, dataFormat});
      const contenders = [contender(`tfjs-torch interpolate`, run)];
      if (c.tfjs != null) {
        const theirs = input(NHWC) as tf.Tensor4D;
        const fn = c.tfjs.fn;
        if (dataFormat === 'channelsLast') {
          const a = run();
          const b = fn(nhwc);
          await expectSame(a, b, `${c.label} vs ${c.tfjs.name}`, 1e-5);
          tf.dispose([a, b]);
        }
        contenders.push(contender(c.tfjs.name, () => fn(theirs)));
      }
      const shape = dataFormat === 'channelsLast' ? NHWC : NCHW;
      rows.push({label: `${c.label} [${shape}] ${dataFormat}`, contenders});
    }
  }
  // The gradient: interpolate's InterpolateGrad kernel against tfjs's ResizeBilinearGrad, with
  // alignCorners (tfjs 4.22's gradient ignores halfPixelCenters, so only this mode agrees).
  const x = input(NHWC) as tf.Tensor4D;
  const dy = input([1, 512, 512, 3]);
  const ours = tf.grad(
      (t: tf.Tensor) => interpolate(t, {size: [512, 512], mode: 'bilinear', alignCorners: true}));
  const theirs =
      tf.grad((t: tf.Tensor) => tf.image.resizeBilinear(t as tf.Tensor4D, [512, 512], true));
  const a = ours(x, dy);
  const b = theirs(x, dy);
  // Sums over ~4 dy values per input in another order: the project's tolerance.
  await expectSame(a, b, 'bilinear gradient vs resizeBilinear gradient', 1e-4);
  tf.dispose([a, b]);
  rows.push({
    label: `gradient of bilinear 2x alignCorners [${NHWC}] channelsLast`,
    contenders: [
      contender('tfjs-torch InterpolateGrad', () => ours(x, dy)),
      contender('tfjs ResizeBilinearGrad', () => theirs(x, dy)),
    ],
  });
  return rows;
}
