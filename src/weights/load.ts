// loadTorchWeights: fills a tf.LayersModel from a PyTorch state_dict saved as safetensors.
//
// Note [state dict naming]
// PyTorch names a parameter `<module path>.<param>` (`decoder.up1.weight`, `features.0.bias`);
// tfjs names a layer once, without dots by convention. The default rule maps the module path to
// the layer named with its dots turned into underscores (`decoder.up1` -> `decoder_up1`), so a
// model ported with `name: 'decoder_up1'` on each layer loads with no further configuration;
// options.map overrides it per module path.
//
// Note [weight layouts]
// PyTorch and tfjs store the same kernels in different axis orders. Every conversion is one
// transpose (plus, for depthwise kernels, a reshape), written once in LAYER_RULES below:
//   Conv{1,2,3}d         [out, in, ...k]          -> Conv{1,2,3}D        [...k, in, out]
//   ConvTranspose{2,3}d  [in, out, ...k]          -> Conv{2,3}DTranspose [...k, out, in]
//   Conv2d, groups = in  [in * mult, 1, kh, kw]   -> DepthwiseConv2D     [kh, kw, in, mult]
//   Linear               [out, in]                -> Dense               [in, out]
// tfjs-torch's own convTranspose layers keep PyTorch's layout, so their weights are copied.
// Misshapen tensors are reported in PyTorch's layout (the shape the state dict should have had),
// which is the one the user can compare with their PyTorch module.
import * as tf from '@tensorflow/tfjs-core';
import type {Layer} from '@tensorflow/tfjs-layers/dist/engine/topology';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';
import {readSafetensors, type SafetensorsEntry} from './safetensors.js';

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

/** The default of LoadTorchWeightsOptions.timeoutMs. */
const DEFAULT_TIMEOUT_MS = 60000;

export interface LoadTorchWeightsResult {
  /** State-dict keys that filled a weight. */
  loadedKeys: string[];
  /** Keys that filled nothing (only when strict is false; strict mode throws instead). */
  unusedKeys: string[];
  /** Layer weights (`<layer>/<weight>`) that no key filled (only when strict is false). */
  missingWeights: string[];
}

/** What a safetensors source may be: the bytes, or where to read them from. */
export type TorchWeightsSource = ArrayBuffer|Uint8Array|string|URL;

interface ParamRule {
  /** The tfjs weight name (the part of LayerVariable.originalName after the layer name). */
  tfjs: string;
  /** PyTorch's parameter name. */
  torch: string;
  /** PyTorch shape the tfjs weight of this shape corresponds to (Note [weight layouts]). */
  torchShape: (tfjsShape: number[]) => number[];
  /** PyTorch layout -> tfjs layout. */
  convert: (t: tf.Tensor, tfjsShape: number[]) => tf.Tensor;
}

/** The inverse of a permutation. */
function inverse(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => inv[p] = i);
  return inv;
}

function copied(tfjs: string, torch: string): ParamRule {
  return {tfjs, torch, torchShape: (s) => s.slice(), convert: (t) => t.clone()};
}

/** tfjs = transpose(torch, perm). */
function transposed(tfjs: string, torch: string, perm: number[]): ParamRule {
  const inv = inverse(perm);
  return {
    tfjs,
    torch,
    torchShape: (s) => inv.map((a) => s[a]),
    convert: (t) => tf.transpose(t, perm),
  };
}

const BIAS = copied('bias', 'bias');

