// `npm run bench -- decoderOps`: the one-pass kernels of the decoder vocabulary (pad, and the
// norms / activations as they land) against the composed tfjs ops they replace, side by side in
// one process on cpu, wasm and tensorflow (each backend in turn, every contender of a row on the
// same backend and the same input; results checked equal before timing). Real sizes: CycleGAN's
// ResnetGenerator pads [1,3,256,256] by 3 and its residual blocks [1,256,64,64] by 1.
//   DECODER_OPS_BACKENDS=cpu,wasm   only some backends (default cpu,wasm,tensorflow)
//   DECODER_OPS=norm                only some row groups (default pad,norm,matmul; also groupedConv,
//                                   and convBias on tensorflow: Note [conv and bias in one TensorFlow op],
//                                   and silu: the TorchSilu kernel against Sigmoid + Mul)
import * as tf from '@tensorflow/tfjs-core';
import {gelu, groupNorm, layerNorm, pad} from '../src/index.js';
import {channelAffine, channelView, planeSums} from '../src/layers/channel_math.js';
import {padByGathers} from './decoder_ops_common.js';
import type {PadMode} from '../src/index_math/pad.js';
import type {DataFormat} from '../src/kernel_names.js';
import {tfContender} from './contenders.js';
import type {Row} from './harness.js';
import {runRowsInterleaved} from './node.js';
import {expectClose} from './op_rows.js';
import {matmul} from '../src/layers/attention.js';
import {groupBias, groupFilter, perGroupConv2d, runGroupedConv2d} from '../src/ops/grouped_conv.js';
import {conv2dWithBias, TF_ONEDNN_CONV_BIAS_FLAG} from '../kernels/node/conv_bias.js';
import type {ConvBiasArgs} from '../kernels/node/conv_bias.js';
import {nodeOf, runOp} from '../kernels/node/util.js';
import type {NodeBackend} from '../kernels/node/util.js';
import {TF_ONEDNN_SILU_FLAG} from '../kernels/node/Silu.js';
import {silu} from '../src/ops/silu.js';

function padRows(backend: string): {rows: Row[], tensors: tf.Tensor[]} {
  const rows: Row[] = [];
  const tensors: tf.Tensor[] = [];
  const cases: Array<{shape: number[], padding: number[], mode: PadMode}> = [
    {shape: [1, 3, 256, 256], padding: [3, 3, 3, 3], mode: 'reflect'},
    {shape: [1, 256, 64, 64], padding: [1, 1, 1, 1], mode: 'reflect'},
    {shape: [1, 256, 64, 64], padding: [1, 1, 1, 1], mode: 'replicate'},
    {shape: [1, 64, 128, 128], padding: [1, 1, 1, 1], mode: 'circular'},
  ];
  for (const {shape, padding, mode} of cases) {
    const first = tf.randomUniform(shape, -1, 1, 'float32', 3);
    const last = tf.transpose(first, [0, 2, 3, 1]);
    tensors.push(first, last);
    for (const df of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
      const x = df === 'channelsLast' ? last : first;
      const ours = () => pad(x, padding, {mode, dataFormat: df});
      const composed = () => padByGathers(x, padding, mode, df);
      const a = ours();
      const b = composed();
      expectClose(`pad ${mode} ${df} on ${backend}`, a.dataSync(), b.dataSync(), true);
      const contenders = [tfContender('tfjs-torch pad (one kernel)', ours),
                          tfContender('tf.gather per padded axis', composed)];
      if (mode === 'reflect' && df === 'channelsLast') {
        const pairs: Array<[number, number]> = [[0, 0], [padding[2], padding[3]], [padding[0], padding[1]], [0, 0]];
        const m = tf.mirrorPad(x as tf.Tensor4D, pairs, 'reflect');
        expectClose(`tf.mirrorPad on ${backend}`, a.dataSync(), m.dataSync(), true);
        m.dispose();
        contenders.push(tfContender('tf.mirrorPad', () => tf.mirrorPad(x as tf.Tensor4D, pairs, 'reflect')));
      }
      tf.dispose([a, b]);
      const shown = df === 'channelsLast' ? [shape[0], shape[2], shape[3], shape[1]] : shape;
      rows.push({label: `pad ${mode} ${padding[0]} [${shown.join(',')}] ${df}`, contenders});
    }
  }
  return {rows, tensors};
}

/**
 * GroupNorm as pt.layers.groupNorm composed it before the GroupNorm kernel: plane sums and
 * per-channel affines through matMuls by ones (src/layers/channel_math.ts), ~12 tfjs ops.
 */
