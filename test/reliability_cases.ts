// The hostile inputs of issue 14, as data: sizes that are legal numbers but absurd, configs and
// files made to break a loader, options with PyTorch's spelling, and the valid calls whose cost
// must stay in proportion to their output. Each case says what must happen (an error matching
// `error`, or `check` passing on the result); test/reliability.test.ts runs them on every backend
// and scripts/reliability_tally.ts counts the outcomes (before/after a change).
//
// A case marked `heavy` may take the whole process down (V8 out of memory, a native crash, a hang)
// if the guard that stops it regresses: in Node those run only in a child process under a memory
// and time limit (test/reliability_runner.ts).
import * as tf from '@tensorflow/tfjs-core';

// Loaded lazily so this file can be imported by the runner before the backends are set up.
type Pt = typeof import('../src/index.js');
type Tfl = typeof import('@tensorflow/tfjs-layers');

export interface CaseEnv {
  pt: Pt;
  tfl: Tfl;
  backend: string;
}

export interface HostileCase {
  id: string;
  /** What the error message must match; absent for a valid call (then `check` runs). */
  error?: RegExp;
  /** The call. May return tensors (disposed by the runner) or a promise. */
  run: (env: CaseEnv) => unknown;
  /** For a valid call: throws if the result is not PyTorch's. Gets what `run` returned. */
  check?: (result: unknown, env: CaseEnv) => void | Promise<void>;
  /** May kill or hang the process on a regression: in Node only in a child process. */
  heavy?: boolean;
  /** Only on these backends (default: all). */
  backends?: string[];
  /** Only in Node (the file system, a local HTTP server). */
  nodeOnly?: boolean;
  /** The case makes tensors on purpose that outlive it (none do so far). */
  noLeakCheck?: boolean;
  /**
   * The outcome is decided outside tfjs-torch (named here): `error` then records what that code
   * does today, so a change there shows up.
   */
  outside?: string;
}

/** Tensors the cases make as inputs; the runner disposes them after each case. */
const made: tf.Tensor[] = [];

function track<T extends tf.Tensor>(t: T): T {
  made.push(t);
  return t;
}

/** Disposes the inputs the last case made. */
export function disposeMade(): void {
  for (const t of made.splice(0)) t.dispose();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ones = (shape: number[]): any => track(tf.ones(shape));

/** `<op>: output of shape [...] (N elements) is larger than ...` (src/index_math/size.ts). */
function tooLarge(op: string, what = 'output'): RegExp {
  return new RegExp(`^${op.replace(/\./g, '\\.')}: ${what} of shape \\[[^\\]]*\\] \\((?:[0-9.e]+|Infinity) elements\\) is larger than`);
}

/** A Sequential model.json with one layer of ours, loaded by tf.loadLayersModel from memory. */
async function loadOneLayer(
    env: CaseEnv, className: string, config: Record<string, unknown>,
    weights?: {specs: Array<{name: string, shape: number[], dtype: 'float32'}>, data: Float32Array}) {
  const topology = {
    class_name: 'Sequential',
    config: {name: 'm', layers: [{class_name: className, config: {name: 'l0', ...config}}]},
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  const specs = weights?.specs ?? [];
  const data = weights?.data ?? new Float32Array(0);
  const model = await env.tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
  }));
  model.dispose();
}

function convTransposeWeights(): {specs: Array<{name: string, shape: number[], dtype: 'float32'}>, data: Float32Array} {
  return {
    specs: [
      {name: 'l0/weight', shape: [4, 8, 3, 3], dtype: 'float32'},
      {name: 'l0/bias', shape: [8], dtype: 'float32'},
    ],
    data: new Float32Array(4 * 8 * 3 * 3 + 8),
  };
}

/** `value` inside `depth` nested arrays. */
function nested(depth: number, value: unknown): unknown {
  let v = value;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** A minimal safetensors file from a header object (or text) and data bytes. */
/** A state dict of float32 tensors (key -> shape and values; undefined entries left out) as safetensors bytes. */
export function stateDictBytes(
    entries: Array<[string, {shape: number[], values: Float32Array}|undefined]>): Uint8Array {
  const header: Record<string, unknown> = {};
  const data = new Uint8Array(entries.reduce((n, [, t]) => n + (t == null ? 0 : t.values.byteLength), 0));
  let offset = 0;
  for (const [key, t] of entries) {
    if (t == null) continue;
    header[key] = {dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.values.byteLength]};
    data.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), offset);
    offset += t.values.byteLength;
  }
  return safetensorsBytes(header, data);
}

