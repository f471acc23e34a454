// `import 'tfjs-torch/node'` registers tfjs-torch's kernels for tfjs-node's `tensorflow` backend.
import {nodeKernelConfigs} from '../kernels/node/index.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(nodeKernelConfigs);
