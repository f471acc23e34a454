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
//   PReLU                [1] or [C]               -> PReLU alpha         (Note [tfjs PReLU alpha])
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
  /**
   * Whether a state-dict tensor of shape `torch` fits a tfjs weight of shape `tfjs`, where more
   * than torchShape's one shape fits (tfjs's PReLU); `expected` then says which in an error.
   */
  fits?: {test: (torch: number[], tfjs: number[]) => boolean, expected: (tfjs: number[]) => string};
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

// Note [tfjs PReLU alpha]
// tfjs's PReLU keeps one alpha per input element (shape: the input's without the batch dim), or
// 1 along its sharedAxes; PyTorch's PReLU has num_parameters weights: 1, or one per channel on
// the channel axis. A weight of shape [1] fills every alpha. One of shape [C] fills alpha along
// the axis of size C that is alone in not being shared (channelsFirst PReLU with sharedAxes
// [2, 3]: alpha [C, 1, 1]), else along the last axis (channels last, tfjs's default), else the
// first; the other axes repeat it, which is what PyTorch computes.
function preluChannelAxis(a: number[], c: number): number {
  const alone = a.findIndex((s, i) => s === c && a.every((t, j) => j === i || t === 1));
  if (alone >= 0) return alone;
  if (a[a.length - 1] === c) return a.length - 1;
  return a[0] === c ? 0 : -1;
}

const PRELU_ALPHA: ParamRule = {
  tfjs: 'alpha',
  torch: 'weight',
  torchShape: (a) => {
    const big = a.filter((s) => s !== 1);
    return [big.length === 1 ? big[0] : a[a.length - 1]];
  },
  convert: (t, a) => {
    if (t.size === 1) return tf.broadcastTo(tf.reshape(t, a.map(() => 1)), a);
    const axis = preluChannelAxis(a, t.size);
    return tf.broadcastTo(tf.reshape(t, a.map((s, i) => i === axis ? s : 1)), a);
  },
  fits: {
    test: (torch, a) => torch.length === 1 && (torch[0] === 1 || preluChannelAxis(a, torch[0]) >= 0),
    expected: (a) => `[1] or [C] with C an axis of its alpha ${showShape(a)}`,
  },
};

// The statistics and weights of tfjs-torch's norm layers carry PyTorch's names and shapes.
const NORM_RULES = {
  rules: [copied('weight', 'weight'), BIAS, copied('running_mean', 'running_mean'),
          copied('running_var', 'running_var')],
  // A counter PyTorch uses only when momentum is None; tfjs-torch's layers need a momentum.
  ignored: ['num_batches_tracked'],
};

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
  PReLU: {rules: [PRELU_ALPHA]},
  TorchBatchNorm: NORM_RULES,
  TorchInstanceNorm: NORM_RULES,
  TorchGroupNorm: {rules: [copied('weight', 'weight'), BIAS]},
  TorchLayerNorm: {rules: [copied('weight', 'weight'), BIAS]},
  TorchPReLU: {rules: [copied('weight', 'weight')]},
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

function refuseWrongPReLU(layerName: string, weightShape: number[], alphaShape: number[]): void {
  const c = weightShape[0];
  const axis = preluChannelAxis(alphaShape, c);
  // Only an alpha that repeats (1) along some axis after the channel axis is broadcast wrongly.
  if (c === 1 || !alphaShape.slice(axis + 1).some((s) => s === 1)) return;
  if (preluRightHere()) return;
  fail(`layer '${layerName}' is a tfjs PReLU whose alpha ${showShape(alphaShape)} varies along ${
      ''}a non-last axis (channelsFirst), which tfjs computes wrongly on the '${tf.getBackend()}' ${
      ''}backend (it broadcasts alpha along the last axis): use pt.layers.prelu({numParameters: ${
      c}, dataFormat: 'channelsFirst'}) instead, which takes the same state-dict key`);
}

function refuseWrongBatchNorm(layer: Layer, layerName: string): void {
  const spec = (layer as unknown as {inputSpec?: Array<{ndim?: number, axes?: Record<string, number>}>})
                   .inputSpec?.[0];
  const ndim = spec?.ndim;
  const axes = Object.keys(spec?.axes ?? {}).map(Number);
  if (ndim == null || ndim < 3 || axes.length === 0 || axes.every((a) => a === ndim - 1)) return;
  if (batchNormRightHere()) return;
  fail(`layer '${layerName}' is a tfjs BatchNormalization normalising axis ${axes.join(', ')} of a ${
      ndim}-D input (channelsFirst), which tfjs computes wrongly on the '${tf.getBackend()}' ${
      ''}backend (it broadcasts the statistics along the last axis, tfjs issue #1106): use ${
      ''}pt.layers.batchNorm({numFeatures, dataFormat: 'channelsFirst'}) instead, which takes the ${
      ''}same state-dict keys`);
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
    const tfjsShape = variable.shape as number[];
    const fits = rule.fits == null ? tf.util.arraysEqual(entry.shape, rule.torchShape(tfjsShape)) :
                                     rule.fits.test(entry.shape, tfjsShape);
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
