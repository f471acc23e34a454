// `npm run bench -- smallConv2d`: the wasm direct convolution for few channels
// (kernels/wasm/small_conv2d.ts) against tfjs-backend-wasm's FusedConv2D (XNNPACK) on FSRCNN's
// layer shapes at 1x128x128 (NHWC, bias, PReLU per channel), side by side in one process, 1
// thread: tf.fused.conv2d then tf.prelu (what the exported model runs now), and tf.fused.conv2d
// with its own 'prelu' activation. Outputs are checked equal before timing. Then the model-level
// estimate: FSRCNN's convolutions (one 1->56, one 56->12, four 12->12, one 12->56) summed.
// Then other shapes planFor claims, and some it refuses (OTHER_LAYERS).
//   SMALL_CONV2D_LAYERS=fsrcnn   only FSRCNN's layers (or 'other')
//   SMALL_CONV2D_PLANS=3x4x2,3x3x1   also time these blockings (vb x pb x u) of smallConv2d
import * as tf from '@tensorflow/tfjs-core';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {groupedPlanFor, planFor, planOverride, smallConv2d} from '../kernels/wasm/small_conv2d.js';
import type {GroupedConv2dAttrs} from '../src/kernel_names.js';
import {groupBias, groupFilter, perGroupConv2d, runGroupedConv2d} from '../src/ops/grouped_conv.js';
import type {Plan, SmallConv2dArgs} from '../kernels/wasm/small_conv2d.js';
import {kernelContender} from './contenders.js';
import {useBackend} from './decoder_ops.js';
import type {Row} from './harness.js';
import {runRowsInterleaved} from './node.js';
import {expectClose} from './op_rows.js';

interface Layer {label: string, cin: number, k: number, cout: number, pad: number, count: number, stride?: number, dilation?: number,
               /** Image size (default SMALL_CONV2D_SIZE, 128). */ size?: number}

/** FSRCNN(56, 12, 4)'s convolutions (python/tests/zoo/lornatang_fsrcnn.py), each with PReLU. */
export const FSRCNN_LAYERS: Layer[] = [
  {label: 'feature 1->56 5x5 p2', cin: 1, k: 5, cout: 56, pad: 2, count: 1},
  {label: 'shrink 56->12 1x1', cin: 56, k: 1, cout: 12, pad: 0, count: 1},
  {label: 'map 12->12 3x3 p1', cin: 12, k: 3, cout: 12, pad: 1, count: 4},
  {label: 'expand 12->56 1x1', cin: 12, k: 1, cout: 56, pad: 0, count: 1},
];

/** Other shapes planFor claims (not FSRCNN's): strides, dilations, 4 to 64 channels, up to 126 taps. */
export const OTHER_LAYERS: Layer[] = [
  {label: '3->16 3x3 p1', cin: 3, k: 3, cout: 16, pad: 1, count: 0},
  {label: '16->16 3x3 p1', cin: 16, k: 3, cout: 16, pad: 1, count: 0},
  {label: '12->12 3x3 s2 p1', cin: 12, k: 3, cout: 12, pad: 1, count: 0, stride: 2},
  {label: '8->8 3x3 d2 p2', cin: 8, k: 3, cout: 8, pad: 2, count: 0, dilation: 2},
  {label: '4->4 3x3 p1', cin: 4, k: 3, cout: 4, pad: 1, count: 0},
  {label: '14->8 3x3 p1', cin: 14, k: 3, cout: 8, pad: 1, count: 0},
  {label: '32->32 1x1', cin: 32, k: 1, cout: 32, pad: 0, count: 0},
  {label: '64->64 1x1', cin: 64, k: 1, cout: 64, pad: 0, count: 0},
  {label: '64->12 1x1', cin: 64, k: 1, cout: 12, pad: 0, count: 0},
  {label: '12->64 1x1', cin: 12, k: 1, cout: 64, pad: 0, count: 0},
  // First convolutions of the other bench decoders (RRDBNet, SRVGG, U-Net) and U^2-Net small's
  // dilated 16-channel convolutions, at their sizes.
  {label: '3->64 3x3 p1', cin: 3, k: 3, cout: 64, pad: 1, count: 0, size: 256},
  {label: '16->16 3x3 d4 p4', cin: 16, k: 3, cout: 16, pad: 4, count: 0, dilation: 4, size: 320},
  // Out channels that are not a multiple of 4: a partial vector.
  {label: '12->3 3x3 p1', cin: 12, k: 3, cout: 3, pad: 1, count: 0},
  {label: '16->1 3x3 p1', cin: 16, k: 3, cout: 1, pad: 1, count: 0},
  // Refused (more than MAX_TAPS taps; 5 out channels): timed with a forced blocking to show why.
  {label: '12->5 3x3 p1', cin: 12, k: 3, cout: 5, pad: 1, count: 0},
  {label: '32->32 3x3 p1', cin: 32, k: 3, cout: 32, pad: 1, count: 0},
  {label: '64->64 3x3 p1', cin: 64, k: 3, cout: 64, pad: 1, count: 0},
];

