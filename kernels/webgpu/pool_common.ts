// Programs of max pooling with indices, max unpooling and their gradients on webgpu.
//
// Nothing of the index math is written in WGSL; it comes from src/index_math/pool.ts:
//  - Windows (Note [pooling window]): poolWindowTable gives every output position's first tap
//    and tap count per axis, uploaded as an int32 storage buffer; taps step by the dilation.
//  - Index encoding (Note [index encoding]): planeStrides, index = sum(position * stride).
//  - Ties and NaN (Note [max and ties]): the scan is row-major and a tap replaces the running
//    max when `v > max || isNaN(v)` (replacesMax); the running max starts at -infinity with the
//    index of the window's starts (Note [all-padding windows]). A second pass reads the values
//    at the winning indices (one read per output instead of a second scan).
//
// Scatters. maxUnpool writes x at indices (the last write in row-major order wins, Note [unpool
// writes]) and the pooling gradient adds dy at indices (in row-major order, as on cpu). Indices
// may be anything inside the plane, so both are done as a gather over the sources that hit each
// destination, found with atomics: a first pass fills a "box" buffer (per destination position
// and axis, the smallest and largest source coordinate whose index is that position) with
// atomicMin / atomicMax, then each destination scans its box in row-major order and takes the
// sources whose index is its own position: 'last' keeps the last one's value, 'sum' adds them
// in order. The result is deterministic and matches the cpu kernels' order exactly. For indices
// from a pooling with stride s the box is about kernelSize / s per axis; an index outside the
// plane is never written into the box, so it matches nothing.
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {planeStrides, poolWindowTable} from '../../src/index_math/pool.js';
import type {PoolAxis} from '../../src/index_math/pool.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {axisNames} from '../../src/util/layout.js';
import {checkFitsBuffer, FLOAT_BITS, Ints, run, strideIsFixed, stridesOf, TorchProgram, withTables} from './util.js';
import type {WebGPUBackend} from './util.js';

export type {PoolAxis} from '../../src/index_math/pool.js';

/** Writes a size-dependent integer into WGSL as a uniform (Ints.of). */
type U = (v: number) => string;

/**
 * Where a (batch, channel, spatial...) tensor of this shape keeps its values: strides of batch,
 * channel and spatial dims (as uniforms; spatial as numbers, for `scaled`), and WGSL that
 * decodes a flat index into b, c and p<A>.
 */
function tensorLayout(shape: number[], dataFormat: DataFormat, names: string[], u: U):
    {b: string, c: string, spatial: Stride[], decode: string} {
  const n = shape.length - 2;
  const s = stridesOf(shape);
  const last = dataFormat === 'channelsLast';
  const cDim = last ? n + 1 : 1;
  const sDims = Array.from({length: n}, (_, a) => (last ? 1 + a : 2 + a));
  // The channel count and the strides it alone fixes are compiled in (Note [webgpu programs]).
  const st = (d: number) => (strideIsFixed(d, sDims) ? `${s[d]}` : u(s[d]));
  const lines = [`let b = index / ${u(s[0])};`];
  lines.push(`let c = (index / ${st(cDim)}) % ${shape[cDim]};`);
  names.forEach((A, a) => lines.push(`let p${A} = (index / ${st(sDims[a])}) % ${u(shape[sDims[a]])};`));
  return {b: u(s[0]), c: st(cDim),
          spatial: sDims.map((d) => (s[d] === 1 ? null : st(d))),
          decode: lines.join('\n          ')};
}

function sum(terms: string[]): string {
  return terms.length > 0 ? terms.join(' + ') : '0';
}

/** A stride as WGSL, null for 1 (whether a stride is 1 is compiled in). */
type Stride = string|null;

/** v * k. */
function scaled(v: string, k: Stride): string {
  return k == null ? v : `${v} * ${k}`;
}

/** Plane strides as WGSL: uniforms, but 1 (the innermost) compiled in. */
function planeStrideExprs(strides: number[], u: U): Stride[] {
  return strides.map((k) => (k === 1 ? null : u(k)));
}

/** WGSL: q<A> decoded from the flat plane index `index` of a plane of `size` (strides given). */
function decodePlane(names: string[], index: string, size: number[], strides: number[], u: U):
    string {
  return names.map((A, a) => `let q${A} = (${index} / ${u(strides[a])}) % ${u(size[a])};`)
      .join('\n          ');
}

// ---- max pooling -------------------------------------------------------------------------------

