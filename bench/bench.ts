// `npm run bench`: tfjs-torch's kernels timed side by side with tfjs's built-in ops and with
// onnxruntime-node running PyTorch's ONNX export of the same work, in one process.
// Usage: npm run bench [-- section ... [row ...]]   (sections: see SECTIONS). Any other argument is
// a pattern (a regular expression) for the row labels to time (BENCH_ROWS): `npm run bench:wasm --
// maxPool 'nearest 2x'` times only the maxPool and nearest rows of the wasm section.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '../src/index.js';
import {benchPixelShuffle} from './pixel_shuffle.js';
import {benchConvTranspose} from './conv_transpose.js';
import {benchPool} from './pool.js';
import {benchDecoders} from './decoders.js';
import {benchInterpolate} from './interpolate.js';
import {benchMemory} from './memory.js';
import {benchTensorflow} from './node.js';
import {benchWasm} from './wasm.js';
import {benchDecoderOps} from './decoder_ops.js';
import {benchGroupedConv2d, benchSmallConv2d} from './small_conv2d.js';
import {benchModels} from './models.js';

const SECTIONS: Record<string, () => Promise<void>> = {
  interpolate: benchInterpolate,
  pixelShuffle: benchPixelShuffle,
  convTranspose: benchConvTranspose,
  pool: benchPool,
  decoders: () => benchDecoders(),
  // Loads tfjs-backend-wasm and tfjs-torch's wasm kernels; against onnxruntime-web's wasm engine.
  wasm: benchWasm,
  // pad / norms / activations against the composed tfjs ops, on cpu, wasm and tensorflow.
  decoderOps: benchDecoderOps,
  // The wasm direct convolution for few channels against XNNPACK's FusedConv2D on FSRCNN's layers.
  smallConv2d: benchSmallConv2d,
  // The wasm grouped convolution in one kernel call against the per-group form, on MiDaS's shapes.
  groupedConv2d: benchGroupedConv2d,
  // Published decoders (zoo) at real sizes, one process each: wasm vs onnxruntime-web, tensorflow
  // vs onnxruntime-node (needs npm run bench:models:export first).
  models: benchModels,
  // Peak memory, each row in a fresh child process (cpu, tensorflow, PyTorch).
  memory: benchMemory,
  // Last: it loads tfjs-node (scripts/setup-tfjs-node.sh) and times the `tensorflow` backend.
  tensorflow: benchTensorflow,
};

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const args = process.argv.slice(2);
  const wanted = args.filter((a) => a in SECTIONS);
  const patterns = args.filter((a) => !(a in SECTIONS));
  if (patterns.length > 0) process.env.BENCH_ROWS = patterns.join('|');
  const names = wanted.length > 0 ? wanted : Object.keys(SECTIONS);
  console.log(`# tfjs-torch bench (node ${process.version}, tfjs ${tf.version_core}, backend ${
      tf.getBackend()})`);
  for (const name of names) {
    await SECTIONS[name]();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
