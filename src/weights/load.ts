// loadTorchWeights: fills a tf.LayersModel from a PyTorch state_dict saved as safetensors.
// The pieces: sources.ts reads the bytes (paths, URLs, bytes; shared with pt.checkExport and the
// Node file:// router), safetensors.ts parses them, mapping.ts says which layer each key fills
// and how (Note [state dict naming], Note [weight layouts]), probes.ts refuses tfjs layers the
// active backend computes wrongly, errors.ts is the one error helper.
import * as tf from '@tensorflow/tfjs-core';
import type {Layer} from '@tensorflow/tfjs-layers/dist/engine/topology';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {fail as failAs, showShape} from './errors.js';
import {allLayers, LAYER_RULES, layerNameFor, type ParamRule, splitKey, weightName} from './mapping.js';
import {refuseWrongBatchNorm, refuseWrongPReLU} from './probes.js';
import {readSafetensors, type SafetensorsEntry} from './safetensors.js';
import {readSource, type TorchWeightsSource} from './sources.js';

export type {TorchWeightsSource} from './sources.js';

function fail(message: string): never {
  failAs('loadTorchWeights', message);
}


/**
 * A tf.LayersModel (or anything with its `layers`), typed without tfjs-layers so that the main
 * entry's types compile with tfjs-core alone (the layers' own types are in 'tfjs-torch/layers').
 */
export interface LayersModelLike {
  readonly layers: readonly unknown[];
}

export interface LoadTorchWeightsOptions {
  /**
   * Overrides Note [state dict naming]: module path -> layer name, or a function of the module
   * path. A null entry (or a function returning null) skips that module's keys; a missing entry
   * (or undefined) falls back to the default rule.
   */
  map?: Record<string, string|null>|((modulePath: string) => string|null|undefined);
  /**
   * As PyTorch's load_state_dict(strict): when false, keys that fill nothing and weights that no
   * key fills are reported in the result instead of thrown. Misshapen tensors always throw.
   * Default true.
   */
  strict?: boolean;
  /** Aborts reading a URL (fetch's AbortSignal): the load rejects, naming the URL. */
  signal?: AbortSignal;
  /**
   * How long reading a URL may take, response and body together, in ms (default 60000; 0 or
   * Infinity: no limit). A server that never answers then rejects instead of hanging.
   */
  timeoutMs?: number;
}

/** The keys LoadTorchWeightsOptions takes (anything else is an error naming the key). */
const OPTION_KEYS: readonly string[] = ['map', 'strict', 'signal', 'timeoutMs'];

export interface LoadTorchWeightsResult {
  /** State-dict keys that filled a weight. */
  loadedKeys: string[];
  /** Keys that filled nothing (only when strict is false; strict mode throws instead). */
  unusedKeys: string[];
  /** Layer weights (`<layer>/<weight>`) that no key filled (only when strict is false). */
  missingWeights: string[];
}


/**
 * Loads a PyTorch state_dict saved as safetensors into `model`'s layers (Note [state dict
 * naming], Note [weight layouts]). Everything is checked before any weight is written, so a
 * failed load leaves the model as it was.
 */
