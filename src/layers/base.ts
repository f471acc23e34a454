// The one place tfjs-torch's layers meet tfjs-layers at run time.
//
// Note [layers without a static tfjs-layers import]
// `import 'tfjs-torch'` must work with @tensorflow/tfjs-core alone (tfjs-layers is an optional
// peer), yet `pt.layers.*` must be ordinary tfjs-layers layers when tfjs-layers is there, in
// CommonJS and in ES modules, without top-level await (which browser bundlers' default targets
// reject). So no module of src/ imports tfjs-layers' values, only its types, and every layer
// class extends TorchLayer, whose parent is tfjs-layers' `Layer` class found at the first
// construction of any tfjs-torch layer:
//   1. the class handed to useTfjsLayers (the 'tfjs-torch/layers' entry point does that with
//      its static import of @tensorflow/tfjs-layers), else
//   2. the class tfjs-layers' own layers extend, read from tfjs-core's serialization registry,
//      where tfjs-layers registers them when it loads ('Dense' and its parents).
// TorchLayer's parent is then set to that class (prototype and constructor), before `super`
// runs, so every tfjs-torch layer is a real tfjs-layers Layer (instanceof, methods, statics).
// ES classes look their parent up when `super` runs, not when the class is defined, which is
// what makes the late parent work. Before that the classes only need their static className and
// fromConfig, which is all tfjs-core's serialization registry asks of them, so they are
// registered at import and tf.loadLayersModel can rebuild them.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology';

type LayerClass = typeof tfl.layers.Layer;

let layerClass: LayerClass|null = null;

function isLayerClass(c: unknown): c is LayerClass {
  const proto = (c as {prototype?: Record<string, unknown>}|null)?.prototype;
  return typeof c === 'function' && proto != null && typeof proto.addWeight === 'function' &&
      typeof proto.apply === 'function' && typeof proto.computeOutputShape === 'function';
}

/**
 * Uses this tfjs-layers `Layer` class as the parent of tfjs-torch's layers (Note [layers without
 * a static tfjs-layers import]). The 'tfjs-torch/layers' entry point calls it; call it yourself
 * only when tfjs-layers is loaded in a way the serialization registry does not see.
 */
export function useTfjsLayers(layer: LayerClass): void {
  if (!isLayerClass(layer)) {
    throw new Error('tfjs-torch: useTfjsLayers needs tfjs-layers\' Layer class (tf.layers.Layer)');
  }
  if (layerClass != null && layerClass !== layer) {
    throw new Error('tfjs-torch: two different copies of @tensorflow/tfjs-layers are loaded; ' +
                    'tfjs-torch\'s layers can extend only one');
  }
  layerClass = layer;
}

/** tfjs-layers' Layer as its registered layers show it, or null when tfjs-layers is not loaded. */
function registeredLayerClass(): LayerClass|null {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['Dense'];
  let cls: unknown = entry?.[0];
  if (!isLayerClass(cls)) return null;
  // Dense's ancestors up to the topmost one that is still a layer: tfjs-layers' Layer.
  for (let parent = Object.getPrototypeOf(cls); isLayerClass(parent);
       parent = Object.getPrototypeOf(parent)) {
    cls = parent;
  }
  return cls as LayerClass;
}

/** tfjs-layers' Layer class; throws a clear error when tfjs-layers is not loaded. */
export function tfjsLayerClass(): LayerClass {
  if (layerClass == null) layerClass = registeredLayerClass();
  if (layerClass == null) {
    throw new Error(
        'tfjs-torch: pt.layers need @tensorflow/tfjs-layers: install it (npm install ' +
        '@tensorflow/tfjs-layers) and import it, or import \'tfjs-torch/layers\', before ' +
        'building a layer. The ops and the kernels need only @tensorflow/tfjs-core.');
  }
  return layerClass;
}

/** The placeholder parent until tfjs-layers is found: what the registry needs, nothing else. */
class Unattached {
  static fromConfig(cls: new (config: object) => unknown, config: object): unknown {
    return new cls(config);
  }
}

function attach(): void {
  const Layer = tfjsLayerClass();
  if (Object.getPrototypeOf(TorchLayer) === Layer) return;
  Object.setPrototypeOf(TorchLayer, Layer);
  Object.setPrototypeOf(TorchLayer.prototype, Layer.prototype);
}

const LayerBase = Unattached as unknown as LayerClass;

/** The parent of every tfjs-torch layer: tfjs-layers' Layer, attached on first use. */
export abstract class TorchLayer extends LayerBase {
  constructor(args: LayerArgs) {
    attach();
    super(args);
  }
}

/** tfjs-layers' InputSpec, as a plain object (the class is not imported; see the note). */
export function inputSpec(args: {ndim?: number, minNDim?: number, axes?: {[axis: number]: number}}):
    tfl.InputSpec {
  return {
    dtype: undefined, shape: undefined, ndim: args.ndim, maxNDim: undefined,
    minNDim: args.minNDim, axes: args.axes ?? {},
  } as unknown as tfl.InputSpec;
}

/** Whether x is a tfjs-layers SymbolicTensor (a layer's output while a model is being built). */
export function isSymbolicTensor(x: unknown): x is tfl.SymbolicTensor {
  return x != null && typeof x === 'object' && !(x instanceof tf.Tensor) && 'sourceLayer' in x &&
      'shape' in x;
}
