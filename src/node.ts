// `import 'tfjs-torch/node'` registers tfjs-torch's kernels for tfjs-node's `tensorflow` backend.
import {nodeKernelConfigs} from '../kernels/node/index.js';
import {declareCapabilities} from './util/capabilities.js';
import {registerKernelsOnce} from './util/register.js';

export * from './index.js';

registerKernelsOnce(nodeKernelConfigs);
// tfjs-node's native ResizeBilinear is PyTorch's only on finite input (Note [native resize and
// non-finite input] in src/index_math/finite.ts): the op checks finiteness for it. TensorFlow's
// scatter raises its own error on an out-of-plane unpool index: the op checks the indices first
// (a read of two numbers from host memory) to raise PyTorch's.
// tfjs-node's Prelu is six TensorFlow ops (Note [PReLU on tensorflow] in src/layers/prelu.ts).
// Its BatchMatMul is TensorFlow's BatchMatMulV2 (any rank, broadcast batch dims) and each reshape
// an eager op (Note [products without reshapes on tensorflow] in src/layers/attention.ts).
declareCapabilities('tensorflow', {unpoolIndices: 'op', finiteCheck: 'op', composedPrelu: true,
                                   broadcastMatMul: true});