export function groupNormComposedOld(
    x: tf.Tensor, g: number, weight: tf.Tensor, bias: tf.Tensor, eps: number, df: DataFormat): tf.Tensor {
  return tf.tidy(() => {
    const v = channelView(x.shape, df);
    const {n, c} = v;
    const k = c / g;
    const groupMean = (sums: tf.Tensor) => tf.reshape(tf.broadcastTo(
        tf.reshape(tf.div(tf.sum(tf.reshape(sums, [n, g, k]), 2), v.p * k), [n, g, 1]),
        [n, g, k]), [n, c]);
    const centered = channelAffine(x, v, null, tf.neg(groupMean(planeSums(x, v))));
    const inv = tf.rsqrt(tf.add(groupMean(planeSums(tf.square(centered), v)), eps));
    return channelAffine(centered, v, tf.mul(inv, weight), tf.broadcastTo(bias, [n, c]));
  });
}

/** F.layer_norm over the last axis with tfjs ops (tf.moments), as a user would compose it. */
export function layerNormComposed(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const {mean, variance} = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), weight), bias);
  });
}

function normRows(backend: string): {rows: Row[], tensors: tf.Tensor[]} {
  const rows: Row[] = [];
  const tensors: tf.Tensor[] = [];
  // SD VAE decoder GroupNorm(32, 512) at a 64x64 latent's 2x stage; CycleGAN's InstanceNorm on
  // [1,256,64,64]; SAM's LayerNorm2d over 256 channels of [1,64,64,256] (channels last).
  const cases: Array<{label: string, shape: number[], groups: number}> = [
    {label: 'groupNorm(32)', shape: [1, 512, 64, 64], groups: 32},
    {label: 'instanceNorm', shape: [1, 256, 64, 64], groups: 256},
  ];
  for (const {label, shape, groups} of cases) {
    const first = tf.randomUniform(shape, -2, 3, 'float32', 5);
    const last = tf.transpose(first, [0, 2, 3, 1]);
    const w = tf.randomUniform([shape[1]], 0.5, 1.5, 'float32', 6);
    const b = tf.randomUniform([shape[1]], -0.5, 0.5, 'float32', 7);
    tensors.push(first, last, w, b);
    for (const df of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
      const x = df === 'channelsLast' ? last : first;
      const ours = () => groupNorm(x, groups, {weight: w, bias: b, eps: 1e-5, dataFormat: df});
      const old = () => groupNormComposedOld(x, groups, w, b, 1e-5, df);
      const ya = ours();
      const yb = old();
      expectClose(`${label} ${df} on ${backend}`, ya.dataSync(), yb.dataSync());
      tf.dispose([ya, yb]);
      const shown = df === 'channelsLast' ? [shape[0], shape[2], shape[3], shape[1]] : shape;
      rows.push({label: `${label} [${shown.join(',')}] ${df}`, contenders: [
        tfContender('tfjs-torch GroupNorm kernel', ours),
        tfContender('composed (previous layer: sums + matMuls by ones)', old),
      ]});
    }
  }
  const x = tf.randomUniform([1, 64, 64, 256], -2, 3, 'float32', 8);
  const w = tf.randomUniform([256], 0.5, 1.5, 'float32', 9);
  const b = tf.randomUniform([256], -0.5, 0.5, 'float32', 10);
  tensors.push(x, w, b);
  const ours = () => layerNorm(x, [256], {weight: w, bias: b, eps: 1e-6});
  const composed = () => layerNormComposed(x, w, b, 1e-6);
  const ya = ours();
  const yb = composed();
  expectClose(`layerNorm on ${backend}`, ya.dataSync(), yb.dataSync());
  tf.dispose([ya, yb]);
  rows.push({label: 'layerNorm(256) [1,64,64,256]', contenders: [
    tfContender('tfjs-torch GroupNorm kernel (trailing)', ours),
    tfContender('tf.moments + 4 elementwise ops', composed),
  ]});
  // SAM's mask upscaling: exact GELU on [1,64,64,256] (and the tanh form), against the
  // composition the activation layer used before (4 and 7 tfjs ops).
  const gx = tf.randomUniform([1, 64, 64, 256], -4, 4, 'float32', 11);
  tensors.push(gx);
  const composedExact = () => tf.tidy(() => tf.mul(tf.mul(gx, 0.5), tf.add(1, tf.erf(tf.mul(gx, Math.SQRT1_2)))));
  const composedTanh = () => tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(gx, tf.mul(0.044715, tf.pow(gx, 3))));
    return tf.mul(tf.mul(gx, 0.5), tf.add(1, tf.tanh(inner)));
  });
  for (const [form, composed] of [['none', composedExact], ['tanh', composedTanh]] as const) {
    const ours = () => gelu(gx, {approximate: form});
    const ga = ours();
    const gb = composed();
    expectClose(`gelu ${form} on ${backend}`, ga.dataSync(), gb.dataSync());
    tf.dispose([ga, gb]);
    rows.push({label: `gelu(approximate=${form}) [1,64,64,256]`, contenders: [
      tfContender('tfjs-torch Gelu kernel', ours),
      tfContender('composed tfjs ops (previous activation layer)', composed),
    ]});
  }
  return {rows, tensors};
}

