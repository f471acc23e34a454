// `import 'tfjs-torch/webgl'` registers tfjs-torch's kernels for tfjs's webgl backend.
import '@tensorflow/tfjs-backend-webgl';
import {webglKernelConfigs} from '../kernels/webgl/index.js';
import {declareCapabilities} from './util/capabilities.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(webglKernelConfigs);
// A shader cannot throw: an out-of-plane unpool index is never written, and nothing reads the
// GPU back synchronously to check it (Note [unpool index check] in src/index_math/pool.ts).
declareCapabilities('webgl', {unpoolIndices: 'dropped', finiteCheck: 'none'});
