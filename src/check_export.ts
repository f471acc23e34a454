// pt.checkExport: runs a model exported by the Python exporter (python/tfjs_torch) on the inputs
// stored in its check.safetensors and compares every output (and, when the export recorded
// them, every layer's output) with PyTorch's.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {transposeExact} from './util/layout.js';
import {fail as failAs} from './weights/errors.js';
import {readSafetensorsAs, type SafetensorsEntry} from './weights/safetensors.js';
import {readSource, type TorchWeightsSource} from './weights/sources.js';

/**
 * The model checkExport takes: a tf.LayersModel (from tf.loadLayersModel), typed without
 * tfjs-layers so that the main entry's types compile with tfjs-core alone.
 */
export interface CheckExportModel {
  readonly inputs: readonly unknown[];
  readonly outputs: readonly unknown[];
  predict(...args: never[]): unknown;
  getLayer(...args: never[]): unknown;
}

export interface CheckExportOptions {
  /** Absolute tolerance (default 1e-4): an element matches when |ours - torch| <= atol + rtol * |torch|. */
  atol?: number;
  /** Relative tolerance (default 1e-4). Integer tensors (max pooling's indices) must match exactly. */
  rtol?: number;
}

export interface CheckExportOutput {
  /** The output's name in PyTorch's return value (dict key, or output_<i>). */
  name: string;
  shape: number[];
  /** The largest |ours - PyTorch's| (Infinity where one is NaN and the other not). */
  maxAbsDiff: number;
  ok: boolean;
}

export interface CheckExportLayer {
  layer: string;
  nodeIndex: number;
  tensorIndex: number;
  shape: number[];
  maxAbsDiff: number;
  ok: boolean;
}

export interface CheckExportResult {
  outputs: CheckExportOutput[];
  /** Every output (and every recorded layer output) within tolerance. */
  ok: boolean;
  /** Each recorded layer output in model order; only when the export had intermediates=True. */
  layers?: CheckExportLayer[];
  /** The first recorded layer output out of tolerance, or null; only with intermediates. */
  firstDeparting?: CheckExportLayer|null;
}

function fail(message: string): never {
  failAs('checkExport', message);
}

/** One output against PyTorch's (exported for its tests). */
export function compare(ours: tf.TypedArray, torch: Float32Array|Int32Array, integer: boolean,
                 atol: number, rtol: number): {maxAbsDiff: number, ok: boolean} {
  let maxAbsDiff = 0;
  let ok = true;
  for (let i = 0; i < torch.length; i++) {
    const a = ours[i];
    const b = torch[i];
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) {
        maxAbsDiff = Infinity;
        ok = false;
      }
      continue;
    }
    if (a === b) continue;  // equal infinities included
    const d = Math.abs(a - b);
    if (!(d <= maxAbsDiff)) maxAbsDiff = d;
    // b is infinite and a is not the same infinity: d is Infinity (or NaN), never within a tolerance.
    if (integer ? d !== 0 : !Number.isFinite(b) || !(d <= atol + rtol * Math.abs(b))) ok = false;
  }
  return {maxAbsDiff, ok};
}

/**
 * tf.model(args) without a static import of tfjs-layers (Note [layers without a static
 * tfjs-layers import] in src/layers/base.ts): its LayersModel class is registered as 'Model'.
 */
function functionalModel(args: {inputs: tfl.SymbolicTensor[], outputs: tfl.SymbolicTensor[]}):
    tfl.LayersModel {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['Model'];
  if (entry == null) fail('@tensorflow/tfjs-layers is not loaded');
  const LayersModel = entry[0] as unknown as new (a: typeof args) => tfl.LayersModel;
  return new LayersModel(args);
}

function listOf<T>(metadata: Record<string, string>, key: string): T[] {
  try {
    const v = JSON.parse(metadata[key] ?? '[]');
    if (Array.isArray(v)) return v as T[];
  } catch {
    // reported below
  }
  fail(`the check file's metadata '${key}' is not a JSON list`);
}