export async function benchSmallConv2d(): Promise<void> {
  const previous = tf.getBackend();
  if (!(await useBackend('wasm'))) throw new Error('bench smallConv2d: the wasm backend did not start');
  const backend = tf.backend() as BackendWasm;
  const defaultSize = Number(process.env.SMALL_CONV2D_SIZE ?? 128);
  const plans = (process.env.SMALL_CONV2D_PLANS ?? '').split(',').filter((s) => s !== '')
      .map((s) => s.split('x').map(Number)).map(([vb, pb, u]) => ({vb, pb, u}));
  const rows: Row[] = [];
  const tensors: tf.Tensor[] = [];
  const which = process.env.SMALL_CONV2D_LAYERS ?? 'fsrcnn,other';
  const layers = [...(which.includes('fsrcnn') ? FSRCNN_LAYERS : []), ...(which.includes('other') ? OTHER_LAYERS : [])];
  for (const {label, cin, k, cout, pad, stride = 1, dilation = 1, size = defaultSize} of layers) {
    const x = tf.randomUniform([1, size, size, cin], -1, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (cout * k * k)), 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomUniform([cout], -0.1, 0.1, 'float32', 3) as tf.Tensor1D;
    const alpha = tf.randomUniform([cout], 0, 0.5, 'float32', 4) as tf.Tensor1D;
    tensors.push(x, filter, bias, alpha);
    const args: SmallConv2dArgs = {x, filter, bias, preluWeights: alpha, strides: [stride, stride], pad: [pad, pad, pad, pad],
                                   dilations: [dilation, dilation], activation: 'prelu', leakyreluAlpha: 0};
    const ours = (plan: Plan|null) => () => {
      planOverride.plan = plan;
      try {
        const y = smallConv2d(backend, args);
        if (y == null) throw new Error(`bench smallConv2d: ${label} refused`);
        return tf.engine().makeTensorFromTensorInfo(y);
      } finally {
        planOverride.plan = null;
      }
    };
    const padding: [[number, number], [number, number], [number, number], [number, number]] =
        [[0, 0], [pad, pad], [pad, pad], [0, 0]];
    const alpha3 = tf.reshape(alpha, [1, 1, cout]);
    tensors.push(alpha3);
    const fusedThenPrelu = () => tf.tidy(() => tf.prelu(tf.fused.conv2d({x, filter, strides: stride, pad: padding, dilations: dilation, bias}), alpha3));
    const fusedPrelu = () => tf.fused.conv2d({x, filter, strides: stride, pad: padding, dilations: dilation, bias, activation: 'prelu',
                                              preluActivationWeights: alpha3});
    const claimed = planFor(cin, k, k, cout);
    const reference = fusedThenPrelu();
    const valid = plans.filter((p) => (cout % 4 === 0 ? (cout / 4) % p.vb === 0 : p.vb === 1) && cin % p.u === 0);
    if (claimed == null && valid.length === 0) valid.push({vb: cout % 8 === 0 ? 2 : 1, pb: 4, u: 1});
    const candidates = claimed == null ? valid : [claimed, ...valid];
    for (const plan of candidates) {
      const y = ours(plan)();
      expectClose(`smallConv2d ${label} ${plan.vb}x${plan.pb}x${plan.u}`, y.dataSync(), reference.dataSync());
      y.dispose();
    }
    const y2 = fusedPrelu();
    expectClose(`tf.fused.conv2d prelu ${label}`, y2.dataSync(), reference.dataSync());
    tf.dispose([y2, reference]);
    const shape = `[1,${size},${size},${cin}] -> ${cout}`;
    if (claimed != null) {
      rows.push({label: `${label} ${shape}`, contenders: [
        kernelContender(`smallConv2d (vb ${claimed.vb} x pb ${claimed.pb} x u ${claimed.u})`, ours(claimed)),
        kernelContender('tf.fused.conv2d (bias) + tf.prelu', fusedThenPrelu),
        kernelContender('tf.fused.conv2d (bias, activation prelu)', fusedPrelu),
      ]});
    }
    // Other blockings (SMALL_CONV2D_PLANS), each next to the same tfjs contender.
    for (const plan of valid) {
      const refused = claimed == null ? ' (refused: planFor gives null)' : '';
      rows.push({label: `${label} ${shape}, blocking ${plan.vb}x${plan.pb}x${plan.u}${refused}`, contenders: [
        kernelContender(`smallConv2d vb ${plan.vb} x pb ${plan.pb} x u ${plan.u}`, ours(plan)),
        kernelContender('tf.fused.conv2d (bias) + tf.prelu', fusedThenPrelu),
      ]});
    }
  }
  await runRowsInterleaved(`smallConv2d on wasm (1 thread): FSRCNN's convolutions + PReLU at ${defaultSize}x${defaultSize}, then other shapes`,
                           rows, 6, 2000);
  tf.dispose(tensors);
  await tf.setBackend(previous);
}

