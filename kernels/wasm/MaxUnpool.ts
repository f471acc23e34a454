// wasm kernel of maxUnpool: x written into a zeroed output plane at the indices, the cpu compute
// core on views into tfjs-backend-wasm's heap. Like the cpu kernel it checks every index as it
// writes (Note [unpool index check] in src/index_math/pool.ts): on an index outside the plane
// the core throws and runOnHeap frees the half-written output, so nothing observable was
// written; src/wasm.ts therefore lists 'wasm' among the backends whose kernel checks.
import type {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import {MaxUnpool} from '../../src/kernel_names.js';
import type {MaxUnpoolAttrs, MaxUnpoolInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {maxUnpoolImplCPU} from '../cpu/shared.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const maxUnpool: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, indices} = inputs as MaxUnpoolInputs;
  const {outSize, dataFormat} = attrs as unknown as MaxUnpoolAttrs;
  const {batch, channels} = layoutOf(x.shape, dataFormat);
  const yShape = shapeOf(batch, channels, outSize, dataFormat);
  return runOnHeap(backend as WasmBackend, [x, indices], [{shape: yShape, dtype: 'float32'}],
                   ([xv, iv], [yv]) => maxUnpoolImplCPU(
                       xv as Float32Array, iv as Int32Array, x.shape, outSize, dataFormat,
                       yv as Float32Array))[0];
};

export const maxUnpoolConfig: KernelConfig = {
  kernelName: MaxUnpool,
  backendName: 'wasm',
  kernelFunc: maxUnpool,
};
