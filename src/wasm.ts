// `import 'tfjs-torch/wasm'` registers tfjs-torch's kernels for @tensorflow/tfjs-backend-wasm's
// `wasm` backend (an optional peer, needed only by this entry point).
import '@tensorflow/tfjs-backend-wasm';
import {wasmKernelConfigs} from '../kernels/wasm/index.js';
import {BACKENDS_CHECKING_UNPOOL_INDICES} from './ops/max_unpool.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(wasmKernelConfigs);
// The wasm MaxUnpool kernel runs the cpu core, which rejects an out-of-plane index as it writes
// (kernels/wasm/MaxUnpool.ts), so the op skips its own min / max pass on wasm.
BACKENDS_CHECKING_UNPOOL_INDICES.add('wasm');
