// What a decoder-like chain of the package's ops costs a GPU backend beyond its arithmetic:
// synchronous GPU-to-CPU reads (none may happen inside an op on webgl or webgpu: each stalls the
// queue, and on WebGPU without a GPU process it loses the device), and, on webgpu, the programs
// compiled per new image size (sizes travel as uniforms: new sizes reuse the pipelines).
// Declared for the GPU backend each browser run keeps registered.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {convTranspose2d, denormalize, interpolate, maxPool2dWithIndices, maxUnpool2d, normalize, pixelShuffle, pixelUnshuffle} from '../../src/index.js';

/**
 * maxPool with indices, maxUnpool, bilinear, bicubic (alignCorners), nearest, convTranspose,
 * pixel unshuffle and shuffle, normalize / denormalize on an image of h x w, channelsLast. Its
 * result (nothing is read here).
 */
export function decoderChain(h: number, w: number): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.randomUniform([1, h, w, 3], -1, 1, 'float32', 7);
    const n = normalize(x, [0.5, 0.4, 0.3], [0.2, 0.3, 0.4]);
    const [p, idx] = maxPool2dWithIndices(n, {kernelSize: 2, stride: 2});
    const u = maxUnpool2d(p, idx, {kernelSize: 2, stride: 2, outputSize: [h, w]});
    const b = interpolate(u, {mode: 'bilinear', scaleFactor: 2});
    const c = interpolate(b, {mode: 'bicubic', size: [h + 3, w + 1], alignCorners: true});
    const d = interpolate(c, {mode: 'nearest', size: [h, w]});
    const weight = tf.randomUniform([3, 4, 3, 3], -1, 1, 'float32', 8) as tf.Tensor4D;
    const e = convTranspose2d(d as tf.Tensor4D, weight, tf.tensor1d([0.1, 0.2, 0.3, 0.4]),
                              {stride: 2, padding: 1, outputPadding: 1});
    const f = pixelShuffle(pixelUnshuffle(e, 2), 2);
    return denormalize(f, [0.1, 0.2, 0.3, 0.4], [1, 2, 3, 4]);
  });
}

/** 12 image sizes, none a multiple of another's shape. */
export const CHAIN_SIZES: Array<[number, number]> =
    Array.from({length: 12}, (_, i) => [6 + 2 * i, 8 + 4 * i] as [number, number]);

for (const gpu of ['webgl', 'webgpu']) {
  if (tf.findBackendFactory(gpu) == null) continue;
  describe(`decoder-like chain on ${gpu}`, () => {
    let previous: string;
    before(async () => {
      await tf.ready();
      previous = tf.getBackend();
      if (!(await tf.setBackend(gpu))) throw new Error(`backend ${gpu} could not be initialised`);
    });
    after(async () => {
      await tf.setBackend(previous);
    });

    it('makes no synchronous read (readSync) inside any op, over 12 image sizes', async () => {
      const backend = tf.backend() as unknown as {readSync: (dataId: object) => unknown};
      const original = backend.readSync;
      let reads = 0;
      backend.readSync = function(this: unknown, dataId: object) {
        reads++;
        return original.call(this, dataId);
      };
      const ys: tf.Tensor[] = [];
      try {
        // The spy sees a synchronous read (the count would catch one).
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync());
        expect(reads, 'dataSync of a GPU tensor counted').to.equal(1);
        reads = 0;
        for (const [h, w] of CHAIN_SIZES) ys.push(decoderChain(h, w));
      } finally {
        backend.readSync = original;
      }
      expect(reads, 'synchronous reads inside the ops').to.equal(0);
      // The results are real (read asynchronously, after counting): finite, the chain's shape.
      for (const [i, y] of ys.entries()) {
        const [h, w] = CHAIN_SIZES[i];
        expect(y.shape).to.deep.equal([1, 2 * h, 2 * w, 4]);
        const values = await y.data();
        expect(Array.from(values).every(Number.isFinite), 'finite output').to.equal(true);
      }
      tf.dispose(ys);
    });

    if (gpu === 'webgpu') {
      it('needs at most 2 more tfjs-torch pipelines for 10 new image sizes than for the first 2',
         async () => {
           // The shader keys (tfjs's pipeline cache keys) of the tfjs-torch programs each size
           // runs: what a cold pipeline cache would compile, whatever earlier tests compiled.
           type Run = (program: {shaderKey: string}, ...rest: unknown[]) => unknown;
           const backend = tf.backend() as unknown as
               {runWebGPUProgram: Run, pipelineCache: Record<string, unknown>};
           const original = backend.runWebGPUProgram;
           const keys = new Set<string>();
           backend.runWebGPUProgram = function(this: unknown, program, ...rest) {
             const out = original.call(this, program, ...rest);
             if (program.shaderKey.startsWith('tfjsTorch')) keys.add(program.shaderKey);
             return out;
           };
           const counts: number[] = [];
           try {
             for (const [h, w] of CHAIN_SIZES) {
               const y = decoderChain(h, w);
               await y.data();
               y.dispose();
               counts.push(keys.size);
             }
           } finally {
             backend.runWebGPUProgram = original;
           }
           // The keys are the pipeline cache's own.
           for (const k of keys) expect(k in backend.pipelineCache, 'a cached pipeline key').to.equal(true);
           console.log(`webgpu: tfjs-torch pipelines the chain needs after each of 12 image sizes: ${
               counts.join(' ')}`);
           expect(counts[1], 'the chain runs tfjs-torch programs').to.be.greaterThan(5);
           expect(counts[11] - counts[1], `new pipelines for sizes 3..12 (after each size: ${
               counts.join(', ')})`).to.be.at.most(2);
         });
    }
  });
}
