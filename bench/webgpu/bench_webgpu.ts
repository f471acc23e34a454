// `npm run bench:webgpu`: tfjs-torch's webgpu kernels timed side by side with tfjs's own webgpu
// kernels on the same work, in headless Chromium (WebGPU on Dawn's SwiftShader adapter, on the
// CPU: only the ratios mean anything; see scripts/bench-webgl.mjs --webgpu, which serves this
// bundle, starts the browser and prints what this page reports). Rows come from bench/harness.ts
// (median ms of await data() per call, ratio tfjs-torch / contender); the inputs and checks are
// bench/webgl/common.ts's.
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/webgpu.js';
import {DEFAULT_OPTIONS, runRows} from '../harness.js';
import type {Row} from '../harness.js';
import {report} from '../browser_report.js';
import {convTransposeRows, interpolateRows, pixelShuffleRows, poolRows} from './sections.js';

const SECTIONS: Record<string, () => Promise<Row[]>> = {
  interpolate: interpolateRows,
  pixelShuffle: pixelShuffleRows,
  conv2dTranspose: convTransposeRows,
  maxPool2dWithIndices: poolRows,
};

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const wanted = (params.get('sections') ?? '').split(',').filter((s) => s.length > 0);
  const names = wanted.length > 0 ? wanted : Object.keys(SECTIONS);
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
  const info = (tf.backend() as unknown as {adapterInfo?: {vendor?: string, architecture?: string}})
                   .adapterInfo;
  console.log(`# tfjs-torch webgpu bench (${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0]}, ` +
              `tfjs ${tf.version_core}, backend ${tf.getBackend()}, adapter ${
                  info?.vendor ?? '?'} / ${info?.architecture ?? '?'})`);
  console.log(`median of await data() per call; warmup ${DEFAULT_OPTIONS.warmup}, >= ${
      DEFAULT_OPTIONS.minRuns} runs and ${DEFAULT_OPTIONS.budgetMs} ms per contender`);
  for (const name of names) {
    const section = SECTIONS[name];
    if (section == null) {
      throw new Error(`unknown webgpu bench section ${name}; known: ${Object.keys(SECTIONS)}`);
    }
    await runRows(`${name} (webgpu)`, await section());
  }
}

main().then(
    () => report('/done', 'ok'),
    (e: Error) => {
      console.log(`bench failed: ${e.stack ?? e}`);
      return report('/done', 'failed');
    });
