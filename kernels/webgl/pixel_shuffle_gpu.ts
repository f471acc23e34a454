// Shader programs of pixelShuffle / pixelUnshuffle: one gather pass, each output value copies
// one input value.
//
// The channel order is not written in GLSL by hand: it is read off the shared rule
// (pixelShuffleSource / pixelShuffleTarget in src/index_math/pixel_shuffle.ts) as a small table
// over one r x r block plus a channel stride, baked into the shader (as arithmetic where the
// table has that form, else const arrays). Before a table is used it is checked against the shared functions on every position of two blocks in
// each direction and two channels, so a change of the rule there that the table form cannot
// express fails loudly instead of giving a silently different order on webgl.
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import {pixelShuffleSource, pixelShuffleTarget} from '../../src/index_math/pixel_shuffle.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {BoundedMemo} from '../../src/util/memo.js';
import {glslIntArray} from './util.js';

// The GLSL holds the factor and the tables of one block (what shapes the code), no size: tfjs
// passes the shapes (Note [webgl programs keyed by code] in util.ts).

/**
 * pixelShuffle as tables: output channel c at (h*r + i, w*r + j) reads input channel
 * c*channelStride + blockChannel[i*r + j] at (h, w).
 */
interface ShuffleTables {
  channelStride: number;
  blockChannel: number[];
}

/**
 * pixelUnshuffle as tables: output channel k at (h, w) reads input channel floor(k / period) at
 * (h*r + blockRow[k mod period], w*r + blockCol[k mod period]).
 */
interface UnshuffleTables {
  period: number;
  blockRow: number[];
  blockCol: number[];
}

/** Recent tables by geometry (bounded: src/util/memo.ts). */
const shuffleCache = new BoundedMemo<number, ShuffleTables>(64);
/** Recent tables by geometry (bounded: src/util/memo.ts). */
const unshuffleCache = new BoundedMemo<number, UnshuffleTables>(64);

function mismatch(op: string, r: number, where: string): never {
  throw new Error(`${op}: the webgl kernel's table form does not reproduce ` +
                  `src/index_math/pixel_shuffle.ts for factor ${r} at ${where}`);
}

export function shuffleTables(r: number): ShuffleTables {
  return shuffleCache.get(r, () => {
    const blockChannel: number[] = [];
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) blockChannel.push(pixelShuffleSource(0, i, j, r).channel);
    }
    const channelStride = pixelShuffleSource(1, 0, 0, r).channel - blockChannel[0];
    for (let c = 0; c < 2; c++) {
      for (let oh = 0; oh < 2 * r; oh++) {
        for (let ow = 0; ow < 2 * r; ow++) {
          const s = pixelShuffleSource(c, oh, ow, r);
          const k = c * channelStride + blockChannel[(oh % r) * r + (ow % r)];
          if (s.channel !== k || s.h !== Math.floor(oh / r) || s.w !== Math.floor(ow / r)) {
            mismatch('pixelShuffle', r, `output (c ${c}, h ${oh}, w ${ow})`);
          }
        }
      }
    }
    return {channelStride, blockChannel};
  });
}

export function unshuffleTables(r: number): UnshuffleTables {
  return unshuffleCache.get(r, () => {
    let period = 1;
    while (pixelShuffleTarget(period, 0, 0, r).channel === 0) period++;
    const blockRow: number[] = [];
    const blockCol: number[] = [];
    for (let q = 0; q < period; q++) {
      const s = pixelShuffleTarget(q, 0, 0, r);
      blockRow.push(s.h);
      blockCol.push(s.w);
    }
    for (let k = 0; k < 2 * period; k++) {
      for (let h = 0; h < 2; h++) {
        for (let w = 0; w < 2; w++) {
          const s = pixelShuffleTarget(k, h, w, r);
          const q = k % period;
          if (s.channel !== Math.floor(k / period) || s.h !== h * r + blockRow[q] ||
              s.w !== w * r + blockCol[q]) {
            mismatch('pixelUnshuffle', r, `output (c ${k}, h ${h}, w ${w})`);
          }
        }
      }
    }
    return {period, blockRow, blockCol};
  });
}

