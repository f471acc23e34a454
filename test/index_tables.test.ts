// The tables and plans of src/index_math that kernels pack and gather through, each checked once
// here against the scalar rules it is built from (the kernels no longer check them at run time):
// convTranspose's gather / paired gather / scatter / pair / range tables and tap rows
// (conv_tables.ts against conv.ts), pooling's plane strides and window split (pool.ts), the
// pixel shuffle block tables and stride form (pixel_shuffle.ts), and the pass planner (plan.ts).
import {expect} from 'chai';

import {convTransposeInputIndex, convTransposeOutputIndex, convTransposeOutputSize, convTransposeTapRange} from '../src/index_math/conv.js';
import {convTransposeGatherPairs, convTransposeGatherTable, convTransposePairGatherTable, convTransposeRangeTargets, convTransposeScatterPairs, convTransposeScatterTable, convTransposeTapRows} from '../src/index_math/conv_tables.js';
import type {ConvTransposeAxis} from '../src/index_math/conv_tables.js';
import {pixelShuffleBlockTable, pixelShuffleChannelStrides, pixelShuffleSource, pixelShuffleTarget, pixelUnshuffleBlockTable} from '../src/index_math/pixel_shuffle.js';
import {COMPOSED_PASS_LIMITS, CPU_PASS_LIMITS, GPU_PASS_LIMITS, planPasses} from '../src/index_math/plan.js';
import {flatPlaneIndex, planeStrides, poolingOutputSize, poolWindowSplit, poolWindowTable} from '../src/index_math/pool.js';
import {axisTable} from '../src/index_math/resize.js';

/** Every axis geometry with small sizes (outputPadding up to the limit, positive outputs). */
function convAxes(): ConvTransposeAxis[] {
  const axes: ConvTransposeAxis[] = [];
  for (const inSize of [1, 2, 3, 5, 8]) {
    for (let kernelSize = 1; kernelSize <= 5; kernelSize++) {
      for (let stride = 1; stride <= 4; stride++) {
        for (let dilation = 1; dilation <= 3; dilation++) {
          for (let padding = 0; padding <= 4; padding++) {
            for (let op = 0; op < Math.max(stride, dilation); op++) {
              const outSize =
                  convTransposeOutputSize(inSize, kernelSize, stride, padding, dilation, op);
              if (outSize > 0) axes.push({inSize, outSize, kernelSize, stride, padding, dilation});
            }
          }
        }
      }
    }
  }
  return axes;
}

const AXES = convAxes();
const at = (a: ConvTransposeAxis) => JSON.stringify(a);

/** The input reaching output o through tap t by the scalar rule, -1 for none. */
const inputOf = (a: ConvTransposeAxis, o: number, t: number) =>
    convTransposeInputIndex(o, t, a.stride, a.padding, a.dilation, a.inSize);

/** The output input i reaches through tap t by the scalar rule, -1 outside the output. */
function outputOf(a: ConvTransposeAxis, i: number, t: number): number {
  const o = convTransposeOutputIndex(i, t, a.stride, a.padding, a.dilation);
  return o >= 0 && o < a.outSize ? o : -1;
}

