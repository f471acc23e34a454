// pt.layers against torch.nn modules (scripts/fixtures/gen_layers.py): forward outputs in both
// dataFormats, in tf.sequential and the functional API; PyTorch's default initialisation bound
// for convTranspose; model.save / tf.loadLayersModel round trips with identical outputs; one
// training step's gradients and SGD update against PyTorch's; model.fit lowers the loss; config
// errors.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {DATA_FORMATS, describeBackends, expectMatches, type FixtureCase, type FixtureTensor, fixtureValues, fromFixture, loadFixture, shapeIn} from './util.js';

const fixture = loadFixture('layers');
const cases = (prefix: string) => fixture.cases.filter((c) => c.name.startsWith(prefix));

function b64Bytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

type Factory = (config: object) => tfl.layers.Layer;
const factories = pt.layers as unknown as Record<string, Factory>;

/** The tfjs model for a forward case: one pt.layers layer, inputs as the module takes them. */
function forwardModel(c: FixtureCase, dataFormat: DataFormat): tfl.LayersModel {
  const layer = factories[c.args.layer as string](
      {...(c.args.config as object), dataFormat, name: 'm'});
  const inputs = Object.entries(c.inputs).map(([name, t]) => tfl.input({
    shape: shapeIn(t.shape, dataFormat).slice(1),
    dtype: t.dtype,
    name: `${name}_in`,
  }));
  const outputs = layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tfl.SymbolicTensor|
      tfl.SymbolicTensor[];
  return tfl.model({inputs, outputs});
}

async function loadCaseWeights(model: tfl.LayersModel, c: FixtureCase): Promise<void> {
  if (c.args.safetensors == null) return;
  // The module is the state dict's root: keys 'weight', 'bias' (module path '').
  await pt.loadTorchWeights(model, b64Bytes(c.args.safetensors as string), {map: {'': 'm'}});
}

function inputsOf(c: FixtureCase, dataFormat: DataFormat): tf.Tensor[] {
  return Object.values(c.inputs).map((t) => fromFixture(t, dataFormat));
}

async function expectOutputs(
    got: tf.Tensor|tf.Tensor[], expected: FixtureTensor[], dataFormat: DataFormat,
    what: string): Promise<void> {
  const list = Array.isArray(got) ? got : [got];
  expect(list.length, `${what}: number of outputs`).to.equal(expected.length);
  for (let i = 0; i < list.length; i++) {
    await expectMatches(list[i], expected[i], dataFormat, `${what} output ${i}`);
  }
}

