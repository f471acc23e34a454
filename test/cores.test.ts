// The cpu compute cores of kernels/cpu/shared.ts, called as another backend calls them (the wasm
// kernels, on views into tfjs-backend-wasm's heap): inputs are views at a byteOffset inside
// larger buffers, outputs are caller-allocated views filled with garbage beforehand. Each core
// must give exactly the cpu kernel's result (itself checked against PyTorch by the op suites)
// and leave the memory around its views untouched.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {convGeometry, heapRegions} from '../kernels/cpu/ConvTranspose.js';
import {HeapLayout, MAX_HEAP_BYTES, PANEL} from '../kernels/cpu/conv_transpose_gemm.js';
import * as cores from '../kernels/cpu/shared.js';
import {geometryFromPacked, geometryFromSpatial} from '../src/index_math/pixel_shuffle.js';
import {convTransposeShapes} from '../src/index_math/conv.js';
import * as names from '../src/kernel_names.js';
import type {ConvTransposeAttrs, DataFormat, InterpolateAttrs, MaxPoolWithIndicesAttrs} from '../src/kernel_names.js';
import {DATA_FORMATS} from './util.js';

type Values = Float32Array|Int32Array;

/** Deterministic pseudo-random values in [-2, 2) (or small ints). */
function values(n: number, seed: number, int = false): Values {
  const out = int ? new Int32Array(n) : new Float32Array(n);
  let s = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = int ? (s >>> 16) % 1000 - 500 : (s / 2 ** 32) * 4 - 2;
  }
  return out;
}

const GUARD = 7;
const GARBAGE = 12345.5;

/** A view of `n` values at an odd offset inside a larger buffer whose other values are GARBAGE. */
function guarded(n: number, int: boolean, fill: Values|null = null): Values {
  const buf = int ? new Int32Array(n + 2 * GUARD) : new Float32Array(n + 2 * GUARD);
  buf.fill(int ? -777 : GARBAGE);
  const view = buf.subarray(GUARD, GUARD + n);
  if (fill != null) view.set(fill);
  return view;
}

/** The guard cells around a view are untouched. */
function expectGuards(view: Values, what: string): void {
  const buf = view instanceof Int32Array ? new Int32Array(view.buffer) : new Float32Array(view.buffer);
  const g = view instanceof Int32Array ? -777 : GARBAGE;
  for (let i = 0; i < GUARD; i++) {
    expect(buf[i], `${what}: guard before`).to.equal(g);
    expect(buf[buf.length - 1 - i], `${what}: guard after`).to.equal(g);
  }
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The cpu kernel's outputs for these inputs and attrs (run on the cpu backend). */
async function cpuKernel(
    name: string, inputs: Record<string, {v: Values, shape: number[]}>,
    attrs: object): Promise<Values[]> {
  await tf.ready();
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, {v, shape}] of Object.entries(inputs)) {
      tensors[k] = tf.tensor(v.slice(), shape, v instanceof Int32Array ? 'int32' : 'float32');
    }
    const out = tf.engine().runKernel(name, tensors, names.asAttrs(attrs)) as tf.Tensor|tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const data = outs.map((t) => t.dataSync() as Values);
    tf.dispose([...outs, ...Object.values(tensors)]);
    return data;
  } finally {
    await tf.setBackend(previous);
  }
}

function expectSame(actual: Values, expected: Values, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]) && actual[i] !== expected[i]) {
      expect.fail(`${what}: value ${i} is ${actual[i]}, the cpu kernel gives ${expected[i]}`);
    }
  }
  expectGuards(actual, what);
}

function shapeOf(n: number, c: number, spatial: number[], f: DataFormat): number[] {
  return f === 'channelsLast' ? [n, ...spatial, c] : [n, c, ...spatial];
}

