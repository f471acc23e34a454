// `import 'tfjs-torch/wasm'` registers tfjs-torch's kernels for @tensorflow/tfjs-backend-wasm's
// `wasm` backend (an optional peer, needed only by this entry point).
import '@tensorflow/tfjs-backend-wasm';
import {wasmKernelConfigs} from '../kernels/wasm/index.js';
import {groupedOnePassNow, MAX_GROUP_IN, MAX_GROUP_OUT} from '../kernels/wasm/small_conv2d.js';
import {declareCapabilities} from './util/capabilities.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(wasmKernelConfigs);
// The wasm MaxUnpool kernel runs the cpu core, which rejects an out-of-plane index as it writes
// (kernels/wasm/MaxUnpool.ts); its Interpolate kernel checks finiteness itself, on the heap,
// before its native shortcut (Note [native resize and non-finite input] in
// src/index_math/finite.ts), so the op has nothing to check for it. The grouped convolutions whose
// groups fit the direct convolution run in one kernel call (kernels/wasm/GroupedConv2d.ts), while
// XNNPACK runs on one thread.
declareCapabilities('wasm', {
  unpoolIndices: 'kernel', finiteCheck: 'kernel',
  groupedConvOnePass: {maxGroupIn: MAX_GROUP_IN, maxGroupOut: MAX_GROUP_OUT, now: groupedOnePassNow},
});
