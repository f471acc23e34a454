// cpu kernel of pixelUnshuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of
// pixelShuffle (Note [pixel shuffle channel order] in src/index_math/pixel_shuffle.ts).
//
// As in PixelShuffle.ts, the loops walk the output in memory order with per-row base offsets.
import type {KernelConfig, KernelFunc, TensorInfo, TypedArray} from '@tensorflow/tfjs-core';
import {geometryFromSpatial, pixelUnshuffleOutputShape} from '../../src/index_math/pixel_shuffle.js';
import type {PixelShuffleGeometry} from '../../src/index_math/pixel_shuffle.js';
import {PixelUnshuffle} from '../../src/kernel_names.js';
import type {PixelShuffleInputs, PixelUnshuffleAttrs} from '../../src/kernel_names.js';
import {output, valuesOf, zeros} from './util.js';
import type {CpuBackend} from './util.js';

/** Writes pixelUnshuffle(x) into out; x is the spatial side, out the packed side. */
export function pixelUnshuffleValues(
    x: TypedArray, out: TypedArray, g: PixelShuffleGeometry): void {
  const {batch, channels: C, height: H, width: W, factor: r, channelsLast} = g;
  const Wr = W * r;
  let o = 0;
  if (channelsLast) {
    // Output pixel (h, w) holds, for k = (c*r + i)*r + j, input pixel (h*r + i, w*r + j)'s
    // channel c: each of its r*r source pixels is read as a stride-1 run of C channels written
    // with stride r*r.
    const rr = r * r;
    const K = C * rr;
    const inRow = Wr * C;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < H; h++) {
        const rowBase = (b * H * r + h * r) * inRow;
        for (let w = 0; w < W; w++) {
          const pixelOut = o;
          for (let i = 0; i < r; i++) {
            for (let j = 0; j < r; j++) {
              let q = rowBase + i * inRow + (w * r + j) * C;
              let p = pixelOut + i * r + j;
              for (let c = 0; c < C; c++, q++, p += rr) out[p] = x[q];
            }
          }
          o += K;
        }
      }
    }
    return;
  }
  // channelsFirst: output row (channel (c*r + i)*r + j, h) is input row (c, h*r + i) read from
  // column j with stride r.
  const Hr = H * r;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < C; c++) {
      const planeBase = (b * C + c) * Hr * Wr;
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < r; j++) {
          for (let h = 0; h < H; h++) {
            let q = planeBase + (h * r + i) * Wr + j;
            for (let w = 0; w < W; w++, q += r) out[o++] = x[q];
          }
        }
      }
    }
  }
}

export const pixelUnshuffle: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PixelShuffleInputs;
  const {downscaleFactor: r, dataFormat} = attrs as unknown as PixelUnshuffleAttrs;
  const cpu = backend as CpuBackend;
  const outShape = pixelUnshuffleOutputShape(x.shape, r, dataFormat);
  const g = geometryFromSpatial(x.shape, r, dataFormat);
  const size = outShape.reduce((a, b) => a * b, 1);
  const out = zeros(x.dtype, size);
  if (size > 0) pixelUnshuffleValues(valuesOf(cpu, x), out, g);
  return output(cpu, outShape, x.dtype, out) as TensorInfo;
};

export const pixelUnshuffleConfig: KernelConfig = {
  kernelName: PixelUnshuffle,
  backendName: 'cpu',
  kernelFunc: pixelUnshuffle,
};
