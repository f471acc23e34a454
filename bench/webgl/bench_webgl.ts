// `npm run bench:webgl`: tfjs-torch's webgl kernels timed side by side with tfjs's own webgl ops
// on the same work, in headless Chromium (WebGL2 on SwiftShader; see scripts/bench-webgl.mjs,
// which serves this bundle, starts the browser and prints what this page reports).
//
// Each section returns rows for bench/harness.ts (median ms of await data() per call, ratio
// tfjs-torch / contender). To add a family (e.g. conv2dTranspose, maxPoolWithArgmax): write
// bench/webgl/<family>.ts exporting `async function <family>Rows(): Promise<Row[]>` and add one
// import and one SECTIONS entry below.
import '@tensorflow/tfjs-backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
// tfjs's own gradients (the contender rows take ResizeBilinearGrad through tf.grad): tfjs-core
// registers none by itself, and tfjs-torch no longer pulls in tfjs-layers, which did.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '../../src/webgl.js';
import {runBenchPage} from '../browser_report.js';
import type {Row} from '../harness.js';
import {convTransposeRows} from './conv_transpose.js';
import {interpolateRows} from './interpolate.js';
import {normalizeRows} from './normalize.js';
import {poolRows} from './pool.js';
import {pixelShuffleRows} from './pixel_shuffle.js';

import {decoderOpsRows} from './decoder_ops.js';

const SECTIONS: Record<string, () => Promise<Row[]>> = {
  interpolate: interpolateRows,
  pixelShuffle: pixelShuffleRows,
  normalize: normalizeRows,
  conv2dTranspose: convTransposeRows,
  maxPool2dWithIndices: poolRows,
  decoderOps: decoderOpsRows,
};

runBenchPage('webgl', async () => {
  if (!(await tf.setBackend('webgl'))) throw new Error('the webgl backend did not initialise');
  const env = tf.env();
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  const renderer = info != null ? gl!.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown';
  return `# tfjs-torch webgl bench (${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0]}, ` +
         `tfjs ${tf.version_core}, backend ${tf.getBackend()}, WEBGL_PACK ${
             env.getBool('WEBGL_PACK')}, renderer ${renderer})`;
}, SECTIONS);