/** For tfjs-layers class name or tfjs-torch layer class name: how its weights are filled. */
const LAYER_RULES: Record<string, {rules: ParamRule[], ignored?: string[]}> = {
  Conv1D: {rules: [transposed('kernel', 'weight', [2, 1, 0]), BIAS]},
  Conv2D: {rules: [transposed('kernel', 'weight', [2, 3, 1, 0]), BIAS]},
  Conv3D: {rules: [transposed('kernel', 'weight', [2, 3, 4, 1, 0]), BIAS]},
  Conv2DTranspose: {rules: [transposed('kernel', 'weight', [2, 3, 1, 0]), BIAS]},
  Conv3DTranspose: {rules: [transposed('kernel', 'weight', [2, 3, 4, 1, 0]), BIAS]},
  DepthwiseConv2D: {
    rules: [
      {
        tfjs: 'depthwise_kernel',
        torch: 'weight',
        torchShape: ([kh, kw, cin, mult]) => [cin * mult, 1, kh, kw],
        // Output channel i * mult + m of PyTorch's grouped conv is tfjs's [.., .., i, m].
        convert: (t, [kh, kw, cin, mult]) =>
            tf.transpose(tf.reshape(t, [cin, mult, kh, kw]), [2, 3, 0, 1]),
      },
      BIAS,
    ],
  },
  Dense: {rules: [transposed('kernel', 'weight', [1, 0]), BIAS]},
  BatchNormalization: {
    rules: [
      copied('gamma', 'weight'), copied('beta', 'bias'), copied('moving_mean', 'running_mean'),
      copied('moving_variance', 'running_var'),
    ],
    // A counter PyTorch uses only when momentum is None; tfjs has no equivalent.
    ignored: ['num_batches_tracked'],
  },
  LayerNormalization: {rules: [copied('gamma', 'weight'), copied('beta', 'bias')]},
  Embedding: {rules: [copied('embeddings', 'weight')]},
  TorchConvTranspose1d: {rules: [copied('weight', 'weight'), BIAS]},
  TorchConvTranspose2d: {rules: [copied('weight', 'weight'), BIAS]},
  TorchConvTranspose3d: {rules: [copied('weight', 'weight'), BIAS]},
};

function fail(message: string): never {
  throw new Error(`loadTorchWeights: ${message}`);
}

function showShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function isNode(): boolean {
  const p = (globalThis as {process?: {versions?: {node?: string}}}).process;
  return p?.versions?.node != null;
}

interface NodeFileHandle {
  stat(): Promise<{isFile(): boolean, size: number}>;
  read(buffer: Uint8Array, offset: number, length: number, position: number):
      Promise<{bytesRead: number}>;
  close(): Promise<void>;
}

interface NodeFs {
  promises: {open(path: string|URL, flags: string): Promise<NodeFileHandle>};
}

/**
 * The largest file the reader takes: what one Uint8Array can hold (a safetensors file is read
 * whole; tfjs keeps every weight in memory anyway).
 */
const MAX_FILE_BYTES = 2 ** 32 - 1;

/** What an error from fs or fetch says, with its cause (fetch's "fetch failed" hides it there). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as {cause?: unknown}).cause;
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return `${e.message}${why}`;
}

/**
 * A file's bytes, the path checked first: a regular file (not /dev/zero, a FIFO or a directory,
 * which have no size or an endless one) no larger than MAX_FILE_BYTES, read in full into a buffer
 * of the size stat gave.
 */
async function readFileChecked(fs: NodeFs, where: string): Promise<Uint8Array> {
  const file = where.startsWith('file:') ? new URL(where) : where;
  let handle: NodeFileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (e) {
    fail(`cannot read '${where}': ${describe(e)}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      fail(`cannot read '${where}': not a regular file (a safetensors source must be a file, ${
          ''}not a directory or a device)`);
    }
    if (info.size > MAX_FILE_BYTES) {
      fail(`cannot read '${where}': ${info.size} bytes, more than the ${MAX_FILE_BYTES} one ${
          ''}buffer holds`);
    }
    const out = new Uint8Array(info.size);
    let at = 0;
    while (at < out.length) {
      const {bytesRead} = await handle.read(out, at, out.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    if (at !== out.length) {
      fail(`cannot read '${where}': the file shrank while it was read (${at} of ${
          out.length} bytes)`);
    }
    return out;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('loadTorchWeights:')) throw e;
    return fail(`cannot read '${where}': ${describe(e)}`);
  } finally {
    await handle.close();
  }
}

/**
 * A URL's bytes by fetch, under a timeout and the caller's AbortSignal (both cover the body
 * too); every failure names the URL, with HTTP's status or the network error's cause.
 */
async function fetchChecked(
    where: string, signal: AbortSignal|undefined, timeoutMs: number): Promise<Uint8Array> {
  if (typeof fetch !== 'function') fail(`cannot fetch '${where}': no fetch in this environment`);
  if (signal?.aborted) fail(`fetching '${where}' was aborted before it started`);
  const controller = new AbortController();
  let timedOut = false;
  const timer = timeoutMs > 0 && Number.isFinite(timeoutMs) ? setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs) : null;
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort);
  try {
    const response = await fetch(where, {signal: controller.signal});
    if (!response.ok) {
      fail(`fetching '${where}' failed: HTTP ${response.status} ${response.statusText}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('loadTorchWeights:')) throw e;
    if (timedOut) fail(`fetching '${where}' timed out after ${timeoutMs} ms (options.timeoutMs)`);
    if (signal?.aborted) fail(`fetching '${where}' was aborted (options.signal)`);
    return fail(`fetching '${where}' failed: ${describe(e)}`);
  } finally {
    if (timer != null) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Node's fs, without a static import: the package must load in browsers, and its types must not
 * need Node's. process.getBuiltinModule (Node >= 20.16) avoids even a dynamic import; older Node
 * imports a specifier held in a variable, which bundlers for the browser leave alone.
 */
async function nodeFs(): Promise<NodeFs> {
  const proc = (globalThis as {process?: {getBuiltinModule?: (id: string) => unknown}}).process;
  const builtin = proc?.getBuiltinModule?.('fs');
  if (builtin != null) return builtin as NodeFs;
  const id = 'fs';
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ id)) as NodeFs;
}

