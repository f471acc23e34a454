// What every tfjs-torch layer shares: dataFormat, config checks with messages that name the layer
// and the argument, initializer (de)serialization, and registration with tfjs's serialization
// registry so tf.loadLayersModel can rebuild a saved model.
import * as tf from '@tensorflow/tfjs-core';
import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {DataFormat} from '../kernel_names.js';
import {checkInts, checkOptionKeys, checkSize, expandTuple, fail, show} from '../util/args.js';

/** Options every tfjs-torch layer takes besides its own (tfjs's usual layer arguments). */
export interface TorchLayerArgs {
  name?: string;
  trainable?: boolean;
  /** 'channelsLast' (default, tfjs's) or 'channelsFirst' (PyTorch's N C ...spatial). */
  dataFormat?: DataFormat;
  inputShape?: Array<number|null>;
  batchInputShape?: Array<number|null>;
  batchSize?: number;
  dtype?: tf.DataType;
}

/** A shape as tfjs-layers passes it: null for a dim not known until run time (the batch). */
export type Shape = Array<number|null>;

export function layerDataFormat(layer: string, value: unknown): DataFormat {
  if (value === undefined || value === null) return 'channelsLast';
  if (value !== 'channelsLast' && value !== 'channelsFirst') {
    fail(layer, `dataFormat must be 'channelsLast' or 'channelsFirst', got ${show(value)}`);
  }
  return value;
}

// ---- config validation ------------------------------------------------------------------------
// A layer's config may come from an untrusted model.json, so every layer checks it in its
// constructor, before tfjs-layers builds it or creates a weight: the keys (an unknown key is an
// error naming it, with the camelCase hint for PyTorch's spelling), the types (a number is a
// finite number, a string a string, an array has the expected length), and the sizes of the
// weights it will create and the outputs it will compute (Note [size guard]). Every check
// throws `layers.<name>: ...` with a message built by show(), which never throws or recurses
// without bound. A new layer calls, in its constructor:
//   checkLayerArgs(op, args, OWN_KEYS)       the config is an object with only known keys
//   intTuple / intArg / numberTuple / oneOf / bool for each argument
//   checkWeightShape(op, this.name, shape)    for each weight, before addWeight
// and in computeOutputShape:
//   checkOutputShape(op, this.name, shape)

/** The keys tfjs-layers itself puts in a layer's config (or passes to its constructor). */
export const BASE_LAYER_KEYS: readonly string[] = [
  'name', 'trainable', 'inputShape', 'batchInputShape', 'batchSize', 'dtype', 'weights',
  'inputDType', 'dataFormat', 'customObjects',
];

/**
 * Checks that a layer's config is an object whose keys are `own` or tfjs-layers' own
 * (BASE_LAYER_KEYS): `layers.upsample: unknown argument 'align_corners' (did you mean
 * 'alignCorners'?)`.
 */
export function checkLayerArgs(layer: string, args: unknown, own: readonly string[]): void {
  if (args == null || typeof args !== 'object' || Array.isArray(args)) {
    fail(layer, `a config object is required, got ${show(args)}`);
  }
  checkOptionKeys(layer, args, [...own, ...BASE_LAYER_KEYS], 'argument');
}

/** An integer argument >= min (a finite number; `fallback` when absent). */
export function intArg(
    layer: string, name: string, value: unknown, min: number, fallback?: number): number {
  const v = value === undefined || value === null ? fallback : value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    fail(layer, `argument '${name}' must be an integer >= ${min}, got ${show(value)}`);
  }
  return v;
}

/**
 * Note [non-finite numbers in model.json]
 * JSON has no Infinity or NaN (JSON.parse refuses Python's `-Infinity`; JSON.stringify writes
 * null), yet PyTorch models use them as values: masked_fill(mask, float('-inf')) before a softmax,
 * torch.full(..., -inf), clamp bounds. The exporter writes a non-finite number in a layer's config
 * as the string 'inf', '-inf' or 'nan' (Python's spelling; python/tfjs_torch/_export.py), the
 * layers that take such values read it back with `fromJsonNumber` and write it the same way in
 * getConfig (`toJsonNumber`), so a saved model loads again. Lower case on purpose: tfjs-layers'
 * model.save snake-cases string config values and loading camel-cases them ('-Infinity' would be
 * saved as '-_infinity' and 'Infinity' come back as 'infinity'); 'inf' and 'nan' pass unchanged.
 */
export function fromJsonNumber(v: unknown): unknown {
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (v === 'nan') return NaN;
  return v;
}

/** A number for a layer's config: the string form where it is not finite (Note [non-finite numbers in model.json]). */
export function toJsonNumber<T extends number|null>(v: T): T|string {
  if (v == null || Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'nan' : (v > 0 ? 'inf' : '-inf');
}

/** A finite number argument (`fallback` when absent), optionally > 0. */
export function numberArg(
    layer: string, name: string, value: unknown, fallback?: number, positive = false): number {
  const v = value === undefined || value === null ? fallback : value;
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
    fail(layer, `argument '${name}' must be a finite number${positive ? ' > 0' : ''}, got ${
        show(value)}`);
  }
  return v;
}

/**
 * A number-or-tuple argument whose length is not known until the input is (1 to `maxLength`
 * entries): each entry a finite number, > 0 when `positive`, an integer >= 1 when `integer`.
 * Returned as given (a number or a copy of the array).
 */
