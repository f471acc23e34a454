// `import 'tfjs-torch/webgl'` registers tfjs-torch's kernels for tfjs's webgl backend.
import '@tensorflow/tfjs-backend-webgl';
import {webglKernelConfigs} from '../kernels/webgl/index.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(webglKernelConfigs);
