// wasm kernel of max pooling with PyTorch's indices (the first maximum wins a tie, a NaN wins over
// numbers: Note [max and ties] in src/index_math/pool.ts). Where every window lies wholly inside
// the input (no padding; with ceilMode, no window cut at the end) it runs WebAssembly SIMD loops
// on the backend's heap (kernels/wasm/simd.ts): channelsLast any window, 4 channels per vector;
// channelsFirst windows two wide with stride 2 along W (the common kernelSize 2, stride 2), 4
// outputs per vector (2x2 windows by a loop of their own). Everything else runs the cpu compute core on views into the heap. (tfjs's
// own wasm maxPoolWithArgmax starts each window from the smallest positive float, so an
// all-negative window gives 1.17e-38 at index 0.)
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {layoutOf, padFront} from '../../src/util/layout.js';
import {maxPoolOutputShape, maxPoolWithIndicesImplCPU} from '../cpu/shared.js';
import {simdLoops} from './simd.js';
import type {SimdLoops} from './simd.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const maxPoolWithIndices: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as MaxPoolWithIndicesInputs;
  const a = attrs as unknown as MaxPoolWithIndicesAttrs;
  const yShape = maxPoolOutputShape(x.shape, a);
  const wasm = backend as WasmBackend;
  const loops = x.dtype === 'float32' ? simdLoops(wasm) : null;
  if (loops != null) {
    const made = poolSimd(wasm, loops, x, a, yShape);
    if (made != null) return made;
  }
  return runOnHeap(wasm, [x],
                   [{shape: yShape, dtype: 'float32'}, {shape: yShape.slice(), dtype: 'int32'}],
                   ([xv], [values, indices]) => maxPoolWithIndicesImplCPU(
                       xv as Float32Array, x.shape, a, values as Float32Array,
                       indices as Int32Array));
};

/** The SIMD path, or null where its windows are not all whole (or the shape not its own). */
function poolSimd(backend: WasmBackend, loops: SimdLoops, x: TensorInfo, a: MaxPoolWithIndicesAttrs,
                  yShape: number[]): TensorInfo[]|null {
  const layout = layoutOf(x.shape, a.dataFormat);
  const last = a.dataFormat === 'channelsLast';
  const outSpatial = layoutOf(yShape, a.dataFormat).spatial;
  // Every window whole: no padding, and the last window ends inside the input.
  const whole = layout.spatial.every((s, i) => a.padding[i] === 0 &&
      (outSpatial[i] - 1) * a.stride[i] + a.dilation[i] * (a.kernelSize[i] - 1) <= s - 1);
  if (!whole || outSpatial.some((o) => o <= 0) || layout.batch * layout.channels === 0) return null;
  const [, inH, inW] = padFront(layout.spatial, 3, 1);
  const [outD, outH, outW] = padFront(outSpatial, 3, 1);
  const [kD, kH, kW] = padFront(a.kernelSize, 3, 1);
  const [sD, sH, sW] = padFront(a.stride, 3, 1);
  const [dD, dH, dW] = padFront(a.dilation, 3, 1);
  if (!last && !(kW === 2 && sW === 2 && dW === 1)) return null;
  const inHW = inH * inW;
  // Window rows (channelsFirst: each two taps wide) or taps (channelsLast), in scan order, as
  // (byte offset, plane offset) pairs.
  const table: number[] = [];
  const lanes = last ? layout.channels : 1;
  for (let td = 0; td < kD; td++) {
    for (let th = 0; th < kH; th++) {
      for (let tw = 0; tw < (last ? kW : 1); tw++) {
        const plane = td * dD * inHW + th * dH * inW + tw * dW;
        table.push(plane * lanes * 4, plane);
      }
    }
  }
  const C = layout.channels;
  const planes = last ? layout.batch : layout.batch * C;
  const inPlane = layout.planeSize;
  const outPlane = outD * outH * outW;
  const made = runOnHeap(
      backend, [x],
      [{shape: yShape, dtype: 'float32'}, {shape: yShape.slice(), dtype: 'int32'},
       {shape: [table.length], dtype: 'int32'}],
      ([xv], [values, indices, tableView]) => {
        tableView.set(table);
        const xAt = xv.byteOffset, vAt = values.byteOffset, iAt = indices.byteOffset;
        const tAt = tableView.byteOffset;
        const entries = table.length / 2;
        for (let p = 0; p < planes; p++) {
          for (let od = 0; od < outD; od++) {
            // One call per (plane, depth): its outH rows, each sH input rows below the last.
            const first = od * sD * inHW;
            const o = (p * outPlane + od * outH * outW) * lanes * 4;
            const xRow = xAt + (p * inPlane + first) * lanes * 4;
            if (last) {
              loops.poolLast(xRow, vAt + o, iAt + o, outW, 4 * C, 4 * sW * C, tAt, entries, first, sW,
                             outH, 4 * sH * inW * C, sH * inW);
            } else if (kD === 1 && kH === 2) {
              loops.poolFirst22(xRow, vAt + o, iAt + o, outW, outH, 4 * sH * inW, first, sH * inW,
                                4 * dH * inW, dH * inW);
            } else {
              loops.poolFirst2(xRow, vAt + o, iAt + o, outW, tAt, entries, first, outH,
                               4 * sH * inW, sH * inW);
            }
          }
        }
      });
  backend.disposeData(made[2].dataId);
  return made.slice(0, 2);
}

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'wasm',
  kernelFunc: maxPoolWithIndices,
};
