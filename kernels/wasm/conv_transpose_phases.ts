// The wasm ConvTranspose kernel's path for few output channels and a kernel longer than the
// stride: one plain convolution of the phases (Note [transposed convolution as phase
// convolutions] in src/index_math/conv.ts) on tfjs's own wasm Conv2D (XNNPACK), between two
// passes on the heap: the weight laid out as the phases' filter, and the phases interleaved into
// the output (crop, bias and dataFormat in the same pass).
//
// Why here: the per-tap product of the cpu core (kernels/cpu/conv_transpose_gemm.ts) has one
// column per output channel, so with few output channels each of the k*k taps is close to a
// matrix-vector product over the whole input; the phases' convolution has outC * sH * sW columns
// and reads each input pixel once per phase tap. Measured in one process (process CPU time, min
// of 12 calls, bias, channelsLast, this path against the same kernel with
// TORCH_WASM_CONV_TRANSPOSE_PHASES off, load 6-9): FSRCNN's [1,128,128,56] -> 1, k9 s3 p4 op2
// 0.19x; -> 2 0.24x; -> 3 0.32x; [1,64,64,64] -> 1 / 2 / 3 / 4, k4 s2 p1 0.45x / 0.40x / 0.68x /
// 0.69x; -> 3 / 4, k9 s3 0.59x / 0.69x; [1,64,64,256] -> 3, k4 s2 0.68x; 56 -> 1, k9 s4 0.31x;
// but -> 8, k4 s2 1.35x, k9 s3 1.28x; -> 16, k4 s2 1.50x; [1,32,32,64] -> 64, k4 s2 1.82x: hence at
// most 4 output channels.
//
// Two forms of the same decomposition: the phases' convolution (outC * sH * sW channels, K_h *
// K_w taps), or, by default, the tap products (one 1x1 convolution to outC * kH * kW channels, no
// zero taps, then each output row the sum of the products that land on it, in a SIMD loop on the
// heap: kernels/wasm/simd.ts addSpans), never more columns for XNNPACK, which computes output
// channels in tiles of 8 (FSRCNN's 9 phase channels cost 16). FSRCNN's 56 -> 1, k9 s3 at
// 128x128: 88 columns against 144; the whole kernel 8.5 against 12.6-16 ms (wall, tf.profile,
// load 1.2-1.5), the 1x1 convolution 7.6 of it.
// (On tensorflow, TensorFlow's own Conv2DBackpropInput beat a tf-ops
// composition of the same phases at every such shape tried, and tfjs's cpu conv2d is a plain
// loop: neither takes it.)
import * as tf from '@tensorflow/tfjs-core';
import {getKernel} from '@tensorflow/tfjs-core';
import type {NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';

import {convTransposeShapes, phaseConvAxis} from '../../src/index_math/conv.js';
import type {PhaseConvAxis} from '../../src/index_math/conv.js';
import type {ConvTransposeAttrs} from '../../src/kernel_names.js';
import {simdLoops} from './simd.js';
import {runOnHeap} from './util.js';
import type {WasmBackend} from './util.js';

/** The most output channels the phase path takes (see the measurements above). */
const MAX_OUT_CHANNELS = 4;

/** The most phase taps (zeros included) per kernel tap the phase path takes. */
const MAX_PHASE_TAPS_PER_TAP = 4;

/**
 * tfjs flag, default true: whether the wasm ConvTranspose kernel takes the phase path where it
 * applies. Off, every shape runs the per-tap product (the bench times both side by side).
 */
export const WASM_CONV_TRANSPOSE_PHASES_FLAG = 'TORCH_WASM_CONV_TRANSPOSE_PHASES';
tf.env().registerFlag(WASM_CONV_TRANSPOSE_PHASES_FLAG, () => true);

/**
 * Whether convTranspose on x's and weight's shapes with these attributes takes the phase path:
 * 2-D, one group, dilation 1, a kernel longer than the stride on some axis (else every phase has
 * a single tap and the product loses nothing), phases with at most MAX_PHASE_TAPS_PER_TAP times
 * the kernel's taps, at most MAX_OUT_CHANNELS output channels, a non-empty batch, and
 * WASM_CONV_TRANSPOSE_PHASES_FLAG on.
 */
export function phasePathApplies(
    xShape: readonly number[], weightShape: readonly number[], a: ConvTransposeAttrs): boolean {
  if (!tf.env().getBool(WASM_CONV_TRANSPOSE_PHASES_FLAG)) return false;
  if (xShape.length !== 4 || a.groups !== 1 || xShape[0] === 0) return false;
  if (a.dilation.some((d) => d !== 1)) return false;
  const kernel = weightShape.slice(2);
  if (!kernel.some((k, i) => k > a.stride[i])) return false;
  // The phases hold ceil(k / s) * s taps per axis, the kernel's k and zeros: at most 4 times the
  // kernel's taps in all (a stride far past the kernel on one axis, which PyTorch accepts, say
  // 2**31 on an axis of one input position, would make a filter of billions of zeros).
  const phaseTaps = kernel.reduce((n, k, i) => n * Math.ceil(k / a.stride[i]) * a.stride[i], 1);
  if (phaseTaps > MAX_PHASE_TAPS_PER_TAP * kernel[0] * kernel[1]) return false;
  return weightShape[1] <= MAX_OUT_CHANNELS;
}

/**
 * tfjs flag, default true: whether the phase path takes its tap-products form (one 1x1
 * convolution to every kernel tap, then the taps' sums, see convTransposeTapProducts). Off, the
 * path convolves the phases (kept for the bench and the tests to compare).
 *
 * Why always: XNNPACK computes output channels in tiles of 8, so the phases' convolution costs
 * tiles(outC * sH * sW) * K_h * K_w products per input pixel and input channel, the tap
 * products tiles(outC * kH * kW), never more (kH <= sH * K_h, and a tile count times m is at least
 * the tiles of m times as many); FSRCNN's 56 -> 1, k9 s3: 88 against 144. Measured in one process
 * (wall ms, min of 12 calls, fresh inputs, bias, channelsLast, load 6-8), tap products against
 * the phases' convolution: [1,64,64,64] -> 1 / 2 / 3 / 4, k4 s2 p1: 0.79 / 0.93 / 1.44 / 1.66
 * against 1.26 / 1.26 / 1.90 / 1.94; -> 2 / 3 / 4, k9 s3 p4: 4.45 / 10.95 / 9.02 against 9.29 /
 * 10.98 / 12.75; [1,64,64,256] -> 3, k4 s2: 4.55 against 6.00. (Beyond 4 output channels the
 * per-tap product still wins: [1,32,32,64] -> 64, k4 s2 9.3 against 25.8 ms as tap products.)
 */
export const WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG = 'TORCH_WASM_CONV_TRANSPOSE_TAP_PRODUCTS';
tf.env().registerFlag(WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG, () => true);

/**
 * The most bytes of tap products (N * H_in * W_in * outC * kH * kW floats) the tap-products form
 * holds at once; past it the phases' convolution runs (outC * sH * sW channels: for FSRCNN 9
 * instead of 81, where 2048x2048 inputs would make 1.36 GB of products on a heap of at most 4 GB).
 */
const TAP_PRODUCTS_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Whether the phase path (the caller has checked phasePathApplies) takes the tap-products form:
 * WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG on and the products within TAP_PRODUCTS_MAX_BYTES.
 */
export function takesTapProducts(xShape: readonly number[], weightShape: readonly number[],
                                 a: ConvTransposeAttrs): boolean {
  if (!tf.env().getBool(WASM_CONV_TRANSPOSE_TAP_PRODUCTS_FLAG)) return false;
  const {batch, inSize, outChannels, kernelSize} = convTransposeShapes(xShape, weightShape, a);
  return 4 * batch * inSize[0] * inSize[1] * outChannels * kernelSize[0] * kernelSize[1] <=
      TAP_PRODUCTS_MAX_BYTES;
}

function run(backend: WasmBackend, name: string, inputs: Record<string, TensorInfo>,
             attrs: Record<string, unknown>): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`convTranspose2d: tfjs's wasm ${name} kernel is not registered`);
  return kernel.kernelFunc({inputs, backend, attrs: attrs as NamedAttrMap}) as TensorInfo;
}

