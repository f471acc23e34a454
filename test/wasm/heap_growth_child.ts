// Child process of test/wasm/wasm_kernels.test.ts: in a fresh tfjs-backend-wasm (its heap at the
// initial 16 MiB), runs one case whose largest output is larger than the whole heap, so that
// allocating it grows the heap and detaches every view taken before (Note [wasm heap views] in
// kernels/wasm/util.ts), then the same case on cpu, and prints one JSON line: whether the heap
// grew and the first element where wasm and cpu differ (-1: none).
// Usage: node --import tsx test/wasm/heap_growth_child.ts <case>
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as pt from '../../src/wasm.js';

// Quiets tfjs's console banners (as test/setup.node.ts does).
tf.env().set('IS_TEST', true);

type Inputs = Array<[Float32Array|Int32Array, number[]]>;

/** Deterministic values in [-1, 1). */
function ramp(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 0.618 + seed) * Math.cos(i * 0.017 + 2 * seed);
  return v;
}

const MIB = 2 ** 20;
/** An input side whose largest output (perPixel values for each input pixel) exceeds 20 MiB. */
const side = (perPixel: number) => Math.ceil(Math.sqrt(20 * MIB / 4 / perPixel));

export const CASES: Record<string, {inputs: () => Inputs, f: (...xs: tf.Tensor[]) => tf.Tensor[]}> = {
  'interpolate bilinear 2x (NCHW) and its gradient': {
    inputs: () => {
      const s = side(4 * 4);
      return [[ramp(4 * s * s, 1), [1, 4, s, s]], [ramp(16 * s * s, 2), [1, 4, 2 * s, 2 * s]]];
    },
    f: (x, dy) => {
      const op = (t: tf.Tensor) =>
          pt.interpolate(t, {mode: 'bilinear', scaleFactor: 2, dataFormat: 'channelsFirst'});
      return [op(x), tf.grad(op)(x, dy)];
    },
  },
  'pixelShuffle(2) (NHWC)': {
    inputs: () => {
      const s = side(8);
      return [[ramp(s * s * 8, 3), [1, s, s, 8]]];
    },
    f: (x) => [pt.pixelShuffle(x as tf.Tensor4D, 2)],
  },
  'maxPool2dWithIndices k2 s1 (two outputs) and its gradient': {
    inputs: () => {
      const s = side(2);
      return [[ramp(s * s * 2, 4), [1, s, s, 2]], [ramp((s - 1) * (s - 1) * 2, 5), [1, s - 1, s - 1, 2]]];
    },
    f: (x, dy) => {
      const pool = (t: tf.Tensor) => pt.maxPool2dWithIndices(t, {kernelSize: 2, stride: 1});
      return [...pool(x), tf.grad((t: tf.Tensor) => pool(t)[0])(x, dy)];
    },
  },
  'convTranspose2d k4 s2 p1 (NHWC)': {
    inputs: () => {
      const s = side(4 * 8);
      return [[ramp(s * s * 8, 6), [1, s, s, 8]], [ramp(8 * 8 * 16, 7), [8, 8, 4, 4]]];
    },
    f: (x, w) => [pt.convTranspose2d(x as tf.Tensor4D, w as tf.Tensor4D, null, {stride: 2, padding: 1})],
  },
  'normalize (NCHW)': {
    inputs: () => {
      const s = side(1);
      return [[ramp(3 * s * s, 8), [1, 3, s, s]]];
    },
    f: (x) => [pt.normalize(x, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225],
                            {dataFormat: 'channelsFirst'})],
  },
};

function heapBytes(): number {
  return (tf.findBackend('wasm') as unknown as {wasm: {HEAPU8: Uint8Array}}).wasm.HEAPU8.buffer.byteLength;
}

async function outputsOn(backend: string, inputs: Inputs, f: (...xs: tf.Tensor[]) => tf.Tensor[]) {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  const xs = inputs.map(([v, s]) => tf.tensor(v, s, v instanceof Int32Array ? 'int32' : 'float32'));
  const out = f(...xs);
  const got = out.map((t) => ({shape: t.shape, dtype: t.dtype, values: t.dataSync()}));
  tf.dispose([...xs, ...out]);
  return got;
}

async function main(name: string): Promise<void> {
  const c = CASES[name];
  if (c == null) throw new Error(`unknown case ${name}`);
  const inputs = c.inputs();
  await tf.setBackend('wasm');
  const before = heapBytes();
  const got = await outputsOn('wasm', inputs, c.f);
  const after = heapBytes();
  const want = await outputsOn('cpu', inputs, c.f);
  const same = JSON.stringify(got.map((o) => [o.shape, o.dtype])) ===
      JSON.stringify(want.map((o) => [o.shape, o.dtype]));
  let firstDiff = same ? -1 : 0;
  for (let k = 0; k < want.length && same && firstDiff < 0; k++) {
    const [a, e] = [got[k].values, want[k].values];
    for (let i = 0; i < e.length; i++) {
      if (!(a[i] === e[i] || (Number.isFinite(e[i]) && Math.abs(a[i] - e[i]) <= 1e-4 + 1e-4 * Math.abs(e[i])))) {
        firstDiff = i;
        break;
      }
    }
  }
  console.log(JSON.stringify({before, after, shapesMatch: same, firstDiff}));
}

if (require.main === module) {
  main(process.argv[2]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
