// Shader programs of pixelShuffle / pixelUnshuffle: one gather pass, each output value copies
// one input value.
//
// The channel order is not written in GLSL by hand: it is read off the shared rule
// (pixelShuffleSource / pixelShuffleTarget in src/index_math/pixel_shuffle.ts) as a small table
// over one r x r block plus a channel stride, baked into the shader as const arrays. Before a
// table is used it is checked against the shared functions on every position of two blocks in
// each direction and two channels, so a change of the rule there that the table form cannot
// express fails loudly instead of giving a silently different order on webgl.
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import {pixelShuffleSource, pixelShuffleTarget} from '../../src/index_math/pixel_shuffle.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {glslIntArray} from './util.js';

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

const shuffleCache = new Map<number, ShuffleTables>();
const unshuffleCache = new Map<number, UnshuffleTables>();

function mismatch(op: string, r: number, where: string): never {
  throw new Error(`${op}: the webgl kernel's table form does not reproduce ` +
                  `src/index_math/pixel_shuffle.ts for factor ${r} at ${where}`);
}

export function shuffleTables(r: number): ShuffleTables {
  let t = shuffleCache.get(r);
  if (t != null) return t;
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
  t = {channelStride, blockChannel};
  shuffleCache.set(r, t);
  return t;
}

export function unshuffleTables(r: number): UnshuffleTables {
  let t = unshuffleCache.get(r);
  if (t != null) return t;
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
  t = {period, blockRow, blockCol};
  unshuffleCache.set(r, t);
  return t;
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
    this.userCode = `
      ${glslIntArray('BLOCK_CHANNEL', blockChannel)}
      void main() {
        ivec4 coords = getOutputCoords();
        int oh = coords[${ha}];
        int ow = coords[${wa}];
        int i = imod(oh, ${r});
        int j = imod(ow, ${r});
        int k = coords[${ca}] * ${channelStride} + BLOCK_CHANNEL[i * ${r} + j];
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
    this.userCode = `
      ${glslIntArray('BLOCK_ROW', blockRow)}
      ${glslIntArray('BLOCK_COL', blockCol)}
      void main() {
        ivec4 coords = getOutputCoords();
        int k = coords[${ca}];
        int q = imod(k, ${period});
        int h = coords[${ha}] * ${r} + BLOCK_ROW[q];
        int w = coords[${wa}] * ${r} + BLOCK_COL[q];
        setOutput(${read(dataFormat, 'coords[0]', `k / ${period}`, 'h', 'w')});
      }
    `;
  }
}