export async function loadTorchWeights(
    model: LayersModelLike, source: TorchWeightsSource,
    options: LoadTorchWeightsOptions = {}): Promise<LoadTorchWeightsResult> {
  if (model == null || !Array.isArray((model as {layers?: unknown}).layers)) {
    fail(`model must be a tf.LayersModel (an object with layers), got ${String(model)}`);
  }
  if (options == null || typeof options !== 'object') {
    fail(`options must be an object, got ${Object.prototype.toString.call(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      fail(`unknown option '${key}'; the options are ${OPTION_KEYS.join(', ')}`);
    }
  }
  const strict = options.strict ?? true;
  const file = readSafetensors(await readSource('loadTorchWeights', source, options));

  const layers = allLayers(model as {layers: Layer[]});
  const byName = new Map<string, Layer[]>();
  for (const layer of layers) byName.set(layer.name, [...(byName.get(layer.name) ?? []), layer]);

  interface Assignment {key: string, entry: SafetensorsEntry, variable: LayerVariable, rule: ParamRule}
  const assignments: Assignment[] = [];
  const filled = new Set<LayerVariable>();
  const unused: string[] = [];
  const unusedWhy: string[] = [];

  for (const [key, entry] of file.tensors) {
    const {modulePath, param} = splitKey(key);
    const layerName = layerNameFor(modulePath, options.map);
    if (layerName === null) continue;
    const found = byName.get(layerName);
    if (found == null) {
      unused.push(key);
      unusedWhy.push(`'${key}' (no layer named '${layerName}')`);
      continue;
    }
    if (found.length > 1) {
      fail(`key '${key}' maps to layer '${layerName}', a name ${found.length} layers of the ${
          ''}model share (nested models); give options.map a unique target`);
    }
    const layer = found[0];
    const className = layer.getClassName();
    const spec = LAYER_RULES[className];
    if (spec == null) {
      if (layer.weights.length === 0) {
        unused.push(key);
        unusedWhy.push(`'${key}' (layer '${layerName}' (${className}) has no weights)`);
        continue;
      }
      fail(`key '${key}' maps to layer '${layerName}' of class ${className}, which ${
          ''}loadTorchWeights cannot fill (it fills ${Object.keys(LAYER_RULES).join(', ')})`);
    }
    if (spec.ignored?.includes(param)) continue;
    // A layer may take one PyTorch name from two modules (TorchFusedConv2d: a Conv2d's weight and a
    // PReLU's): the rule whose weight the layer has and whose shape the tensor fits, else the first.
    const candidates = spec.rules.filter((r) => r.torch === param);
    const variableOf = (r: ParamRule) => layer.weights.find((w) => weightName(w) === r.tfjs);
    const rule = candidates.length < 2 ? candidates[0] : candidates.find((r) => {
      const v = variableOf(r);
      return v != null && ruleFits(r, entry.shape, v.shape as number[]);
    }) ?? candidates[0];
    const variable = rule == null ? undefined : variableOf(rule);
    if (rule == null || variable == null) {
      const accepted = spec.rules.filter((r) => layer.weights.some((w) => weightName(w) === r.tfjs))
                           .map((r) => r.torch);
      unused.push(key);
      unusedWhy.push(`'${key}' (layer '${layerName}' (${className}) takes ${
          accepted.length > 0 ? accepted.map((a) => `'${a}'`).join(', ') : 'no weights'}${
          layer.built ? '' : ': it is not built yet'})`);
      continue;
    }
    const tfjsShape = variable.shape as number[];
    const fits = ruleFits(rule, entry.shape, tfjsShape);
    if (!fits) {
      const expected = rule.fits == null ? showShape(rule.torchShape(tfjsShape)) :
                                           rule.fits.expected(tfjsShape);
      fail(`key '${key}' has shape ${showShape(entry.shape)}, but layer '${layerName}' (${
          className}) needs ${expected} in PyTorch's layout for its weight '${
          rule.tfjs}' of shape ${showShape(tfjsShape)}`);
    }
    if (className === 'BatchNormalization') refuseWrongBatchNorm(layer, layerName);
    if (className === 'PReLU') refuseWrongPReLU(layerName, entry.shape, tfjsShape);
    if (filled.has(variable)) fail(`key '${key}' fills weight '${variable.name}' a second time`);
    filled.add(variable);
    assignments.push({key, entry, variable, rule});
  }

  const missing: string[] = [];
  const missingWhy: string[] = [];
  for (const layer of layers) {
    // A nested model's weights are its layers' weights, checked there.
    if (Array.isArray((layer as unknown as {layers?: unknown}).layers)) continue;
    for (const w of layer.weights) {
      if (filled.has(w)) continue;
      const spec = LAYER_RULES[layer.getClassName()];
      const rule = spec?.rules.find((r) => r.tfjs === weightName(w));
      missing.push(`${layer.name}/${weightName(w)}`);
      missingWhy.push(rule == null ?
          `'${layer.name}/${weightName(w)}' (layer class ${layer.getClassName()} is not filled by ${
              ''}loadTorchWeights)` :
          `'${layer.name}/${weightName(w)}' (expected a key '<module path>.${rule.torch}' ${
              ''}whose module path maps to layer '${layer.name}')`);
    }
  }
  if (strict && (unused.length > 0 || missing.length > 0)) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`weights no key fills: ${missingWhy.join('; ')}`);
    if (unused.length > 0) parts.push(`keys that fill nothing: ${unusedWhy.join('; ')}`);
    fail(`${parts.join('. ')}. Pass {strict: false} to load the rest anyway.`);
  }

  for (const {entry, variable, rule} of assignments) {
    const value = tf.tidy(() => {
      const t = tf.tensor(entry.values, entry.shape, entry.dtype);
      const converted = rule.convert(t, variable.shape as number[]);
      return converted.dtype === variable.dtype ? converted : tf.cast(converted, variable.dtype);
    });
    variable.write(value);
    value.dispose();
  }
  return {loadedKeys: assignments.map((a) => a.key), unusedKeys: unused, missingWeights: missing};
}

function ruleFits(rule: ParamRule, torchShape: number[], tfjsShape: number[]): boolean {
  return rule.fits == null ? tf.util.arraysEqual(torchShape, rule.torchShape(tfjsShape)) :
                             rule.fits.test(torchShape, tfjsShape);
}