interface GroupedLayer {label: string, c: number, size: number, stride: number, count: number,
                       /** Default 32 groups, as many out channels as in. */ groups?: number, cout?: number}

/** MiDaS's ResNeXt-101 32x8d grouped 3x3s (32 groups, padding 1, bias) at its 256x256 bench input. */
export const MIDAS_GROUPED_LAYERS: GroupedLayer[] = [
  {label: 'layer1 256, 32 groups of 8', c: 256, size: 64, stride: 1, count: 3},
  {label: 'layer2 first 512, 32 groups of 16, stride 2', c: 512, size: 64, stride: 2, count: 1},
  {label: 'layer2 512, 32 groups of 16', c: 512, size: 32, stride: 1, count: 3},
  {label: 'layer3 first 1024, 32 groups of 32, stride 2', c: 1024, size: 32, stride: 2, count: 1},
  {label: 'layer3 1024, 32 groups of 32', c: 1024, size: 16, stride: 1, count: 22},
  {label: 'layer4 first 2048, 32 groups of 64, stride 2', c: 2048, size: 16, stride: 2, count: 1},
  {label: 'layer4 2048, 32 groups of 64', c: 2048, size: 8, stride: 1, count: 2},
];

/** Other grouped shapes the capability claims (few channels, few groups; not in MiDaS). */
export const OTHER_GROUPED_LAYERS: GroupedLayer[] = [
  {label: '64, 16 groups of 4', c: 64, size: 64, stride: 1, count: 0, groups: 16},
  {label: '12 -> 32, 4 groups of 3 -> 8', c: 12, size: 64, stride: 1, count: 0, groups: 4, cout: 32},
  {label: '128, 2 groups of 64', c: 128, size: 32, stride: 1, count: 0, groups: 2},
  {label: '64, 2 groups of 32', c: 64, size: 64, stride: 1, count: 0, groups: 2},
];

