// wasm kernel of interpolate.
// - Bilinear where tfjs-backend-wasm's own ResizeBilinear (XNNPACK's SIMD bilinear resize)
//   samples as PyTorch does (Note [native resize on TensorFlow] in src/index_math/resize.ts:
//   2-D, channelsLast, float32, PyTorch's ratio equal to TensorFlow's on both axes): that kernel
//   on the same heap tensor, when the input is finite (Note [native resize and non-finite input]
//   in src/index_math/finite.ts; this backend's check is 'kernel': a SIMD scan of the heap).
// - nearest and nearest-exact (float32 or int32, any rank and layout): copies on the heap by the
//   shared per-axis tables, in one call of a WebAssembly loop (kernels/wasm/simd.ts's
//   nearestPlanes): an output row whose source row is the previous output row's is a copy of
//   that row; channelsLast rows copy whole pixels, channelsFirst rows gather values (a 2x row
//   duplicates them with vector shuffles).
// - everything else: the cpu compute core (separable per-axis tables from
//   src/index_math/resize.ts) on views into the heap.
import {getKernel} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';
import {hasFiniteOnlyShortcut, valuesAreFinite} from '../../src/index_math/finite.js';
import {axisKind, interpolateTables, nativeResize} from '../../src/index_math/resize.js';
import {Interpolate} from '../../src/kernel_names.js';
import type {InterpolateAttrs, InterpolateInputs} from '../../src/kernel_names.js';
import {layoutOf, padFront, shapeOf} from '../../src/util/layout.js';
import {interpolateImplCPU} from '../cpu/shared.js';
import {simdLoops} from './simd.js';
import type {SimdLoops} from './simd.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

export const interpolate: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as InterpolateInputs;
  const a = attrs as unknown as InterpolateAttrs;
  const wasm = backend as WasmBackend;
  const loops = simdLoops(wasm);
  const kind = axisKind(a.mode);
  const {batch, channels} = layoutOf(x.shape, a.dataFormat);
  const yShape = shapeOf(batch, channels, a.outSize, a.dataFormat);
  const nonEmpty = yShape.every((d) => d > 0);
  if (loops != null && kind === 'linear' && !a.antialias && x.dtype === 'float32' &&
      x.shape.length === 4 && a.dataFormat === 'channelsLast' && nonEmpty) {
    return bilinear(wasm, loops, x, a, yShape);
  }
  const native = x.dtype === 'float32' && a.dataFormat === 'channelsLast' && x.shape.length === 4 ?
      nativeResize(a) : null;
  if (native != null && native.op === 'Bilinear' &&
      (!hasFiniteOnlyShortcut(a) || a.finite === true || finiteOnHeap(wasm, x))) {
    const resize = getKernel('ResizeBilinear', 'wasm')!.kernelFunc;
    const resizeAttrs = {alignCorners: native.alignCorners, halfPixelCenters: native.halfPixelCenters,
                         size: a.outSize} as unknown as NamedAttrMap;
    return resize({inputs: {images: x}, backend, attrs: resizeAttrs}) as TensorInfo;
  }
  if (loops != null && (kind === 'nearest' || kind === 'nearest-exact') && !a.antialias && nonEmpty) {
    return nearest(wasm, loops, x, a, yShape);
  }
  return runOnHeap(wasm, [x], [{shape: yShape, dtype: x.dtype}], ([xv], [yv]) =>
      interpolateImplCPU(xv as Float32Array|Int32Array, x.shape, a, yv as Float32Array|Int32Array))[0];
};

/** Whether x, on the heap, holds no Inf or NaN: a SIMD scan, or a JavaScript one without SIMD. */
function finiteOnHeap(backend: WasmBackend, x: TensorInfo): boolean {
  const values = backend.typedArrayFromHeap(x);
  const loops = simdLoops(backend);
  return loops != null ? loops.allFinite(values.byteOffset, values.length) === 1 :
                         valuesAreFinite(values);
}

/**
 * 2-D bilinear of a channelsLast image with PyTorch's formula over every tap, from the shared
 * tables: each input row that an output row reads is resized along W once (linearRow, into one
 * of two scratch rows), and each output row blends its two (blendRows; two output rows between
 * the same input rows in one pass, blendRows2; and where the top one is held already, the
 * bottom one resized in that same pass, linearBlend2).
 */
