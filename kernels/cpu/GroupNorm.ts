// cpu kernel of group norm (instance norm, layer norm): per (batch, group) the mean and biased
// variance in float64, then y = x * a[c] + s[c] with the affine folded in (Note [group norm
// numerics] in src/ops/group_norm.ts). Three sweeps of x (sum, squared deviations, output) in
// memory order for either layout (src/index_math/norm.ts).
import type {KernelConfig, KernelFunc, TypedArray} from '@tensorflow/tfjs-core';
import {normView} from '../../src/index_math/norm.js';
import {GroupNorm} from '../../src/kernel_names.js';
import type {GroupNormAttrs, GroupNormInputs} from '../../src/kernel_names.js';
import {sizeOf} from '../../src/util/layout.js';
import {output, valuesOf} from './util.js';
import type {CpuBackend} from './util.js';

/**
 * Compute core of GroupNorm (exported through shared.ts): x float32 of `shape`; weight / bias
 * [C] or null; out: the caller's array of as many values, every one written.
 */
export function groupNormImplCPU(
    x: TypedArray, shape: readonly number[], weight: TypedArray|null, bias: TypedArray|null,
    attrs: GroupNormAttrs, out: TypedArray): void {
  const {n, c, p, channelsLast} = normView(shape, attrs.dataFormat, attrs.trailing);
  const g = attrs.numGroups;
  const k = c / g;
  const count = k * p;
  if (p === 1 && g === 1) {
    layerRows(x, n, c, weight, bias, attrs.eps, out);
    return;
  }
  const sums = new Float64Array(c);
  const a = new Float64Array(c);
  const s = new Float64Array(c);
  const mean = new Float64Array(g);
  const groupOf = Int32Array.from({length: c}, (_, ch) => Math.floor(ch / k));
  for (let b = 0; b < n; b++) {
    const base = b * c * p;
    // Per-channel sums, then per-group means.
    sums.fill(0);
    if (channelsLast) {
      for (let q = 0, o = base; q < p; q++) {
        for (let ch = 0; ch < c; ch++, o++) sums[ch] += x[o];
      }
    } else {
      for (let ch = 0, o = base; ch < c; ch++) {
        let acc = 0;
        for (let q = 0; q < p; q++, o++) acc += x[o];
        sums[ch] = acc;
      }
    }
    for (let gr = 0; gr < g; gr++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += sums[gr * k + j];
      mean[gr] = acc / count;
    }
    // Squared deviations from the group mean (two-pass variance).
    sums.fill(0);
    if (channelsLast) {
      for (let q = 0, o = base; q < p; q++) {
        for (let ch = 0; ch < c; ch++, o++) {
          const d = x[o] - mean[groupOf[ch]];
          sums[ch] += d * d;
        }
      }
    } else {
      for (let ch = 0, o = base; ch < c; ch++) {
        const m = mean[groupOf[ch]];
        let acc = 0;
        for (let q = 0; q < p; q++, o++) {
          const d = x[o] - m;
          acc += d * d;
        }
        sums[ch] = acc;
      }
    }
    for (let gr = 0; gr < g; gr++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += sums[gr * k + j];
      const rstd = 1 / Math.sqrt(acc / count + attrs.eps);
      for (let j = 0; j < k; j++) {
        const ch = gr * k + j;
        const scale = Math.fround(weight == null ? rstd : rstd * weight[ch]);
        a[ch] = scale;
        s[ch] = Math.fround((bias == null ? 0 : bias[ch]) - mean[gr] * scale);
      }
    }
    if (channelsLast) {
      for (let q = 0, o = base; q < p; q++) {
        for (let ch = 0; ch < c; ch++, o++) out[o] = x[o] * a[ch] + s[ch];
      }
    } else {
      for (let ch = 0, o = base; ch < c; ch++) {
        const sc = a[ch];
        const sh = s[ch];
        for (let q = 0; q < p; q++, o++) out[o] = x[o] * sc + sh;
      }
    }
  }
}

/**
 * One group over contiguous rows of c values (layer norm, or group norm of (N, C) with one
 * group): per row the mean, the squared deviations, then the folded affine, in one tight loop.
 */
function layerRows(
    x: TypedArray, rows: number, c: number, weight: TypedArray|null, bias: TypedArray|null,
    eps: number, out: TypedArray): void {
  for (let r = 0, base = 0; r < rows; r++, base += c) {
    let sum = 0;
    for (let j = 0; j < c; j++) sum += x[base + j];
    const mean = sum / c;
    let squares = 0;
    for (let j = 0; j < c; j++) {
      const d = x[base + j] - mean;
      squares += d * d;
    }
    const rstd = 1 / Math.sqrt(squares / c + eps);
    const shift = -mean * rstd;
    // As PyTorch's layer_norm kernel: (x * rstd - mean * rstd) * weight + bias.
    if (weight == null || bias == null) {
      for (let j = 0; j < c; j++) {
        const h = x[base + j] * rstd + shift;
        out[base + j] = (weight == null ? h : h * weight[j]) + (bias == null ? 0 : bias[j]);
      }
    } else {
      for (let j = 0; j < c; j++) out[base + j] = (x[base + j] * rstd + shift) * weight[j] + bias[j];
    }
  }
}

export const groupNorm: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as GroupNormInputs;
  const cpu = backend as CpuBackend;
  const out = new Float32Array(sizeOf(x.shape));
  groupNormImplCPU(valuesOf(cpu, x), x.shape, weight == null ? null : valuesOf(cpu, weight),
                   bias == null ? null : valuesOf(cpu, bias), attrs as unknown as GroupNormAttrs, out);
  return output(cpu, x.shape.slice(), 'float32', out);
};

export const groupNormConfig: KernelConfig = {
  kernelName: GroupNorm,
  backendName: 'cpu',
  kernelFunc: groupNorm,
};
