// `npm run bench:webgpu`: tfjs-torch's webgpu kernels timed side by side with tfjs's own webgpu
// kernels on the same work, in headless Chromium (WebGPU on Dawn's SwiftShader adapter, on the
// CPU: only the ratios mean anything; see scripts/bench-webgl.mjs --webgpu, which serves this
// bundle, starts the browser and prints what this page reports). Rows come from bench/harness.ts
// (median ms of await data() per call, ratio tfjs-torch / contender); the inputs and checks are
// bench/webgl/common.ts's.
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
// tfjs's own gradients (the contender rows take ResizeBilinearGrad through tf.grad): tfjs-core
// registers none by itself, and tfjs-torch no longer pulls in tfjs-layers, which did.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '../../src/webgpu.js';
import {runBenchPage} from '../browser_report.js';
import type {Row} from '../harness.js';
import {convTransposeRows, interpolateRows, normalizeRows, pixelShuffleRows, poolRows} from './sections.js';

import {decoderOpsRows} from '../webgl/decoder_ops.js';
import {groupedConv2dRows, smallConv2dClaimsRows, smallConv2dMidasRows, smallConv2dRows, smallConv2dWideRows} from './small_conv2d.js';

const SECTIONS: Record<string, () => Promise<Row[]>> = {
  interpolate: interpolateRows,
  pixelShuffle: pixelShuffleRows,
  normalize: normalizeRows,
  conv2dTranspose: convTransposeRows,
  maxPool2dWithIndices: poolRows,
  decoderOps: decoderOpsRows,
  smallConv2d: smallConv2dRows,
  smallConv2dClaims: smallConv2dClaimsRows,
  groupedConv2d: groupedConv2dRows,
  smallConv2dWide: smallConv2dWideRows,
  smallConv2dMidas: smallConv2dMidasRows,
};

runBenchPage('webgpu', async () => {
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
  const info = (tf.backend() as unknown as {adapterInfo?: {vendor?: string, architecture?: string}})
                   .adapterInfo;
  return `# tfjs-torch webgpu bench (${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0]}, ` +
         `tfjs ${tf.version_core}, backend ${tf.getBackend()}, adapter ${
             info?.vendor ?? '?'} / ${info?.architecture ?? '?'})`;
}, SECTIONS);