describe('index_math tables: convTranspose (conv_tables.ts against conv.ts)', () => {
  it(`gather by residue gives every (output, tap) of ${AXES.length} axis geometries`, () => {
    for (const a of AXES) {
      const {perResidue, taps, shift} = convTransposeGatherTable(a);
      for (let o = 0; o < a.outSize; o++) {
        const r = (o + a.padding) % a.stride;
        const base = Math.floor((o + a.padding) / a.stride);
        const got = new Array<number>(a.kernelSize).fill(-1);
        for (let j = 0; j < perResidue; j++) {
          const t = taps[r * perResidue + j];
          if (t < 0) break;
          const i = base - shift[r * perResidue + j];
          if (i >= 0 && i < a.inSize) got[t] = i;
        }
        const want = Array.from({length: a.kernelSize}, (_, t) => inputOf(a, o, t));
        expect(got, `${at(a)} output ${o}`).to.deep.equal(want);
      }
    }
  });

  it('paired gather gives every (output pair, tap)', () => {
    for (const a of AXES) {
      const {perResidue, shift, tap0, tap1} = convTransposePairGatherTable(a);
      for (let ow = 0; ow < a.outSize; ow += 2) {
        const r = (ow + a.padding) % a.stride;
        const base = Math.floor((ow + a.padding) / a.stride);
        const got = [new Array<number>(a.kernelSize).fill(-1),
                     new Array<number>(a.kernelSize).fill(-1)];
        for (let j = 0; j < perResidue; j++) {
          const e = r * perResidue + j;
          if (tap0[e] < 0 && tap1[e] < 0) break;
          const i = base - shift[e];
          if (i < 0 || i >= a.inSize) continue;
          if (tap0[e] >= 0) got[0][tap0[e]] = i;
          if (tap1[e] >= 0) got[1][tap1[e]] = i;
        }
        for (let c = 0; c < 2 && ow + c < a.outSize; c++) {
          const want = Array.from({length: a.kernelSize}, (_, t) => inputOf(a, ow + c, t));
          expect(got[c], `${at(a)} output ${ow + c}`).to.deep.equal(want);
        }
      }
    }
  });

  it('scatter gives every (input, tap) target and exactly the inputs inside the output', () => {
    for (const a of AXES) {
      const {offset, start, end} = convTransposeScatterTable(a);
      for (let t = 0; t < a.kernelSize; t++) {
        for (let i = 0; i < a.inSize; i++) {
          const o = i * a.stride + offset[t];
          expect(o, `${at(a)} input ${i} tap ${t}`)
              .to.equal(convTransposeOutputIndex(i, t, a.stride, a.padding, a.dilation));
          expect(i >= start[t] && i < end[t], `${at(a)} range of tap ${t} at ${i}`)
              .to.equal(outputOf(a, i, t) >= 0);
        }
      }
    }
  });

  it('pairs per position list every (tap, position) in tap order, then tap -1', () => {
    for (const a of AXES) {
      const cases: Array<[ReturnType<typeof convTransposeGatherPairs>, number,
                          (p: number, t: number) => number]> = [
        [convTransposeGatherPairs(a), a.outSize, (o, t) => inputOf(a, o, t)],
        [convTransposeScatterPairs(a), a.inSize, (i, t) => outputOf(a, i, t)],
      ];
      for (const [{width, values}, positions, rule] of cases) {
        expect(values.length).to.equal(positions * width * 2);
        let widest = 0;
        for (let p = 0; p < positions; p++) {
          const want: number[] = [];
          for (let t = 0; t < a.kernelSize; t++) if (rule(p, t) >= 0) want.push(t, rule(p, t));
          widest = Math.max(widest, want.length / 2);
          const row = Array.from(values.subarray(p * width * 2, (p + 1) * width * 2));
          const got: number[] = [];
          for (let j = 0; j < width && row[2 * j] >= 0; j++) got.push(row[2 * j], row[2 * j + 1]);
          expect(got, `${at(a)} position ${p}`).to.deep.equal(want);
          if (want.length / 2 < width) expect(row[want.length]).to.equal(-1);
        }
        expect(width).to.equal(Math.max(1, widest));
      }
    }
  });

  it('range targets hold each tap range, then every (tap, input) target', () => {
    for (const a of AXES) {
      const v = convTransposeRangeTargets(a);
      for (let t = 0; t < a.kernelSize; t++) {
        expect([v[2 * t], v[2 * t + 1]]).to.deep.equal(
            convTransposeTapRange(t, a.inSize, a.outSize, a.stride, a.padding, a.dilation));
        for (let i = 0; i < a.inSize; i++) {
          expect(v[2 * a.kernelSize + t * a.inSize + i])
              .to.equal(convTransposeOutputIndex(i, t, a.stride, a.padding, a.dilation));
        }
      }
    }
  });

  it('tap rows are every (tap, input) pair that lands inside the output, over 1 to 3 axes', () => {
    const pick = (k: number) => AXES[(k * 7919) % AXES.length];
    for (let k = 0; k < 300; k++) {
      const axes = [pick(3 * k), pick(3 * k + 1), pick(3 * k + 2)].slice(0, 1 + (k % 3));
      const rows = convTransposeTapRows(axes);
      const taps = axes.reduce((p, a) => p * a.kernelSize, 1);
      expect(rows.rowStart.length).to.equal(taps + 1);
      for (let t = 0; t < taps; t++) {
        const digits: number[] = [];
        for (let a = axes.length - 1, rest = t; a >= 0; a--) {
          digits[a] = rest % axes[a].kernelSize;
          rest = Math.floor(rest / axes[a].kernelSize);
        }
        const want: Array<[number, number]> = [];
        const inPlane = axes.reduce((p, a) => p * a.inSize, 1);
        for (let flat = 0; flat < inPlane; flat++) {
          let rest = flat;
          const pos: number[] = [];
          for (let a = axes.length - 1; a >= 0; a--) {
            pos[a] = rest % axes[a].inSize;
            rest = Math.floor(rest / axes[a].inSize);
          }
          const outs = pos.map((i, a) => outputOf(axes[a], i, digits[a]));
          if (outs.some((o) => o < 0)) continue;
          want.push([flat, flatPlaneIndex(outs, axes.map((a) => a.outSize))]);
        }
        const got: Array<[number, number]> = [];
        for (let r = rows.rowStart[t]; r < rows.rowStart[t + 1]; r++) {
          got.push([rows.inPos[r], rows.outPos[r]]);
        }
        expect(got, `${axes.map(at).join(' ')} tap ${t}`).to.deep.equal(want);
      }
    }
  });

  it('memoises each table (the same geometry returns the same table)', () => {
    const a = AXES[AXES.length >> 1];
    expect(convTransposeGatherTable({...a})).to.equal(convTransposeGatherTable({...a}));
    expect(convTransposeGatherPairs({...a})).to.equal(convTransposeGatherPairs({...a}));
    expect(convTransposeTapRows([{...a}])).to.equal(convTransposeTapRows([{...a}]));
  });
});