describe('cpu compute cores (kernels/cpu/shared.ts) on offset views', () => {
  for (const dataFormat of DATA_FORMATS) {
    it(`interpolate and its gradient, ${dataFormat}`, async () => {
      const cases: Array<Partial<InterpolateAttrs>&{inSize: number[], outSize: number[]}> = [
        {mode: 'bilinear', inSize: [5, 4], outSize: [7, 9], scales: [null, null]},
        {mode: 'bicubic', inSize: [6, 6], outSize: [6, 6], scales: [null, null]},
        {mode: 'area', inSize: [9, 7], outSize: [4, 3], scales: [null, null]},
        {mode: 'nearest', inSize: [3], outSize: [7], scales: [2.5]},
        {mode: 'trilinear', inSize: [2, 3, 4], outSize: [4, 5, 3], scales: [null, null, null]},
        {mode: 'bilinear', inSize: [8, 9], outSize: [3, 4], scales: [null, null], antialias: true},
      ];
      for (const c of cases) {
        const attrs: InterpolateAttrs = {
          alignCorners: false, antialias: false, dataFormat, mode: 'nearest', scales: [], ...c,
        };
        const xShape = shapeOf(2, 3, c.inSize, dataFormat);
        const yShape = shapeOf(2, 3, c.outSize, dataFormat);
        const x = guarded(size(xShape), false, values(size(xShape), 1));
        const y = guarded(size(yShape), false);
        cores.interpolateImplCPU(x, xShape, attrs, y);
        const [expected] = await cpuKernel(names.Interpolate, {x: {v: x, shape: xShape}}, attrs);
        expectSame(y, expected, `${c.mode} forward`);
        const dy = guarded(size(yShape), false, values(size(yShape), 2));
        const dx = guarded(size(xShape), false);
        cores.interpolateGradImplCPU(dy as Float32Array, yShape, attrs, dx as Float32Array);
        const [expectedDx] =
            await cpuKernel(names.InterpolateGrad, {dy: {v: dy, shape: yShape}}, attrs);
        expectSame(dx, expectedDx, `${c.mode} gradient`);
        expectGuards(x, 'x');
      }
      // int32 through the gather path.
      const attrs: InterpolateAttrs = {
        mode: 'nearest-exact', inSize: [3, 5], outSize: [6, 4], scales: [null, null],
        alignCorners: false, antialias: false, dataFormat,
      };
      const xShape = shapeOf(1, 2, [3, 5], dataFormat);
      const x = guarded(size(xShape), true, values(size(xShape), 3, true));
      const y = guarded(size(shapeOf(1, 2, [6, 4], dataFormat)), true);
      cores.interpolateImplCPU(x, xShape, attrs, y);
      const [expected] = await cpuKernel(names.Interpolate, {x: {v: x, shape: xShape}}, attrs);
      expectSame(y, expected, 'int32 nearest-exact');
    });

    it(`convTranspose and both gradients, ${dataFormat}`, async () => {
      const configs: Array<{attrs: ConvTransposeAttrs, inC: number, outPerGroup: number,
                            inSize: number[], kernel: number[]}> = [
        {attrs: {stride: [2, 1], padding: [1, 0], outputPadding: [1, 0], dilation: [1, 2],
                 groups: 2, dataFormat},
         inC: 4, outPerGroup: 3, inSize: [4, 5], kernel: [3, 2]},
        // Depthwise-like groups (one input channel per group) take the channel-wise loops.
        {attrs: {stride: [2], padding: [0], outputPadding: [0], dilation: [1], groups: 3,
                 dataFormat},
         inC: 3, outPerGroup: 2, inSize: [6], kernel: [3]},
      ];
      for (const {attrs, inC, outPerGroup, inSize, kernel} of configs) {
        const xShape = shapeOf(2, inC, inSize, dataFormat);
        const wShape = [inC, outPerGroup, ...kernel];
        const {yShape, outChannels} = convTransposeShapes(xShape, wShape, attrs);
        const x = guarded(size(xShape), false, values(size(xShape), 4)) as Float32Array;
        const w = guarded(size(wShape), false, values(size(wShape), 5)) as Float32Array;
        const b = guarded(outChannels, false, values(outChannels, 6)) as Float32Array;
        const y = guarded(size(yShape), false) as Float32Array;
        cores.convTransposeImplCPU(x, w, b, xShape, wShape, attrs, y);
        const [expected] = await cpuKernel(
            names.ConvTranspose,
            {x: {v: x, shape: xShape}, weight: {v: w, shape: wShape}, bias: {v: b, shape: [outChannels]}},
            attrs);
        expectSame(y, expected, 'forward');
        const dy = guarded(size(yShape), false, values(size(yShape), 7)) as Float32Array;
        const dx = guarded(size(xShape), false) as Float32Array;
        cores.convTransposeBackpropInputImplCPU(dy, w, xShape, wShape, attrs, dx);
        const [expectedDx] = await cpuKernel(
            names.ConvTransposeBackpropInput,
            {dy: {v: dy, shape: yShape}, weight: {v: w, shape: wShape}}, {...attrs, xShape});
        expectSame(dx, expectedDx, 'gradient for x');
        const dw = guarded(size(wShape), false) as Float32Array;
        cores.convTransposeBackpropFilterImplCPU(x, dy, xShape, wShape, attrs, dw);
        const [expectedDw] = await cpuKernel(
            names.ConvTransposeBackpropFilter,
            {x: {v: x, shape: xShape}, dy: {v: dy, shape: yShape}}, {...attrs, weightShape: wShape});
        expectSame(dw, expectedDw, 'gradient for the weight');
      }
    });

    it(`pixelShuffle and pixelUnshuffle, ${dataFormat}`, async () => {
      for (const r of [2, 3]) {
        const packed = dataFormat === 'channelsLast' ? [2, 3, 4, 2 * r * r] : [2, 2 * r * r, 3, 4];
        const spatial =
            dataFormat === 'channelsLast' ? [2, 3 * r, 4 * r, 2] : [2, 2, 3 * r, 4 * r];
        const x = guarded(size(packed), false, values(size(packed), 8));
        const y = guarded(size(spatial), false);
        cores.pixelShuffleImplCPU(x, y, geometryFromPacked(packed, r, dataFormat));
        const [expected] = await cpuKernel(
            names.PixelShuffle, {x: {v: x, shape: packed}}, {upscaleFactor: r, dataFormat});
        expectSame(y, expected, `pixelShuffle r=${r}`);
        const back = guarded(size(packed), false);
        cores.pixelUnshuffleImplCPU(y, back, geometryFromSpatial(spatial, r, dataFormat));
        const [expectedBack] = await cpuKernel(
            names.PixelUnshuffle, {x: {v: y, shape: spatial}}, {downscaleFactor: r, dataFormat});
        expectSame(back, expectedBack, `pixelUnshuffle r=${r}`);
      }
    });

    it(`maxPoolWithIndices, its gradient, maxUnpool and its gradient, ${dataFormat}`, async () => {
      const attrs: MaxPoolWithIndicesAttrs = {
        kernelSize: [3, 2], stride: [2, 2], padding: [1, 0], dilation: [1, 1], ceilMode: true,
        dataFormat,
      };
      const xShape = shapeOf(2, 3, [7, 6], dataFormat);
      const x = guarded(size(xShape), false, values(size(xShape), 9)) as Float32Array;
      const yShape = cores.maxPoolOutputShape(xShape, attrs);
      const v = guarded(size(yShape), false) as Float32Array;
      const ind = guarded(size(yShape), true) as Int32Array;
      cores.maxPoolWithIndicesImplCPU(x, xShape, attrs, v, ind);
      const [ev, ei] = await cpuKernel(names.MaxPoolWithIndices, {x: {v: x, shape: xShape}}, attrs);
      expectSame(v, ev, 'pooled values');
      expectSame(ind, ei, 'indices');

      const dy = guarded(size(yShape), false, values(size(yShape), 10)) as Float32Array;
      const dx = guarded(size(xShape), false) as Float32Array;
      cores.maxPoolWithIndicesGradImplCPU(dy, ind, yShape, [7, 6], dataFormat, dx);
      const [edx] = await cpuKernel(
          names.MaxPoolWithIndicesGrad, {dy: {v: dy, shape: yShape}, indices: {v: ind, shape: yShape}},
          {inSize: [7, 6], dataFormat});
      expectSame(dx, edx, 'pooling gradient');

      const un = guarded(size(xShape), false) as Float32Array;
      cores.maxUnpoolImplCPU(v, ind, yShape, [7, 6], dataFormat, un);
      const [eun] = await cpuKernel(
          names.MaxUnpool, {x: {v, shape: yShape}, indices: {v: ind, shape: yShape}},
          {outSize: [7, 6], dataFormat});
      expectSame(un, eun, 'unpooled');
      const dun = guarded(size(yShape), false) as Float32Array;
      const g = guarded(size(xShape), false, values(size(xShape), 11)) as Float32Array;
      cores.maxUnpoolGradImplCPU(g, ind, xShape, yShape, dataFormat, dun);
      const [edun] = await cpuKernel(
          names.MaxUnpoolGrad, {dy: {v: g, shape: xShape}, indices: {v: ind, shape: yShape}},
          {dataFormat});
      expectSame(dun, edun, 'unpooling gradient');

      const bad = ind.slice();
      bad[3] = 7 * 6;
      expect(() => cores.maxUnpoolImplCPU(v, bad, yShape, [7, 6], dataFormat, un))
          .to.throw(/^maxUnpool2d: indices must lie in \[0, 42\)/);
    });

    it(`normalize and denormalize, ${dataFormat}`, async () => {
      const shape = shapeOf(2, 3, [4, 5], dataFormat);
      const attrs = {mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], dataFormat};
      for (const int of [false, true]) {
        const x = guarded(size(shape), int, values(size(shape), 12, int));
        const y = guarded(size(shape), false) as Float32Array;
        cores.normalizeImplCPU(x, shape, attrs, y);
        const [e] = await cpuKernel(names.Normalize, {x: {v: x, shape}}, attrs);
        expectSame(y, e, `normalize ${int ? 'int32' : 'float32'}`);
        const z = guarded(size(shape), false) as Float32Array;
        cores.denormalizeImplCPU(x, shape, attrs, z);
        const [ez] = await cpuKernel(names.Denormalize, {x: {v: x, shape}}, attrs);
        expectSame(z, ez, `denormalize ${int ? 'int32' : 'float32'}`);
      }
    });
  }
});

