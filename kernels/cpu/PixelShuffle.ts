// cpu kernel of pixelShuffle: (*, C*r*r, H, W) -> (*, C, H*r, W*r), PyTorch's channel order
// (Note [pixel shuffle channel order] in src/index_math/pixel_shuffle.ts).
//
// The loops walk the output in memory order, so writes are sequential (channelsLast: r output
// pixels at a time); the source of each output row is found from per-row base offsets rather than
// per-element division. Reads stay inside a few input rows (channelsFirst) or one input pixel
// (channelsLast) at a time. Factor 2, the common one, has unrolled loops.
import type {KernelConfig, KernelFunc, TensorInfo, TypedArray} from '@tensorflow/tfjs-core';
import {geometryFromPacked, pixelShuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import type {PixelShuffleGeometry} from '../../src/index_math/pixel_shuffle.js';
import {PixelShuffle} from '../../src/kernel_names.js';
import type {PixelShuffleAttrs, PixelShuffleInputs} from '../../src/kernel_names.js';
import {output, valuesOf, zeros} from './util.js';
import type {CpuBackend} from './util.js';

/** Writes pixelShuffle(x) into out; x is the packed side, out the spatial side. */
export function pixelShuffleValues(
    x: TypedArray, out: TypedArray, g: PixelShuffleGeometry): void {
  const {batch, channels: C, height: H, width: W, factor: r, channelsLast} = g;
  const rr = r * r;
  const K = C * rr;
  let o = 0;
  if (channelsLast) {
    // Output pixel (oh, ow) = (h*r + i, w*r + j) takes channels i*r + j, i*r + j + r*r, ... of
    // input pixel (h, w). For each (h, i, w) the r output pixels (j = 0..r-1) are written
    // together, so each group of r adjacent input channels is read at once.
    const block = r * C;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < H; h++) {
        const rowBase = (b * H + h) * W * K;
        for (let i = 0; i < r; i++) {
          for (let w = 0; w < W; w++, o += block) {
            let q = rowBase + w * K + i * r;
            if (r === 2) {
              // The common factor, unrolled.
              const o1 = o + C;
              for (let c = 0; c < C; c++, q += 4) {
                out[o + c] = x[q];
                out[o1 + c] = x[q + 1];
              }
            } else {
              for (let c = 0; c < C; c++, q += rr) {
                for (let j = 0, p = o + c; j < r; j++, p += C) out[p] = x[q + j];
              }
            }
          }
        }
      }
    }
    return;
  }
  // channelsFirst: output row (c, h*r + i) interleaves the r input rows of channels
  // (c*r + i)*r + j, j = 0..r-1, at input row h; they lie H*W apart.
  const plane = H * W;
  if (r === 2) {
    // The common factor, unrolled: two input rows zipped into one output row.
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < C; c++) {
        for (let h = 0; h < H; h++) {
          for (let i = 0; i < 2; i++) {
            let q = (b * K + (c * 2 + i) * 2) * plane + h * W;
            const end = q + W;
            for (; q < end; q++) {
              out[o++] = x[q];
              out[o++] = x[q + plane];
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
          let q = (b * K + (c * r + i) * r) * plane + h * W;
          const end = q + W;
          for (; q < end; q++) {
            for (let j = 0, p = q; j < r; j++, p += plane) out[o++] = x[p];
          }
        }
      }
    }
  }
}

export const pixelShuffle: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {upscaleFactor: r, dataFormat} = attrs as unknown as PixelShuffleAttrs;
  const cpu = backend as CpuBackend;
  const outShape = pixelShuffleOutputShape(x.shape, r, dataFormat);
  const g = geometryFromPacked(x.shape, r, dataFormat);
  const size = outShape.reduce((a, b) => a * b, 1);
  const out = zeros(x.dtype, size);
  if (size > 0) pixelShuffleValues(valuesOf(cpu, x), out, g);
  return output(cpu, outShape, x.dtype, out) as TensorInfo;
};

export const pixelShuffleConfig: KernelConfig = {
  kernelName: PixelShuffle,
  backendName: 'cpu',
  kernelFunc: pixelShuffle,
};
