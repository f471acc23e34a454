// groupedConv2d: F.conv2d with groups (weight in PyTorch's layout [outChannels, inChannels /
// groups, kH, kW]), one TorchGroupedConv2d kernel. tfjs's conv2d takes no groups (its filter must
// hold every input channel); the exporter used to write one Conv2D per group behind a TorchPad
// that crops the group's channels, and a Concatenate.
//
// Note [grouped convolution on TensorFlow]
// TensorFlow's CPU Conv2D (2.9, tfjs-node's) runs a grouped convolution itself when the filter's
// input-channel dim is inChannels / groups: the output equals the per-group convolutions
// concatenated, bitwise on the shapes tried, and on ResNeXt's shapes (32 groups: [1, 64, 64, 256],
// [1, 32, 32, 512], [1, 16, 16, 1024]) it was 1.4x / 3.3x / 7x faster than the per-group form.
// tfjs-core's conv2d refuses that filter shape, hence a kernel of our own; on the other backends
// it runs the per-group form inside the kernel (perGroupConv2dKernel below). TensorFlow's CPU
// gradient ops take no groups ("Gradients for grouped convolutions are not supported on CPU"):
// the gradients run the transposed convolution's kernels, which are the adjoints of this one.
import * as tf from '@tensorflow/tfjs-core';
import type {KernelFunc} from '@tensorflow/tfjs-core';
import {asAttrs, GroupedConv2d, Pad} from '../kernel_names.js';
import type {DataFormat, GroupedConv2dAttrs, GroupedConv2dInputs, PadAttrs} from '../kernel_names.js';
import {capabilitiesOf} from '../util/capabilities.js';
import {check, checkDataFormat, checkInts, checkOptionKeys, checkSize, expandTuple, fail, show, toTensor} from '../util/args.js';

export interface GroupedConv2dOptions {
  /** Int or [sH, sW], >= 1. Default 1. */
  stride?: number|number[];
  /**
   * Zero padding: an int or [pH, pW] (both sides of each axis, PyTorch's), 'valid' (none) or
   * 'same' (stride 1 only; an odd total's extra pixel goes after, as PyTorch does). Default 0.
   */
  padding?: number|number[]|'same'|'valid';
  /** Int or [dH, dW], >= 1. Default 1. */
  dilation?: number|number[];
  /** Splits input and output channels into this many independent groups. Default 1. */
  groups?: number;
  dataFormat?: DataFormat;
}

const OPTION_KEYS: readonly string[] = ['stride', 'padding', 'dilation', 'groups', 'dataFormat'];

/**
 * Resolved attributes for x of shape `xShape` (rank 4, in dataFormat) and a weight of PyTorch's
 * shape [outC, inC / groups, kH, kW]; throws `<op>: argument ...` for what PyTorch rejects (and
 * for a stride and a dilation both above 1, which tfjs's and TensorFlow's CPU convolutions refuse).
 */
