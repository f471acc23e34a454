// torchConv2d: F.conv2d (groups 1) with its bias, its zero padding (explicit, any four sides) and
// the activation after it (ReLU, LeakyReLU or a per-channel PReLU) as one TorchConv2d kernel. It
// is internal: the TorchFusedConv2d layer (src/layers/fused_conv.ts) runs every 2-D convolution
// the exporter writes through it, so that each backend answers it in one kernel.
//
// Note [the conv route]
// Every backend's TorchConv2d kernel defaults to tfjs's own FusedConv2D kernel of that backend
// (fusedConv2dKernel below, one function: tf.getKernel('FusedConv2D', backend).kernelFunc with
// the padding as tfjs's explicit padding), so a model exported before this route and one exported
// after it run the same convolution code. A backend may answer the shapes it is faster on with a
// kernel of its own before that fallback (kernels/wasm/Conv2d.ts, kernels/webgpu/Conv2d.ts). The
// kernel is inference only (no registered gradient): under a gradient the layer runs tfjs's
// differentiable ops instead.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';
import {asAttrs, TorchConv2d} from '../kernel_names.js';
import type {TorchConv2dActivation, TorchConv2dAttrs, TorchConv2dInputs} from '../kernel_names.js';
import {check, checkSize, fail, show} from '../util/args.js';

export const CONV2D_ACTIVATIONS: readonly TorchConv2dActivation[] =
    ['linear', 'relu', 'leakyrelu', 'prelu'];

/** The output's spatial size [oH, oW] of x [n, h, w, c] under attrs (PyTorch's floor rule). */
export function conv2dOutSize(
    xShape: readonly number[], filterShape: readonly number[], a: TorchConv2dAttrs): number[] {
  return [0, 1].map((i) => Math.floor(
      (xShape[1 + i] + a.pad[2 * i] + a.pad[2 * i + 1] - a.dilations[i] * (filterShape[i] - 1) - 1) /
      a.strides[i]) + 1);
}

function pair(op: string, name: string, v: unknown, min: number): void {
  check(Array.isArray(v) && v.length === 2 && v.every((e) => Number.isInteger(e) && e >= min), op,
        () => `argument '${name}' must be 2 integers >= ${min}, got ${show(v)}`);
}

/**
 * Checks TorchConv2d's inputs and attrs (shapes of x [n, h, w, in], filter [kh, kw, in, out],
 * bias [out], preluWeights [out]); throws `<op>: argument ...` before any work.
 */
export function checkConv2dArgs(
    op: string, xShape: readonly number[], filterShape: readonly number[],
    biasShape: readonly number[]|null, preluShape: readonly number[]|null,
    attrs: TorchConv2dAttrs): void {
  if (attrs == null || typeof attrs !== 'object') {
    fail(op, `argument 'attrs' must be an object, got ${show(attrs)}`);
  }
  check(xShape.length === 4, op,
        () => `argument 'x' must have rank 4 ([batch, H, W, inChannels]), got shape ${show(xShape)}`);
  check(filterShape.length === 4 && filterShape.every((s) => s >= 1), op,
        () => `argument 'filter' must have shape [kH, kW, inChannels, outChannels] (all >= 1), ${
            ''}got shape ${show(filterShape)}`);
  check(filterShape[2] === xShape[3], op,
        () => `argument 'filter' of shape ${show(filterShape)} expects ${filterShape[2]} input ${
            ''}channels, but x of shape ${show(xShape)} has ${xShape[3]}`);
  const out = filterShape[3];
  if (biasShape != null) {
    check(biasShape.length === 1 && biasShape[0] === out, op,
          () => `argument 'bias' must have shape [${out}], got shape ${show(biasShape)}`);
  }
  pair(op, 'strides', attrs.strides, 1);
  pair(op, 'dilations', attrs.dilations, 1);
  check(Array.isArray(attrs.pad) && attrs.pad.length === 4 &&
            attrs.pad.every((p) => Number.isInteger(p) && p >= 0), op,
        () => `argument 'pad' must be 4 integers >= 0 ([top, bottom, left, right]), got ${
            show(attrs.pad)}`);
  check(attrs.strides.every((s) => s === 1) || attrs.dilations.every((d) => d === 1), op,
        () => `strides ${show(attrs.strides)} together with dilations ${
            show(attrs.dilations)}: tfjs's convolutions take one or the other, not both`);
  check(CONV2D_ACTIVATIONS.includes(attrs.activation), op,
        () => `argument 'activation' must be one of ${CONV2D_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${
            show(attrs.activation)}`);
  check(typeof attrs.leakyreluAlpha === 'number' && Number.isFinite(attrs.leakyreluAlpha), op,
        () => `argument 'leakyreluAlpha' must be a finite number, got ${show(attrs.leakyreluAlpha)}`);
  if (attrs.activation === 'prelu') {
    check(preluShape != null && preluShape.length === 1 && preluShape[0] === out, op,
          () => `argument 'preluWeights' must have shape [${out}] with activation 'prelu', got ${
              preluShape == null ? 'none' : `shape ${show(preluShape)}`}`);
  } else {
    check(preluShape == null, op,
          () => `argument 'preluWeights' is only taken with activation 'prelu', got activation '${
              attrs.activation}'`);
  }
  const size = conv2dOutSize(xShape, filterShape, attrs);
  check(size.every((s) => s >= 1), op,
        () => `input of spatial size ${show(xShape.slice(1, 3))} (padded by ${
            show(attrs.pad)}) is smaller than the dilated kernel ${
            show([0, 1].map((i) => attrs.dilations[i] * (filterShape[i] - 1) + 1))}`);
  checkSize(op, 'output', [xShape[0], ...size, out]);
}

