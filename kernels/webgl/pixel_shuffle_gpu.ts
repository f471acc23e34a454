// Shader programs of pixelShuffle / pixelUnshuffle: one gather pass, each output value copies
// one input value.
//
// The channel order is not written in GLSL by hand: it comes from the block tables of
// src/index_math/pixel_shuffle.ts (pixelShuffleBlockTable / pixelUnshuffleBlockTable: one r x r
// block plus a channel stride, tested there against the scalar rule), written into the shader
// as arithmetic where the table has that form, else as const arrays.
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import {pixelShuffleBlockTable, pixelUnshuffleBlockTable} from '../../src/index_math/pixel_shuffle.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {glslIntArray} from './util.js';

// The GLSL holds the factor and the tables of one block (what shapes the code), no size: tfjs
// passes the shapes (Note [webgl programs keyed by code] in util.ts).

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
    const {channelStride, blockChannel} = pixelShuffleBlockTable(r);
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
    const {period, blockRow, blockCol} = pixelUnshuffleBlockTable(r);
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
