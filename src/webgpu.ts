// `import 'tfjs-torch/webgpu'` registers tfjs-torch's kernels for tfjs's webgpu backend
// (@tensorflow/tfjs-backend-webgpu, which registers the backend itself where navigator.gpu exists).
import '@tensorflow/tfjs-backend-webgpu';
import {webgpuKernelConfigs} from '../kernels/webgpu/index.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(webgpuKernelConfigs);
