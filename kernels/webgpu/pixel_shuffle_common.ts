// The gather program of the pixelShuffle / pixelUnshuffle webgpu kernels: each output value
// copies one input value.
//
// The channel order is not written in WGSL by hand: the shader's arithmetic is built from the
// shared strides of Note [pixel shuffle channel order] (pixelShuffleChannelStrides in
// src/index_math/pixel_shuffle.ts, k = c*channel + i*row + j*column; that this stride form
// reproduces pixelShuffleSource / pixelShuffleTarget is tested in test/index_tables.test.ts). Leading batch dims are merged into one (Note [pixel shuffle batch
// dims and dataFormat]), so the program always sees 4-D.
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {pixelShuffleAxes, pixelShuffleChannelStrides} from '../../src/index_math/pixel_shuffle.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {withShape} from '../../src/util/layout.js';
import {checkFitsBuffer, coord, Ints, run, strideIsFixed, stridesOf, TorchProgram} from './util.js';
import type {WebGPUBackend} from './util.js';

/**
 * One direction of the shuffle as arithmetic on an output position (c, h, w) of one image:
 * WGSL expressions over i32 names for the input position it reads.
 */
interface ShuffleForm {
  wgsl: (c: string, h: string, w: string) => {channel: string, h: string, w: string};
}

/** pixelShuffle: output (c, h, w) reads channel c*S.channel + (h%r)*S.row + (w%r)*S.column. */
function shuffleForm(r: number): ShuffleForm {
  const s = pixelShuffleChannelStrides(r);
  return {
    wgsl: (c, h, w) => ({channel: `${c} * ${s.channel} + (${h} % ${r}) * ${s.row} + (${w} % ${r}) * ${s.column}`,
                         h: `${h} / ${r}`, w: `${w} / ${r}`}),
  };
}

/** pixelUnshuffle: output channel k at (h, w) reads channel k / S.channel at the block offset. */
function unshuffleForm(r: number): ShuffleForm {
  const s = pixelShuffleChannelStrides(r);
  return {
    wgsl: (k, h, w) => ({channel: `${k} / ${s.channel}`,
                         h: `${h} * ${r} + (${k} % ${s.channel}) / ${s.row}`,
                         w: `${w} * ${r} + (${k} % ${s.row}) / ${s.column}`}),
  };
}

/** Runs the gather: x (any rank >= 3, shape in dataFormat) to outShape. */
export function runShuffle(
    backend: WebGPUBackend, x: TensorInfo, outShape: number[], dataFormat: DataFormat,
    factor: number, shuffle: boolean): TensorInfo {
  const op = shuffle ? 'pixelShuffle' : 'pixelUnshuffle';
  // An empty input has an empty output; nothing is checked or built (a huge factor's form
  // check would loop over r * r positions, and the sizes may be past an int32 uniform).
  if (x.shape.some((d) => d === 0)) {
    return backend.makeTensorInfo(outShape, x.dtype,
                                  x.dtype === 'int32' ? new Int32Array(0) : new Float32Array(0));
  }
  checkFitsBuffer(backend, op, 'output', outShape);
  const r = factor;
  const form = shuffle ? shuffleForm(r) : unshuffleForm(r);
  const rank = x.shape.length;
  const batch = x.shape.slice(0, rank - 3).reduce((a, b) => a * b, 1);
  const in4 = [batch, ...x.shape.slice(rank - 3)];
  const out4 = [batch, ...outShape.slice(rank - 3)];
  const [ca, ha, wa] = pixelShuffleAxes(4, dataFormat);
  const s = stridesOf(in4);
  const src = form.wgsl('c', 'h', 'w');
  // The factor is compiled in (it shapes the arithmetic, as a tap count), and so are the strides
  // the channel count alone fixes; the others are uniforms (Note [webgpu programs]).
  const ints = new Ints();
  const st = (d: number) => ints.or(s[d], strideIsFixed(d, [ha, wa]));
  const program = new TorchProgram(shuffle ? 'PixelShuffle' : 'PixelUnshuffle', out4, ['x'], `
          let c = ${coord(4, ca)};
          let h = ${coord(4, ha)};
          let w = ${coord(4, wa)};
          result[index] = x[${coord(4, 0)} * ${st(0)} + (${src.channel}) * ${st(ca)} +
                            (${src.h}) * ${st(ha)} + (${src.w}) * ${st(wa)}];`, '', {ints});
  const out = run(backend, program, [withShape(x, in4)], x.dtype);
  return withShape(out, outShape);
}