/**
 * act(conv2d(x, filter) + bias) for x [n, h, w, in] (NHWC) float32, filter [kh, kw, in, out],
 * bias [out] or null, preluWeights [out] (activation 'prelu') or null. Internal: the layer's
 * inference path; it records no gradient.
 */
export function torchConv2d(
    x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D|null, preluWeights: tf.Tensor1D|null,
    attrs: TorchConv2dAttrs): tf.Tensor4D {
  const op = 'torchConv2d';
  for (const [name, t] of [['x', x], ['filter', filter], ['bias', bias],
                           ['preluWeights', preluWeights]] as const) {
    if (t == null && (name === 'bias' || name === 'preluWeights')) continue;
    check(t instanceof tf.Tensor, op, () => `argument '${name}' must be a tf.Tensor, got ${show(t)}`);
    check(t.dtype === 'float32', op, () => `argument '${name}' must be float32, got dtype ${t.dtype}`);
  }
  checkConv2dArgs(op, x.shape, filter.shape, bias?.shape ?? null, preluWeights?.shape ?? null, attrs);
  const inputs: TorchConv2dInputs = {x, filter};
  if (bias != null) inputs.bias = bias;
  if (preluWeights != null) inputs.preluWeights = preluWeights;
  return tf.engine().runKernel(TorchConv2d, inputs as unknown as tf.NamedTensorMap,
                               asAttrs(attrs)) as tf.Tensor4D;
}

/**
 * A TorchConv2d kernel's inputs and attrs as one object: the shape of the per-backend fast paths'
 * SmallConv2dArgs (kernels/wasm/small_conv2d.ts, kernels/webgpu/small_conv2d.ts).
 */
export interface Conv2dKernelArgs {
  x: TensorInfo;
  filter: TensorInfo;
  bias: TensorInfo|null;
  preluWeights: TensorInfo|null;
  strides: [number, number];
  pad: [number, number, number, number];
  dilations: [number, number];
  activation: TorchConv2dActivation;
  leakyreluAlpha: number;
}

export function conv2dKernelArgs(inputs: NamedTensorInfoMap, attrs?: NamedAttrMap): Conv2dKernelArgs {
  const {x, filter, bias, preluWeights} = inputs as TorchConv2dInputs;
  const a = attrs as unknown as TorchConv2dAttrs;
  return {
    x, filter, bias: bias ?? null, preluWeights: preluWeights ?? null, strides: a.strides,
    pad: a.pad, dilations: a.dilations, activation: a.activation, leakyreluAlpha: a.leakyreluAlpha,
  };
}

/**
 * The default TorchConv2d kernel of every backend (Note [the conv route]): that backend's own
 * tfjs FusedConv2D kernel, called directly (no engine op), the padding as tfjs's explicit padding.
 */
export function fusedConv2dFallback(backend: unknown, args: Conv2dKernelArgs): TensorInfo {
  const backendName = tf.engine().backendName;
  const kernel = tf.getKernel('FusedConv2D', backendName);
  if (kernel == null) fail('torchConv2d', `backend '${backendName}' has no FusedConv2D kernel`);
  const [top, bottom, left, right] = args.pad;
  const inputs: NamedTensorInfoMap = {x: args.x, filter: args.filter};
  if (args.bias != null) inputs.bias = args.bias;
  if (args.preluWeights != null) inputs.preluActivationWeights = args.preluWeights;
  const attrs = {
    strides: args.strides,
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: 'NHWC',
    dilations: args.dilations,
    dimRoundingMode: undefined,
    activation: args.activation,
    leakyreluAlpha: args.leakyreluAlpha,
  } as unknown as NamedAttrMap;
  return kernel.kernelFunc({inputs, backend: backend as tf.KernelBackend, attrs}) as TensorInfo;
}

/** A TorchConv2d kernel that is the fallback alone (cpu). */
export const fusedConv2dKernel: KernelFunc = ({inputs, backend, attrs}) =>
    fusedConv2dFallback(backend, conv2dKernelArgs(inputs, attrs));

/**
 * A TorchConv2d kernel that tries a backend's own fast path first (wasm's and webgpu's
 * smallConv2d: the output, or null where it does not apply) and falls back to tfjs's FusedConv2D.
 */
export function conv2dKernelWith(fast: (backend: unknown, args: Conv2dKernelArgs) => TensorInfo|null):
    KernelFunc {
  return ({inputs, backend, attrs}) => {
    const args = conv2dKernelArgs(inputs, attrs);
    return fast(backend, args) ?? fusedConv2dFallback(backend, args);
  };
}
