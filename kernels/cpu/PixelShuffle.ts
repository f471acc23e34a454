// cpu kernel of pixelShuffle: (*, C*r*r, H, W) -> (*, C, H*r, W*r), PyTorch's channel order
// (Note [pixel shuffle channel order] in src/index_math/pixel_shuffle.ts).
//
// The loops walk the output in memory order, so writes are sequential (channelsLast: r output
// pixels at a time), with per-row base offsets instead of per-element division; reads stay
// inside a few input rows (channelsFirst) or one input pixel (channelsLast) at a time. Factor 2,
// the common one, has unrolled loops (channelsLast: one pass over the input in order, writing
// four output streams).
import type {KernelConfig, KernelFunc, TensorInfo, TypedArray} from '@tensorflow/tfjs-core';
import {pixelShuffleCall, pixelShuffleChannelStrides} from '../../src/index_math/pixel_shuffle.js';
import type {PixelShuffleDirection, PixelShuffleGeometry} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs} from '../../src/kernel_names.js';
import {sizeOf} from '../../src/util/layout.js';
import {output, valuesOf, zeros} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * Compute core of the PixelShuffle kernel (exported through shared.ts): writes pixelShuffle(x)
 * into out. x: the packed side [batch, C*r*r, H, W] (channelsFirst) or [batch, H, W, C*r*r]
 * (channelsLast), g from geometryFromPacked (src/index_math/pixel_shuffle.ts); out: the
 * caller's view of the spatial side [batch, C, H*r, W*r] or [batch, H*r, W*r, C], same dtype;
 * every value is written. Any typed-array views, not overlapping.
 */
export function pixelShuffleImplCPU(
    x: TypedArray, out: TypedArray, g: PixelShuffleGeometry): void {
  const {batch, channels: C, height: H, width: W, factor: r, channelsLast} = g;
  // The channel order, from src/index_math (packed channel c*sc + i*si + j*sj).
  const {channel: sc, row: si, column: sj} = pixelShuffleChannelStrides(r);
  const K = C * sc;
  if (channelsLast) {
    if (r === 2) {
      // The common factor: one sequential pass over the input, each input pixel's channels
      // 4c..4c+3 going to channel c of its 2x2 output pixels (four sequential write streams);
      // faster in V8 than gathering with stride 4.
      const outRow = W * 2 * C;
      const k01 = sj, k10 = si, k11 = si + sj;
      let q = 0;
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < H; h++) {
          let p = (b * H + h) * 2 * outRow;
          for (let w = 0; w < W; w++, p += C) {
            const p01 = p + C;
            const p10 = p + outRow;
            const p11 = p10 + C;
            for (let c = 0; c < C; c++, q += sc) {
              out[p + c] = x[q];
              out[p01 + c] = x[q + k01];
              out[p10 + c] = x[q + k10];
              out[p11 + c] = x[q + k11];
            }
            p += C;
          }
        }
      }
      return;
    }
    // Output pixel (oh, ow) = (h*r + i, w*r + j) takes channels c*sc + i*si + j*sj of input
    // pixel (h, w). For each (h, i, w) the r output pixels (j = 0..r-1) are written together,
    // so each group of r adjacent input channels is read at once.
    const block = r * C;
    let o = 0;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < H; h++) {
        const rowBase = (b * H + h) * W * K;
        for (let i = 0; i < r; i++) {
          for (let w = 0; w < W; w++, o += block) {
            let q = rowBase + w * K + i * si;
            for (let c = 0; c < C; c++, q += sc) {
              for (let j = 0, p = o + c, s = q; j < r; j++, p += C, s += sj) out[p] = x[s];
            }
          }
        }
      }
    }
    return;
  }
  // channelsFirst: output row (c, h*r + i) interleaves the r input rows of channels
  // c*sc + i*si + j*sj, j = 0..r-1, at input row h; they lie sj*H*W apart.
  const plane = H * W;
  const jPlane = sj * plane;
  let o = 0;
  if (r === 2) {
    // The common factor, unrolled: two input rows zipped into one output row.
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < C; c++) {
        for (let h = 0; h < H; h++) {
          for (let i = 0; i < 2; i++) {
            let q = (b * K + c * sc + i * si) * plane + h * W;
            const end = q + W;
            for (; q < end; q++) {
              out[o++] = x[q];
              out[o++] = x[q + jPlane];
            }
          }
        }
      }
    }
    return;
  }
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < r; i++) {
          let q = (b * K + c * sc + i * si) * plane + h * W;
          const end = q + W;
          for (; q < end; q++) {
            for (let j = 0, p = q; j < r; j++, p += jPlane) out[o++] = x[p];
          }
        }
      }
    }
  }
}

/** The kernel function of PixelShuffle or PixelUnshuffle on the cpu backend, given its core. */
export function shuffleKernel(
    direction: PixelShuffleDirection,
    impl: (x: TypedArray, out: TypedArray, g: PixelShuffleGeometry) => void): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as PixelShuffleInputs;
    const cpu = backend as CpuBackend;
    const {outShape, geometry} =
        pixelShuffleCall(direction, x.shape, attrs as unknown as PixelShuffleAttrs);
    const size = sizeOf(outShape);
    const out = zeros(x.dtype, size);
    if (size > 0) impl(valuesOf(cpu, x), out, geometry);
    return output(cpu, outShape, x.dtype, out) as TensorInfo;
  };
}

export const pixelShuffle = shuffleKernel('shuffle', pixelShuffleImplCPU);

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'cpu',
  kernelFunc: pixelShuffle,
};