export function safetensorsBytes(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

async function loadWeightsInto(env: CaseEnv, source: unknown, options?: unknown) {
  const model = env.tfl.sequential({layers: [env.tfl.layers.dense({units: 2, inputShape: [2], name: 'fc'})]});
  try {
    await env.pt.loadTorchWeights(model, source as Uint8Array, options as undefined);
  } finally {
    model.dispose();
  }
}

const F32x2x2 = () => new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
const F32x2 = () => new Uint8Array(new Float32Array([5, 6]).buffer);

function expectValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const same = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e :
        Math.abs(a - e) <= 1e-4 + 1e-4 * Math.abs(e);
    if (!same) throw new Error(`${what}: value ${i} is ${a}, expected ${e}`);
  }
}

export const CASES: HostileCase[] = [
  // ---- interpolate: absurd sizes ----------------------------------------------------------------
  {id: 'interpolate size 1e9 (1-D)', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 1]), {size: 1e9})},
  {id: 'interpolate size [1, 2**31]', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]), {size: [1, 2 ** 31]})},
  {id: 'interpolate size [1, 3e8]', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]), {size: [1, 3e8]})},
  {id: 'interpolate size 2**53', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 1]), {size: 2 ** 53})},
  {id: 'interpolate size 1e300', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 1]), {size: 1e300})},
  {id: 'interpolate scaleFactor 1e300', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]), {scaleFactor: 1e300})},
  {id: 'interpolate scaleFactor 1e8 linear', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 1]), {scaleFactor: 1e8, mode: 'linear'})},
  {id: 'interpolate size [1e9, 1e9]', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]), {size: [1e9, 1e9]})},
  {id: 'interpolate scaleFactor 1e12 area', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]), {scaleFactor: 1e12, mode: 'area'})},
  {id: 'interpolate scaleFactor 1e6 bilinear', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 2]), {scaleFactor: 1e6, mode: 'bilinear'})},
  {id: 'interpolate scaleFactor 1e6 channelsFirst', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 2, 4, 4]), {scaleFactor: 1e6, dataFormat: 'channelsFirst'})},
  {id: 'interpolate trilinear size [2e3, 2e3, 2e3]', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => pt.interpolate(ones([1, 2, 2, 2, 1]), {size: [2e3, 2e3, 2e3], mode: 'trilinear'})},
  {id: 'interpolate gradient of a too-large output', heavy: true, error: tooLarge('interpolate'),
   run: ({pt}) => tf.grad((x: tf.Tensor) => pt.interpolate(x, {size: [1, 3e8]}))(ones([1, 4, 4, 1]))},

  // ---- interpolate: what it accepted silently ----------------------------------------------------
  {id: 'interpolate option align_corners', error: /^interpolate: unknown option 'align_corners' \(did you mean 'alignCorners'\?\)/,
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]),
                                 {size: 8, mode: 'bilinear', align_corners: true} as never)},
  {id: 'interpolate option scale_factor', error: /^interpolate: unknown option 'scale_factor' \(did you mean 'scaleFactor'\?\)/,
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]), {size: 8, scale_factor: 2} as never)},
  {id: 'interpolate option with a typo', error: /^interpolate: unknown option 'modee'/,
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]), {size: 8, modee: 'bilinear'} as never)},
  {id: 'interpolate ragged nested array', error: /^interpolate: argument 'x' .*(ragged|regular)/,
   run: ({pt}) => pt.interpolate([[[1, 2, 3]], [[4], [5], [6]]] as never, {size: 4})},
  {id: 'interpolate mode as an object', error: /^interpolate: argument 'mode' must be one of/,
   run: ({pt}) => pt.interpolate(ones([1, 4, 4, 1]), {size: 8, mode: {toString: null}} as never)},
  {id: 'interpolate options a deep array', error: /^interpolate: argument 'size' must be/,
   run: ({pt}) => {
     let deep: unknown = 1;
     for (let i = 0; i < 1e5; i++) deep = [deep];
     return pt.interpolate(ones([1, 4, 4, 1]), {size: deep as number});
   }},

  // ---- interpolate: long axes, in memory proportional to the output ---------------------------
  {id: 'interpolate size 5e7 nearest (valid, 200 MB)', heavy: true, nodeOnly: true, backends: ['cpu', 'tensorflow'],
   run: ({pt}) => pt.interpolate(ones([1, 1, 1]), {size: 5e7}),
   check: async (y) => {
     const t = y as tf.Tensor;
     if (t.shape[1] !== 5e7) throw new Error(`shape ${t.shape}`);
     const m = await track(tf.min(t)).data();
     if (m[0] !== 1) throw new Error(`min ${m[0]}`);
   }},
  {id: 'interpolate size 2e7 linear (valid, 80 MB)', heavy: true, nodeOnly: true, backends: ['cpu', 'tensorflow'],
   run: ({pt}) => pt.interpolate(ones([1, 1, 1]), {size: 2e7, mode: 'linear'}),
   check: async (y) => {
     const t = y as tf.Tensor;
     if (t.shape[1] !== 2e7) throw new Error(`shape ${t.shape}`);
     const m = await track(tf.min(t)).data();
     if (m[0] !== 1) throw new Error(`min ${m[0]}`);
   }},

  // ---- upsample through a model.json -------------------------------------------------------------
  {id: 'model.json upsample scaleFactor 1e12', heavy: true, error: /^layers\.upsample: .*(output of shape|scaleFactor).*'l0'/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {scaleFactor: 1e12, batch_input_shape: [null, 4, 4, 1]})},
  {id: 'model.json upsample size 1e9', heavy: true, error: /^layers\.upsample: output of shape .*'l0'/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {size: 1e9, batch_input_shape: [null, 4, 4, 1]})},
  {id: 'model.json upsample scaleFactor "abc"', error: /^layers\.upsample: argument 'scaleFactor' must be/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {scaleFactor: 'abc', batch_input_shape: [null, 4, 4, 1]})},
  {id: 'model.json upsample scaleFactor -1', error: /^layers\.upsample: argument 'scaleFactor' must be/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {scaleFactor: -1, batch_input_shape: [null, 4, 4, 1]})},
  {id: 'model.json upsample alignCorners "yes"', error: /^layers\.upsample: argument 'alignCorners' must be a boolean/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {size: 8, mode: 'bilinear', alignCorners: 'yes', batch_input_shape: [null, 4, 4, 1]})},
  {id: 'model.json upsample recomputeScaleFactor 1', error: /^layers\.upsample: argument 'recomputeScaleFactor' must be a boolean/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {scaleFactor: 2, recomputeScaleFactor: 1, batch_input_shape: [null, 4, 4, 1]})},
  {id: 'model.json upsample mode {toString: null}', error: /^layers\.upsample: argument 'mode' must be one of/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {scaleFactor: 2, mode: {toString: null}, batch_input_shape: [null, 4, 4, 1]})},
  {id: 'model.json upsample mode an object', error: /^layers\.upsample: argument 'mode' must be one of/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {scaleFactor: 2, mode: {a: 1}, batch_input_shape: [null, 4, 4, 1]})},
  // tfjs-layers' own convertPythonicToTs recurses over the whole config before any layer code
  // runs, so a model.json nested 1e4 deep overflows the stack there (the process survives: a
  // RangeError). The same configs given to the layer directly get our checks.
  {id: 'model.json upsample junk nested 1e4 deep (tfjs-layers recursion)',
   outside: 'tfjs-layers convertPythonicToTs recurses over the config before tfjs-torch runs',
   error: /^RangeError: Maximum call stack size exceeded/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {scaleFactor: 2, junk: nested(1e4, 1), batch_input_shape: [null, 4, 4, 1]})},
  {id: 'layers.upsample junk nested 1e5 deep', error: /^layers\.upsample: unknown argument 'junk'/,
   run: ({pt}) => pt.layers.upsample({scaleFactor: 2, junk: nested(1e5, 1)} as never)},
  {id: 'layers.upsample scaleFactor nested 1e5 deep', error: /^layers\.upsample: argument 'scaleFactor' must be/,
   run: ({pt}) => pt.layers.upsample({scaleFactor: nested(1e5, 2)} as never)},
  {id: 'model.json upsample scaleFactor nested 1e3 deep', error: /^layers\.upsample: argument 'scaleFactor' must be/,
   run: (env) => loadOneLayer(env, 'TorchUpsample', {scaleFactor: nested(1e3, 2), batch_input_shape: [null, 4, 4, 1]})},
  {id: 'layers.upsample with align_corners', error: /^layers\.upsample: unknown (option|argument) 'align_corners' \(did you mean 'alignCorners'\?\)/,
   run: ({pt}) => pt.layers.upsample({scaleFactor: 2, mode: 'bilinear', align_corners: true} as never)},

  // ---- convTranspose --------------------------------------------------------------------------
  {id: 'convTranspose2d stride 1e9', heavy: true, error: tooLarge('convTranspose2d'),
   run: ({pt}) => pt.convTranspose2d(ones([1, 3, 3, 2]), ones([2, 3, 2, 2]), null, {stride: 1e9})},
  {id: 'convTranspose2d stride 2**31', heavy: true, error: tooLarge('convTranspose2d'),
   run: ({pt}) => pt.convTranspose2d(ones([1, 3, 3, 2]), ones([2, 3, 2, 2]), null, {stride: 2 ** 31})},
  {id: 'convTranspose2d dilation 1e9', heavy: true, error: tooLarge('convTranspose2d'),
   run: ({pt}) => pt.convTranspose2d(ones([1, 3, 3, 2]), ones([2, 3, 2, 2]), null, {dilation: 1e9})},
  {id: 'convTranspose2d dilation 2**31', heavy: true, error: tooLarge('convTranspose2d'),
   run: ({pt}) => pt.convTranspose2d(ones([1, 3, 3, 2]), ones([2, 3, 2, 2]), null, {dilation: 2 ** 31})},
  {id: 'convTranspose2d stride 50000', heavy: true, error: tooLarge('convTranspose2d'),
   run: ({pt}) => pt.convTranspose2d(ones([1, 3, 3, 2]), ones([2, 3, 2, 2]), null, {stride: 50000})},
  {id: 'convTranspose1d stride 1e9', heavy: true, error: tooLarge('convTranspose1d'),
   run: ({pt}) => pt.convTranspose1d(ones([1, 3, 2]), ones([2, 3, 2]), null, {stride: 1e9})},
  {id: 'convTranspose3d stride 1e9', heavy: true, error: tooLarge('convTranspose3d'),
   run: ({pt}) => pt.convTranspose3d(ones([1, 2, 2, 2, 2]), ones([2, 3, 2, 2, 2]), null, {stride: 1e9})},
  {id: 'convTranspose2d stride 10000 (1.2e9 elements)', heavy: true, error: tooLarge('convTranspose2d'),
   run: ({pt}) => pt.convTranspose2d(ones([1, 3, 3, 2]), ones([2, 3, 2, 2]), null, {stride: 10000})},
  {id: 'convTranspose2d stride 1000 (valid, 12 M elements)', heavy: true, backends: ['cpu', 'tensorflow'],
   run: ({pt}) => pt.convTranspose2d(ones([1, 3, 3, 2]), ones([2, 3, 2, 2]), null, {stride: 1000}),
   check: async (y) => {
     const t = y as tf.Tensor;
     if (t.shape.join() !== '1,2002,2002,3') throw new Error(`shape ${t.shape}`);
     const s = await track(tf.sum(t)).data();
     // 9 input pixels x 4 taps x 3 output channels, each 2 (two input channels of ones).
     if (s[0] !== 9 * 4 * 3 * 2) throw new Error(`sum ${s[0]}`);
   }},
  // TensorFlow holds strides as int32: where the stride cannot reach the output (one input
  // position) 2**31 is legal and must not wrap there. Same output as stride 2.
  {id: 'convTranspose2d stride 2**31 on a 1-pixel input (valid)', heavy: true,
   run: ({pt}) => [
     pt.convTranspose2d(ones([1, 1, 1, 2]), ones([2, 3, 2, 2]), null, {stride: 2 ** 31, outputPadding: 1}),
     pt.convTranspose2d(ones([1, 1, 1, 2]), ones([2, 3, 2, 2]), null, {stride: 2, outputPadding: 1}),
   ],
   check: async (r) => {
     const [a, b] = r as tf.Tensor[];
     if (a.shape.join() !== b.shape.join()) throw new Error(`shape ${a.shape} vs ${b.shape}`);
     expectValues(await a.data(), await b.data(), 'stride 2**31 vs stride 2');
   }},
  {id: 'convTranspose1d dilation 2**31 with a 1-tap kernel (valid)', heavy: true,
   run: ({pt}) => [
     pt.convTranspose1d(ones([1, 3, 2]), ones([2, 3, 1]), null, {dilation: 2 ** 31, stride: 2}),
     pt.convTranspose1d(ones([1, 3, 2]), ones([2, 3, 1]), null, {stride: 2}),
   ],
   check: async (r) => {
     const [a, b] = r as tf.Tensor[];
     if (a.shape.join() !== b.shape.join()) throw new Error(`shape ${a.shape} vs ${b.shape}`);
     expectValues(await a.data(), await b.data(), 'dilation 2**31 vs dilation 1');
   }},
  {id: 'convTranspose2d option output_padding', error: /^convTranspose2d: unknown option 'output_padding' \(did you mean 'outputPadding'\?\)/,
   run: ({pt}) => pt.convTranspose2d(ones([1, 3, 3, 2]), ones([2, 3, 2, 2]), null, {stride: 2, output_padding: 1} as never)},

  // ---- convTranspose layers through a model.json --------------------------------------------
  {id: 'model.json convTranspose2d kernelSize 1e9', heavy: true, error: /^layers\.convTranspose2d: weight of shape .* is larger than/,
   run: (env) => loadOneLayer(env, 'TorchConvTranspose2d',
                              {inChannels: 4, outChannels: 8, kernelSize: 1e9, batch_input_shape: [null, 5, 5, 4]},
                              convTransposeWeights())},
  {id: 'model.json convTranspose2d kernelSize [30000, 30000]', heavy: true, error: /^layers\.convTranspose2d: weight of shape .* is larger than/,
   run: (env) => loadOneLayer(env, 'TorchConvTranspose2d',
                              {inChannels: 4, outChannels: 8, kernelSize: [30000, 30000], batch_input_shape: [null, 5, 5, 4]},
                              convTransposeWeights())},
  {id: 'model.json convTranspose2d outChannels 1e9', heavy: true, error: /^layers\.convTranspose2d: weight of shape .* is larger than/,
   run: (env) => loadOneLayer(env, 'TorchConvTranspose2d',
                              {inChannels: 4, outChannels: 1e9, kernelSize: 3, batch_input_shape: [null, 5, 5, 4]},
                              convTransposeWeights())},
  {id: 'model.json convTranspose2d stride 1e9', heavy: true, error: /^layers\.convTranspose2d: output of shape .*'l0'/,
   run: (env) => loadOneLayer(env, 'TorchConvTranspose2d',
                              {inChannels: 4, outChannels: 8, kernelSize: 3, stride: 1e9, batch_input_shape: [null, 5, 5, 4]},
                              convTransposeWeights())},
  {id: 'model.json convTranspose2d kernelSize "3"', error: /^layers\.convTranspose2d: argument 'kernelSize' must be/,
   run: (env) => loadOneLayer(env, 'TorchConvTranspose2d',
                              {inChannels: 4, outChannels: 8, kernelSize: '3', batch_input_shape: [null, 5, 5, 4]},
                              convTransposeWeights())},
  {id: 'model.json convTranspose2d inChannels Infinity', error: /^layers\.convTranspose2d: argument 'inChannels' must be/,
   run: (env) => loadOneLayer(env, 'TorchConvTranspose2d',
                              {inChannels: Infinity, outChannels: 8, kernelSize: 3, batch_input_shape: [null, 5, 5, 4]},
                              convTransposeWeights())},

  // ---- maxUnpool ----------------------------------------------------------------------------
  {id: 'maxUnpool2d kernelSize 1e9', heavy: true, error: tooLarge('maxUnpool2d'),
   run: ({pt}) => pt.maxUnpool2d(ones([1, 2, 2, 1]), track(tf.zeros([1, 2, 2, 1], 'int32')), {kernelSize: 1e9})},
  {id: 'maxUnpool2d stride 1e9', heavy: true, error: tooLarge('maxUnpool2d'),
   run: ({pt}) => pt.maxUnpool2d(ones([1, 2, 2, 1]), track(tf.zeros([1, 2, 2, 1], 'int32')), {kernelSize: 2, stride: 1e9})},
  {id: 'maxUnpool1d kernelSize 2**53', heavy: true, error: tooLarge('maxUnpool1d'),
   run: ({pt}) => pt.maxUnpool1d(ones([1, 2, 1]), track(tf.zeros([1, 2, 1], 'int32')), {kernelSize: 2 ** 53})},
  {id: 'maxUnpool2d indices nested fractions', error: /^maxUnpool2d: argument 'indices' must hold integers/,
   run: ({pt}) => pt.maxUnpool2d(ones([1, 1, 2, 1]), [[[[0.5], [2.7]]]] as never, {kernelSize: 2})},
  {id: 'maxUnpool2d indices ragged', error: /^maxUnpool2d: argument 'indices' .*(ragged|regular)/,
   run: ({pt}) => pt.maxUnpool2d(ones([1, 1, 2, 1]), [[[[0], [2, 3]]]] as never, {kernelSize: 2})},
  // Note [unpool index check]: the backends that check raise; webgl and webgpu drop the index.
  {id: 'maxUnpool2d index check inside tf.grad', error: /^maxUnpool2d: indices must lie in \[0, 16\)/,
   backends: ['cpu', 'wasm', 'tensorflow'],
   run: ({pt}) => {
     const idx = track(tf.tensor4d([0, 1, 2, 99], [1, 2, 2, 1], 'int32'));
     return tf.grad((x: tf.Tensor) => pt.maxUnpool2d(x, idx, {kernelSize: 2}))(ones([1, 2, 2, 1]));
   }},
  {id: 'maxUnpool2d out-of-plane index inside tf.grad (dropped on GPU backends)',
   backends: ['webgl', 'webgpu'],
   run: ({pt}) => {
     const idx = track(tf.tensor4d([0, 1, 2, 99], [1, 2, 2, 1], 'int32'));
     return tf.grad((x: tf.Tensor) => pt.maxUnpool2d(x, idx, {kernelSize: 2}))(ones([1, 2, 2, 1]));
   },
   check: async (r) => expectValues(await (r as tf.Tensor).data(), [1, 1, 1, 0], 'gradient')},
  {id: 'maxUnpool2d option output_size', error: /^maxUnpool2d: unknown option 'output_size' \(did you mean 'outputSize'\?\)/,
   run: ({pt}) => pt.maxUnpool2d(ones([1, 2, 2, 1]), track(tf.zeros([1, 2, 2, 1], 'int32')), {kernelSize: 2, output_size: [4, 4]} as never)},

  // ---- maxPool -----------------------------------------------------------------------------
  {id: 'maxPool2dWithIndices kernel 2e5+1 padding 1e5 (valid)', heavy: true,
   run: ({pt}) => pt.maxPool2dWithIndices(track(tf.tensor4d([3, 1, 4, 1, 5, 9], [1, 1, 6, 1])),
                                          {kernelSize: [1, 200001], stride: 1, padding: [0, 100000]}),
   check: async (r) => {
     const [v, i] = r as tf.Tensor[];
     if (v.shape.join() !== '1,1,6,1') throw new Error(`shape ${v.shape}`);
     // Every window covers the whole row: max 9 at w = 5 (PyTorch).
     expectValues(await v.data(), [9, 9, 9, 9, 9, 9], 'values');
     expectValues(await i.data(), [5, 5, 5, 5, 5, 5], 'indices');
   }},
  {id: 'maxPool3dWithIndices kernel 2e5+1 padding 1e5 (valid)', heavy: true,
   run: ({pt}) => pt.maxPool3dWithIndices(track(tf.tensor5d([3, 1, 4, 1, 5, 9], [1, 1, 1, 6, 1])),
                                          {kernelSize: [1, 1, 200001], stride: 1, padding: [0, 0, 100000]}),
   check: async (r) => {
     const [v, i] = r as tf.Tensor[];
     if (v.shape.join() !== '1,1,1,6,1') throw new Error(`shape ${v.shape}`);
     expectValues(await v.data(), [9, 9, 9, 9, 9, 9], 'values');
     expectValues(await i.data(), [5, 5, 5, 5, 5, 5], 'indices');
   }},
  {id: 'maxPool2dWithIndices option ceil_mode', error: /^maxPool2dWithIndices: unknown option 'ceil_mode' \(did you mean 'ceilMode'\?\)/,
   run: ({pt}) => pt.maxPool2dWithIndices(ones([1, 4, 4, 1]), {kernelSize: 2, ceil_mode: true} as never)},

  // ---- normalize / pixelShuffle --------------------------------------------------------------
  {id: 'normalize mean {length: 1e9}', heavy: true, error: /^normalize: argument 'mean' must have 1 or 3/,
   run: ({pt}) => pt.normalize(ones([1, 2, 2, 3]), {length: 1e9} as never, 1)},
  {id: 'normalize mean {length: -1}', error: /^normalize: argument 'mean' must/,
   run: ({pt}) => pt.normalize(ones([1, 2, 2, 3]), {length: -1} as never, 1)},
  {id: 'normalize option data_format', error: /^normalize: unknown option 'data_format' \(did you mean 'dataFormat'\?\)/,
   run: ({pt}) => pt.normalize(ones([1, 2, 2, 3]), 0, 1, {data_format: 'channelsFirst'} as never)},
  {id: 'pixelShuffle option data_format', error: /^pixelShuffle: unknown option 'data_format' \(did you mean 'dataFormat'\?\)/,
   run: ({pt}) => pt.pixelShuffle(ones([1, 2, 2, 4]), 2, {data_format: 'channelsFirst'} as never)},

  // ---- layers from bad config -----------------------------------------------------------------
  {id: 'layers.maxPool2d kernelSize NaN', error: /^layers\.maxPool2d: argument 'kernelSize' must/,
   run: ({pt}) => pt.layers.maxPool2d({kernelSize: NaN})},
  {id: 'layers.pixelShuffle upscaleFactor 1e9 (shape)', heavy: true, error: /^layers\.pixelShuffle: .*(output of shape|upscaleFactor)/,
   run: ({pt, tfl}) => tfl.sequential({layers: [pt.layers.pixelShuffle({upscaleFactor: 1e9, inputShape: [2, 2, 4]} as never)]})},
  {id: 'layers.normalize mean a string', error: /^layers\.normalize: argument 'mean' must be/,
   run: ({pt}) => pt.layers.normalize({mean: 'abc', std: 1} as never)},
  {id: 'layers.maxUnpool2d outputSize [1e9, 1e9]', heavy: true, error: /^layers\.maxUnpool2d: output of shape/,
   run: ({pt}) => pt.layers.maxUnpool2d({kernelSize: 2, outputSize: [1e9, 1e9]})
                      .computeOutputShape([[null, 2, 2, 1], [null, 2, 2, 1]])},
  {id: 'layer config whose toString throws', error: /^layers\.upsample: argument 'size' must be/,
   run: ({pt}) => pt.layers.upsample({size: {toString() { throw new Error('boom'); }}} as never)},

  // ---- loadTorchWeights -----------------------------------------------------------------------
  {id: 'safetensors overlapping data_offsets', error: /^loadTorchWeights: .*(overlap|contiguous|data_offsets)/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     'fc.weight': {dtype: 'F32', shape: [2, 2], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [8, 16]},
   }, F32x2x2()))},
  {id: 'safetensors duplicate keys', error: /^loadTorchWeights: .*duplicate/,
   run: (env) => loadWeightsInto(env, safetensorsBytes(
     '{"fc.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
     '"fc.weight":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}',
     new Uint8Array([...F32x2x2(), ...F32x2()])))},
  {id: 'safetensors header nested 1e6 deep', error: /^loadTorchWeights: .*header/,
   run: (env) => loadWeightsInto(env, safetensorsBytes('{"a":' + '['.repeat(1e6) + ']'.repeat(1e6) + '}'))},
  {id: 'safetensors gap between tensors', error: /^loadTorchWeights: .*(gap|contiguous)/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     'fc.weight': {dtype: 'F32', shape: [2, 2], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [20, 28]},
   }, new Uint8Array(28)))},
  {id: 'safetensors trailing bytes', error: /^loadTorchWeights: .*(trailing|cover)/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     'fc.weight': {dtype: 'F32', shape: [2, 2], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [16, 24]},
   }, new Uint8Array(32)))},
  {id: 'safetensors __metadata__ 5', error: /^loadTorchWeights: .*__metadata__/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     '__metadata__': 5,
     'fc.weight': {dtype: 'F32', shape: [2, 2], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [16, 24]},
   }, new Uint8Array(24)))},
  {id: 'safetensors __metadata__ []', error: /^loadTorchWeights: .*__metadata__/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     '__metadata__': [],
     'fc.weight': {dtype: 'F32', shape: [2, 2], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [16, 24]},
   }, new Uint8Array(24)))},
  {id: 'safetensors __metadata__ value a number', error: /^loadTorchWeights: .*__metadata__/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     '__metadata__': {format: 1},
     'fc.weight': {dtype: 'F32', shape: [2, 2], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [16, 24]},
   }, new Uint8Array(24)))},
  {id: 'safetensors dtype "__proto__"', error: /^loadTorchWeights: .*unknown dtype/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     'fc.weight': {dtype: '__proto__', shape: [2, 2], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [16, 24]},
   }, new Uint8Array(24)))},
  {id: 'safetensors dtype "toString"', error: /^loadTorchWeights: .*unknown dtype/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     'fc.weight': {dtype: 'toString', shape: [2, 2], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [16, 24]},
   }, new Uint8Array(24)))},
  {id: 'safetensors shape of 2**60 elements', error: /^loadTorchWeights: .*(elements|data_offsets)/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({
     'fc.weight': {dtype: 'F32', shape: [2 ** 30, 2 ** 30], data_offsets: [0, 16]},
     'fc.bias': {dtype: 'F32', shape: [2], data_offsets: [16, 24]},
   }, new Uint8Array(24)))},
  {id: 'safetensors header length 2**40', error: /^loadTorchWeights: .*header/,
   run: (env) => {
     const b = new Uint8Array(16);
     new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
     return loadWeightsInto(env, b);
   }},
  {id: 'safetensors 1e6 empty header entries', heavy: true, error: /^loadTorchWeights: .*'k0'/,
   run: (env) => {
     const parts: string[] = [];
     for (let i = 0; i < 1e6; i++) parts.push(`"k${i}":{}`);
     return loadWeightsInto(env, safetensorsBytes(`{${parts.join(',')}}`));
   }},
  {id: 'loadTorchWeights path /dev/zero', heavy: true, nodeOnly: true, error: /^loadTorchWeights: .*'\/dev\/zero'.*(regular file|not a file)/,
   run: (env) => loadWeightsInto(env, '/dev/zero')},
  {id: 'loadTorchWeights a directory', nodeOnly: true, error: /^loadTorchWeights: .*'\/tmp'.*(regular file|not a file|directory)/,
   run: (env) => loadWeightsInto(env, '/tmp')},
  {id: 'loadTorchWeights unreachable URL', nodeOnly: true, error: /^loadTorchWeights: .*'http:\/\/127\.0\.0\.1:9\/w\.safetensors'/,
   run: (env) => loadWeightsInto(env, 'http://127.0.0.1:9/w.safetensors')},
  {id: 'loadTorchWeights server that never answers (timeout)', heavy: true, nodeOnly: true,
   error: /^loadTorchWeights: .*'http:\/\/127\.0\.0\.1:\d+\/w'.*(timed out|timeout|abort)/i,
   run: async (env) => {
     const http = await import('node:http');
     const server = http.createServer(() => { /* never answers */ });
     await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
     const port = (server.address() as {port: number}).port;
     try {
       await loadWeightsInto(env, `http://127.0.0.1:${port}/w`, {timeoutMs: 500});
     } finally {
       server.closeAllConnections?.();
       server.close();
     }
   }},
  {id: 'loadTorchWeights aborted by a signal', nodeOnly: true,
   error: /^loadTorchWeights: .*'http:\/\/127\.0\.0\.1:\d+\/w'.*(abort)/i,
   run: async (env) => {
     const http = await import('node:http');
     const server = http.createServer(() => { /* never answers */ });
     await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
     const port = (server.address() as {port: number}).port;
     const controller = new AbortController();
     setTimeout(() => controller.abort(), 200);
     try {
       await loadWeightsInto(env, `http://127.0.0.1:${port}/w`, {signal: controller.signal});
     } finally {
       server.closeAllConnections?.();
       server.close();
     }
   }},
  {id: 'loadTorchWeights HTTP 404 names URL and status', nodeOnly: true,
   error: /^loadTorchWeights: .*'http:\/\/127\.0\.0\.1:\d+\/w'.*404/,
   run: async (env) => {
     const http = await import('node:http');
     const server = http.createServer((_, res) => { res.statusCode = 404; res.end('no'); });
     await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
     const port = (server.address() as {port: number}).port;
     try {
       await loadWeightsInto(env, `http://127.0.0.1:${port}/w`);
     } finally {
       server.closeAllConnections?.();
       server.close();
     }
   }},
  {id: 'loadTorchWeights option with a typo', error: /^loadTorchWeights: unknown option 'stict'/,
   run: (env) => loadWeightsInto(env, safetensorsBytes({}), {stict: false})},
];