/** Runs max pooling: [values (float32), indices (int32)]. */
export function runMaxPool(
    backend: WebGPUBackend, x: TensorInfo, axes: PoolAxis[], outShape: number[],
    dataFormat: DataFormat, op: string): TensorInfo[] {
  checkFitsBuffer(backend, op, 'output', outShape);
  const n = axes.length;
  const names = axisNames(n);
  const windows = axes.map((a) =>
      poolWindowTable(a.outSize, a.inSize, a.kernelSize, a.padding, a.stride, a.dilation));
  // (start, count) pairs, one vec2<i32> per output position and axis.
  const at: number[] = [];
  let len = 0;
  for (const a of axes) {
    at.push(len);
    len += a.outSize;
  }
  const tab = new Int32Array(Math.max(2 * len, 2));
  windows.forEach((w, a) => {
    for (let o = 0; o < w.start.length; o++) {
      tab[2 * (at[a] + o)] = w.start[o];
      tab[2 * (at[a] + o) + 1] = w.count[o];
    }
  });
  // Whether some window has no tap inside the input (Note [all-padding windows]): only then
  // does the values pass need the windows.
  const someEmpty = windows.some((w) => w.count.some((c) => c === 0));
  const inSize = axes.map((a) => a.inSize);
  const strides = planeStrides(inSize);
  // Sizes, strides and table offsets are uniforms; the rank, the dilations and the channel count
  // are compiled in (Note [webgpu programs]).
  const ints = new Ints();
  const u = ints.of;
  const out = tensorLayout(outShape, dataFormat, names, u);
  const xl = tensorLayout(x.shape, dataFormat, names, u);
  const ps = planeStrideExprs(strides, u);
  const windowsCode = names.map((A, a) => `
          let win${A} = tab[${u(at[a])} + p${A}];
          let s${A} = win${A}.x;
          let n${A} = win${A}.y;`).join('');
  let scan = `
              let v = x[xb + ${sum(names.map((A, a) => scaled(`i${A}`, xl.spatial[a])))}];
              if (v > best || torchIsNaN(v)) {
                best = v;
                bestIndex = ${sum(names.map((A, a) => scaled(`i${A}`, ps[a])))};
              }`;
  for (let a = n - 1; a >= 0; a--) {
    const A = names[a];
    scan = `
            for (var t${A} = 0; t${A} < n${A}; t${A}++) {
              let i${A} = s${A} + t${A} * ${axes[a].dilation};
              ${scan}
            }`;
  }
  const indicesProgram = new TorchProgram('MaxPoolIndices', outShape, ['x', 'tab'], `
          ${out.decode}
          ${windowsCode}
          let xb = b * ${xl.b} + c * ${xl.c};
          var best = negInf();
          var bestIndex = ${sum(names.map((A, a) => scaled(`s${A}`, ps[a])))};
          ${scan}
          result[index] = bestIndex;`, FLOAT_BITS, {variableComponents: [1, 2], ints});
  // The values pass: uniforms of its own.
  const vInts = new Ints();
  const v = vInts.of;
  const vOut = tensorLayout(outShape, dataFormat, names, v);
  const vx = tensorLayout(x.shape, dataFormat, names, v);
  const read = `
          ${decodePlane(names, 'indices[index]', inSize, strides, v)}
          result[index] = x[b * ${vx.b} + c * ${vx.c} + ${
              sum(names.map((A, a) => scaled(`q${A}`, vx.spatial[a])))}];`;
  const valuesProgram = someEmpty ?
      new TorchProgram('MaxPoolValues', outShape, ['x', 'indices', 'tab'], `
          ${vOut.decode}
          ${names.map((A, a) => `
          let n${A} = tab[${v(at[a])} + p${A}].y;`).join('')}
          if (${names.map((A) => `n${A} == 0`).join(' || ')}) {
            result[index] = negInf();
            return;
          }
          ${read}`, FLOAT_BITS, {variableComponents: [1, 1, 2], ints: vInts}) :
      new TorchProgram('MaxPoolValuesAtIndices', outShape, ['x', 'indices'], `
          ${vOut.decode}
          ${read}`, '', {ints: vInts});
  return withTables(backend, [tab], ([t]) => {
    const indices = run(backend, indicesProgram, [x, t], 'int32');
    const values = run(backend, valuesProgram, someEmpty ? [x, indices, t] : [x, indices],
                       'float32');
    return [values, indices];
  });
}

// ---- scatters as gathers ---------------------------------------------------------------------------

/** Sentinel lower bound of an empty box (larger than any coordinate). */
const EMPTY = 2 ** 30;

/**
 * src (shape [batch, ...srcSize, channels] or channelsFirst) written at indices into planes of
 * dstSize: 'last' keeps the last source's value (maxUnpool), 'sum' adds them (the pooling
 * gradient). An index outside the plane is dropped.
 */
