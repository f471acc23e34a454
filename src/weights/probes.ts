// Probes of tfjs ops that loadTorchWeights refuses to feed where the active backend computes
// them wrongly (Note [tfjs BatchNormalization off the last axis]).
import * as tf from '@tensorflow/tfjs-core';
import type {Layer} from '@tensorflow/tfjs-layers/dist/engine/topology';
import {fail, showShape} from './errors.js';
import {preluChannelAxis} from './mapping.js';

// Note [tfjs BatchNormalization off the last axis]
// tfjs-layers' BatchNormalization with its feature axis anywhere but last (axis: 1 on a
// channelsFirst rank-3 or rank-4 input) reshapes its statistics to [1, C, 1, 1] and calls
// tf.batchNorm, whose cpu kernel in tfjs 4.22 (and wasm's) reads them as if they broadcast along
// the last axis (tfjs issue #1106): the result is wrong with no error. loadTorchWeights refuses
// such a layer on a backend where a one-off probe of tf.batchNorm gives that wrong result, and
// points to pt.layers.batchNorm, which is right on every backend.
//
// tfjs's PReLU has the same trouble: with its alpha varying along a non-last axis (channelsFirst,
// alpha [C, 1, 1]) tfjs-backend-wasm 4.22's prelu kernel reads alpha as if it broadcast along
// the last axis. loadTorchWeights refuses to fill such a PReLU where a probe shows it.
const probes = new Map<string, boolean>();

/**
 * Whether an op with per-channel values on axis 1 of a [1, 2, 1, 2] input is right on the
 * active backend (probed once per backend): `run` gets the channel values [0, 1] shaped
 * [1, 2, 1, 1] and must return `right` for the input of zeros.
 */
function rightHere(what: string, run: (zeros: tf.Tensor4D, c: tf.Tensor4D) => tf.Tensor,
                   right: number[]): boolean {
  const key = `${what} ${tf.getBackend()}`;
  let ok = probes.get(key);
  if (ok === undefined) {
    const y = tf.tidy(() => run(tf.zeros([1, 2, 1, 2]), tf.tensor4d([0, 1], [1, 2, 1, 1])).dataSync());
    ok = right.every((r, i) => Math.abs(y[i] - r) < 1e-6);
    probes.set(key, ok);
  }
  return ok;
}

/** Whether tf.batchNorm with [1, C, 1, 1] statistics is right on the active backend. */
function batchNormRightHere(): boolean {
  // Channel 0 has mean 0 and channel 1 mean 1: (0 - mean) / 1.
  return rightHere('batchNorm', (z, c) => tf.batchNorm(z, c, tf.onesLike(c), undefined, undefined, 0),
                   [0, 0, -1, -1]);
}

/** Whether tf.prelu with alpha varying along axis 1 ([C, 1, 1]) is right on the active backend. */
function preluRightHere(): boolean {
  // x = -1 everywhere, alpha 0 and 1 by channel: alpha * x.
  return rightHere('prelu', (z, c) => tf.prelu(tf.sub(z, 1), tf.reshape(c, [2, 1, 1])),
                   [0, 0, -1, -1]);
}

export function refuseWrongPReLU(layerName: string, weightShape: number[], alphaShape: number[]): void {
  const c = weightShape[0];
  const axis = preluChannelAxis(alphaShape, c);
  // Only an alpha that repeats (1) along some axis after the channel axis is broadcast wrongly.
  if (c === 1 || !alphaShape.slice(axis + 1).some((s) => s === 1)) return;
  if (preluRightHere()) return;
  fail('loadTorchWeights', `layer '${layerName}' is a tfjs PReLU whose alpha ${showShape(alphaShape)} varies along ${
      ''}a non-last axis (channelsFirst), which tfjs computes wrongly on the '${tf.getBackend()}' ${
      ''}backend (it broadcasts alpha along the last axis): use pt.layers.prelu({numParameters: ${
      c}, dataFormat: 'channelsFirst'}) instead, which takes the same state-dict key`);
}

export function refuseWrongBatchNorm(layer: Layer, layerName: string): void {
  const spec = (layer as unknown as {inputSpec?: Array<{ndim?: number, axes?: Record<string, number>}>})
                   .inputSpec?.[0];
  const ndim = spec?.ndim;
  const axes = Object.keys(spec?.axes ?? {}).map(Number);
  if (ndim == null || ndim < 3 || axes.length === 0 || axes.every((a) => a === ndim - 1)) return;
  if (batchNormRightHere()) return;
  fail('loadTorchWeights', `layer '${layerName}' is a tfjs BatchNormalization normalising axis ${axes.join(', ')} of a ${
      ndim}-D input (channelsFirst), which tfjs computes wrongly on the '${tf.getBackend()}' ${
      ''}backend (it broadcasts the statistics along the last axis, tfjs issue #1106): use ${
      ''}pt.layers.batchNorm({numFeatures, dataFormat: 'channelsFirst'}) instead, which takes the ${
      ''}same state-dict keys`);
}