/**
 * `npm run bench -- groupedConv2d`: the wasm TorchGroupedConv2d kernel (kernels/wasm/GroupedConv2d.ts:
 * smallConv2d with groups, one WebAssembly call per group, bias in its epilogue) against the
 * per-group form it replaces (the TorchGroupedConv2d layer's: per group a TorchPad crop of x and
 * XNNPACK's FusedConv2D with the group's filter and bias cut once beforehand, then a concat), on
 * MiDaS's grouped 3x3s at its 256x256 input (MIDAS_GROUPED_LAYERS), 1 thread, side by side in one
 * process; outputs checked to agree first; then other shapes the capability claims
 * (OTHER_GROUPED_LAYERS). Layers that groupedPlanFor refuses are timed with the default blocking
 * (marked refused).
 *   GROUPED_CONV2D_PLANS=4x2x1,2x6x1   also time these blockings (vb x pb x u)
 */
export async function benchGroupedConv2d(): Promise<void> {
  const previous = tf.getBackend();
  if (!(await useBackend('wasm'))) throw new Error('bench groupedConv2d: the wasm backend did not start');
  const plans = (process.env.GROUPED_CONV2D_PLANS ?? '').split(',').filter((s) => s !== '')
      .map((s) => s.split('x').map(Number)).map(([vb, pb, u]) => ({vb, pb, u}));
  const rows: Row[] = [];
  const tensors: tf.Tensor[] = [];
  for (const l of [...MIDAS_GROUPED_LAYERS, ...OTHER_GROUPED_LAYERS]) {
    const groups = l.groups ?? 32;
    const cout = l.cout ?? l.c;
    const g = l.c / groups;
    const og = cout / groups;
    const x = tf.randomUniform([1, l.size, l.size, l.c], -1, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, g, cout], 0, Math.sqrt(1 / (9 * g)), 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomUniform([cout], -0.1, 0.1, 'float32', 3) as tf.Tensor1D;
    tensors.push(x, filter, bias);
    const attrs: GroupedConv2dAttrs = {stride: [l.stride, l.stride], padding: [1, 1, 1, 1], dilation: [1, 1], groups,
                                       dataFormat: 'channelsLast'};
    const filters = Array.from({length: groups}, (_, k) => tf.keep(groupFilter(filter, groups, k)));
    const biases = Array.from({length: groups}, (_, k) => tf.keep(groupBias(bias, groups, k)!));
    tensors.push(...filters, ...biases);
    const claimed = groupedPlanFor(g, 3, 3, og);
    const ours = (plan: Plan|null) => () => {
      planOverride.plan = plan;
      try {
        return runGroupedConv2d(x, filter, bias, attrs);
      } finally {
        planOverride.plan = null;
      }
    };
    const perGroup = () => perGroupConv2d(x, (k) => filters[k], (k) => biases[k], attrs);
    const reference = perGroup();
    const candidates = [claimed ?? {vb: 2, pb: 4, u: 1}, ...plans.filter((p) => (og / 4) % p.vb === 0 && g % p.u === 0)];
    for (const plan of candidates) {
      const y = ours(plan)();
      expectClose(`groupedConv2d ${l.label} ${plan.vb}x${plan.pb}x${plan.u}`, y.dataSync(), reference.dataSync());
      y.dispose();
    }
    reference.dispose();
    const shape = `[1,${l.size},${l.size},${l.c}]${l.count > 0 ? ` x${l.count}` : ''}`;
    candidates.forEach((plan, i) => {
      const refused = claimed == null && i === 0 ? ' (refused: groupedPlanFor gives null)' : '';
      rows.push({label: `${l.count > 0 ? 'MiDaS ' : ''}${l.label} 3x3 + bias ${shape}, blocking ${plan.vb}x${plan.pb}x${plan.u}${refused}`, contenders: [
        kernelContender(`smallConv2d with groups (vb ${plan.vb} x pb ${plan.pb} x u ${plan.u})`, ours(plan)),
        kernelContender('per-group form (TorchPad + FusedConv2D per group, concat; cut filters)', perGroup),
      ]});
    });
  }
  await runRowsInterleaved('groupedConv2d on wasm (1 thread): MiDaS\'s ResNeXt-101 32x8d grouped 3x3s at 256x256',
                           rows, 6, 2000);
  tf.dispose(tensors);
  await tf.setBackend(previous);
}