export function runScatter(
    backend: WebGPUBackend, src: TensorInfo, indices: TensorInfo, dstSize: number[],
    dataFormat: DataFormat, mode: 'last'|'sum', op: string, what: string): TensorInfo {
  const n = dstSize.length;
  const names = axisNames(n);
  const last = dataFormat === 'channelsLast';
  const channels = last ? src.shape[n + 1] : src.shape[1];
  const batch = src.shape[0];
  const outShape = last ? [batch, ...dstSize, channels] : [batch, channels, ...dstSize];
  const plane = dstSize.reduce((a, b) => a * b, 1);
  const boxShape = [batch * channels * plane * 2 * n];
  checkFitsBuffer(backend, op, what, outShape);
  checkFitsBuffer(backend, op, 'box of the sources of each output', boxShape);
  const strides = planeStrides(dstSize);
  // Sizes, strides and counts are uniforms, one set per program (Note [webgpu programs]).
  const growInts = new Ints();
  const g = growInts.of;
  const sl = tensorLayout(src.shape, dataFormat, names, g);
  const fill = new TorchProgram('ScatterBoxFill', boxShape, [], `
          result[index] = select(-1, ${EMPTY}, index % 2 == 0);`);
  // One invocation per source: its index's box entries grow to hold its coordinates.
  const grow = new TorchProgram('ScatterBoxGrow', indices.shape, ['indices'], `
          ${sl.decode}
          let q = indices[index];
          let plane = ${g(plane)};
          if (q < 0 || q >= plane) {
            return;
          }
          let box = ((b * ${channels} + c) * plane + q) * ${2 * n};
          ${names.map((A, a) => `atomicMin(&result[box + ${2 * a}], p${A});
          atomicMax(&result[box + ${2 * a + 1}], p${A});`).join('\n          ')}`, '',
                                {atomic: true, ints: growInts});
  const gatherInts = new Ints();
  const u = gatherInts.of;
  const out = tensorLayout(outShape, dataFormat, names, u);
  const sg = tensorLayout(src.shape, dataFormat, names, u);
  const dstStrides = planeStrideExprs(strides, u);
  let take = `
            let at = sb + ${sum(names.map((A, a) => scaled(`i${A}`, sg.spatial[a])))};
            if (indices[at] == want) {
              acc ${mode === 'last' ? '=' : '+='} f32(src[at]);
            }`;
  for (let a = n - 1; a >= 0; a--) {
    const A = names[a];
    take = `
          for (var i${A} = box[base + ${2 * a}]; i${A} <= box[base + ${2 * a + 1}]; i${A}++) {
            ${take}
          }`;
  }
  const gather = new TorchProgram(mode === 'last' ? 'ScatterLast' : 'ScatterSum', outShape,
                                  ['src', 'indices', 'box'], `
          ${out.decode}
          let want = ${sum(names.map((A, a) => scaled(`p${A}`, dstStrides[a])))};
          let base = ((b * ${channels} + c) * ${u(plane)} + want) * ${2 * n};
          let sb = b * ${sg.b} + c * ${sg.c};
          var acc = 0.0f;
          ${take}
          result[index] = acc;`, '', {ints: gatherInts});
  const box = run(backend, fill, [], 'int32');
  try {
    run(backend, grow, [indices], 'int32', box);
    return run(backend, gather, [src, indices, box], 'float32');
  } finally {
    backend.disposeData(box.dataId);
  }
}

/**
 * dy read at indices (the gradient of maxUnpool): one value per index; an index outside dy's
 * plane reads 0 (the op rejects those before the forward pass; a direct call gets no stray read).
 */
export function runGatherAtIndices(
    backend: WebGPUBackend, dy: TensorInfo, indices: TensorInfo, dySize: number[],
    dataFormat: DataFormat, op: string): TensorInfo {
  checkFitsBuffer(backend, op, 'output', indices.shape);
  const n = dySize.length;
  const names = axisNames(n);
  const strides = planeStrides(dySize);
  const plane = dySize.reduce((a, b) => a * b, 1);
  const ints = new Ints();
  const u = ints.of;
  const il = tensorLayout(indices.shape, dataFormat, names, u);
  const dl = tensorLayout(dy.shape, dataFormat, names, u);
  // An empty dy plane (maxUnpool to an output size of 0): no index is inside it.
  const program = plane === 0 ?
      new TorchProgram('GatherAtIndicesNone', indices.shape, [], 'result[index] = 0.0f;') :
      new TorchProgram('GatherAtIndices', indices.shape, ['dy', 'indices'], `
          ${il.decode}
          let q = indices[index];
          if (q < 0 || q >= ${u(plane)}) {
            result[index] = 0.0f;
            return;
          }
          ${decodePlane(names, 'q', dySize, strides, u)}
          result[index] = f32(dy[b * ${dl.b} + c * ${dl.c} + ${
              sum(names.map((A, a) => scaled(`q${A}`, dl.spatial[a])))}]);`, '', {ints});
  return run(backend, program, plane === 0 ? [] : [dy, indices], 'float32');
}
