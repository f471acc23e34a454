// What every tfjs-torch layer shares: dataFormat, config checks with messages that name the layer
// and the argument, initializer (de)serialization, and registration with tfjs's serialization
// registry so tf.loadLayersModel can rebuild a saved model.
import * as tf from '@tensorflow/tfjs-core';
import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {DataFormat} from '../kernel_names.js';
import {checkInts, expandTuple, fail, show} from '../util/args.js';

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

/** The spatial dims of a full shape, outermost first. */
export function spatialOf(shape: Shape, dataFormat: DataFormat): Shape {
  return dataFormat === 'channelsLast' ? shape.slice(1, -1) : shape.slice(2);
}

export function channelsOf(shape: Shape, dataFormat: DataFormat): number|null {
  return dataFormat === 'channelsLast' ? shape[shape.length - 1] : shape[1];
}

/** A full shape from batch, channels and spatial sizes. */
export function withSpatial(
    shape: Shape, channels: number|null, spatial: Shape, dataFormat: DataFormat): Shape {
  return dataFormat === 'channelsLast' ? [shape[0], ...spatial, channels] :
                                         [shape[0], channels, ...spatial];
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
