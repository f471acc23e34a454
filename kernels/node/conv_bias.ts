// A 2-d convolution and its bias as ONE TensorFlow op on the tensorflow backend (tfjs-node), for
// the kernels that end in a bias: TorchConv2d, TorchGroupedConv2d.
//
// Note [conv and bias in one TensorFlow op]
// tfjs-node runs a biased convolution as two eager ops, Conv2D then Add (its FusedConv2D kernel),
// and the Add is a second pass over the whole output: 8% of SRVGGNetCompact's time on
// tensorflow, 3-6% of the other decoders'. TensorFlow fuses the two in graphs (grappler's
// remapper writes _FusedConv2D, with fused_ops = ["BiasAdd", ...]), but tfjs-node's binding
// cannot pass _FusedConv2D's list(string) attribute (tfjs_backend.cc's AssignOpAttr sets string
// attributes with TFE_OpSetAttrString only; TensorFlow then refuses: "AttrValue had value with
// type 'string' when 'list(string)' expected").
//
// TensorFlow's Linux x86 builds since 2.5 carry oneDNN's ops, and one of them has no list
// attribute: _MklNativeConv2DWithBias (input, filter, bias; Conv2D's attributes plus
// is_filter_const), which oneDNN runs as one convolution whose output starts from the bias. Its
// kernel is registered under the label "MklNameChangeOp", which an eager op selects with the
// attribute `_kernel` (TensorFlow's kernel lookup reads the label from there). It is an internal
// op: TensorFlow's graph rewrite is its usual caller, and a build without oneDNN (macOS, ARM) or
// a later TensorFlow may not have it. So it is probed once per backend object before any use: a
// 1x4x4x3 convolution with a 3x3 filter, explicit asymmetric padding and a bias must run and give
// the 1x3x5x2 output (no values are read: kernels never read data back on the host). Anything else
// (the op refused or missing) keeps Conv2D + BiasAdd, for the life of the process. Its numbers are
// checked by the PyTorch fixtures of every convolution that takes it (grouped_conv, the exported
// decoders, and test/node/conv_bias.test.ts against Conv2D + BiasAdd).
// is_filter_const stays false: with true, oneDNN keeps the first filter it reorders for the
// cached kernel, and an eager kernel is reused by every call with the same attributes (checked:
// a second filter then gives the first filter's output). An attribute of our own whose name starts
// with an underscore (as `_kernel`) does key the cache, one kernel per value, so a per-filter id
// would make it correct. Not done: the filter reorder it saves is small beside the convolution
// (bench row "is_filter_const (bench only)": 0-5% on the decoders' shapes, 11% on the smallest
// ops, 18% on MiDaS's 32 groups of 64 at 8x8, a 4.7 MB filter over 64 pixels: a few ms per
// decoder), against a cached kernel and its reordered filter kept for the life of the process
// for every filter ever used, and a wrong answer wherever the id missed a new value.
//
// Which convolutions: all that have a bias. TensorFlow 2.9's eager runtime rewrites Conv2D itself
// into oneDNN's _MklNativeConv2D (its mkl_eager_op_rewrite; ONEDNN_VERBOSE=1 shows the same
// primitive for both ops, brgconv:avx512_core here, taking the NHWC input and output as they are,
// no reorder but the filter's, 0.04-0.5 ms a call), so the two paths run the same convolution and
// the one op saves the BiasAdd pass: it costs what Conv2D without a bias costs. An earlier round
// measured it losing where K = in / groups * kh * kw > 300 (K = 1152: 171 against 107 ms); on a
// 2-core machine shared by four sessions that was contention, not the op: rerun side by side
// (`DECODER_OPS=convBias DECODER_OPS_BACKENDS=tensorflow npm run bench -- decoderOps`, 1 intra-op
// thread, padding EXPLICIT as TorchConv2d passes it; 2026-12-07 15:56, load 1.7) the one op takes
// 0.68x-0.99x Conv2D + BiasAdd's median on all 13 rows, and 0.93x-1.04x Conv2D alone's:
//   K = 25   FSRCNN's first, 1 -> 56 5x5 at 128x128     1.29 against Conv2D + BiasAdd's 1.89 ms
//   K = 108  FSRCNN's 12 -> 12 3x3 at 128x128            0.83 against 0.96
//   K = 288  32 -> 32 3x3 at 128x128                     3.41 against 3.95
//   K = 576  SRVGGNetCompact's 64 -> 64 at 128x128       11.8 against 12.5
//   K = 1152 U-Net's 128 -> 128 at 128x128               45.1 against 47.3
//   K = 1728 ESRGAN's dense 192 -> 32 at 64x64           4.82 against 5.02
//   K = 4608 SD VAE's 512 -> 512 at 32x32                44.0 against 44.3
// Padding: EXPLICIT costs what SAME does; a separate Pad then VALID was 0.6-1.5 ms slower (64 and
// 128 channels at 128x128). At the decoders (README, tenth round): SRVGGNetCompact faster in three
// of three before / after pairs of the models bench, ESRGAN, MiDaS and U-Net inside its noise.
//
// The numbers: both paths run oneDNN's float32 convolution (the one op adds the bias in it,
// Conv2D + BiasAdd after it); they agreed bit for bit on the bench shapes here, but nothing
// promises that (a primitive may sum in another order with a bias post-op), so the tests hold
// both to PyTorch's fixtures and to each other within 1e-5. Flag TORCH_TF_ONEDNN_CONV_BIAS (default true) turns it off.
import * as tf from '@tensorflow/tfjs-core';
import type {Tensor, TensorInfo} from '@tensorflow/tfjs-core';
import {asTensor, nodeOf, probeOnce, runOp} from './util.js';
import type {NodeBackend, OpAttr} from './util.js';