describe('index_math tables: pooling (pool.ts)', () => {
  it('plane strides reproduce flatPlaneIndex at every position of 1-D to 3-D planes', () => {
    for (const spatial of [[1], [7], [3, 1], [4, 5], [2, 3, 4], [5, 1, 3]]) {
      const strides = planeStrides(spatial);
      const total = spatial.reduce((p, s) => p * s, 1);
      for (let flat = 0; flat < total; flat++) {
        const pos: number[] = [];
        for (let a = spatial.length - 1, rest = flat; a >= 0; a--) {
          pos[a] = rest % spatial[a];
          rest = Math.floor(rest / spatial[a]);
        }
        expect(pos.reduce((acc, p, a) => acc + p * strides[a], 0))
            .to.equal(flatPlaneIndex(pos, spatial));
      }
    }
  });

  it('the window split reproduces poolWindowTable at every output position', () => {
    let checked = 0;
    for (const inSize of [1, 2, 5, 9, 16]) {
      for (let kernelSize = 1; kernelSize <= 4; kernelSize++) {
        for (let stride = 1; stride <= 3; stride++) {
          for (let dilation = 1; dilation <= 2; dilation++) {
            for (let padding = 0; padding <= Math.floor(kernelSize / 2); padding++) {
              for (const ceilMode of [false, true]) {
                const outSize =
                    poolingOutputSize(inSize, kernelSize, padding, stride, dilation, ceilMode);
                if (outSize <= 0) continue;
                const ax = {inSize, outSize, kernelSize, stride, padding, dilation};
                const {lo, hi, edgeStart, edgeCount} = poolWindowSplit(ax);
                const {start, count} =
                    poolWindowTable(outSize, inSize, kernelSize, padding, stride, dilation);
                for (let o = 0; o < outSize; o++) {
                  const inside = o >= lo && o < hi;
                  const e = o < lo ? o : o - hi + lo;
                  expect(inside ? o * stride - padding : edgeStart[e], `${JSON.stringify(ax)} ${o}`)
                      .to.equal(start[o]);
                  expect(inside ? kernelSize : edgeCount[e]).to.equal(count[o]);
                }
                checked++;
              }
            }
          }
        }
      }
    }
    expect(checked).to.be.greaterThan(300);
  });
});

describe('index_math tables: pixel shuffle (pixel_shuffle.ts)', () => {
  for (const r of [1, 2, 3, 4, 5]) {
    it(`block tables and channel strides reproduce the scalar rules, factor ${r}`, () => {
      const {channelStride, blockChannel} = pixelShuffleBlockTable(r);
      const {period, blockRow, blockCol} = pixelUnshuffleBlockTable(r);
      const s = pixelShuffleChannelStrides(r);
      for (let c = 0; c < 3; c++) {
        for (let oh = 0; oh < 2 * r; oh++) {
          for (let ow = 0; ow < 2 * r; ow++) {
            const want = pixelShuffleSource(c, oh, ow, r);
            const h = Math.floor(oh / r);
            const w = Math.floor(ow / r);
            // Block table (webgl).
            expect({channel: c * channelStride + blockChannel[(oh % r) * r + (ow % r)], h, w})
                .to.deep.equal(want);
            // Stride form (webgpu's arithmetic).
            expect({channel: c * s.channel + (oh % r) * s.row + (ow % r) * s.column, h, w})
                .to.deep.equal(want);
          }
        }
      }
      for (let k = 0; k < 3 * r * r; k++) {
        for (let h = 0; h < 2; h++) {
          for (let w = 0; w < 2; w++) {
            const want = pixelShuffleTarget(k, h, w, r);
            const q = k % period;
            expect({channel: Math.floor(k / period), h: h * r + blockRow[q],
                    w: w * r + blockCol[q]}).to.deep.equal(want);
            expect({channel: Math.floor(k / s.channel),
                    h: h * r + Math.floor((k % s.channel) / s.row),
                    w: w * r + Math.floor((k % s.row) / s.column)}).to.deep.equal(want);
          }
        }
      }
    });
  }
});

