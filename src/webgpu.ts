// `import 'tfjs-torch/webgpu'` registers tfjs-torch's kernels for tfjs's webgpu backend
// (@tensorflow/tfjs-backend-webgpu, which registers the backend itself where navigator.gpu exists).
import '@tensorflow/tfjs-backend-webgpu';
import {webgpuKernelConfigs} from '../kernels/webgpu/index.js';
import {MAX_IN_CHANNELS, MAX_OUT_CHANNELS} from '../kernels/webgpu/small_conv2d.js';
import {declareCapabilities} from './util/capabilities.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(webgpuKernelConfigs);
// A shader cannot throw: an out-of-plane unpool index is never written, and nothing reads the
// GPU back synchronously to check it (Note [unpool index check] in src/index_math/pool.ts).
// The grouped convolutions whose groups fit the direct convolution run in one dispatch
// (kernels/webgpu/GroupedConv2d.ts).
declareCapabilities('webgpu', {
  unpoolIndices: 'dropped', finiteCheck: 'none', int32Transpose: false,
  groupedConvOnePass: {maxGroupIn: MAX_IN_CHANNELS, maxGroupOut: MAX_OUT_CHANNELS},
});
