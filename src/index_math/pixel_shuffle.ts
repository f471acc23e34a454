// Index math of pixel shuffle / unshuffle, shared by every backend (cpu loops, webgl shaders,
// tfjs-node kernels). No kernel re-derives these rules.
//
// Note [pixel shuffle channel order]
// PyTorch's pixel_shuffle (the sub-pixel convolution of Shi et al. 2016) reads a tensor
// (*, C*r*r, H, W) as (*, C, r, r, H, W) and permutes it to (*, C, H, r, W, r): input channel
//     k = c*r*r + i*r + j        (c: output channel, i: row offset, j: column offset)
// lands on output channel c at (h*r + i, w*r + j). The output channel is the SLOWEST part of k.
// tf.depthToSpace (TensorFlow's DepthToSpace) splits the depth the other way round,
// k = (i*r + j)*C + c, with the output channel the fastest part; weights trained in PyTorch
// need PyTorch's order, which is why this is not depthToSpace.
// pixel_unshuffle is the exact inverse: output channel c*r*r + i*r + j at (h, w) is input
// channel c at (h*r + i, w*r + j).
//
// Note [pixel shuffle batch dims and dataFormat]
// PyTorch's pixel shuffle is 2-D only and accepts any number of leading batch dims: input rank
// >= 3, the last three dims are (channels, H, W). tfjs-torch keeps that for 'channelsFirst'
// (*, C, H, W) and, for 'channelsLast', puts channels last after the same leading dims:
// (*, H, W, C). So unlike the other ops here, rank 3 means one unbatched image, not one batch of
// 1-D signals; every leading dim is a batch dim and is flattened into one count by kernels.
import type {DataFormat, PixelShuffleAttrs, PixelUnshuffleAttrs} from '../kernel_names.js';
import {BoundedMemo} from '../util/memo.js';

/**
 * Note [pixel shuffle channel order] as strides: the packed channel of (c, i, j) is
 * k = c*channel + i*row + j*column (PyTorch: channel = r*r, row = r, column = 1). Kernels that
 * walk memory take these strides instead of writing the order out; pixelShuffleSource and
 * pixelShuffleTarget are the same map, one position at a time.
 */
export interface PixelShuffleChannelStrides {
  channel: number;
  row: number;
  column: number;
}

export function pixelShuffleChannelStrides(r: number): PixelShuffleChannelStrides {
  return {channel: r * r, row: r, column: 1};
}

/** A position (channel, row, column) in one image of the shuffled or unshuffled tensor. */
export interface PixelIndex {
  channel: number;
  h: number;
  w: number;
}

/**
 * For pixelShuffle's output position (c, oh, ow), the input position it copies:
 * channel c*r*r + (oh mod r)*r + (ow mod r) at (floor(oh / r), floor(ow / r)).
 * Equally, for pixelUnshuffle's input position (c, oh, ow), where it goes in the output.
 */
export function pixelShuffleSource(c: number, oh: number, ow: number, r: number): PixelIndex {
  const i = oh % r;
  const j = ow % r;
  const s = pixelShuffleChannelStrides(r);
  return {channel: c * s.channel + i * s.row + j * s.column, h: (oh - i) / r, w: (ow - j) / r};
}

/**
 * The inverse of pixelShuffleSource: for pixelShuffle's input position (k, h, w), the output
 * position it goes to: channel floor(k / (r*r)) at (h*r + i, w*r + j) with i*r + j = k mod r*r.
 * Equally, for pixelUnshuffle's output position (k, h, w), the input position it copies.
 */
export function pixelShuffleTarget(k: number, h: number, w: number, r: number): PixelIndex {
  const s = pixelShuffleChannelStrides(r);
  const ij = k % s.channel;
  const j = (ij % s.row) / s.column;
  const i = (ij - j * s.column) / s.row;
  return {channel: (k - ij) / s.channel, h: h * r + i, w: w * r + j};
}

// The block form of Note [pixel shuffle channel order], for shaders that index small tables
// instead of computing the order: both tables cover one r x r block and repeat with a channel
// period. test/index_tables.test.ts checks them against pixelShuffleSource / pixelShuffleTarget.

/**
 * pixelShuffle as a block table: output channel c at (h*r + i, w*r + j) reads input channel
 * c*channelStride + blockChannel[i*r + j] at (h, w).
 */
export interface PixelShuffleBlockTable {
  channelStride: number;
  blockChannel: number[];
}

/**
 * pixelUnshuffle as a block table: output channel k at (h, w) reads input channel
 * floor(k / period) at (h*r + blockRow[k mod period], w*r + blockCol[k mod period]).
 */
export interface PixelUnshuffleBlockTable {
  period: number;
  blockRow: number[];
  blockCol: number[];
}

/** Recent tables by factor (bounded: src/util/memo.ts; r*r values each). */
const shuffleMemo = new BoundedMemo<number, PixelShuffleBlockTable>(
    64, 1 << 20, (t) => t.blockChannel.length);
const unshuffleMemo = new BoundedMemo<number, PixelUnshuffleBlockTable>(
    64, 1 << 20, (t) => 2 * t.blockRow.length);

export function pixelShuffleBlockTable(r: number): PixelShuffleBlockTable {
  return shuffleMemo.get(r, () => {
    const blockChannel: number[] = [];
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) blockChannel.push(pixelShuffleSource(0, i, j, r).channel);
    }
    return {channelStride: pixelShuffleSource(1, 0, 0, r).channel - blockChannel[0], blockChannel};
  });
}