describe('index_math plan: planPasses (plan.ts)', () => {
  const linear = (i: number, o: number) => axisTable('bilinear', i, o, false, null, false);
  const area = (i: number, o: number) => axisTable('area', i, o, false, null, false);
  const nearest = (i: number, o: number) => axisTable('nearest', i, o, false, null, false);
  const dims = (passes: Array<Array<{dim: number}>>) => passes.map((p) => p.map((a) => a.dim));

  it('puts axes in one pass when their taps fit the limits, a gather counting one', () => {
    const axes = [{dim: 2, table: linear(8, 16)}, {dim: 3, table: linear(8, 16)}];
    expect(dims(planPasses([1, 3, 8, 8], axes, GPU_PASS_LIMITS))).to.deep.equal([[2, 3]]);
    expect(planPasses([1, 3, 8, 8], axes, CPU_PASS_LIMITS)).to.have.length(2);
    expect(planPasses([1, 3, 8, 8], axes, COMPOSED_PASS_LIMITS)).to.have.length(2);
    const gathers = [{dim: 2, table: nearest(8, 16)}, {dim: 3, table: nearest(8, 16)}];
    expect(dims(planPasses([1, 3, 8, 8], gathers, CPU_PASS_LIMITS))).to.deep.equal([[2, 3]]);
    expect(planPasses([1, 3, 8, 8], gathers, COMPOSED_PASS_LIMITS)).to.have.length(2);
    expect(planPasses([1, 3, 8, 8], [], GPU_PASS_LIMITS)).to.deep.equal([]);
  });

  it('orders separate passes by least cost: a shrinking axis first, whichever order given', () => {
    // area 64 -> 4 along H (16 taps), linear 4 -> 64 along W (2 taps; 32 in all, two passes
    // on every backend): shrinking H first keeps the intermediate small (64 x 4 -> 4 x 4 ->
    // 4 x 64 rather than 64 x 64).
    const h = {dim: 2, table: area(64, 4)};
    const w = {dim: 3, table: linear(4, 64)};
    for (const limits of [GPU_PASS_LIMITS, CPU_PASS_LIMITS, COMPOSED_PASS_LIMITS]) {
      expect(dims(planPasses([1, 2, 64, 4], [h, w], limits))).to.deep.equal([[2], [3]]);
      const h2 = {dim: 3, table: area(64, 4)};
      const w2 = {dim: 2, table: linear(4, 64)};
      expect(dims(planPasses([1, 2, 4, 64], [w2, h2], limits))).to.deep.equal([[3], [2]]);
    }
  });

  it('weighs passes by the backend\'s constants (strided gathers, rows, padding taps)', () => {
    // area 256 x 256 -> 96 x 40, channelsFirst: shrinking W first leaves the smaller
    // intermediate (what a GPU pass or a TensorFlow gather pays for), but W is the innermost
    // dim, a strided gather in rows of one value on cpu, which so does H first.
    const axes = [{dim: 2, table: area(256, 96)}, {dim: 3, table: area(256, 40)}];
    expect(dims(planPasses([1, 32, 256, 256], axes, CPU_PASS_LIMITS))).to.deep.equal([[2], [3]]);
    expect(dims(planPasses([1, 32, 256, 256], axes, GPU_PASS_LIMITS))).to.deep.equal([[3], [2]]);
    expect(dims(planPasses([1, 32, 256, 256], axes, COMPOSED_PASS_LIMITS)))
        .to.deep.equal([[3], [2]]);
  });

  it('keeps the given order on equal costs', () => {
    const a = {dim: 1, table: area(32, 8)};
    const b = {dim: 2, table: area(32, 8)};
    expect(dims(planPasses([1, 32, 32, 4], [a, b], CPU_PASS_LIMITS))).to.deep.equal([[1], [2]]);
  });
});