/**
 * Attention's batched products (the matmul of the attention layers: tfjs-torch's TorchBatchMatMul
 * where the backend has it, Note [batched products of our own]) against tf.matMul, on operands
 * made fresh for every run as in a model (tfjs-backend-wasm's XNNPACK packs a product's right
 * operand once per tensor); both contenders pay the same two copies.
 */
function matmulRows(backend: string): {rows: Row[], tensors: tf.Tensor[]} {
  const rows: Row[] = [];
  const tensors: tf.Tensor[] = [];
  const shapes: Array<[number[], number[], string]> = [
    [[8, 7, 16], [8, 16, 4096], "SAM's token-to-image scores"],
    [[8, 4096, 16], [8, 16, 7], "SAM's image-to-token scores"],
    [[2, 1024, 64], [2, 64, 1024], 'a 32x32 map attending to itself, 2 heads'],
    [[384, 49, 32], [384, 32, 49], "Swin's 7x7 windows"],
  ];
  let seed = 20;
  for (const [sa, sb, what] of shapes) {
    const a = tf.randomUniform(sa, -1, 1, 'float32', seed++);
    const b = tf.randomUniform(sb, -1, 1, 'float32', seed++);
    tensors.push(a, b);
    const ours = () => tf.tidy(() => matmul('bench', tf.add(a, 0), tf.add(b, 0)));
    const theirs = () => tf.tidy(() => tf.matMul(tf.add(a, 0) as tf.Tensor3D, tf.add(b, 0) as tf.Tensor3D));
    const ya = ours();
    const yb = theirs();
    expectClose(`matmul ${what} on ${backend}`, ya.dataSync(), yb.dataSync());
    tf.dispose([ya, yb]);
    rows.push({label: `matmul [${sa.join(',')}] @ [${sb.join(',')}] (${what})`, contenders: [
      tfContender('tfjs-torch matmul (attention layers)', ours),
      tfContender('tf.matMul', theirs),
    ]});
  }
  return {rows, tensors};
}

/**
 * ResNeXt's grouped 3x3 convolutions (MiDaS's encoder: 32 groups, bias after the batch norm fold)
 * through the TorchGroupedConv2d kernel (one TensorFlow Conv2D on tensorflow; elsewhere a
 * convolution per group whose filters are cut from the kernel every call) against the per-group
 * form with each group's filter a tensor of its own (what the layer runs off tensorflow and what
 * the exporter wrote before: a TorchPad and a Conv2D per group, then a concat).
 */
function groupedConvRows(backend: string): {rows: Row[], tensors: tf.Tensor[]} {
  const rows: Row[] = [];
  const tensors: tf.Tensor[] = [];
  const groups = 32;
  let seed = 40;
  for (const [hw, c, stride] of [[64, 256, 1], [32, 512, 1], [16, 1024, 1], [8, 2048, 1], [32, 1024, 2]]) {
    const x = tf.randomUniform([1, hw, hw, c], -1, 1, 'float32', seed++);
    const filter = tf.randomUniform([3, 3, c / groups, c], -0.1, 0.1, 'float32', seed++);
    const bias = tf.randomUniform([c], -1, 1, 'float32', seed++);
    const filters = Array.from({length: groups}, (_, g) => tf.tidy(() => groupFilter(filter, groups, g)));
    const biases = Array.from({length: groups}, (_, g) => groupBias(bias, groups, g)!);
    tensors.push(x, filter, bias, ...filters, ...biases);
    const attrs = {stride: [stride, stride], padding: [1, 1, 1, 1], dilation: [1, 1], groups,
                   dataFormat: 'channelsLast' as const};
    const kernel = () => runGroupedConv2d(x, filter, bias, attrs);
    const perGroup = () => perGroupConv2d(x, (g) => filters[g], (g) => biases[g], attrs);
    const ya = kernel();
    const yb = perGroup();
    expectClose(`grouped conv [1,${hw},${hw},${c}] on ${backend}`, ya.dataSync(), yb.dataSync());
    tf.dispose([ya, yb]);
    rows.push({label: `grouped conv 3x3 /${stride}, 32 groups [1,${hw},${hw},${c}]`, contenders: [
      tfContender('TorchGroupedConv2d kernel', kernel),
      tfContender('per group (own filters)', perGroup),
    ]});
  }
  return {rows, tensors};
}