export function pixelUnshuffleBlockTable(r: number): PixelUnshuffleBlockTable {
  return unshuffleMemo.get(r, () => {
    let period = 1;
    while (pixelShuffleTarget(period, 0, 0, r).channel === 0) period++;
    const blockRow: number[] = [];
    const blockCol: number[] = [];
    for (let q = 0; q < period; q++) {
      const s = pixelShuffleTarget(q, 0, 0, r);
      blockRow.push(s.h);
      blockCol.push(s.w);
    }
    return {period, blockRow, blockCol};
  });
}

/**
 * The two sides of a shuffle with factor r, for kernels: the packed side (batch, C*r*r, H, W)
 * and the spatial side (batch, C, H*r, W*r). pixelShuffle goes packed -> spatial,
 * pixelUnshuffle spatial -> packed. `batch` is the product of all leading dims.
 */
export interface PixelShuffleGeometry {
  batch: number;
  /** C: channels of the spatial side (the packed side has C*r*r). */
  channels: number;
  /** H, W: spatial sizes of the packed side (the spatial side has H*r, W*r). */
  height: number;
  width: number;
  factor: number;
  channelsLast: boolean;
}

/** Axes (channel, H, W) of the last three dims for a dataFormat (Note [... dataFormat]). */
export function pixelShuffleAxes(rank: number, dataFormat: DataFormat): [number, number, number] {
  return dataFormat === 'channelsLast' ? [rank - 1, rank - 3, rank - 2] :
                                         [rank - 3, rank - 2, rank - 1];
}

/** Output shape of pixelShuffle; the shape must already be checked (rank, divisibility). */
export function pixelShuffleOutputShape(
    shape: readonly number[], r: number, dataFormat: DataFormat): number[] {
  const [ca, ha, wa] = pixelShuffleAxes(shape.length, dataFormat);
  const out = shape.slice();
  out[ca] = shape[ca] / (r * r);
  out[ha] = shape[ha] * r;
  out[wa] = shape[wa] * r;
  return out;
}

/** Output shape of pixelUnshuffle; the shape must already be checked (rank, divisibility). */
export function pixelUnshuffleOutputShape(
    shape: readonly number[], r: number, dataFormat: DataFormat): number[] {
  const [ca, ha, wa] = pixelShuffleAxes(shape.length, dataFormat);
  const out = shape.slice();
  out[ca] = shape[ca] * r * r;
  out[ha] = shape[ha] / r;
  out[wa] = shape[wa] / r;
  return out;
}

/** The geometry of a shuffle from the packed side's shape (pixelShuffle's input). */
export function geometryFromPacked(
    shape: readonly number[], r: number, dataFormat: DataFormat): PixelShuffleGeometry {
  const [ca, ha, wa] = pixelShuffleAxes(shape.length, dataFormat);
  return {
    batch: shape.slice(0, shape.length - 3).reduce((a, b) => a * b, 1),
    channels: shape[ca] / (r * r),
    height: shape[ha],
    width: shape[wa],
    factor: r,
    channelsLast: dataFormat === 'channelsLast',
  };
}

/** The geometry of a shuffle from the spatial side's shape (pixelUnshuffle's input). */
export function geometryFromSpatial(
    shape: readonly number[], r: number, dataFormat: DataFormat): PixelShuffleGeometry {
  const [ca, ha, wa] = pixelShuffleAxes(shape.length, dataFormat);
  return {
    batch: shape.slice(0, shape.length - 3).reduce((a, b) => a * b, 1),
    channels: shape[ca],
    height: shape[ha] / r,
    width: shape[wa] / r,
    factor: r,
    channelsLast: dataFormat === 'channelsLast',
  };
}

/** pixelShuffle goes packed -> spatial, pixelUnshuffle spatial -> packed. */
export type PixelShuffleDirection = 'shuffle'|'unshuffle';

/** What a PixelShuffle or PixelUnshuffle kernel call computes, read off x's shape and attrs. */
export interface PixelShuffleCall {
  op: 'pixelShuffle'|'pixelUnshuffle';
  factor: number;
  dataFormat: DataFormat;
  outShape: number[];
  /** The two sides (geometryFromPacked for shuffle, geometryFromSpatial for unshuffle). */
  geometry: PixelShuffleGeometry;
}

/**
 * The one place the two directions differ for kernels: the attribute holding the factor, the
 * output shape and which side x is. Every backend's two kernels are one function of this.
 */
export function pixelShuffleCall(
    direction: PixelShuffleDirection, xShape: readonly number[],
    attrs: PixelShuffleAttrs|PixelUnshuffleAttrs): PixelShuffleCall {
  const {dataFormat} = attrs;
  if (direction === 'shuffle') {
    const factor = (attrs as PixelShuffleAttrs).upscaleFactor;
    return {op: 'pixelShuffle', factor, dataFormat,
            outShape: pixelShuffleOutputShape(xShape, factor, dataFormat),
            geometry: geometryFromPacked(xShape, factor, dataFormat)};
  }
  const factor = (attrs as PixelUnshuffleAttrs).downscaleFactor;
  return {op: 'pixelUnshuffle', factor, dataFormat,
          outShape: pixelUnshuffleOutputShape(xShape, factor, dataFormat),
          geometry: geometryFromSpatial(xShape, factor, dataFormat)};
}