/** convTranspose2d as phase convolutions; the caller has checked phasePathApplies. */
export function convTransposePhases(
    backend: WasmBackend, x: TensorInfo, weight: TensorInfo, bias: TensorInfo|undefined,
    a: ConvTransposeAttrs): TensorInfo {
  if (takesTapProducts(x.shape, weight.shape, a)) {
    return convTransposeTapProducts(backend, x, weight, bias, a);
  }
  const {batch, inChannels: cin, outChannels: cout, inSize, outSize, kernelSize, yShape} =
      convTransposeShapes(x.shape, weight.shape, a);
  const [sh, sw] = a.stride;
  const [ah, aw] = [0, 1].map(
      (i) => phaseConvAxis(inSize[i], kernelSize[i], a.stride[i], a.padding[i], outSize[i]));
  const phaseChannels = cout * sh * sw;
  const temps: TensorInfo[] = [];
  try {
    const filter = runOnHeap(
        backend, [weight], [{shape: [ah.phaseTaps, aw.phaseTaps, cin, phaseChannels], dtype: 'float32'}],
        ([w], [f]) => phaseFilter(w as Float32Array, f as Float32Array, cin, cout, kernelSize, ah, aw,
                                  sh, sw))[0];
    temps.push(filter);
    let xl = x;
    if (a.dataFormat === 'channelsFirst') {
      xl = run(backend, 'Transpose', {x}, {perm: [0, 2, 3, 1]});
      temps.push(xl);
    }
    // Where the phases need fewer input positions than x has, x is cropped; zeros come with the
    // convolution's padding.
    const cropLo = [Math.max(0, -ah.padBefore), Math.max(0, -aw.padBefore)];
    const cropHi = [Math.max(0, -ah.padAfter), Math.max(0, -aw.padAfter)];
    if (cropLo.some((c) => c > 0) || cropHi.some((c) => c > 0)) {
      xl = run(backend, 'Slice', {x: xl}, {
        begin: [0, cropLo[0], cropLo[1], 0],
        size: [batch, inSize[0] - cropLo[0] - cropHi[0], inSize[1] - cropLo[1] - cropHi[1], cin],
      });
      temps.push(xl);
    }
    const pad = [[0, 0], [Math.max(0, ah.padBefore), Math.max(0, ah.padAfter)],
                 [Math.max(0, aw.padBefore), Math.max(0, aw.padAfter)], [0, 0]];
    const phases = run(backend, 'Conv2D', {x: xl, filter},
                       {strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1]});
    temps.push(phases);
    const operands = bias == null ? [phases] : [phases, bias];
    return runOnHeap(backend, operands, [{shape: yShape, dtype: 'float32'}],
                     ([p, b], [y]) => interleave(p as Float32Array, (b ?? null) as Float32Array|null,
                                                 y as Float32Array, batch, cout, outSize, ah, aw, sh,
                                                 sw, a.dataFormat === 'channelsLast'))[0];
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * The phases' filter [K_h, K_w, inC, outC * sH * sW] (tfjs's HWIO) from the weight [inC, outC,
 * kH, kW]: phase channel oc * sH * sW + ry * sW + rx, tap (vy, vx) reads kernel tap (taps_h[vy *
 * sH + ry], taps_w[vx * sW + rx]), 0 where the table says -1.
 */
