// Mocha setup for Node: loads the backends this run tests and tfjs-torch's kernels for them.
// TFJS_TORCH_BACKENDS (comma separated, default "cpu") picks the backends; "tensorflow" needs
// tfjs-node built by scripts/setup-tfjs-node.sh; "wasm" is @tensorflow/tfjs-backend-wasm, whose
// Node build loads its .wasm binaries from its own folder in node_modules (no setWasmPaths).
import '@tensorflow/tfjs-backend-cpu';
import '../src/index.js';
import * as tf from '@tensorflow/tfjs-core';
import {setTestBackends} from './util.js';

// IS_TEST makes tfjs's engine check every kernel call for leaked data ids (and quiets tfjs's
// console banners).
tf.env().set('IS_TEST', true);

const wanted = (process.env.TFJS_TORCH_BACKENDS ?? 'cpu').split(',').map((s) => s.trim())
                   .filter((s) => s.length > 0);
if (wanted.includes('tensorflow')) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-node');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../src/node.js');
}
if (wanted.includes('wasm')) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../src/wasm.js');
}
setTestBackends(wanted);