function bilinear(backend: WasmBackend, loops: SimdLoops, x: TensorInfo, a: InterpolateAttrs,
                  yShape: number[]): TensorInfo {
  const layout = layoutOf(x.shape, a.dataFormat);
  const [tH, tW] = interpolateTables(a, {transposed: false});
  const [inH, inW] = layout.spatial;
  const [outH, outW] = a.outSize;
  const C = layout.channels;
  const rowFloats = outW * C;
  // Scratch: row weights (2 per output row), column entries (4 per output pixel), two rows.
  const colsAt = 2 * outH, scratchAt = colsAt + 4 * outW;
  const made = runOnHeap(backend, [x], [{shape: [scratchAt + 2 * rowFloats], dtype: 'int32'},
                                        {shape: yShape, dtype: 'float32'}],
                         ([xv], [tabView, yv]) => {
    const ints = tabView as Int32Array;
    const floats = new Float32Array(ints.buffer, ints.byteOffset, ints.length);
    for (let o = 0; o < outH; o++) {
      floats[2 * o] = tH.weight[2 * o];
      floats[2 * o + 1] = tH.weight[2 * o + 1];
    }
    for (let o = 0, e = colsAt; o < outW; o++, e += 4) {
      ints[e] = tW.index[2 * o] * C * 4;
      ints[e + 1] = tW.index[2 * o + 1] * C * 4;
      floats[e + 2] = tW.weight[2 * o];
      floats[e + 3] = tW.weight[2 * o + 1];
    }
    const tab = ints.byteOffset;
    const scratch = [tab + 4 * scratchAt, tab + 4 * (scratchAt + rowFloats)];
    for (let b = 0; b < layout.batch; b++) {
      const xImage = xv.byteOffset + 4 * b * inH * inW * C;
      const yImage = yv.byteOffset + 4 * b * outH * rowFloats;
      const held = [-1, -1];  // the input row each scratch row holds
      const rowAt = (h: number, keep: number): number => {
        let k = held.indexOf(h);
        if (k < 0) {
          k = held[0] === keep ? 1 : 0;
          loops.linearRow(xImage + 4 * h * inW * C, scratch[k], outW, 4 * C, tab + 4 * colsAt);
          held[k] = h;
        }
        return scratch[k];
      };
      for (let o = 0; o < outH; o++) {
        const top = tH.index[2 * o], bottom = tH.index[2 * o + 1];
        const pair = o + 1 < outH && tH.index[2 * o + 2] === top && tH.index[2 * o + 3] === bottom;
        // A pair whose top row is held and whose bottom row is new (each pair of a 2x upscale
        // after the first): the bottom row resized and both output rows blended in one pass.
        if (pair && top !== bottom && held.includes(top) && !held.includes(bottom)) {
          const k = held[0] === top ? 1 : 0;
          loops.linearBlend2(xImage + 4 * bottom * inW * C, scratch[k], outW, 4 * C, tab + 4 * colsAt,
                             scratch[1 - k], yImage + 4 * o * rowFloats, 4 * rowFloats, tab + 8 * o);
          held[k] = bottom;
          o++;
          continue;
        }
        const topAt = rowAt(top, bottom);
        const bottomAt = rowAt(bottom, top);
        // The next output row between the same input rows (a 2x upscale): both in one pass.
        if (pair) {
          loops.blendRows2(topAt, bottomAt, yImage + 4 * o * rowFloats, 4 * rowFloats, tab + 8 * o);
          o++;
        } else {
          loops.blendRows(topAt, bottomAt, yImage + 4 * o * rowFloats, 4 * rowFloats, tab + 8 * o);
        }
      }
    }
  });
  backend.disposeData(made[0].dataId);
  return made[1];
}

/**
 * nearest / nearest-exact as copies on the heap (every output reads one source), the whole
 * resize in one call of nearestPlanes from the per-axis tables.
 */
function nearest(backend: WasmBackend, loops: SimdLoops, x: TensorInfo, a: InterpolateAttrs,
                 yShape: number[]): TensorInfo {
  const layout = layoutOf(x.shape, a.dataFormat);
  const last = a.dataFormat === 'channelsLast';
  const tables = interpolateTables(a, {transposed: false});
  const indices = tables.map((t) => t.index);
  const [tD, tH, tW] = [...new Array<Int32Array>(3 - indices.length).fill(Int32Array.of(0)), ...indices];
  const [, inH, inW] = padFront(layout.spatial, 3, 1);
  const [outD, outH, outW] = padFront(a.outSize, 3, 1);
  const lanes = last ? layout.channels : 1;
  const planes = last ? layout.batch : layout.batch * layout.channels;
  // Each output row's source row (byte offset in its plane), -1 where it is the previous row's.
  const rows = new Int32Array(outD * outH);
  let previous = -1;
  for (let od = 0; od < outD; od++) {
    for (let oh = 0; oh < outH; oh++) {
      const source = tD[od] * inH + tH[oh];
      rows[od * outH + oh] = source === previous ? -1 : source * inW * lanes * 4;
      previous = source;
    }
  }
  const cols = Int32Array.from(tW, (i) => i * lanes * 4);
  const doubled = !last && outW === 2 * inW && tW.every((i, o) => i === o >> 1);
  const kind = last ? 0 : doubled ? 2 : 1;
  const made = runOnHeap(backend, [x], [{shape: yShape, dtype: x.dtype},
                                        {shape: [outW + rows.length], dtype: 'int32'}],
                         ([xv], [yv, tabView]) => {
    tabView.set(cols);
    tabView.set(rows, outW);
    const tab = tabView.byteOffset;
    loops.nearestPlanes(xv.byteOffset, yv.byteOffset, planes, layout.planeSize * lanes * 4,
                        tab + 4 * outW, rows.length, outW * lanes * 4, tab, outW, kind, 4 * lanes);
  });
  backend.disposeData(made[1].dataId);
  return made[0];
}

export const interpolateConfig: KernelConfig = {
  kernelName: Interpolate,
  backendName: 'wasm',
  kernelFunc: interpolate,
};
