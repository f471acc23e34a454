// MaxPoolWithIndices on cpu: one pass over the windows, taps and the max rule from
// src/index_math/pool.ts (Note [pooling window], Note [max and ties]). 1-D and 2-D run as 3-D
// with unit outer dims. channelsLast keeps the channel loop innermost, so each tap reads C
// contiguous values and compares them against C running maxima kept in the output itself.
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {poolingOutputSize, poolWindowTable} from '../../src/index_math/pool.js';
import {MaxPoolWithIndices} from '../../src/kernel_names.js';
import type {MaxPoolWithIndicesAttrs, MaxPoolWithIndicesInputs} from '../../src/kernel_names.js';
import {layoutOf, shapeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/** Pads a per-spatial-dim list to 3 entries (D, H, W) with `fill` in front. */
function to3d(values: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - values.length).fill(fill), ...values];
}

function maxPoolWithIndices(
    args: {inputs: MaxPoolWithIndicesInputs, backend: CpuBackend, attrs: MaxPoolWithIndicesAttrs}):
    TensorInfo[] {
  const {inputs: {x}, backend, attrs} = args;
  const {kernelSize, stride, padding, dilation, ceilMode, dataFormat} = attrs;
  const layout = layoutOf(x.shape, dataFormat);
  const outSpatial = layout.spatial.map(
      (s, i) => poolingOutputSize(s, kernelSize[i], padding[i], stride[i], dilation[i], ceilMode));
  const [inD, inH, inW] = to3d(layout.spatial, 1);
  const [outD, outH, outW] = to3d(outSpatial, 1);
  const k = to3d(kernelSize, 1);
  const s = to3d(stride, 1);
  const p = to3d(padding, 0);
  const dl = to3d(dilation, 1);
  const tD = poolWindowTable(outD, inD, k[0], p[0], s[0], dl[0]);
  const tH = poolWindowTable(outH, inH, k[1], p[1], s[1], dl[1]);
  const tW = poolWindowTable(outW, inW, k[2], p[2], s[2], dl[2]);
  const [dD, dH, dW] = dl;

  const xv = valuesOf(backend, x);
  const batch = layout.batch;
  const channels = layout.channels;
  const inPlane = layout.planeSize;
  const outPlane = outD * outH * outW;
  const size = batch * channels * outPlane;
  const values = new Float32Array(size);
  const indices = new Int32Array(size);
  const inHW = inH * inW;

  if (dataFormat === 'channelsFirst') {
    let o = 0;
    for (let plane = 0; plane < batch * channels; plane++) {
      const xBase = plane * inPlane;
      for (let od = 0; od < outD; od++) {
        const sd = tD.start[od];
        const cd = tD.count[od];
        for (let oh = 0; oh < outH; oh++) {
          const sh = tH.start[oh];
          const ch = tH.count[oh];
          for (let ow = 0; ow < outW; ow++) {
            const sw = tW.start[ow];
            const cw = tW.count[ow];
            // Note [all-padding windows]: the index of the starts even when no tap is real.
            let maxIndex = sd * inHW + sh * inW + sw;
            let max = -Infinity;
            for (let td = 0, id = sd; td < cd; td++, id += dD) {
              for (let th = 0, ih = sh; th < ch; th++, ih += dH) {
                const row = id * inHW + ih * inW;
                for (let tw = 0, index = row + sw; tw < cw; tw++, index += dW) {
                  const v = xv[xBase + index];
                  // Note [max and ties]: first max wins, any NaN wins.
                  if (v > max || v !== v) {
                    max = v;
                    maxIndex = index;
                  }
                }
              }
            }
            values[o] = max;
            indices[o] = maxIndex;
            o++;
          }
        }
      }
    }
  } else {
    // channelsLast: element (n, position, c) sits at (n * plane + position) * C + c.
    const C = channels;
    let o = 0;
    for (let n = 0; n < batch; n++) {
      const xBatch = n * inPlane;
      for (let od = 0; od < outD; od++) {
        const sd = tD.start[od];
        const cd = tD.count[od];
        for (let oh = 0; oh < outH; oh++) {
          const sh = tH.start[oh];
          const ch = tH.count[oh];
          for (let ow = 0; ow < outW; ow++, o += C) {
            const sw = tW.start[ow];
            const cw = tW.count[ow];
            const first = sd * inHW + sh * inW + sw;
            for (let c = 0; c < C; c++) {
              values[o + c] = -Infinity;
              indices[o + c] = first;
            }
            for (let td = 0, id = sd; td < cd; td++, id += dD) {
              for (let th = 0, ih = sh; th < ch; th++, ih += dH) {
                const row = id * inHW + ih * inW;
                for (let tw = 0, index = row + sw; tw < cw; tw++, index += dW) {
                  const xo = (xBatch + index) * C;
                  for (let c = 0; c < C; c++) {
                    const v = xv[xo + c];
                    if (v > values[o + c] || v !== v) {
                      values[o + c] = v;
                      indices[o + c] = index;
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  const outShape = shapeOf(batch, channels, outSpatial, dataFormat);
  return [
    output(backend, outShape, 'float32', values),
    output(backend, outShape, 'int32', indices),
  ];
}

export const maxPoolWithIndicesConfig: KernelConfig = {
  kernelName: MaxPoolWithIndices,
  backendName: 'cpu',
  kernelFunc: maxPoolWithIndices as unknown as KernelFunc,
};