/**
 * tensorflow only: a biased convolution as oneDNN's one op against Conv2D + BiasAdd and tfjs-node's
 * FusedConv2D (Conv2D + Add), on the bench decoders' shapes, with the products per output (K)
 * (Note [conv and bias in one TensorFlow op], kernels/node/conv_bias.ts). Padding EXPLICIT, as
 * TorchConv2d passes it. Two more contenders bound what is left: Conv2D alone (no bias at all), and
 * oneDNN's op with is_filter_const = true (the filter reordered once and kept; bench only: each row
 * gets its own cached kernel through an attribute naming the row, see the Note for why the kernel
 * cannot do this safely).
 */
function convBiasRows(backend: string): {rows: Row[], tensors: tf.Tensor[]} {
  if (backend !== 'tensorflow') return {rows: [], tensors: []};
  const rows: Row[] = [];
  const tensors: tf.Tensor[] = [];
  let seed = 70;
  // [label, x shape (NHWC), filter shape [kh, kw, in / groups, out]]
  const cases: Array<[string, number[], number[]]> = [
    ['FSRCNN first 1->56 5x5', [1, 128, 128, 1], [5, 5, 1, 56]],
    ['first 3->64 3x3', [1, 256, 256, 3], [3, 3, 3, 64]],
    ['MiDaS 32 groups of 8', [1, 64, 64, 256], [3, 3, 8, 256]],
    ['FSRCNN 12->12 3x3', [1, 128, 128, 12], [3, 3, 12, 12]],
    ['U2NETP 16->16 3x3', [1, 160, 160, 16], [3, 3, 16, 16]],
    ['32->32 3x3', [1, 128, 128, 32], [3, 3, 32, 32]],
    ['48->48 3x3', [1, 128, 128, 48], [3, 3, 48, 48]],
    ['1x1 512->512', [1, 64, 64, 512], [1, 1, 512, 512]],
    ['SRVGG 64->64 3x3', [1, 128, 128, 64], [3, 3, 64, 64]],
    ['U-Net 128->128 3x3', [1, 128, 128, 128], [3, 3, 128, 128]],
    ['MiDaS 32 groups of 64', [1, 8, 8, 2048], [3, 3, 64, 2048]],
    ['RRDB 192->32 3x3', [1, 64, 64, 192], [3, 3, 192, 32]],
    ['SD VAE 512->512 3x3', [1, 32, 32, 512], [3, 3, 512, 512]],
  ];
  const be = tf.backend();
  const node = be as unknown as NodeBackend;
  const {attr} = nodeOf(node);
  let row = 0;
  for (const [label, xs, fs] of cases) {
    const x = tf.randomUniform(xs, -1, 1, 'float32', seed++);
    const filter = tf.randomUniform(fs, -0.2, 0.2, 'float32', seed++);
    const bias = tf.randomUniform([fs[3]], -1, 1, 'float32', seed++);
    tensors.push(x, filter, bias);
    const ph = (fs[0] - 1) / 2;
    const pw = (fs[1] - 1) / 2;
    const args: ConvBiasArgs = {strides: [1, 1], dilations: [1, 1], padding: ph + pw > 0 ? 'EXPLICIT' : 'VALID',
                                explicit: [ph, ph, pw, pw]};
    const withFlag = (on: boolean, b: tf.Tensor|null = bias) => () => {
      const flags = tf.env().getFlags();
      const before = flags[TF_ONEDNN_CONV_BIAS_FLAG];
      tf.env().set(TF_ONEDNN_CONV_BIAS_FLAG, on);
      try {
        return conv2dWithBias(be, x, filter, b, args);
      } finally {
        tf.env().set(TF_ONEDNN_CONV_BIAS_FLAG, before);
      }
    };
    const fused = withFlag(true);
    const separate = withFlag(false);
    const noBias = withFlag(false, null);
    const rowId = `bench-row-${row++}`;
    const constFilter = () => runOp(node, '_MklNativeConv2DWithBias', [
      attr.type('T', 'float32'), attr.int('strides', [1, 1, 1, 1]), attr.int('dilations', [1, 1, 1, 1]),
      attr.bool('use_cudnn_on_gpu', true), attr.string('data_format', 'NHWC'),
      attr.string('padding', args.padding),
      ...(args.padding === 'EXPLICIT' ? [attr.int('explicit_paddings', [0, 0, ph, ph, pw, pw, 0, 0])] : []),
      attr.bool('is_filter_const', true), attr.string('_kernel', 'MklNameChangeOp'),
      attr.string('_tfjs_torch_bench_row', rowId)], [x, filter, bias]);
    const groups = xs[3] / fs[2];
    const tfjs = () => groups === 1 ?
        tf.fused.conv2d({x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: 'same', bias}) :
        separate();
    const a = fused();
    const b = separate();
    const c = constFilter();
    expectClose(`conv bias ${label}`, a.dataSync(), b.dataSync());
    expectClose(`conv bias ${label} (constant filter)`, c.dataSync(), b.dataSync());
    tf.dispose([a, b, c]);
    const k = fs[0] * fs[1] * fs[2];
    rows.push({label: `${label} [${xs.join(',')}] K=${k}`, contenders: [
      tfContender('oneDNN conv + bias (one op)', fused),
      tfContender('Conv2D + BiasAdd', separate),
      tfContender(groups === 1 ? 'tfjs fused.conv2d (Conv2D + Add)' : 'Conv2D + BiasAdd (again)', tfjs),
      tfContender('Conv2D alone (no bias)', noBias),
      tfContender('oneDNN one op, is_filter_const (bench only)', constFilter),
    ]});
  }
  return {rows, tensors};
}

