// webgpu kernel of maxUnpool{1,2,3}d: x written into zero planes of size outSize at indices, the
// last write winning (Note [unpool writes]), as a gather over the sources of each position
// (pool_common.ts, "Scatters"). A shader cannot throw, and the op reads nothing back: an
// out-of-plane index is never written (it matches no output position; Note [unpool index check]).
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxUnpool} from '../../src/kernel_names.js';
import type {MaxUnpoolAttrs, MaxUnpoolInputs} from '../../src/kernel_names.js';
import {runScatter} from './pool_common.js';
import type {WebGPUBackend} from './util.js';

export const maxUnpool: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, indices} = inputs as MaxUnpoolInputs;
  const {outSize, dataFormat} = attrs as unknown as MaxUnpoolAttrs;
  return runScatter(backend as WebGPUBackend, x, indices, outSize, dataFormat, 'last',
                    `maxUnpool${x.shape.length - 2}d`, 'output');
};

export const maxUnpoolConfig: KernelConfig = {
  kernelName: MaxUnpool,
  backendName: 'webgpu',
  kernelFunc: maxUnpool,
};
