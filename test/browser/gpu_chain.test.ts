// What a decoder-like chain of the package's ops costs a GPU backend beyond its arithmetic:
// synchronous GPU-to-CPU reads (none may happen inside an op on webgl or webgpu: each stalls the
// queue, and on WebGPU without a GPU process it loses the device), and the programs compiled per
// new image size (sizes travel as uniforms: new sizes reuse the webgpu pipelines and the webgl
// binaries).
// Declared for the GPU backend each browser run keeps registered.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import * as convTransposeGpu from '../../kernels/webgl/conv_transpose_gpu.js';
import * as interpolateGpu from '../../kernels/webgl/interpolate_gpu.js';
import * as maxPoolGpu from '../../kernels/webgl/max_pool_gpu.js';
import * as normalizeGpu from '../../kernels/webgl/normalize_gpu.js';
import * as pixelShuffleGpu from '../../kernels/webgl/pixel_shuffle_gpu.js';
import * as preluGpu from '../../kernels/webgl/Prelu.js';
import {convTranspose2d, denormalize, interpolate, maxPool2dWithIndices, maxUnpool2d, normalize, pixelShuffle, pixelUnshuffle} from '../../src/index.js';

/**
 * maxPool with indices, maxUnpool, bilinear, bicubic (alignCorners), nearest, convTranspose,
 * PReLU (the TorchPrelu kernel), pixel unshuffle and shuffle, normalize / denormalize on an image
 * of h x w, channelsLast. Its
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
    const attrs = {dataFormat: 'channelsLast'} as unknown as tf.NamedAttrMap;
    const p2 = tf.engine().runKernel(
        'TorchPrelu', {x: e, weight: tf.tensor1d([0.25, -0.5, 1.5, 0.1])}, attrs) as tf.Tensor;
    const f = pixelShuffle(pixelUnshuffle(p2, 2), 2);
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

    if (gpu === 'webgl') {
      /**
       * The binary cache keys (tfjs's makeShaderKey: the program's class, its GLSL and, unless the
       * program takes shapes as uniforms, every input's and the output's shape) of the tfjs-torch
       * programs the chain runs at each of the 12 sizes, with WEBGL_USE_SHAPES_UNIFORMS set to
       * `shapeUniforms` (restored after): what a cold cache would compile. A key is ours when the
       * program runWebGLProgram is running (the innermost one: tfjs's own pack / unpack programs
       * run inside it) is an instance of a tfjs-torch program class.
       */
      async function chainKeys(shapeUniforms: boolean):
          Promise<{perSize: Array<Set<string>>, shapesOf: Map<string, Set<string>>}> {
        const ours = new Set<unknown>(
            [convTransposeGpu, interpolateGpu, maxPoolGpu, normalizeGpu, pixelShuffleGpu, preluGpu]
                .flatMap((m) => Object.values(m))
                .filter((v) => typeof v === 'function' && /Program$/.test(v.name)));
        expect(ours.size, 'tfjs-torch program classes found').to.be.greaterThan(8);
        type Program = {userCode: string, outputShape: number[]};
        type Run = (program: Program, inputs: tf.TensorInfo[], ...rest: unknown[]) => unknown;
        type Save = (key: string, ...rest: unknown[]) => unknown;
        const backend = tf.backend() as unknown as
            {runWebGLProgram: Run, getAndSaveBinary: Save, binaryCache: Record<string, unknown>};
        const run = backend.runWebGLProgram;
        const save = backend.getAndSaveBinary;
        const running: Array<{program: Program, inputs: tf.TensorInfo[]}> = [];
        const perSize: Array<Set<string>> = [];
        // For each key, what each program that ran under it was: its class, GLSL and the shapes
        // of its inputs and output.
        const shapesOf = new Map<string, Set<string>>();
        let current = new Set<string>();
        let all = 0;
        backend.runWebGLProgram = function(this: unknown, program, inputs, ...rest) {
          running.push({program, inputs});
          try {
            return run.call(this, program, inputs, ...rest);
          } finally {
            running.pop();
          }
        };
        backend.getAndSaveBinary = function(this: unknown, key, ...rest) {
          const top = running[running.length - 1];
          if (top != null && ours.has(top.program.constructor)) {
            current.add(key);
            const what = `${top.program.constructor.name} ${top.program.userCode} ${
                JSON.stringify(top.inputs.map((t) => t.shape))} -> ${
                JSON.stringify(top.program.outputShape)}`;
            if (!shapesOf.has(key)) shapesOf.set(key, new Set());
            shapesOf.get(key)!.add(what);
          }
          all++;
          return save.call(this, key, ...rest);
        };
        const flag = 'WEBGL_USE_SHAPES_UNIFORMS';
        const previousFlag = tf.env().getBool(flag);
        tf.env().set(flag, shapeUniforms);
        try {
          for (const [h, w] of CHAIN_SIZES) {
            current = new Set<string>();
            const y = decoderChain(h, w);
            await y.data();
            y.dispose();
            perSize.push(current);
          }
        } finally {
          tf.env().set(flag, previousFlag);
          backend.runWebGLProgram = run;
          backend.getAndSaveBinary = save;
        }
        // The keys are the binary cache's own.
        for (const keys of perSize) {
          for (const k of keys) expect(k in backend.binaryCache, 'a cached binary key').to.equal(true);
        }
        expect(all, 'programs run').to.be.greaterThan(perSize[0].size);
        expect(perSize[0].size, 'the chain runs tfjs-torch programs').to.be.greaterThan(5);
        return {perSize, shapesOf};
      }

      /** How many distinct keys sizes 1..i needed, for each i. */
      function cumulative(perSize: Array<Set<string>>): number[] {
        const seen = new Set<string>();
        return perSize.map((keys) => {
          for (const k of keys) seen.add(k);
          return seen.size;
        });
      }

      function describeRun(): string {
        return `webgl (${tf.env().getBool('WEBGL_PACK') ? 'packed' : 'unpacked'}, ${
            tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 'float32' : 'half-float'})`;
      }

      it('with WEBGL_USE_SHAPES_UNIFORMS on, needs at most 2 more tfjs-torch programs for 10 new ' +
         'image sizes than for the first 2', async () => {
        const {perSize, shapesOf} = await chainKeys(true);
        const counts = cumulative(perSize);
        const shapes = new Set([...shapesOf.values()].flatMap((w) => [...w]));
        console.log(`${describeRun()}, shape uniforms on: tfjs-torch programs the chain needs ` +
                    `after each of 12 image sizes: ${counts.join(' ')} (for ${
                        shapes.size} distinct programs and shapes)`);
        expect(counts[11] - counts[1], `new programs for sizes 3..12 (after each size: ${
            counts.join(', ')})`).to.be.at.most(2);
      });

      it('gives the same values with WEBGL_USE_SHAPES_UNIFORMS on and off', async () => {
        // The flag changes only how tfjs's samplers find a texel (shapes compiled in or read
        // from uniforms), so the chain's results agree. The shared suites run with tfjs's
        // default (off): with the flag on for a whole run, some of tfjs 4.22's own programs
        // give wrong values (the linear and instanceNorm cases of the webgl-unpacked run).
        const flag = 'WEBGL_USE_SHAPES_UNIFORMS';
        const previousFlag = tf.env().getBool(flag);
        try {
          for (const [h, w] of [CHAIN_SIZES[0], CHAIN_SIZES[7]]) {
            const values: Float32Array[] = [];
            for (const on of [false, true]) {
              tf.env().set(flag, on);
              const y = decoderChain(h, w);
              values.push(await y.data() as Float32Array);
              y.dispose();
            }
            const [off, on] = values;
            expect(on.length, 'sizes').to.equal(off.length);
            const scale = off.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            let err = 0;
            for (let i = 0; i < off.length; i++) err = Math.max(err, Math.abs(on[i] - off[i]));
            expect(scale, 'a nonzero result').to.be.greaterThan(0);
            expect(err / scale, `max |on - off| / max |off| at ${h}x${w}`).to.be.at.most(1e-6);
          }
        } finally {
          tf.env().set(flag, previousFlag);
        }
      });

      it('with WEBGL_USE_SHAPES_UNIFORMS off (tfjs\'s default), keys each tfjs-torch program on ' +
         'its shapes: one program per distinct program and shapes, so new sizes compile anew',
         async () => {
           // tfjs's samplers compile the shapes in (no per-sample uniform reads), and the key
           // holds them: two runs share a binary exactly when the program (class, GLSL) and the
           // shapes of its inputs and output are the same. Only a program whose shapes do not
           // depend on the image (the convTranspose weight packing) is shared between sizes.
           const {perSize, shapesOf} = await chainKeys(false);
           const counts = cumulative(perSize);
           const shapes = new Set([...shapesOf.values()].flatMap((w) => [...w]));
           console.log(`${describeRun()}, shape uniforms off: tfjs-torch programs the chain ` +
                       `needs after each of 12 image sizes: ${counts.join(' ')} (for ${
                           shapes.size} distinct programs and shapes)`);
           for (const [key, what] of shapesOf) {
             expect(what.size, `programs and shapes under one key: ${[...what].join('; ')}`)
                 .to.equal(1);
             expect(key.startsWith(`${[...what][0].split(' ')[0]}_`), 'key of its class').to.equal(true);
           }
           expect(shapesOf.size, 'keys').to.equal(shapes.size);
           // Each new size compiles the chain's programs again (all but those with fixed shapes).
           for (let i = 1; i < counts.length; i++) {
             expect(counts[i] - counts[i - 1], `new programs at size ${i + 1} (after each size: ${
                 counts.join(', ')})`).to.be.at.least(perSize[i].size - 1);
           }
         });
    }

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
