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
// most 4 output channels. (On tensorflow, TensorFlow's own Conv2DBackpropInput beat a tf-ops
// composition of the same phases at every such shape tried, and tfjs's cpu conv2d is a plain
// loop: neither takes it.)
import * as tf from '@tensorflow/tfjs-core';
import {getKernel} from '@tensorflow/tfjs-core';
import type {NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';

import {convTransposeShapes, phaseConvAxis} from '../../src/index_math/conv.js';
import type {PhaseConvAxis} from '../../src/index_math/conv.js';
import type {ConvTransposeAttrs} from '../../src/kernel_names.js';
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