/** tfjs flag: whether biased convolutions on tensorflow may use oneDNN's fused op (default true). */
export const TF_ONEDNN_CONV_BIAS_FLAG = 'TORCH_TF_ONEDNN_CONV_BIAS';
tf.env().registerFlag(TF_ONEDNN_CONV_BIAS_FLAG, () => true);

/** TensorFlow's padding for a convolution: 'VALID', 'SAME', or 'EXPLICIT' with [t, b, l, r]. */
export interface TFConvPadding {
  padding: 'VALID'|'SAME'|'EXPLICIT';
  /** [top, bottom, left, right], for 'EXPLICIT'. */
  explicit?: readonly number[];
}

export interface ConvBiasArgs extends TFConvPadding {
  strides: readonly [number, number];
  dilations: readonly [number, number];
}

const FUSED_OP = '_MklNativeConv2DWithBias';
const probed = new WeakMap<object, boolean>();

function convAttrs(node: NodeBackend, a: ConvBiasArgs): OpAttr[] {
  const {attr} = nodeOf(node);
  const attrs = [
    attr.type('T', 'float32'),
    attr.int('strides', [1, a.strides[0], a.strides[1], 1]),
    attr.int('dilations', [1, a.dilations[0], a.dilations[1], 1]),
    attr.bool('use_cudnn_on_gpu', true),
    attr.string('data_format', 'NHWC'),
    attr.string('padding', a.padding),
  ];
  if (a.padding === 'EXPLICIT') {
    const [t, b, l, r] = a.explicit!;
    attrs.push(attr.int('explicit_paddings', [0, 0, t, b, l, r, 0, 0]));
  }
  return attrs;
}

function fusedConvBias(node: NodeBackend, x: TensorInfo, filter: TensorInfo, bias: TensorInfo,
                       a: ConvBiasArgs): Tensor {
  const {attr} = nodeOf(node);
  const attrs = convAttrs(node, a);
  attrs.push(attr.bool('is_filter_const', false), attr.string('_kernel', 'MklNameChangeOp'));
  return runOp(node, FUSED_OP, attrs, [x, filter, bias]);
}

function separateConvBias(node: NodeBackend, x: TensorInfo, filter: TensorInfo,
                          bias: TensorInfo|null, a: ConvBiasArgs): Tensor {
  const {attr} = nodeOf(node);
  const y = runOp(node, 'Conv2D', convAttrs(node, a), [x, filter]);
  if (bias == null) return y;
  try {
    return runOp(node, 'BiasAdd', [attr.type('T', 'float32'), attr.string('data_format', 'NHWC')],
                 [y, bias]);
  } finally {
    y.dispose();
  }
}

/** Whether oneDNN's conv-with-bias op runs here (probed once per backend). */
export function hasFusedConvBias(backend: unknown): boolean {
  return probeOnce(probed, backend, (node) => {
    const y = fusedConvBias(node, tf.zeros([1, 4, 4, 3]), tf.zeros([3, 3, 3, 2]), tf.zeros([2]), {
      strides: [1, 1], dilations: [1, 1], padding: 'EXPLICIT', explicit: [1, 0, 2, 1],
    });
    return y.shape.join() === '1,3,5,2';
  });
}

/**
 * conv2d(x, filter) + bias on the tensorflow backend: x NHWC, filter [kh, kw, in, out] (in may
 * be the input's channels / groups: TensorFlow's grouped Conv2D), bias [out] or null. One op where
 * Note [conv and bias in one TensorFlow op] allows, else Conv2D then BiasAdd. The caller owns the
 * result; nothing else is left behind.
 */
export function conv2dWithBias(backend: unknown, x: TensorInfo, filter: TensorInfo,
                               bias: TensorInfo|null, a: ConvBiasArgs): Tensor {
  const node = backend as NodeBackend;
  if (bias != null && tf.env().getBool(TF_ONEDNN_CONV_BIAS_FLAG) && hasFusedConvBias(node)) {
    return fusedConvBias(node, asTensor(x), filter, bias, a);
  }
  return separateConvBias(node, x, filter, bias, a);
}
