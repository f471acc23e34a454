// The gather program of the pixelShuffle / pixelUnshuffle webgpu kernels: each output value
// copies one input value, at a flat input offset read off the shared rule.
//
// The channel order is not written in WGSL: pixelShuffleSource / pixelShuffleTarget
// (src/index_math/pixel_shuffle.ts) give, for an output position (c, h, w) of one image, the
// input position it copies. Its flat offset in the input image is a sum of three parts, one per
// output axis: offset(c, h, w) = offset(c, 0, 0) + [offset(0, h, 0) - offset(0, 0, 0)] +
// [offset(0, 0, w) - offset(0, 0, 0)]. The three per-axis tables are built from the shared
// function at every position of their axis and uploaded as one int32 storage buffer; the sum
// form is checked against the function on every position of two blocks in each direction and
// two channels, so a rule the form cannot express fails loudly instead of giving a different
// order on webgpu. Leading batch dims are merged into one (Note [pixel shuffle batch dims and
// dataFormat]), so the program always sees 4-D.
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {pixelShuffleAxes} from '../../src/index_math/pixel_shuffle.js';
import type {PixelIndex} from '../../src/index_math/pixel_shuffle.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {checkFitsBuffer, coord, run, stridesOf, TorchProgram, withShape, withTables} from './util.js';
import type {WebGPUBackend} from './util.js';

/** For an output position (channel, h, w) of one image, the input position it copies. */
export type ShuffleRule = (c: number, h: number, w: number) => PixelIndex;

/**
 * The three offset tables, concatenated: [channels | rows | columns] of the output, each entry
 * the part of the flat input offset (inside one image) that output coordinate contributes.
 */
export function shuffleOffsetTable(
    op: string, outImage: [number, number, number], inImage: [number, number, number],
    dataFormat: DataFormat, rule: ShuffleRule, factor: number): Int32Array {
  // Input strides of channel, row and column inside one image of the input.
  const [ca, ha, wa] = pixelShuffleAxes(3, dataFormat);
  const dims = new Array<number>(3);
  dims[ca] = inImage[0];
  dims[ha] = inImage[1];
  dims[wa] = inImage[2];
  const s = stridesOf(dims);
  const offsetOf = (p: PixelIndex) => p.channel * s[ca] + p.h * s[ha] + p.w * s[wa];
  const [C, H, W] = outImage;
  const base = offsetOf(rule(0, 0, 0));
  const out = new Int32Array(C + H + W);
  for (let c = 0; c < C; c++) out[c] = offsetOf(rule(c, 0, 0));
  for (let h = 0; h < H; h++) out[C + h] = offsetOf(rule(0, h, 0)) - base;
  for (let w = 0; w < W; w++) out[C + H + w] = offsetOf(rule(0, 0, w)) - base;
  for (let c = 0; c < Math.min(C, 2); c++) {
    for (let h = 0; h < Math.min(H, 2 * factor); h++) {
      for (let w = 0; w < Math.min(W, 2 * factor); w++) {
        if (offsetOf(rule(c, h, w)) !== out[c] + out[C + h] + out[C + H + w]) {
          throw new Error(`${op}: the webgpu kernel's offset tables do not reproduce ` +
                          `src/index_math/pixel_shuffle.ts for factor ${factor} at output ` +
                          `(c ${c}, h ${h}, w ${w})`);
        }
      }
    }
  }
  return out;
}

/**
 * Runs the gather: x (any rank >= 3, shape in dataFormat) to outShape, with the rule of the op.
 */
export function runShuffle(
    backend: WebGPUBackend, x: TensorInfo, outShape: number[], dataFormat: DataFormat,
    rule: ShuffleRule, factor: number, op: string): TensorInfo {
  checkFitsBuffer(backend, op, 'output', outShape);
  const rank = x.shape.length;
  const [ca, ha, wa] = pixelShuffleAxes(rank, dataFormat);
  const image = (shape: number[]): [number, number, number] => [shape[ca], shape[ha], shape[wa]];
  const outImage = image(outShape);
  const inImage = image(x.shape);
  const offsets = shuffleOffsetTable(op, outImage, inImage, dataFormat, rule, factor);
  const batch = x.shape.slice(0, rank - 3).reduce((a, b) => a * b, 1);
  const out4 = [batch, ...outShape.slice(rank - 3)];
  const [c4, h4, w4] = pixelShuffleAxes(4, dataFormat);
  const [C, H] = outImage;
  const imageSize = inImage[0] * inImage[1] * inImage[2];
  const program = new TorchProgram(op === 'pixelShuffle' ? 'PixelShuffle' : 'PixelUnshuffle',
                                   out4, ['x', 'offsets'], `
          let src = ${coord(4, 0)} * ${imageSize} + offsets[${coord(4, c4)}] +
                    offsets[${C} + ${coord(4, h4)}] + offsets[${C + H} + ${coord(4, w4)}];
          result[index] = x[src];`);
  const out = withTables(
      backend, [offsets],
      ([t]) => run(backend, program, [withShape(x, [batch, ...x.shape.slice(rank - 3)]), t],
                   x.dtype));
  return withShape(out, outShape);
}