/** The bytes of a source: as given, from the file system (Node) or by fetch. */
export async function readTorchWeightsSource(
    source: TorchWeightsSource,
    options: Pick<LoadTorchWeightsOptions, 'signal'|'timeoutMs'> = {}): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const where = source instanceof URL ? source.href : source;
  if (typeof where !== 'string') {
    fail(`source must be an ArrayBuffer, a Uint8Array, a path or a URL, got ${
        Object.prototype.toString.call(source)}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
    fail(`options.timeoutMs must be a number of milliseconds >= 0, got ${String(timeoutMs)}`);
  }
  const isHttp = /^(https?|blob|data):/i.test(where);
  if (isNode() && !isHttp) return readFileChecked(await nodeFs(), where);
  return fetchChecked(where, options.signal, timeoutMs);
}

/** Every layer of the model, nested models (a model used as a layer) included. */
function allLayers(model: {layers: Layer[]}): Layer[] {
  const out: Layer[] = [];
  const visit = (layers: Layer[]) => {
    for (const layer of layers) {
      out.push(layer);
      const nested = (layer as unknown as {layers?: Layer[]}).layers;
      if (Array.isArray(nested)) visit(nested);
    }
  };
  visit(model.layers);
  return out;
}

/** The weight's own name: LayerVariable.originalName without its layer (name scope) prefix. */
function weightName(v: LayerVariable): string {
  const parts = v.originalName.split('/');
  return parts[parts.length - 1];
}

function splitKey(key: string): {modulePath: string, param: string} {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? {modulePath: '', param: key} :
                   {modulePath: key.slice(0, dot), param: key.slice(dot + 1)};
}

function layerNameFor(
    modulePath: string, map: LoadTorchWeightsOptions['map']): string|null {
  if (typeof map === 'function') {
    const named = map(modulePath);
    if (named !== undefined) return named;
  } else if (map != null && Object.prototype.hasOwnProperty.call(map, modulePath)) {
    return map[modulePath];
  }
  return modulePath.replace(/\./g, '_');
}

/**
 * Loads a PyTorch state_dict saved as safetensors into `model`'s layers (Note [state dict
 * naming], Note [weight layouts]). Everything is checked before any weight is written, so a
 * failed load leaves the model as it was.
 */
export async function loadTorchWeights(
    model: {layers: Layer[]}, source: TorchWeightsSource,
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
  const file = readSafetensors(await readTorchWeightsSource(source, options));

  const layers = allLayers(model);
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
    const rule = spec.rules.find((r) => r.torch === param);
    const variable = rule == null ? undefined : layer.weights.find((w) => weightName(w) === rule.tfjs);
    if (rule == null || variable == null) {
      const accepted = spec.rules.filter((r) => layer.weights.some((w) => weightName(w) === r.tfjs))
                           .map((r) => r.torch);
      unused.push(key);
      unusedWhy.push(`'${key}' (layer '${layerName}' (${className}) takes ${
          accepted.length > 0 ? accepted.map((a) => `'${a}'`).join(', ') : 'no weights'}${
          layer.built ? '' : ': it is not built yet'})`);
      continue;
    }
    const expected = rule.torchShape(variable.shape as number[]);
    if (!tf.util.arraysEqual(entry.shape, expected)) {
      fail(`key '${key}' has shape ${showShape(entry.shape)}, but layer '${layerName}' (${
          className}) needs ${showShape(expected)} in PyTorch's layout for its weight '${
          rule.tfjs}' of shape ${showShape(variable.shape as number[])}`);
    }
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
