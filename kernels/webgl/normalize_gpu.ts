// Shader program of normalize / denormalize: one elementwise pass, per-channel mean and std.
//
// The arithmetic is the cpu kernel's (Note [normalize arithmetic] in src/ops/normalize.ts):
// normalize (x - mean) / std, denormalize x * std + mean, in that order, never a precomputed
// 1 / std or a folded mean / std.
//
// mean and std travel as uniforms (vec4 arrays, four channels per vector) up to
// UNIFORM_CHANNELS channels: they stay float32 even where textures are half float, and no
// texture is uploaded per call. Beyond that (per-feature statistics of a wide rank-2 input)
// a uniform array could pass the device's MAX_FRAGMENT_UNIFORM_VECTORS (224 is the WebGL2
// minimum), so a [4, C] table texture holds them instead, each value split in two parts
// (statsTable): a texture may be half float, and one half float would round mean and std to
// 11 bits; the sum of the two parts is the float32 value (exactly so in float32 textures).
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {DataFormat} from '../../src/kernel_names.js';
import {channelAxis} from '../../src/util/layout.js';
import {coord, coordsType} from './util.js';

/** Channels handled with uniforms: 2 * 256 / 4 = 128 uniform vectors. */
export const UNIFORM_CHANNELS = 256;

export type NormalizeDirection = 'normalize'|'denormalize';

export class NormalizeProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms?: Array<{name: string, arrayIndex: number, type: 'vec4'}>;

  constructor(shape: number[], dataFormat: DataFormat, direction: NormalizeDirection) {
    this.outputShape = shape;
    const rank = shape.length;
    const channels = shape[channelAxis(rank, dataFormat)];
    const c = coord('coords', rank, channelAxis(rank, dataFormat));
    let stats: string;
    if (channels <= UNIFORM_CHANNELS) {
      const n = Math.ceil(channels / 4);
      this.variableNames = ['x'];
      this.customUniforms =
          [{name: 'mean4', arrayIndex: n, type: 'vec4'}, {name: 'std4', arrayIndex: n, type: 'vec4'}];
      stats = `
        int q = c / 4;
        int p = imod(c, 4);
        float m = mean4[q][p];
        float s = std4[q][p];`;
    } else {
      this.variableNames = ['x', 'stats'];
      stats = `
        float m = getStats(0, c) + getStats(1, c);
        float s = getStats(2, c) + getStats(3, c);`;
    }
    const result = direction === 'normalize' ? '(v - m) / s' : 'v * s + m';
    this.userCode = `
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        int c = ${c};
        ${stats}
        float v = getXAtOutCoords();
        setOutput(${result});
      }
    `;
  }
}

/**
 * The packed form (WEBGL_PACK), uniform statistics only: one invocation computes a texel of
 * 2 x 2 values (rows and columns of the last two dims), four at a time with the same arithmetic.
 * Each component's channel follows from where the channel axis sits: the last dim (columns),
 * the one before (rows), or an outer dim (one channel for the whole texel).
 */
export class NormalizePackedProgram implements GPGPUProgram {
  variableNames = ['x'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;
  customUniforms: Array<{name: string, arrayIndex: number, type: 'vec4'}>;

  constructor(shape: number[], dataFormat: DataFormat, direction: NormalizeDirection) {
    this.outputShape = shape;
    const rank = shape.length;
    const axis = channelAxis(rank, dataFormat);
    const channels = shape[axis];
    const n = Math.ceil(channels / 4);
    this.customUniforms =
        [{name: 'mean4', arrayIndex: n, type: 'vec4'}, {name: 'std4', arrayIndex: n, type: 'vec4'}];
    // Texel components are (row, col), (row, col+1), (row+1, col), (row+1, col+1).
    const step = axis === rank - 1 ? 'ivec4(0, 1, 0, 1)' :
        axis === rank - 2           ? 'ivec4(0, 0, 1, 1)' :
                                      'ivec4(0)';
    const result = direction === 'normalize' ? '(v - m) / s' : 'v * s + m';
    const stat = (table: string) =>
        `vec4(${['x', 'y', 'z', 'w'].map((k) => `${table}[c.${k} / 4][imod(c.${k}, 4)]`).join(', ')})`;
    this.userCode = `
      void main() {
        ${coordsType(rank)} coords = getOutputCoords();
        // Components past the end of an odd dim are padding: clamp their channel into range.
        ivec4 c = min(ivec4(${coord('coords', rank, axis)}) + ${step}, ivec4(${channels - 1}));
        vec4 m = ${stat('mean4')};
        vec4 s = ${stat('std4')};
        vec4 v = getXAtOutCoords();
        setOutput(${result});
      }
    `;
  }
}

/** mean and std as the flat vec4 uniform arrays the programs declare (zero padded). */
export function statsUniforms(mean: number[], std: number[]): number[][] {
  const n = Math.ceil(mean.length / 4) * 4;
  const pad = (v: number[]) => [...v, ...new Array<number>(n - v.length).fill(0)];
  return [pad(mean), pad(std)];
}

/**
 * A float16 value next to v (ties need not be even: lo takes whatever hi leaves). Values past
 * float16's range (65504) cannot be held by a half-float texture at all.
 */
function toHalf(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(v))), -14) - 10);
  return Math.round(v / ulp) * ulp;
}

/**
 * The [4, C] table of the texture path: rows mean_hi, mean_lo, std_hi, std_lo with
 * hi = float16(v), lo = v - hi. lo is exact in float32 (v and hi agree in their leading bits),
 * so hi + lo gives v back exactly from float32 textures and to about 22 bits from half floats.
 */
export function statsTable(mean: number[], std: number[]): Float32Array {
  const c = mean.length;
  const out = new Float32Array(4 * c);
  for (let i = 0; i < c; i++) {
    const mh = toHalf(mean[i]);
    const sh = toHalf(std[i]);
    out[i] = mh;
    out[c + i] = Math.fround(mean[i] - mh);
    out[2 * c + i] = sh;
    out[3 * c + i] = Math.fround(std[i] - sh);
  }
  return out;
}