export function numberOrTuple(
    layer: string, name: string, value: unknown,
    rule: {integer?: boolean, positive?: boolean, maxLength?: number}): number|number[] {
  const maxLength = rule.maxLength ?? 3;
  const ok = (e: unknown) => typeof e === 'number' && Number.isFinite(e) &&
      (!rule.integer || (Number.isInteger(e) && e >= 1)) && (!rule.positive || e > 0);
  const what = rule.integer ? 'an integer >= 1' : rule.positive ? 'a finite number > 0' :
                                                  'a finite number';
  if (typeof value === 'number' && ok(value)) return value;
  if (Array.isArray(value) && value.length >= 1 && value.length <= maxLength && value.every(ok)) {
    return value.slice() as number[];
  }
  fail(layer, `argument '${name}' must be ${what} or an array of 1 to ${maxLength} of them, got ${
      show(value)}`);
}

/** A string argument among `choices` (`fallback` when absent). */
export function oneOf<T extends string>(
    layer: string, name: string, value: unknown, choices: readonly T[], fallback: T): T {
  const v = value === undefined || value === null ? fallback : value;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    fail(layer, `argument '${name}' must be one of ${choices.join(', ')}, got ${show(value)}`);
  }
  return v as T;
}

/** A boolean argument that may also be null (PyTorch's None: the op decides). */
export function boolOrNull(layer: string, name: string, value: unknown): boolean|null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') {
    fail(layer, `argument '${name}' must be a boolean, got ${show(value)}`);
  }
  return value;
}

/**
 * Refuses a weight whose element count is past the size guard (Note [size guard]) before it is
 * created: `layers.convTranspose2d: weight of shape [...] (N elements) is larger than ... (layer
 * 'up1')`. A model.json cannot make the loader allocate gigabytes for a small weights file.
 */
export function checkWeightShape(layer: string, layerName: string, shape: readonly number[]): void {
  checkSize(layer, 'weight', shape, ` (layer '${layerName}')`);
}

/**
 * Refuses an output shape past the size guard (Note [size guard]); an unknown (null) dim counts
 * as 1, so tf.loadLayersModel refuses a model that would make an absurd tensor for one example.
 */
export function checkOutputShape(
    layer: string, layerName: string, shape: ReadonlyArray<number|null>): void {
  checkSize(layer, 'output', shape, ` (layer '${layerName}')`);
}

/** An int-or-tuple layer argument, checked and expanded to one entry per spatial dim. */
export function intTuple(
    layer: string, name: string, value: unknown, n: number, min: number,
    fallback?: number|number[]): number[] {
  const v = expandTuple(layer, name, value as number|number[]|undefined, n, fallback);
  checkInts(layer, name, v, min);
  return v;
}

export function bool(layer: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') fail(layer, `argument '${name}' must be a boolean, got ${show(value)}`);
  return value;
}

/** The tfjs-layers arguments a tfjs-torch layer passes on to tf.layers.Layer. */
export function baseArgs(args: TorchLayerArgs): LayerArgs {
  const {name, trainable, inputShape, batchInputShape, batchSize, dtype} = args;
  const out: Record<string, unknown> = {name, trainable, inputShape, batchInputShape, batchSize, dtype};
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as LayerArgs;
}

/** The one tensor of a single-input layer (tfjs-layers may hand it over wrapped in an array). */
export function single(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

export function singleShape(shape: Shape|Shape[]): Shape {
  return Array.isArray(shape[0]) ? (shape as Shape[])[0] : shape as Shape;
}

/** Checks a layer input's rank (tfjs-layers' InputSpec checks it too, with a generic message). */
export function checkRank(layer: string, shape: Shape, rank: number, what: string): void {
  if (shape.length !== rank) {
    fail(layer, `input must have rank ${rank} (${what}), got shape ${show(shape)}`);
  }
}

// ---- initializers ------------------------------------------------------------------------------
/** An initializer as a layer config accepts it (tfjs's conventions). */
export type InitializerLike = Initializer|string|{className: string, config?: tf.serialization.ConfigDict};

/**
 * An initializer from an instance, a registered class name or identifier ('glorotUniform',
 * 'GlorotUniform', 'glorot_uniform') or a serialized {className, config}: the forms tfjs-layers'
 * own layers accept, so a saved config comes back as it went out.
 */
export function resolveInitializer(layer: string, name: string, value: InitializerLike): Initializer {
  const registry = tf.serialization.SerializationMap.getMap().classNameMap;
  let className: string;
  let config: tf.serialization.ConfigDict = {};
  if (value instanceof tf.serialization.Serializable) return value as Initializer;
  if (typeof value === 'string') {
    const camel = value.replace(/_+(\w)/g, (_, c: string) => c.toUpperCase());
    className = camel.charAt(0).toUpperCase() + camel.slice(1);
  } else if (value != null && typeof value === 'object' && typeof value.className === 'string') {
    className = value.className;
    config = value.config ?? {};
  } else {
    fail(layer, `argument '${name}' must be an initializer, its name or {className, config}, got ${
        show(value)}`);
  }
  const entry = registry[className];
  if (entry == null) {
    fail(layer, `argument '${name}': unknown initializer ${show(value)}`);
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config) as Initializer;
}

export function serializeInitializer(init: Initializer): tf.serialization.ConfigDict {
  // Through JSON so that unset fields (a RandomUniform without seed) are left out rather than
  // kept as undefined, which a saved and reloaded config would turn into null.
  const config = JSON.parse(JSON.stringify(init.getConfig())) as tf.serialization.ConfigDict;
  return {className: init.getClassName(), config};
}

/** Registers layer classes (idempotent: the registry keys by class name). */
export function registerLayerClasses(
    classes: Array<tf.serialization.SerializableConstructor<tf.serialization.Serializable>>): void {
  for (const cls of classes) tf.serialization.registerClass(cls);
}