function phaseFilter(
    w: Float32Array, f: Float32Array, cin: number, cout: number, kernelSize: number[],
    ah: PhaseConvAxis, aw: PhaseConvAxis, sh: number, sw: number): void {
  const [kh, kw] = kernelSize;
  let at = 0;
  for (let vy = 0; vy < ah.phaseTaps; vy++) {
    for (let vx = 0; vx < aw.phaseTaps; vx++) {
      for (let ic = 0; ic < cin; ic++) {
        for (let oc = 0; oc < cout; oc++) {
          const plane = (ic * cout + oc) * kh;
          for (let ry = 0; ry < sh; ry++) {
            const ty = ah.taps[vy * sh + ry];
            for (let rx = 0; rx < sw; rx++) {
              const tx = aw.taps[vx * sw + rx];
              f[at++] = ty < 0 || tx < 0 ? 0 : w[(plane + ty) * kw + tx];
            }
          }
        }
      }
    }
  }
}

/**
 * y from the phases [N, J_h, J_w, outC * sH * sW]: output (oh, ow) is interleaved position
 * (oh + cropStart_h, ow + cropStart_w), that is phase row j = q / s, phase r = q mod s per axis;
 * plus the bias, written in the dataFormat.
 */
function interleave(
    p: Float32Array, bias: Float32Array|null, y: Float32Array, batch: number, cout: number,
    outSize: number[], ah: PhaseConvAxis, aw: PhaseConvAxis, sh: number, sw: number,
    channelsLast: boolean): void {
  const [oh, ow] = outSize;
  const pc = cout * sh * sw;
  const rowStride = aw.phaseSize * pc;
  const plane = oh * ow;
  // Per output column: the offset of its phase pixel and phase within a phase row.
  const colOffset = new Int32Array(ow);
  for (let x = 0; x < ow; x++) {
    const q = x + aw.cropStart;
    colOffset[x] = Math.floor(q / sw) * pc + (q % sw);
  }
  for (let n = 0; n < batch; n++) {
    const pn = n * ah.phaseSize * rowStride;
    const yn = n * plane * cout;
    for (let yy = 0; yy < oh; yy++) {
      const q = yy + ah.cropStart;
      const rowBase = pn + Math.floor(q / sh) * rowStride + (q % sh) * sw;
      for (let c = 0; c < cout; c++) {
        const base = rowBase + c * sh * sw;
        const b = bias == null ? 0 : bias[c];
        if (channelsLast) {
          let out = yn + yy * ow * cout + c;
          for (let x = 0; x < ow; x++, out += cout) y[out] = p[base + colOffset[x]] + b;
        } else {
          let out = yn + c * plane + yy * ow;
          for (let x = 0; x < ow; x++, out++) y[out] = p[base + colOffset[x]] + b;
        }
      }
    }
  }
}