// A table is emitted as arithmetic when it has that form (const arrays indexed at run time are
// local memory to SwiftShader and cost a third of the pass), else as a const array. Both are
// checked value by value here, so the form never changes what the table says.

/** GLSL for BLOCK_CHANNEL[i * r + j]: i*a + j*b + c when the table is affine in (i, j). */
function blockChannelExpr(blockChannel: number[], r: number): {decl: string, expr: string} {
  const c = blockChannel[0];
  const a = r > 1 ? blockChannel[r] - c : 0;
  const b = r > 1 ? blockChannel[1] - c : 0;
  let affine = true;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) affine = affine && blockChannel[i * r + j] === i * a + j * b + c;
  }
  if (!affine) {
    return {decl: glslIntArray('BLOCK_CHANNEL', blockChannel),
            expr: `BLOCK_CHANNEL[i * ${r} + j]`};
  }
  return {decl: '', expr: `(i * ${a} + j * ${b} + ${c})`};
}

/** GLSL for NAME[q]: (q / d) mod m when the table is that digit of q, else a const array. */
function digitExpr(name: string, values: number[], q: string): {decl: string, expr: string} {
  const n = values.length;
  for (let d = 1; d <= n; d++) {
    for (let m = 1; m <= n; m++) {
      if (values.every((v, k) => v === Math.floor(k / d) % m)) {
        const quotient = d === 1 ? q : `(${q} / ${d})`;
        return {decl: '', expr: Math.ceil(n / d) <= m ? quotient : `imod(${quotient}, ${m})`};
      }
    }
  }
  return {decl: glslIntArray(name, values), expr: `${name}[${q}]`};
}

/** Positions of (channel, H, W) in a 4-D [batch, ...] shape for a dataFormat. */
function axesOf(dataFormat: DataFormat): [number, number, number] {
  return dataFormat === 'channelsLast' ? [3, 1, 2] : [1, 2, 3];
}

/** getX(...) in the input's dim order from batch / channel / row / column expressions. */
function read(dataFormat: DataFormat, b: string, c: string, h: string, w: string): string {
  return dataFormat === 'channelsLast' ? `getX(${b}, ${h}, ${w}, ${c})` :
                                         `getX(${b}, ${c}, ${h}, ${w})`;
}

/** pixelShuffle on a 4-D [batch, ...] view (leading dims merged into one batch dim). */
export class PixelShuffleProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;

  constructor(outShape4d: number[], r: number, dataFormat: DataFormat) {
    this.outputShape = outShape4d;
    const {channelStride, blockChannel} = shuffleTables(r);
    const [ca, ha, wa] = axesOf(dataFormat);
    const block = blockChannelExpr(blockChannel, r);
    this.userCode = `
      ${block.decl}
      void main() {
        ivec4 coords = getOutputCoords();
        int oh = coords[${ha}];
        int ow = coords[${wa}];
        int i = imod(oh, ${r});
        int j = imod(ow, ${r});
        int k = coords[${ca}] * ${channelStride} + ${block.expr};
        setOutput(${read(dataFormat, 'coords[0]', 'k', `oh / ${r}`, `ow / ${r}`)});
      }
    `;
  }
}

/** pixelUnshuffle on a 4-D [batch, ...] view (leading dims merged into one batch dim). */
export class PixelUnshuffleProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;

  constructor(outShape4d: number[], r: number, dataFormat: DataFormat) {
    this.outputShape = outShape4d;
    const {period, blockRow, blockCol} = unshuffleTables(r);
    const [ca, ha, wa] = axesOf(dataFormat);
    const row = digitExpr('BLOCK_ROW', blockRow, 'q');
    const col = digitExpr('BLOCK_COL', blockCol, 'q');
    this.userCode = `
      ${row.decl}
      ${col.decl}
      void main() {
        ivec4 coords = getOutputCoords();
        int k = coords[${ca}];
        int q = imod(k, ${period});
        int h = coords[${ha}] * ${r} + ${row.expr};
        int w = coords[${wa}] * ${r} + ${col.expr};
        setOutput(${read(dataFormat, 'coords[0]', `k / ${period}`, 'h', 'w')});
      }
    `;
  }
}