/**
 * Runs `model` (from tf.loadLayersModel on an export of tfjs_torch.export) on the example inputs
 * stored in `source` (check.safetensors: bytes, a path in Node, or a URL) and compares its outputs
 * with PyTorch's, in the model's own layout. Resolves to {outputs: [{name, shape, maxAbsDiff,
 * ok}], ok}, plus, when the export recorded intermediates, every layer's comparison and the first
 * layer whose output departs from PyTorch's.
 */
export async function checkExport(
    modelLike: CheckExportModel, source: TorchWeightsSource,
    options: CheckExportOptions = {}): Promise<CheckExportResult> {
  const model = modelLike as unknown as tfl.LayersModel;
  const atol = options.atol ?? 1e-4;
  const rtol = options.rtol ?? 1e-4;
  const m = modelLike as unknown as Record<string, unknown>|null;
  if (m == null || typeof m['predict'] !== 'function' || !Array.isArray(m['inputs']) ||
      !Array.isArray(m['outputs']) || typeof m['getLayer'] !== 'function') {
    fail(`model must be a tf.LayersModel (from tf.loadLayersModel), got ${
        Object.prototype.toString.call(model)}`);
  }
  const {tensors, metadata} = readSafetensorsAs('checkExport', await readSource('checkExport', source));
  if (metadata['format'] !== 'tfjs-torch-check') {
    fail(`not a check file written by tfjs_torch.export (its metadata 'format' is ${
        JSON.stringify(metadata['format'])}, not "tfjs-torch-check")`);
  }
  const get = (key: string): SafetensorsEntry => {
    const e = tensors.get(key);
    if (e == null) fail(`the check file has no tensor '${key}'`);
    return e;
  };
  const inputNames = listOf<string>(metadata, 'inputs');
  const outputNames = listOf<string>(metadata, 'outputs');
  const layerKeys = listOf<[string, number, number, number[]?]>(metadata, 'layers');
  // Note [check file layout]: a check file of exporter v2 ('layout': 'torch') holds PyTorch's
  // tensors in PyTorch's layout and, per tensor, the permutation into the model's layout (model
  // dim i is PyTorch dim perm[i]). The comparison applies it, so a model whose output has another
  // layout than the one the exporter meant (a depth map [N, H, W] come back [N, W, H]) fails by
  // shape or by value instead of agreeing with a check file that made the same mistake. An older
  // file holds the tensors in the model's layout (no permutations).
  const torchLayout = metadata['layout'] === 'torch';
  const inputPerms = torchLayout ? listOf<number[]>(metadata, 'input_perms') : [];
  const outputPerms = torchLayout ? listOf<number[]>(metadata, 'output_perms') : [];
  if (torchLayout && (inputPerms.length !== inputNames.length ||
                      outputPerms.length !== outputNames.length)) {
    fail(`the check file's permutations do not match its inputs and outputs`);
  }
  const checkPerm = (perm: unknown, rank: number, what: string): number[]|null => {
    if (perm == null) return null;
    if (!Array.isArray(perm) || perm.length !== rank ||
        [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      fail(`the check file's permutation for ${what} (${JSON.stringify(perm)}) is not a ${
          ''}permutation of ${rank} dims`);
    }
    return perm as number[];
  };
  if (inputNames.length !== model.inputs.length) {
    fail(`the check file has ${inputNames.length} input(s), the model ${model.inputs.length}`);
  }
  if (outputNames.length !== model.outputs.length) {
    fail(`the check file has ${outputNames.length} output(s), the model ${model.outputs.length}`);
  }
  const expected = [
    ...outputNames.map((_, i) => get(`output_${i}`)),
    ...layerKeys.map(([l, n, t]) => get(`layer:${l}:${n}:${t}`)),
  ];
  const perms = [
    ...outputNames.map((_, i) => torchLayout ?
                           checkPerm(outputPerms[i], expected[i].shape.length, `output_${i}`) : null),
    ...layerKeys.map((k, i) => torchLayout ?
                         checkPerm(k[3], expected[outputNames.length + i].shape.length, `layer ${k[0]}`) :
                         null),
  ];
  // Every tensor to fetch once (a recorded layer output may be a model output too).
  const fetched: tfl.SymbolicTensor[] = [...model.outputs];
  const slot = (t: tfl.SymbolicTensor): number => {
    const i = fetched.indexOf(t);
    if (i >= 0) return i;
    fetched.push(t);
    return fetched.length - 1;
  };
  const slots = [
    ...model.outputs.map((_, i) => i),
    ...layerKeys.map(([name, nodeIndex, tensorIndex]) => {
      let layer;
      try {
        layer = model.getLayer(name);
      } catch {
        fail(`the check file records layer '${name}', which the model does not have`);
      }
      const out = layer.getOutputAt(nodeIndex);
      return slot(Array.isArray(out) ? out[tensorIndex] : out);
    }),
  ];
  const runner = fetched.length === model.outputs.length ?
      model :
      functionalModel({inputs: model.inputs, outputs: fetched});
  const inputs = inputNames.map((_, i) => {
    const e = get(`input_${i}`);
    const perm = torchLayout ? checkPerm(inputPerms[i], e.shape.length, `input_${i}`) : null;
    return tf.tidy(() => {
      const t = tf.tensor(e.values, e.shape, e.dtype);
      return perm == null ? t : transposeExact(t, perm);
    });
  });
  let results: tf.Tensor[];
  try {
    // Note [inputs shared across the batch]: tf.LayersModel.predict slices every input to the
    // first input's batch, so a model whose inputs have different batches (SAM's decoder: image
    // embedding batch 1, N prompts) runs whole through apply (tfjs-layers' execute), as its users
    // must call it.
    const batches = new Set(inputs.map((t) => t.shape[0]));
    const r = batches.size > 1 ? tf.tidy(() => runner.apply(inputs, {training: false}) as tf.Tensor|tf.Tensor[]) :
                                 runner.predict(inputs.length === 1 ? inputs[0] : inputs);
    const all = Array.isArray(r) ? r : [r];
    results = slots.map((i) => all[i]);
  } finally {
    tf.dispose(inputs);
  }
  try {
    const compared = await Promise.all(results.map(async (t, i) => {
      const e = expected[i];
      const perm = perms[i];
      const what = i < outputNames.length ? `output '${outputNames[i]}'` :
                                            `layer '${layerKeys[i - outputNames.length][0]}'`;
      // PyTorch's tensor in the model's layout (Note [check file layout]).
      const shape = perm == null ? e.shape : perm.map((p) => e.shape[p]);
      if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
        fail(`${what} has shape [${t.shape}], PyTorch's [${e.shape}]${
            perm == null ? '' : ` in the model's layout [${shape}] (permutation [${perm}])`}`);
      }
      let values = e.values;
      if (perm != null && perm.some((p, k) => p !== k)) {
        const moved = tf.tidy(() => transposeExact(tf.tensor(e.values, e.shape, e.dtype), perm));
        values = await moved.data() as Float32Array|Int32Array;
        moved.dispose();
      }
      return {shape, ...compare(await t.data(), values, e.dtype === 'int32', atol, rtol)};
    }));
    const outputs = outputNames.map((name, i) => ({name, ...compared[i]}));
    const result: CheckExportResult = {outputs, ok: outputs.every((o) => o.ok)};
    if (layerKeys.length > 0) {
      const layers = layerKeys.map(([layer, nodeIndex, tensorIndex], i) => ({
        layer, nodeIndex, tensorIndex, ...compared[outputNames.length + i],
      }));
      result.layers = layers;
      result.firstDeparting = layers.find((l) => !l.ok) ?? null;
      result.ok = result.ok && result.firstDeparting == null;
    }
    return result;
  } finally {
    tf.dispose([...new Set(results)]);
  }
}
