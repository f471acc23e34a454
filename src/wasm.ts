// `import 'tfjs-torch/wasm'` registers tfjs-torch's kernels for @tensorflow/tfjs-backend-wasm's
// `wasm` backend (an optional peer, needed only by this entry point).
import '@tensorflow/tfjs-backend-wasm';
import {wasmKernelConfigs} from '../kernels/wasm/index.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(wasmKernelConfigs);