// Note [heap address limit] in kernels/cpu/conv_transpose_gemm.ts: the layout arithmetic itself,
// on geometries far too large to allocate (nothing is allocated here).
describe('cpu convTranspose heap layout (2 GiB address limit)', () => {
  const attrs3 = (stride: number): ConvTransposeAttrs => ({
    stride: [stride, stride, stride], padding: [0, 0, 0], outputPadding: [0, 0, 0],
    dilation: [1, 1, 1], groups: 1, dataFormat: 'channelsFirst',
  });

  /** The expected total, computed independently of HeapLayout: 16-byte aligned regions. */
  function expectedBytes(floats: number[]): number {
    return floats.reduce((at, n) => Math.ceil((at + 4 * n) / 16) * 16, 0);
  }

  it('HeapLayout stays exact past 2^31 bytes (the old `& ~15` wrapped to negative offsets)', () => {
    const layout = new HeapLayout();
    expect(layout.take(2 ** 29 + 3)).to.equal(0);
    const second = layout.take(2 ** 29);
    expect(second).to.equal(2 ** 31 + 16);
    expect(layout.bytes).to.equal(2 ** 32 + 16);
    // What the previous 32-bit arithmetic gave for the same first region's end.
    expect(((0 + 4 * (2 ** 29 + 3) + 15) & ~15)).to.be.below(0);
  });

  it('a 3-D call whose batch entry needs more than 2 GiB is refused, naming the op and size', () => {
    // x [1, 8, 64, 64, 64], weight [8, 64, 4, 4, 4], stride 4: output [1, 64, 256, 256, 256].
    const g = convGeometry([1, 8, 64, 64, 64], [8, 64, 4, 4, 4], attrs3(4));
    const inPlane = 64 ** 3;
    const outPlane = 256 ** 3;
    const panels = 1 * 64 * Math.ceil(64 / PANEL) * 8 * PANEL;
    const bytes = expectedBytes([inPlane * 8, outPlane * 64, panels, inPlane, inPlane]);
    expect(bytes).to.be.above(MAX_HEAP_BYTES);
    expect(() => heapRegions(g, 'forward')).to.throw(new RegExp(
        `^convTranspose3d: one batch entry needs 4\\.\\d GiB \\(${bytes} bytes\\) of working ` +
        `memory on the cpu backend .* more than the 2\\.0 GiB \\(2147483648 bytes\\)`));
    expect(() => heapRegions(g, 'backpropInput')).to.throw(/^convTranspose3d \(gradient for x\): /);
    expect(() => heapRegions(g, 'backpropFilter'))
        .to.throw(/^convTranspose3d \(gradient for the weight\): /);
  });

  it('a layout just under the limit is accepted, offsets exact and aligned', () => {
    // x [1, 4, 128, 128, 128], weight [4, 30, 2, 2, 2], stride 2: output
    // [1, 30, 256, 256, 256], about 1.9 GiB for one entry.
    const g = convGeometry([1, 4, 128, 128, 128], [4, 30, 2, 2, 2], attrs3(2));
    const inPlane = 128 ** 3;
    const outPlane = 256 ** 3;
    const panels = 1 * 8 * Math.ceil(30 / PANEL) * 4 * PANEL;
    const r = heapRegions(g, 'forward');
    expect(r.bytes).to.equal(expectedBytes([inPlane * 4, outPlane * 30, panels, inPlane, inPlane]));
    expect(r.bytes).to.be.within(1.8 * 2 ** 30, MAX_HEAP_BYTES);
    const offsets = [r.x, r.y, r.w, r.aRow, r.cRow];
    expect(offsets).to.deep.equal([...offsets].sort((a, b) => a - b));
    for (const o of offsets) expect(o % 16).to.equal(0);
    expect(r.cRow + 4 * inPlane).to.be.at.most(r.bytes);
    // The weight gradient's dy region carries 8 floats of slack.
    const f = heapRegions(g, 'backpropFilter');
    expect(f.w - f.y).to.equal(Math.ceil((4 * (outPlane * 30 + 8)) / 16) * 16);
  });
});