/**
 * convTranspose2d as tap products: G = x times the weight as a 1x1 convolution to outC * kH * kW
 * channels (channel (ky * kW + kx) * outC + oc holds each input pixel's product through tap (ky,
 * kx), on tfjs's XNNPACK Conv2D), then each output row the sum of the products that land on it:
 * for every kernel row ky whose input row iy = (oy + p - ky) / s is whole, each input pixel's kW *
 * outC products of that kernel row are one contiguous span of G added to the output row at (ix *
 * s) * outC (the scatter form, Note [transposed convolution tap relation]), on a scratch row
 * uncropped by the padding; then bias and crop into y. The caller has checked phasePathApplies
 * and takesTapProducts.
 */
export function convTransposeTapProducts(
    backend: WasmBackend, x: TensorInfo, weight: TensorInfo, bias: TensorInfo|undefined,
    a: ConvTransposeAttrs): TensorInfo {
  const {batch, inChannels: cin, outChannels: cout, inSize, outSize, kernelSize, yShape} =
      convTransposeShapes(x.shape, weight.shape, a);
  const [kh, kw] = kernelSize;
  const cg = cout * kh * kw;
  const temps: TensorInfo[] = [];
  try {
    const filter = runOnHeap(
        backend, [weight], [{shape: [1, 1, cin, cg], dtype: 'float32'}],
        ([w], [f]) => tapFilter(w as Float32Array, f as Float32Array, cin, cout, kh * kw))[0];
    temps.push(filter);
    let xl = x;
    if (a.dataFormat === 'channelsFirst') {
      xl = run(backend, 'Transpose', {x}, {perm: [0, 2, 3, 1]});
      temps.push(xl);
    }
    const g = run(backend, 'Conv2D', {x: xl, filter},
                  {strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1]});
    temps.push(g);
    const rowLength = Math.max((inSize[1] - 1) * a.stride[1] + kw, a.padding[1] + outSize[1]);
    const loops = simdLoops(backend);
    const operands = bias == null ? [g] : [g, bias];
    const [y, row] = runOnHeap(
        backend, operands,
        [{shape: yShape, dtype: 'float32'}, {shape: [rowLength * cout], dtype: 'float32'}],
        ([gv, b], [yv, rv]) => sumTaps(
            gv as Float32Array, (b ?? null) as Float32Array|null, yv as Float32Array,
            rv as Float32Array, batch, cout, inSize, outSize, kernelSize, a, loops));
    temps.push(row);
    return y;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** The weight [inC, outC, kH, kW] as the 1x1 filter [1, 1, inC, kH * kW * outC], tap-major. */
function tapFilter(w: Float32Array, f: Float32Array, cin: number, cout: number, taps: number): void {
  for (let ic = 0; ic < cin; ic++) {
    for (let oc = 0; oc < cout; oc++) {
      const from = (ic * cout + oc) * taps;
      const to = ic * taps * cout + oc;
      for (let t = 0; t < taps; t++) f[to + t * cout] = w[from + t];
    }
  }
}

/** y from the tap products g (see convTransposeTapProducts), through the scratch row `row`. */
function sumTaps(
    g: Float32Array, bias: Float32Array|null, y: Float32Array, row: Float32Array, batch: number,
    cout: number, inSize: number[], outSize: number[], kernelSize: number[], a: ConvTransposeAttrs,
    loops: ReturnType<typeof simdLoops>): void {
  const [ih, iw] = inSize, [oh, ow] = outSize, [kh, kw] = kernelSize, [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const cg = kh * kw * cout;
  const span = kw * cout;
  const step = sw * cout;
  const plane = oh * ow;
  const start = new Float32Array(row.length);
  if (bias != null) {
    for (let at = 0; at < row.length; at += cout) start.set(bias, at);
  }
  const r0 = pw * cout;
  for (let n = 0; n < batch; n++) {
    const gn = n * ih * iw * cg;
    for (let oy = 0; oy < oh; oy++) {
      row.set(start);
      const q = oy + ph;
      for (let ky = q % sh; ky < kh && ky <= q; ky += sh) {
        const iy = (q - ky) / sh;
        if (iy >= ih) continue;
        const b = gn + iy * iw * cg + ky * span;
        if (loops != null) {
          loops.addSpans(g.byteOffset + 4 * b, row.byteOffset, iw, 4 * cg, 4 * step, 4 * span);
        } else {
          for (let ix = 0, gb = b, o = 0; ix < iw; ix++, gb += cg, o += step) {
            for (let t = 0; t < span; t++) row[o + t] += g[gb + t];
          }
        }
      }
      if (a.dataFormat === 'channelsLast' || cout === 1) {
        const at = a.dataFormat === 'channelsLast' ? (n * oh + oy) * ow * cout : n * plane + oy * ow;
        y.set(row.subarray(r0, r0 + ow * cout), at);
      } else {
        for (let c = 0; c < cout; c++) {
          const o = (n * cout + c) * plane + oy * ow;
          for (let x = 0; x < ow; x++) y[o + x] = row[r0 + x * cout + c];
        }
      }
    }
  }
}