export function resolveGroupedConv2dArgs(
    op: string, xShape: readonly number[], weightShape: readonly number[],
    biasShape: readonly number[]|null, options: GroupedConv2dOptions): GroupedConv2dAttrs {
  if (options == null || typeof options !== 'object') {
    fail(op, `argument 'options' must be an object, got ${show(options)}`);
  }
  checkOptionKeys(op, options, OPTION_KEYS);
  const dataFormat = checkDataFormat(op, options.dataFormat);
  check(xShape.length === 4, op,
        () => `argument 'x' must have rank 4 (batch, channels and 2 spatial dims), got shape ${
            show(xShape)}`);
  check(weightShape.length === 4 && weightShape.every((s) => s >= 1), op,
        () => `argument 'weight' must have shape [outChannels, inChannels / groups, kH, kW] (all ${
            ''}>= 1), got shape ${show(weightShape)}`);
  const channelsLast = dataFormat === 'channelsLast';
  const inChannels = channelsLast ? xShape[3] : xShape[1];
  const inSize = channelsLast ? xShape.slice(1, 3) : xShape.slice(2);
  const stride = expandTuple(op, 'stride', options.stride, 2, 1);
  checkInts(op, 'stride', stride, 1);
  const dilation = expandTuple(op, 'dilation', options.dilation, 2, 1);
  checkInts(op, 'dilation', dilation, 1);
  const groups = options.groups === undefined ? 1 : options.groups;
  check(typeof groups === 'number' && Number.isInteger(groups) && groups >= 1, op,
        () => `argument 'groups' must be an integer >= 1, got ${show(groups)}`);
  const [outChannels, groupIn] = weightShape;
  check(inChannels === groupIn * groups, op,
        () => `argument 'weight' of shape ${show(weightShape)} with groups ${groups} expects ${
            groupIn * groups} input channels, but x of shape ${show(xShape)} has ${inChannels} (${
            dataFormat})`);
  check(outChannels % groups === 0, op,
        () => `argument 'groups' (${groups}) must divide the ${outChannels} output channels ${
            ''}(weight dim 0)`);
  if (biasShape != null) {
    check(biasShape.length === 1 && biasShape[0] === outChannels, op,
          () => `argument 'bias' must have shape [${outChannels}], got shape ${show(biasShape)}`);
  }
  check(stride.every((s) => s === 1) || dilation.every((d) => d === 1), op,
        () => `stride ${show(stride)} together with dilation ${show(dilation)} is not supported ${
            ''}(tfjs's and TensorFlow's CPU convolutions take one or the other)`);
  const kernel = weightShape.slice(2);
  let padding: number[];
  const p = options.padding === undefined ? 0 : options.padding;
  if (p === 'valid') {
    padding = [0, 0, 0, 0];
  } else if (p === 'same') {
    check(stride.every((s) => s === 1), op,
          () => `padding 'same' is not supported for strided convolutions (stride ${show(stride)})`);
    padding = kernel.flatMap((k, a) => {
      const total = dilation[a] * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  } else if (typeof p === 'string') {
    fail(op, `argument 'padding' must be an int, [pH, pW], 'same' or 'valid', got ${show(p)}`);
  } else {
    const pads = expandTuple(op, 'padding', p, 2, 0);
    checkInts(op, 'padding', pads, 0);
    padding = pads.flatMap((v) => [v, v]);
  }
  const outSize = inSize.map(
      (s, a) => Math.floor((s + padding[2 * a] + padding[2 * a + 1] -
                            dilation[a] * (kernel[a] - 1) - 1) / stride[a]) + 1);
  check(outSize.every((s) => s >= 1), op,
        () => `input of spatial size ${show(inSize)} (padded by ${show(padding)}) is smaller than ${
            ''}the dilated kernel ${show(kernel.map((k, a) => dilation[a] * (k - 1) + 1))}`);
  checkSize(op, 'output', channelsLast ? [xShape[0], ...outSize, outChannels] :
                                         [xShape[0], outChannels, ...outSize]);
  return {stride, padding, dilation, groups, dataFormat};
}

/** PyTorch's weight [outC, inC / groups, kH, kW] as the kernel's filter [kH, kW, inC / groups, outC]. */
export function groupedFilterOf(weight: tf.Tensor): tf.Tensor {
  return tf.transpose(weight, [2, 3, 1, 0]);
}

/**
 * Whether the backend's TorchGroupedConv2d kernel runs a grouped convolution of inChannels ->
 * outChannels in one pass (its capability groupedConvOnePass: each group's channels within its
 * limits, the group's output channels a multiple of 4, and its `now` where declared), rather than
 * one convolution per group.
 */
export function groupedKernelIsOnePass(
    backendName: string, inChannels: number, outChannels: number, groups: number): boolean {
  const limits = capabilitiesOf(backendName).groupedConvOnePass;
  if (limits == null || inChannels % groups !== 0 || outChannels % groups !== 0) return false;
  if (limits.now != null && !limits.now()) return false;
  const inG = inChannels / groups;
  const outG = outChannels / groups;
  return inG <= limits.maxGroupIn && outG <= limits.maxGroupOut && outG % 4 === 0;
}

/** Runs the kernel on checked, resolved arguments (the layer holds the filter layout). */
export function runGroupedConv2d(
    x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor|null, attrs: GroupedConv2dAttrs): tf.Tensor {
  const inputs: GroupedConv2dInputs = {x, filter};
  if (bias != null) inputs.bias = bias;
  return tf.engine().runKernel(
             GroupedConv2d, inputs as unknown as tf.NamedTensorMap, asAttrs(attrs)) as tf.Tensor;
}

/**
 * F.conv2d(x, weight, bias, stride, padding, dilation, groups). x: [batch, H, W, inC]
 * (channelsLast) or [batch, inC, H, W] (channelsFirst); weight [outC, inC / groups, kH, kW];
 * bias [outC] or null.
 */
export function groupedConv2d(
    x: tf.Tensor4D|tf.TensorLike, weight: tf.Tensor4D|tf.TensorLike,
    bias?: tf.Tensor1D|tf.TensorLike|null, options: GroupedConv2dOptions = {}): tf.Tensor4D {
  const op = 'groupedConv2d';
  return tf.tidy(() => {
    const xt = floatArg(x, 'x', op);
    const w = floatArg(weight, 'weight', op);
    const b = bias == null ? null : floatArg(bias, 'bias', op);
    const attrs = resolveGroupedConv2dArgs(op, xt.shape, w.shape, b == null ? null : b.shape,
                                           options ?? {});
    return runGroupedConv2d(xt, groupedFilterOf(w), b, attrs) as tf.Tensor4D;
  });
}

function floatArg(v: tf.Tensor|tf.TensorLike, name: string, op: string): tf.Tensor {
  const t = toTensor(v, name, op);
  check(t.dtype === 'float32', op,
        () => `argument '${name}' must be float32, got dtype ${t.dtype}`);
  return t;
}

/**
 * The per-group form, for the backends whose convolutions take no groups: x's channels cropped
 * per group (one TorchPad each, which also applies the zero padding: one pass that reads only the
 * group's channels, where tfjs-backend-wasm's Slice would copy its whole input every call), one
 * tfjs convolution per group (bias fused), the outputs concatenated on the channel axis.
 * `filterOf(g)` / `biasOf(g)` give group g's filter [kH, kW, inC / groups, outC / groups] and bias.
 * channelsFirst is transposed in and out once (tfjs's wasm convolution is channels-last only).
 */
export function perGroupConv2d(
    x: tf.Tensor, filterOf: (g: number) => tf.Tensor, biasOf: (g: number) => tf.Tensor | null,
    attrs: GroupedConv2dAttrs): tf.Tensor {
  return tf.tidy(() => {
    const first = attrs.dataFormat === 'channelsFirst';
    const xl = first ? tf.transpose(x, [0, 2, 3, 1]) : x;
    const {groups} = attrs;
    const cin = xl.shape[3]!;
    const ig = cin / groups;
    const [top, bottom, left, right] = attrs.padding;
    const unpadded = attrs.padding.every((p) => p === 0);
    const parts: tf.Tensor[] = [];
    for (let g = 0; g < groups; g++) {
      const xg = groups === 1 && unpadded ?
          xl :
          tf.engine().runKernel(Pad, {x: xl}, asAttrs<PadAttrs>({
            pairs: [[0, 0], [top, bottom], [left, right], [-g * ig, -(cin - (g + 1) * ig)]],
            mode: 'constant',
            value: 0,
          })) as tf.Tensor4D;
      const bias = biasOf(g);
      parts.push(tf.fused.conv2d({
        x: xg as tf.Tensor4D,
        filter: filterOf(g) as tf.Tensor4D,
        bias: bias ?? undefined,
        strides: attrs.stride as [number, number],
        pad: 'valid',
        dilations: attrs.dilation as [number, number],
      }));
    }
    const y = parts.length === 1 ? parts[0] : tf.concat(parts, 3);
    return first ? tf.transpose(y, [0, 3, 1, 2]) : y;
  });
}

/**
 * The TorchGroupedConv2d kernel of the backends whose convolutions take no groups (cpu, wasm, webgl,
 * webgpu: each backend's kernels/<backend>/GroupedConv2d.ts registers this one function): the
 * per-group form above, each group's filter and bias cut from the kernel's inputs.
 */
export const perGroupConv2dKernel: KernelFunc = ({inputs, attrs}) => {
  const {x, filter, bias} = inputs as GroupedConv2dInputs;
  const a = attrs as unknown as GroupedConv2dAttrs;
  return tf.tidy(() => {
    const f = kernelInput(filter);
    const b = bias == null ? null : kernelInput(bias);
    if (isDepthwise(f.shape, a.groups)) return depthwiseConv2dForm(kernelInput(x), f, b, a);
    return perGroupConv2d(kernelInput(x), (g) => groupFilter(f, a.groups, g),
                          (g) => groupBias(b, a.groups, g), a);
  });
};

/**
 * Whether a grouped convolution with this filter ([kH, kW, inC / groups, outC]) is a depthwise one:
 * one input channel per group, more than one group.
 */
export function isDepthwise(filterShape: readonly number[], groups: number): boolean {
  return groups > 1 && filterShape[2] === 1;
}

/**
 * Note [depthwise convolution as tfjs's own]
 * A grouped convolution with one input channel per group (groups == inChannels, a depth
 * multiplier outC / inC) is tfjs's depthwiseConv2d: one kernel on every backend, where the
 * per-group form would run a convolution per channel (DeepLabV3+'s ASPP: 512 to 2048 of them).
 * PyTorch's output channel g * m + j (group g's j-th) is tfjs's c * m + q, so the filter
 * [kH, kW, 1, outC] is tfjs's [kH, kW, inC, m] by a reshape. tfjs's depthwiseConv2d takes the
 * dilation and the zero padding as given ([top, bottom], [left, right]). The exporter used to write
 * these as tfjs-layers' DepthwiseConv2D, whose call drops its dilation_rate (tfjs-layers 4.22:
 * "TODO(cais): Add support for dilation"): a dilated one gave wrong numbers on every backend; the
 * exporter now writes the dilated ones as TorchGroupedConv2d (python/tfjs_torch/ops/conv.py).
 */
export function depthwiseConv2dForm(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor|null,
                                    attrs: GroupedConv2dAttrs): tf.Tensor {
  return tf.tidy(() => {
    const first = attrs.dataFormat === 'channelsFirst';
    const xl = (first ? tf.transpose(x, [0, 2, 3, 1]) : x) as tf.Tensor4D;
    const [kh, kw, , cout] = filter.shape;
    const cin = xl.shape[3];
    const f = tf.reshape(filter, [kh, kw, cin, cout / cin]) as tf.Tensor4D;
    const [top, bottom, left, right] = attrs.padding;
    let y: tf.Tensor = tf.depthwiseConv2d(xl, f, attrs.stride as [number, number],
                                          [[0, 0], [top, bottom], [left, right], [0, 0]], 'NHWC',
                                          attrs.dilation as [number, number]);
    if (bias != null) y = tf.add(y, bias);
    return first ? tf.transpose(y, [0, 3, 1, 2]) : y;
  });
}

/** Group g's part of a filter [kH, kW, inC / groups, outC] (a TorchPad crop, no Slice). */
export function groupFilter(filter: tf.Tensor, groups: number, g: number): tf.Tensor {
  if (groups === 1) return filter;
  const cout = filter.shape[3]!;
  const og = cout / groups;
  return tf.engine().runKernel(Pad, {x: filter}, asAttrs<PadAttrs>({
    pairs: [[0, 0], [0, 0], [0, 0], [-g * og, -(cout - (g + 1) * og)]],
    mode: 'constant',
    value: 0,
  })) as tf.Tensor;
}

/** Group g's part of a bias [outC]. */
export function groupBias(bias: tf.Tensor|null, groups: number, g: number): tf.Tensor|null {
  if (bias == null || groups === 1) return bias;
  const og = bias.shape[0] / groups;
  return tf.slice(bias, [g * og], [og]);
}

/**
 * A kernel's input as a tfjs Tensor for the ops that kernels compose. The engine hands kernels the
 * op's Tensors; anything else (a bare TensorInfo) is wrapped and its data referenced once more,
 * so that disposing the wrapper (as the kernel's tidy does) leaves the input's data alone.
 */
export function kernelInput(t: tf.TensorInfo): tf.Tensor {
  if (t instanceof tf.Tensor) return t;
  tf.engine().backend.incRef(t.dataId);
  return tf.engine().makeTensorFromTensorInfo(t);
}

/**
 * The body of a grouped convolution kernel with a direct path (wasm's and webgpu's
 * small_conv2d.ts): `direct` takes the NHWC input and returns the output, or null where the
 * shape is not its own. channelsLast goes to it as it is, channelsFirst transposed in and out;
 * where it declines, the per-group form runs.
 */
export function directOrPerGroup(config: Parameters<KernelFunc>[0],
                                 direct: (x: tf.TensorInfo) => tf.TensorInfo | null): tf.TensorInfo|tf.TensorInfo[] {
  const {x} = config.inputs as GroupedConv2dInputs;
  const a = config.attrs as unknown as GroupedConv2dAttrs;
  if (a.dataFormat !== 'channelsFirst') return direct(x) ?? perGroupConv2dKernel(config);
  const y = tf.tidy(() => {
    const info = direct(tf.transpose(kernelInput(x), [0, 2, 3, 1]));
    if (info == null) return [];
    return [tf.transpose(tf.engine().makeTensorFromTensorInfo(info, config.backend as tf.KernelBackend), [0, 3, 1, 2])];
  });
  return y.length === 1 ? y[0] : perGroupConv2dKernel(config);
}