/**
 * silu (the TorchSilu kernel: oneDNN's _MklSwish on tensorflow, Note [silu as oneDNN's swish])
 * against the composition the silu layer ran before it, x * sigmoid(x) (Sigmoid + Mul), on the SD
 * VAE decoder's SiLU inputs at the bench's latent 32x32 (NHWC; all four widths and map sizes).
 * On tensorflow a third contender runs the kernel with TORCH_TF_ONEDNN_SILU off (its fallback).
 */
function siluRows(backend: string): {rows: Row[], tensors: tf.Tensor[]} {
  const rows: Row[] = [];
  const tensors: tf.Tensor[] = [];
  let seed = 90;
  const shapes = [[1, 32, 32, 512], [1, 64, 64, 512], [1, 128, 128, 256], [1, 256, 256, 128]];
  for (const shape of shapes) {
    const x = tf.randomUniform(shape, -8, 8, 'float32', seed++);
    tensors.push(x);
    const ours = () => silu(x);
    const composed = () => tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
    const a = ours();
    const b = composed();
    expectClose(`silu ${shape} on ${backend}`, a.dataSync(), b.dataSync());
    tf.dispose([a, b]);
    const contenders = [tfContender('tfjs-torch silu (one kernel)', ours),
                        tfContender('tf.mul(x, tf.sigmoid(x))', composed)];
    if (backend === 'tensorflow') {
      contenders.push(tfContender('silu kernel, oneDNN flag off', () => {
        tf.env().set(TF_ONEDNN_SILU_FLAG, false);
        try {
          return silu(x);
        } finally {
          tf.env().set(TF_ONEDNN_SILU_FLAG, true);
        }
      }));
    }
    rows.push({label: `silu [${shape.join(',')}]`, contenders});
  }
  return {rows, tensors};
}

/** Loads a backend (and tfjs-torch's kernels for it) and makes it current. */
export async function useBackend(name: string): Promise<boolean> {
  if (name === 'wasm') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-wasm');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../src/wasm.js');
  } else if (name === 'tensorflow') {
    process.env.TF_NUM_INTRAOP_THREADS = process.env.TF_NUM_INTRAOP_THREADS ?? '1';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../src/node.js');
  }
  return tf.setBackend(name);
}

export async function benchDecoderOps(): Promise<void> {
  const previous = tf.getBackend();
  const names = (process.env.DECODER_OPS_BACKENDS ?? 'cpu,wasm,tensorflow').split(',');
  for (const name of names) {
    if (!(await useBackend(name))) throw new Error(`bench decoderOps: backend ${name} did not start`);
    const sections = (process.env.DECODER_OPS ?? 'pad,norm,matmul').split(',');
    for (const section of sections) {
      const {rows, tensors} = section === 'pad' ? padRows(name) :
          section === 'matmul' ? matmulRows(name) :
          section === 'groupedConv' ? groupedConvRows(name) :
          section === 'convBias' ? convBiasRows(name) :
          section === 'silu' ? siluRows(name) : normRows(name);
      if (rows.length === 0) continue;
      await runRowsInterleaved(`decoder ops (${section}) on ${name} (1 thread)`, rows, 6, 1500);
      tf.dispose(tensors);
    }
  }
  await tf.setBackend(previous);
}