describeBackends('pt.layers', () => {
  describe('forward against torch.nn modules', () => {
    for (const c of cases('forward/')) {
      for (const dataFormat of DATA_FORMATS) {
        it(`${c.name} (${dataFormat})`, async () => {
          const model = forwardModel(c, dataFormat);
          await loadCaseWeights(model, c);
          const xs = inputsOf(c, dataFormat);
          const before = tf.memory().numTensors;
          const y = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor|tf.Tensor[];
          const outs = Array.isArray(y) ? y : [y];
          expect(tf.memory().numTensors, 'tensors after predict').to.equal(before + outs.length);
          await expectOutputs(y, c.outputs, dataFormat, c.name);
          // The layer called eagerly gives the same, with the symbolic shape it promised.
          const layer = model.getLayer('m');
          const eager = layer.apply(xs.length === 1 ? xs[0] : xs) as tf.Tensor|tf.Tensor[];
          await expectOutputs(eager, c.outputs, dataFormat, `${c.name} eager`);
          const promised = layer.computeOutputShape(
              xs.length === 1 ? xs[0].shape : xs.map((x) => x.shape));
          const shapes = Array.isArray(promised[0]) ? promised : [promised];
          outs.forEach((o, i) => expect(o.shape, 'computeOutputShape').to.deep.equal(shapes[i]));
          if (outs.length === 2) expect(outs[1].dtype).to.equal('int32');
          tf.dispose([xs, y, eager] as tf.Tensor[][]);
          model.dispose();
        });
      }
    }

    it('works inside tf.sequential (upsample, convTranspose2d, pixelShuffle, normalize)', async () => {
      const c = cases('forward/ConvTranspose2d')[0];
      const model = tfl.sequential({layers: [
        pt.layers.normalize({mean: 0.5, std: 0.25, inputShape: [4, 5, 6]}),
        pt.layers.denormalize({mean: 0.5, std: 0.25}),
        pt.layers.convTranspose2d({name: 'm', ...(c.args.config as pt.layers.ConvTransposeLayerArgs)}),
        pt.layers.pixelShuffle({upscaleFactor: 2}),
        pt.layers.pixelUnshuffle({downscaleFactor: 2}),
        pt.layers.upsample({scaleFactor: 1}),
      ]});
      await loadCaseWeights(model, c);
      const x = fromFixture(c.inputs.x, 'channelsLast');
      const y = model.predict(x) as tf.Tensor;
      expect(model.outputs[0].shape).to.deep.equal([null, ...y.shape.slice(1)]);
      // normalize then denormalize is exact for these values; the rest returns what it got.
      await expectMatches(y, c.outputs[0], 'channelsLast', 'sequential');
      tf.dispose([x, y]);
    });
  });

  describe('convTranspose default initialisation (PyTorch\'s kaiming_uniform(a=sqrt 5))', () => {
    for (const c of cases('init/')) {
      it(c.name, async () => {
        const {layer, config, bound} = c.args as {layer: string, config: object, bound: number};
        const l = factories[layer]({...config, dataFormat: 'channelsFirst'}) as pt.layers.TorchConvTransposeNd;
        const cfg = l.getConfig();
        for (const key of ['kernelInitializer', 'biasInitializer']) {
          const init = cfg[key] as {className: string, config: {minval: number, maxval: number}};
          expect(init.className).to.equal('RandomUniform');
          expect(init.config.minval).to.be.closeTo(-bound, 1e-12);
          expect(init.config.maxval).to.be.closeTo(bound, 1e-12);
        }
        const spatial = l.rank;
        l.build([2, l.inChannels, ...new Array<number>(spatial).fill(4)]);
        expect(l.weight!.shape).to.deep.equal(l.weightShape);
        for (const w of [l.weight!, l.bias!]) {
          const v = await w.read().data();
          let max = 0;
          for (const e of v) max = Math.max(max, Math.abs(e));
          expect(max).to.be.at.most(bound);
          // The draw fills the bound: with n uniform values, max |e| <= bound / 4 has
          // probability 4^-n, so the check is made where n >= 16 (below 1e-9); a bias of two
          // channels failed it by chance (1 in 16).
          if (v.length >= 16) expect(max).to.be.above(bound / 4);
        }
        // PyTorch's own draw (fixture outputs) also stays inside the same bound.
        expect(fixtureValues(c.outputs[0])[0]).to.be.at.most(bound);
        l.weights.forEach((w) => w.dispose());
      });
    }
  });

  describe('model.save / tf.loadLayersModel', () => {
    async function roundTrip(model: tfl.LayersModel): Promise<tfl.LayersModel> {
      let saved: tf.io.ModelArtifacts|undefined;
      await model.save(tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      }));
      return tfl.loadLayersModel(tf.io.fromMemory(saved!));
    }

    for (const c of cases('forward/')) {
      it(`${c.name}: identical outputs and config after a round trip`, async () => {
        const dataFormat: DataFormat = 'channelsFirst';
        const model = forwardModel(c, dataFormat);
        await loadCaseWeights(model, c);
        const loaded = await roundTrip(model);
        const layer = loaded.getLayer('m');
        expect(layer.getClassName()).to.match(/^Torch/);
        expect(layer.getConfig()).to.deep.equal(model.getLayer('m').getConfig());
        const xs = inputsOf(c, dataFormat);
        const a = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor|tf.Tensor[];
        const b = loaded.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor|tf.Tensor[];
        const al = Array.isArray(a) ? a : [a];
        const bl = Array.isArray(b) ? b : [b];
        for (let i = 0; i < al.length; i++) {
          expect(bl[i].dtype).to.equal(al[i].dtype);
          expect(Array.from(await bl[i].data())).to.deep.equal(Array.from(await al[i].data()));
        }
        tf.dispose([xs, al, bl] as tf.Tensor[][]);
        model.dispose();
        loaded.dispose();
      });
    }

    it('a model with default-initialised convTranspose layers keeps its weights', async () => {
      const model = tfl.sequential({layers: [
        pt.layers.convTranspose1d({inChannels: 3, outChannels: 2, kernelSize: 3, inputShape: [5, 3]}),
        pt.layers.upsample({size: 9, mode: 'linear', alignCorners: true}),
      ]});
      const loaded = await roundTrip(model);
      const x = tf.randomUniform([2, 5, 3]);
      const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      expect(b.shape).to.deep.equal([2, 9, 2]);
      expect(Array.from(await b.data())).to.deep.equal(Array.from(await a.data()));
      tf.dispose([x, a, b]);
    });

    const fileIo = tf.io.getSaveHandlers('file:///tmp/tfjs-torch').length > 0;
    if (fileIo) it('file:// (tfjs-node) round trip', async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fs = require('fs') as typeof import('fs');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const os = require('os') as typeof import('os');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const path = require('path') as typeof import('path');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-torch-layers-'));
      try {
        const c = cases('forward/MaxPool2d(2, return_indices=True)')[0];
        const input = tfl.input({shape: [6, 5, 3]});
        const [v, i] = pt.layers.maxPool2d({kernelSize: 2, returnIndices: true}).apply(input) as
            tfl.SymbolicTensor[];
        const up = pt.layers.maxUnpool2d({kernelSize: 2}).apply([v, i, input]) as tfl.SymbolicTensor;
        const model = tfl.model({inputs: input, outputs: [v, i, up]});
        await model.save(`file://${dir}`);
        const loaded = await tfl.loadLayersModel(`file://${dir}/model.json`);
        const x = fromFixture(c.inputs.x, 'channelsLast');
        const a = model.predict(x) as tf.Tensor[];
        const b = loaded.predict(x) as tf.Tensor[];
        await expectOutputs(b.slice(0, 2), c.outputs, 'channelsLast', 'file:// model');
        for (let k = 0; k < 3; k++) {
          expect(Array.from(await b[k].data())).to.deep.equal(Array.from(await a[k].data()));
        }
        tf.dispose([x, ...a, ...b]);
      } finally {
        fs.rmSync(dir, {recursive: true, force: true});
      }
    });
  });

  describe('training', () => {
    const c = cases('train/')[0];
    const args = c.args as {safetensors: string, after: string, lr: number, normMean: number[],
                            normStd: number[]};

    /** TrainNet of gen_layers.py, layer names = its module names. */
    function trainNet(dataFormat: DataFormat): tfl.LayersModel {
      const x = c.inputs.x;
      const input = tfl.input({shape: shapeIn(x.shape, dataFormat).slice(1)});
      let h = pt.layers.normalize({mean: args.normMean, std: args.normStd, dataFormat})
                  .apply(input) as tfl.SymbolicTensor;
      h = pt.layers.convTranspose2d({name: 'up', inChannels: 3, outChannels: 8, kernelSize: 3,
                                     stride: 2, padding: 1, outputPadding: 1, dataFormat})
              .apply(h) as tfl.SymbolicTensor;
      h = pt.layers.pixelShuffle({name: 'shuffle', upscaleFactor: 2, dataFormat}).apply(h) as
          tfl.SymbolicTensor;
      const [v, i] = pt.layers.maxPool2d({name: 'pool', kernelSize: 2, returnIndices: true, dataFormat})
                         .apply(h) as tfl.SymbolicTensor[];
      h = pt.layers.maxUnpool2d({name: 'unpool', kernelSize: 2, dataFormat}).apply([v, i]) as
          tfl.SymbolicTensor;
      h = pt.layers.upsample({name: 'resize', scaleFactor: 0.5, mode: 'bilinear',
                              alignCorners: false, dataFormat})
              .apply(h) as tfl.SymbolicTensor;
      h = pt.layers.convTranspose2d({name: 'out', inChannels: 2, outChannels: 3, kernelSize: 3,
                                     padding: 1, dataFormat})
              .apply(h) as tfl.SymbolicTensor;
      return tfl.model({inputs: input, outputs: h});
    }

    for (const dataFormat of DATA_FORMATS) {
      it(`one step: loss and gradients match PyTorch's autograd (${dataFormat})`, async () => {
        const model = trainNet(dataFormat);
        await pt.loadTorchWeights(model, b64Bytes(args.safetensors));
        const x = fromFixture(c.inputs.x, dataFormat);
        const target = fromFixture(c.inputs.target, dataFormat);
        const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const {value, grads} = tf.variableGrads(
            () => tf.losses.meanSquaredError(target, model.apply(x) as tf.Tensor) as tf.Scalar, vars);
        const y = model.predict(x) as tf.Tensor;
        await expectMatches(y, c.outputs[0], dataFormat, 'forward');
        await expectMatches(tf.reshape(value, [1]), c.outputs[1], dataFormat, 'loss', false);
        // Our convTranspose weights keep PyTorch's layout: the gradients compare as they are.
        const byKey: Record<string, tf.Tensor> = {};
        for (const w of model.trainableWeights) {
          const [layer, name] = w.originalName.split('/');
          byKey[`${layer}.${name}`] = grads[(w.read() as tf.Variable).name];
        }
        expect(Object.keys(byKey).sort()).to.deep.equal(Object.keys(c.grad!.grads).sort());
        for (const [key, g] of Object.entries(c.grad!.grads)) {
          await expectMatches(byKey[key], g, dataFormat, `d loss / d ${key}`, false);
        }
        tf.dispose([x, target, value, y, ...Object.values(grads)]);
        model.dispose();
      });

      it(`one model.fit step with SGD gives PyTorch's updated weights (${dataFormat})`, async () => {
        const model = trainNet(dataFormat);
        await pt.loadTorchWeights(model, b64Bytes(args.safetensors));
        const x = fromFixture(c.inputs.x, dataFormat);
        const target = fromFixture(c.inputs.target, dataFormat);
        model.compile({optimizer: tf.train.sgd(args.lr), loss: 'meanSquaredError'});
        await model.fit(x, target, {batchSize: 2, epochs: 1, shuffle: false, verbose: 0});
        const after = pt.readSafetensors(b64Bytes(args.after));
        for (const w of model.trainableWeights) {
          const [layer, name] = w.originalName.split('/');
          const e = after.tensors.get(`${layer}.${name}`)!;
          await expectMatches(w.read(), {shape: e.shape, dtype: 'float32', data: toB64(e.values)},
                              dataFormat, `${layer}.${name} after one step`, false);
        }
        tf.dispose([x, target]);
        model.dispose();
      });
    }

    it('trainable: false freezes a convTranspose layer in fit and survives a save', async () => {
      const frozen = pt.layers.convTranspose2d(
          {name: 'frozen', inChannels: 2, outChannels: 3, kernelSize: 2, stride: 2, trainable: false,
           inputShape: [3, 3, 2]});
      const model = tfl.sequential({layers: [
        frozen, pt.layers.convTranspose2d({name: 'free', inChannels: 3, outChannels: 1, kernelSize: 3}),
      ]});
      expect(model.trainableWeights.map((w) => w.originalName)).to.deep.equal(['free/weight', 'free/bias']);
      expect(frozen.getConfig().trainable).to.equal(false);
      const weights = () => [...frozen.getWeights(), ...model.getLayer('free').getWeights()]
                                .map((w) => Array.from(w.dataSync()));
      const before = weights();
      model.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
      const x = tf.randomUniform([4, 3, 3, 2]);
      const y = tf.randomUniform([4, 8, 8, 1]);
      await model.fit(x, y, {epochs: 2, verbose: 0});
      const after = weights();
      expect(after[0]).to.deep.equal(before[0]);
      expect(after[1]).to.deep.equal(before[1]);
      expect(after[2]).to.not.deep.equal(before[2]);
      tf.dispose([x, y]);
      model.dispose();
    });

    it('model.fit lowers the loss (Adam, 30 epochs from the fixture\'s weights)', async () => {
      const model = trainNet('channelsLast');
      await pt.loadTorchWeights(model, b64Bytes(args.safetensors));
      const x = fromFixture(c.inputs.x, 'channelsLast');
      const target = fromFixture(c.inputs.target, 'channelsLast');
      model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
      const h = await model.fit(x, target, {batchSize: 2, epochs: 30, shuffle: false, verbose: 0});
      const losses = h.history.loss as number[];
      expect(losses[losses.length - 1]).to.be.below(losses[0] * 0.8);
      tf.dispose([x, target]);
      model.dispose();
    });
  });

  describe('config errors name the layer and the argument', () => {
    const bad: Array<[string, () => unknown, RegExp]> = [
      ['upsample without size or scaleFactor, applied to one input',
       () => pt.layers.upsample({}).apply(tfl.input({shape: [2, 2, 1]})),
       /layers\.upsample: give 'size' or 'scaleFactor', or apply the layer to \[x, like\]/],
      ['upsample with both', () => pt.layers.upsample({size: 2, scaleFactor: 2}),
       /layers\.upsample: only one of 'size' and 'scaleFactor'/],
      ['upsample with an unknown mode',
       () => pt.layers.upsample({scaleFactor: 2, mode: 'cubic' as 'bicubic'}),
       /layers\.upsample: argument 'mode' must be one of/],
      ['convTranspose2d without inChannels',
       () => pt.layers.convTranspose2d({outChannels: 2, kernelSize: 3} as pt.layers.ConvTransposeLayerArgs),
       /layers\.convTranspose2d: argument 'inChannels' must be an integer >= 1/],
      ['convTranspose2d with groups not dividing outChannels',
       () => pt.layers.convTranspose2d({inChannels: 4, outChannels: 3, kernelSize: 3, groups: 2}),
       /layers\.convTranspose2d: outChannels \(3\) must be divisible by groups \(2\)/],
      ['convTranspose1d with a 2-entry kernelSize',
       () => pt.layers.convTranspose1d({inChannels: 1, outChannels: 1, kernelSize: [2, 2]}),
       /layers\.convTranspose1d: argument 'kernelSize' must be a number or an array of 1 numbers/],
      ['convTranspose3d with outputPadding >= stride and dilation',
       () => pt.layers.convTranspose3d({inChannels: 1, outChannels: 1, kernelSize: 2, outputPadding: 1}),
       /layers\.convTranspose3d: argument 'outputPadding' must be smaller/],
      ['convTranspose2d with an unknown initializer',
       () => pt.layers.convTranspose2d({inChannels: 1, outChannels: 1, kernelSize: 2, kernelInitializer: 'nope'}),
       /layers\.convTranspose2d: argument 'kernelInitializer': unknown initializer/],
      ['pixelShuffle with factor 0', () => pt.layers.pixelShuffle({upscaleFactor: 0}),
       /layers\.pixelShuffle: argument 'upscaleFactor' must be a positive integer/],
      ['pixelUnshuffle with a fractional factor', () => pt.layers.pixelUnshuffle({downscaleFactor: 1.5}),
       /layers\.pixelUnshuffle: argument 'downscaleFactor' must be a positive integer/],
      ['maxPool2d with padding over half the kernel',
       () => pt.layers.maxPool2d({kernelSize: 2, padding: 2}),
       /layers\.maxPool2d: argument 'padding' must be at most half of kernelSize/],
      ['maxPool1d with a non-boolean returnIndices',
       () => pt.layers.maxPool1d({kernelSize: 2, returnIndices: 1 as unknown as boolean}),
       /layers\.maxPool1d: argument 'returnIndices' must be a boolean/],
      ['maxUnpool3d without kernelSize',
       () => pt.layers.maxUnpool3d({} as pt.layers.MaxUnpoolLayerArgs),
       /layers\.maxUnpool3d: argument 'kernelSize' is required/],
      ['normalize with a string mean',
       () => pt.layers.normalize({mean: 'a' as unknown as number, std: 1}),
       /layers\.normalize: argument 'mean' must be a number or an array/],
      ['a bad dataFormat', () => pt.layers.pixelShuffle({upscaleFactor: 2, dataFormat: 'NCHW' as DataFormat}),
       /layers\.pixelShuffle: dataFormat must be 'channelsLast' or 'channelsFirst'/],
      ['TorchWhere with a string operand',
       () => new pt.layers.TorchWhere({x: 'a' as unknown as number}),
       /layers\.where: argument 'x' must be a number/],
      ['TorchWhere applied to fewer inputs than its operands need',
       () => new pt.layers.TorchWhere({x: 1}).apply(tfl.input({shape: [2, 3]})),
       /layers\.where: takes 2 input\(s\) \(cond, y\)/],
      ['TorchElementwise with an unknown comparison',
       () => new pt.layers.TorchElementwise({op: 'neq' as 'ne', scalar: 0}),
       /layers\.elementwise: argument 'op' must be one of .*eq, ne, lt, le, gt, ge/],
    ];
    for (const [what, fn, pattern] of bad) {
      it(what, () => {
        expect(fn).to.throw(pattern);
      });
    }

    it('shape errors surface when the layer is applied', () => {
      const input = tfl.input({shape: [4, 4, 3]});
      expect(() => pt.layers.pixelShuffle({upscaleFactor: 2}).apply(input))
          .to.throw(/layers\.pixelShuffle: input channels 3 .* must be divisible by upscaleFactor\^2 = 4/);
      expect(() => pt.layers.convTranspose2d({inChannels: 2, outChannels: 1, kernelSize: 2}).apply(input))
          .to.throw(/layers\.convTranspose2d: input has 3 channels .* inChannels 2/);
      expect(() => pt.layers.maxUnpool2d({kernelSize: 2}).apply(input))
          .to.throw(/layers\.maxUnpool2d: must be applied to \[values, indices\]/);
      const x = tf.zeros([1, 4, 4, 3]);
      expect(() => pt.layers.upsample({scaleFactor: 2, mode: 'trilinear'}).apply(x))
          .to.throw(/interpolate: argument 'mode' 'trilinear' needs a 5-D/);
      x.dispose();
    });
  });
});

function toB64(values: Float32Array|Int32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
