// cpu kernel of pixelUnshuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of
// pixelShuffle (Note [pixel shuffle channel order] in src/index_math/pixel_shuffle.ts).
//
// As in PixelShuffle.ts, the loops go through the output in memory order (channelsFirst: r
// output rows at a time, from one pass over an input row), with per-row base offsets and no
// per-element division; factor 2 has unrolled loops.
import type {KernelConfig, TypedArray} from '@tensorflow/tfjs-core';
import {pixelShuffleChannelStrides} from '../../src/index_math/pixel_shuffle.js';
import type {PixelShuffleGeometry} from '../../src/index_math/pixel_shuffle.js';
import {PixelUnshuffle} from '../../src/kernel_names.js';
import {shuffleKernel} from './PixelShuffle.js';

/**
 * Compute core of the PixelUnshuffle kernel (exported through shared.ts): writes
 * pixelUnshuffle(x) into out. x: the spatial side [batch, C, H*r, W*r] (channelsFirst) or
 * [batch, H*r, W*r, C] (channelsLast), g from geometryFromSpatial
 * (src/index_math/pixel_shuffle.ts); out: the caller's view of the packed side
 * [batch, C*r*r, H, W] or [batch, H, W, C*r*r], same dtype; every value is written. Any
 * typed-array views, not overlapping.
 */
export function pixelUnshuffleImplCPU(
    x: TypedArray, out: TypedArray, g: PixelShuffleGeometry): void {
  const {batch, channels: C, height: H, width: W, factor: r, channelsLast} = g;
  const Wr = W * r;
  // The channel order, from src/index_math (packed channel c*sc + i*si + j*sj).
  const {channel: sc, row: si, column: sj} = pixelShuffleChannelStrides(r);
  const K = C * sc;
  if (channelsLast) {
    // Output pixel (h, w) holds, at k = c*sc + i*si + j*sj, channel c of input pixel
    // (h*r + i, w*r + j): written pixel by pixel, reading r*r runs of C contiguous input
    // channels.
    const inRow = Wr * C;
    const k01 = sj, k10 = si, k11 = si + sj;
    let pixel = 0;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < H; h++) {
        const rowBase = (b * H * r + h * r) * inRow;
        for (let w = 0; w < W; w++, pixel += K) {
          const p00 = rowBase + w * r * C;
          if (r === 2) {
            // The common factor, unrolled.
            const p01 = p00 + C;
            const p10 = p00 + inRow;
            const p11 = p10 + C;
            for (let c = 0, o = pixel; c < C; c++, o += sc) {
              out[o] = x[p00 + c];
              out[o + k01] = x[p01 + c];
              out[o + k10] = x[p10 + c];
              out[o + k11] = x[p11 + c];
            }
          } else {
            for (let c = 0; c < C; c++) {
              for (let i = 0; i < r; i++) {
                let q = p00 + i * inRow + c;
                let o = pixel + c * sc + i * si;
                for (let j = 0; j < r; j++, q += C, o += sj) out[o] = x[q];
              }
            }
          }
        }
      }
    }
    return;
  }
  // channelsFirst: output row (channel c*sc + i*si + j*sj, h) is input row (c, h*r + i) read
  // from column j with stride r. The r output rows j = 0..r-1 (sj*H*W apart) are filled together
  // from one pass over the input row.
  const Hr = H * r;
  const plane = H * W;
  const jPlane = sj * plane;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < C; c++) {
      const planeBase = (b * C + c) * Hr * Wr;
      for (let i = 0; i < r; i++) {
        const outBase = (b * K + c * sc + i * si) * plane;
        for (let h = 0; h < H; h++) {
          let q = planeBase + (h * r + i) * Wr;
          const p = outBase + h * W;
          if (r === 2) {
            for (let w = 0; w < W; w++, q += 2) {
              out[p + w] = x[q];
              out[p + jPlane + w] = x[q + 1];
            }
          } else {
            for (let w = 0; w < W; w++) {
              for (let j = 0, pj = p + w; j < r; j++, pj += jPlane) out[pj] = x[q++];
            }
          }
        }
      }
    }
  }
}

export const pixelUnshuffle = shuffleKernel('unshuffle', pixelUnshuffleImplCPU);

export const pixelUnshuffleConfig: KernelConfig = {
  kernelName: PixelUnshuffle,
  backendName: 'cpu',
  kernelFunc: pixelUnshuffle,
};
