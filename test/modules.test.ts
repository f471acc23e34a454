// The layers real decoders need, against torch.nn (scripts/fixtures/gen_modules.py): batchNorm,
// instanceNorm, groupNorm, pad, prelu and upsample applied to [x, like]. Every case in both
// dataFormats: the output (eval through model.predict, training through apply with
// {training: true}), the gradients of x and of every parameter, the running statistics after a
// training call, PyTorch's default initialisation, serialization, model.fit, and the errors
// PyTorch raises.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {DATA_FORMATS, decodeBase64, describeBackends, expectMatches, type FixtureCase, type FixtureTensor, fromFixture, loadFixture, shapeIn} from './util.js';

const fixture = loadFixture('modules');
const cases = (prefix: string) => fixture.cases.filter((c) => c.name.startsWith(prefix));

type Factory = (config: object) => tfl.layers.Layer;
const factories = pt.layers as unknown as Record<string, Factory>;

interface Args {
  layer: string;
  config: Record<string, unknown>;
  training: boolean;
  params: string[];
  safetensors?: string;
  stateAfter?: Record<string, FixtureTensor>;
}

/** A functional model around one layer named 'm', its inputs shaped as the case's. */
function modelFor(c: FixtureCase, dataFormat: DataFormat): tfl.LayersModel {
  const args = c.args as unknown as Args;
  const layer = factories[args.layer]({...args.config, dataFormat, name: 'm'});
  const inputs = Object.entries(c.inputs).map(([name, t]) => tfl.input({
    shape: shapeIn(t.shape, dataFormat).slice(1),
    name: `${name}_in`,
  }));
  const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tfl.SymbolicTensor;
  return tfl.model({inputs, outputs: out});
}

async function loadState(model: tfl.LayersModel, c: FixtureCase): Promise<void> {
  const args = c.args as unknown as Args;
  if (args.safetensors == null) return;
  // The module is the state dict's root (keys 'weight', 'running_mean', ...): module path ''.
  const result = await pt.loadTorchWeights(model, decodeBase64(args.safetensors), {map: {'': 'm'}});
  expect(result.unusedKeys).to.deep.equal([]);
}

/** The layer's variable with PyTorch's parameter name. */
function weightNamed(layer: tfl.layers.Layer, name: string): tf.Variable {
  const w = layer.weights.find((v) => v.originalName.split('/').pop() === name);
  if (w == null) throw new Error(`layer ${layer.name} has no weight '${name}'`);
  return w.read() as tf.Variable;
}

describeBackends('PyTorch modules for decoders (pt.layers norm, pad, prelu, upsample to like)', () => {
  for (const c of cases('forward/')) {
    const args = c.args as unknown as Args;
    // layerNorm normalises the trailing dims of the tensor as given: one layout (PyTorch's).
    const formats: DataFormat[] = args.layer === 'layerNorm' ? ['channelsFirst'] : DATA_FORMATS;
    for (const dataFormat of formats) {
      it(`${c.name} (${dataFormat})`, async () => {
        if (c.error != null) {
          expect(() => modelFor(c, dataFormat)).to.throw(new RegExp(`^layers\\.${args.layer}: `));
          const x = fromFixture(c.inputs.x, dataFormat);
          const layer = factories[args.layer]({...args.config, dataFormat});
          expect(() => layer.apply(x)).to.throw(new RegExp(`^layers\\.${args.layer}: `));
          x.dispose();
          return;
        }
        const model = modelFor(c, dataFormat);
        await loadState(model, c);
        const layer = model.getLayer('m');
        const xs = Object.values(c.inputs).map((t) => fromFixture(t, dataFormat));
        const feed = xs.length === 1 ? xs[0] : xs;

        // Eval through predict (tfjs-layers passes training false), leaving one tensor.
        if (!args.training) {
          const before = tf.memory().numTensors;
          const y = model.predict(feed) as tf.Tensor;
          expect(tf.memory().numTensors, 'tensors after predict').to.equal(before + 1);
          await expectMatches(y, c.outputs[0], dataFormat, `${c.name} predict`);
          const promised = layer.computeOutputShape(
              xs.length === 1 ? xs[0].shape : xs.map((x) => x.shape as Array<number|null>));
          expect(y.shape, 'computeOutputShape').to.deep.equal(promised);
          expect(model.outputs[0].shape.slice(1), 'symbolic shape').to.deep.equal(y.shape.slice(1));
          y.dispose();
        }

        // One call in the case's mode with the gradients of x and every parameter. In training
        // the call also moves the running statistics, once.
        const xVar = tf.variable(xs[0], true);
        const params = args.params.map((n) => weightNamed(layer, n));
        const dy = fromFixture(c.grad!.dy, dataFormat);
        let y: tf.Tensor|null = null;
        const before = tf.memory().numTensors;
        const {value, grads} = tf.variableGrads(() => {
          const out = layer.apply(xs.length === 1 ? xVar : [xVar, ...xs.slice(1)],
                                  {training: args.training}) as tf.Tensor;
          y = tf.keep(out);
          return tf.sum(tf.mul(out, dy));
        }, [xVar, ...params]);
        expect(tf.memory().numTensors, 'tensors after the gradient call')
            .to.equal(before + 2 + params.length + 1);
        await expectMatches(y!, c.outputs[0], dataFormat, `${c.name} output`);
        await expectMatches(grads[xVar.name], c.grad!.grads.x, dataFormat, `${c.name} dx`);
        for (let i = 0; i < params.length; i++) {
          await expectMatches(grads[params[i].name], c.grad!.grads[args.params[i]], dataFormat,
                              `${c.name} d${args.params[i]}`, false);
        }
        if (args.stateAfter != null) {
          for (const [name, t] of Object.entries(args.stateAfter)) {
            await expectMatches(weightNamed(layer, name), t, dataFormat, `${c.name} ${name} after`, false);
          }
        }
        tf.dispose([value, y!, dy, xVar, ...Object.values(grads), ...xs]);
        model.dispose();
      });
    }
  }

  describe('PyTorch\'s default initialisation and state-dict names', () => {
    for (const c of cases('init/')) {
      it(c.name, async () => {
        const {layer: name, config, keys} = c.args as {layer: string, config: object, keys: string[]};
        const layer = factories[name](config);
        const channels = (config as {numFeatures?: number, numChannels?: number, numParameters?: number});
        const cin = channels.numFeatures ?? channels.numChannels ?? channels.numParameters ?? 1;
        const ns = (config as {normalizedShape?: number[]}).normalizedShape;
        layer.build(ns != null ? [2, ...ns] : [2, 3, 3, cin]);
        expect(layer.weights.map((w) => w.originalName.split('/').pop())).to.deep.equal(keys);
        for (let i = 0; i < keys.length; i++) {
          const w = layer.weights[i];
          expect(w.trainable, `${keys[i]} trainable`).to.equal(!keys[i].startsWith('running_'));
          await expectMatches(w.read(), c.outputs[i], 'channelsFirst', keys[i], false);
        }
        layer.weights.forEach((w) => w.dispose());
      });
    }
  });

  describe('serialization and training', () => {
    const configs: Array<[string, object]> = [
      ['batchNorm', {numFeatures: 3, eps: 1e-3, momentum: 0.2, affine: true, trackRunningStats: true}],
      ['instanceNorm', {numFeatures: 3, eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: false}],
      ['groupNorm', {numGroups: 3, numChannels: 3, eps: 1e-5, affine: false}],
      ['pad', {padding: [1, 2, -1, 0], mode: 'reflect', value: 0}],
      ['prelu', {numParameters: 3, init: 0.3}],
    ];
    for (const [name, config] of configs) {
      for (const dataFormat of DATA_FORMATS) {
        it(`${name} survives model.save / tf.loadLayersModel with the same outputs (${dataFormat})`,
           async () => {
             const shape = dataFormat === 'channelsLast' ? [4, 5, 3] : [3, 4, 5];
             const input = tfl.input({shape});
             const layer = factories[name]({...config, dataFormat, name: 'm'});
             const model = tfl.model({inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor});
             // Move the weights off their initial values so that the round trip carries them.
             for (const w of model.getLayer('m').weights) {
               w.write(tf.tidy(() => tf.add(w.read(), tf.randomUniform(w.shape as number[], 0.1, 0.5, 'float32', 3))));
             }
             const cfg = model.getLayer('m').getConfig();
             const own = Object.keys(cfg).filter((k) => !['name', 'trainable', 'dtype', 'batchInputShape'].includes(k));
             expect(own.sort()).to.deep.equal([...Object.keys(config), 'dataFormat'].sort());
             let saved: tf.io.ModelArtifacts|null = null;
             await model.save(tf.io.withSaveHandler(async (a) => {
               saved = a;
               return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
             }));
             const json = JSON.stringify(saved!.modelTopology);
             expect(json).to.contain(`"class_name":"Torch${name === 'prelu' ? 'PReLU' : name[0].toUpperCase() + name.slice(1)}"`);
             const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
             const x = tf.randomUniform([2, ...shape], -1, 1, 'float32', 5);
             const a = model.predict(x) as tf.Tensor;
             const b = loaded.predict(x) as tf.Tensor;
             expect(Array.from(await b.data())).to.deep.equal(Array.from(await a.data()));
             tf.dispose([x, a, b]);
             model.dispose();
             loaded.dispose();
           });
      }
    }

    it('model.fit trains with batch statistics and moves the running statistics', async () => {
      const model = tfl.sequential({layers: [
        pt.layers.batchNorm({numFeatures: 2, inputShape: [2, 3, 3], dataFormat: 'channelsFirst', name: 'bn'}),
        pt.layers.prelu({numParameters: 2, dataFormat: 'channelsFirst'}),
      ]});
      model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
      const x = tf.add(tf.mul(tf.randomUniform([8, 2, 3, 3], -1, 1, 'float32', 9), 2), 3);
      const yTrue = tf.randomUniform([8, 2, 3, 3], -1, 1, 'float32', 4);
      const bn = model.getLayer('bn');
      const before = await weightNamed(bn, 'running_mean').data();
      const h = await model.fit(x, yTrue, {epochs: 5, batchSize: 8, verbose: 0});
      const after = await weightNamed(bn, 'running_mean').data();
      expect(Array.from(after)).to.not.deep.equal(Array.from(before));
      // Five updates with momentum 0.1 from 0 towards the batch mean (about 3).
      const xm = await tf.tidy(() => tf.mean(x, [0, 2, 3])).data();
      for (let c = 0; c < 2; c++) {
        expect(after[c]).to.be.closeTo(xm[c] * (1 - 0.9 ** 5), 1e-4);
      }
      const losses = h.history.loss as number[];
      expect(losses[losses.length - 1]).to.be.lessThan(losses[0]);
      tf.dispose([x, yTrue]);
      model.dispose();
    });
  });

  describe('loadTorchWeights into tfjs-layers\' own PReLU and BatchNormalization', () => {
    const named = (n: string) => {
      const c = fixture.cases.find((k) => k.name === n);
      if (c == null) throw new Error(`no fixture case ${n}`);
      return c;
    };
    const preluC = named('forward/PReLU({\'num_parameters\': 3, \'init\': 0.1}) on [2, 3, 4, 5] eval');
    const prelu1 = named('forward/PReLU({}) on [2, 3, 4, 5] eval');
    const bn = named('forward/BatchNorm2d({\'num_features\': 4}) on [2, 4, 5, 6] eval');

    async function tfjsModel(c: FixtureCase, dataFormat: DataFormat, layer: tfl.layers.Layer) {
      const input = tfl.input({shape: shapeIn(c.inputs.x.shape, dataFormat).slice(1)});
      const model = tfl.model({inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor});
      return model;
    }
    async function expectPredicts(model: tfl.LayersModel, c: FixtureCase, dataFormat: DataFormat) {
      const x = fromFixture(c.inputs.x, dataFormat);
      const y = model.predict(x) as tf.Tensor;
      await expectMatches(y, c.outputs[0], dataFormat, c.name);
      tf.dispose([x, y]);
    }

    for (const dataFormat of DATA_FORMATS) {
      const shared = dataFormat === 'channelsLast' ? [1, 2] : [2, 3];
      it(`fills tfjs's PReLU from PReLU(3) and PReLU() (${dataFormat}, shared and per-element alpha)`, async () => {
        for (const [c, sharedAxes] of [[preluC, shared], [preluC, undefined], [prelu1, undefined],
                                       [prelu1, [1, 2, 3]]] as Array<[FixtureCase, number[]|undefined]>) {
          const model = await tfjsModel(c, dataFormat, tfl.layers.prelu({name: 'm', sharedAxes}));
          let error = null as Error|null;
          await pt.loadTorchWeights(model, decodeBase64(c.args.safetensors as string), {map: {'': 'm'}})
              .catch((e: Error) => error = e);
          if (error == null) {
            await expectPredicts(model, c, dataFormat);
          } else {
            // Refused only where tfjs's prelu broadcasts an alpha [C, 1, 1] wrongly (not on cpu).
            expect(tf.getBackend()).to.not.equal('cpu');
            expect(dataFormat === 'channelsFirst' && sharedAxes != null && c === preluC).to.equal(true);
            expect(error.message).to.match(new RegExp(`layer 'm' is a tfjs PReLU whose alpha \\[3, 1, 1\\] ${
                ''}varies along a non-last axis \\(channelsFirst\\), which tfjs computes wrongly on the '${
                tf.getBackend()}' backend .* use pt\\.layers\\.prelu`));
          }
          model.dispose();
        }
      });
    }

    it('rejects a PReLU weight that fits no axis of the alpha, naming key and shapes', async () => {
      const model = await tfjsModel(preluC, 'channelsLast', tfl.layers.prelu({name: 'm', sharedAxes: [1, 2]}));
      const bytes = decodeBase64(named('forward/PReLU({\'num_parameters\': 4}) on [3, 4] eval').args.safetensors as string);
      let error = null as Error|null;
      await pt.loadTorchWeights(model, bytes, {map: {'': 'm'}}).catch((e: Error) => error = e);
      expect(error?.message).to.match(
          /loadTorchWeights: key 'weight' has shape \[4\], but layer 'm' \(PReLU\) needs \[1\] or \[C\] with C an axis of its alpha \[1, 1, 3\]/);
      model.dispose();
    });

    it('a channelsFirst tfjs BatchNormalization is refused where tfjs computes it wrongly, right elsewhere', async () => {
      const model = await tfjsModel(bn, 'channelsFirst',
                                    tfl.layers.batchNormalization({name: 'm', axis: 1, epsilon: 1e-5}));
      let error = null as Error|null;
      await pt.loadTorchWeights(model, decodeBase64(bn.args.safetensors as string), {map: {'': 'm'}})
          .catch((e: Error) => error = e);
      if (tf.getBackend() === 'cpu') expect(error, 'cpu computes it wrongly').to.not.equal(null);
      if (error != null) {
        expect((error as Error).message).to.match(new RegExp(
            `layer 'm' is a tfjs BatchNormalization normalising axis 1 of a 4-D input \\(channelsFirst\\), ${
                ''}which tfjs computes wrongly on the '${tf.getBackend()}' backend .* use pt\\.layers\\.batchNorm`));
        // The weights were left as they were (the load is checked before anything is written).
        expect(Array.from(await model.getLayer('m').getWeights()[2].data())).to.deep.equal([0, 0, 0, 0]);
      } else {
        await expectPredicts(model, bn, 'channelsFirst');
      }
      model.dispose();
    });

    it('a channelsLast tfjs BatchNormalization loads and matches PyTorch', async () => {
      const model = await tfjsModel(bn, 'channelsLast',
                                    tfl.layers.batchNormalization({name: 'm', epsilon: 1e-5}));
      await pt.loadTorchWeights(model, decodeBase64(bn.args.safetensors as string), {map: {'': 'm'}});
      await expectPredicts(model, bn, 'channelsLast');
      model.dispose();
    });
  });

  describe('errors name the layer and the argument', () => {
    const bad: Array<[string, () => unknown, RegExp]> = [
      ['batchNorm without numFeatures', () => pt.layers.batchNorm({} as pt.layers.BatchNormArgs),
       /layers\.batchNorm: argument 'numFeatures' must be a positive integer/],
      ['batchNorm momentum null', () => pt.layers.batchNorm({numFeatures: 2, momentum: null as unknown as number}),
       /layers\.batchNorm: argument 'momentum' must be a number: PyTorch's momentum=None/],
      ['groupNorm groups not dividing channels', () => pt.layers.groupNorm({numGroups: 3, numChannels: 4}),
       /layers\.groupNorm: numChannels \(4\) must be divisible by numGroups \(3\)/],
      ['pad with an odd-length list', () => pt.layers.pad({padding: [1, 2, 3]}),
       /layers\.pad: argument 'padding' must be an integer or an even-length array/],
      ['pad with an unknown mode', () => pt.layers.pad({padding: 1, mode: 'mirror' as 'reflect'}),
       /layers\.pad: argument 'mode' must be one of constant, reflect, replicate, circular/],
      ['prelu numParameters 0', () => pt.layers.prelu({numParameters: 0}),
       /layers\.prelu: argument 'numParameters' must be a positive integer/],
      ['upsample with size and scaleFactor', () => pt.layers.upsample({size: 4, scaleFactor: 2}),
       /layers\.upsample: only one of 'size' and 'scaleFactor'/],
    ];
    for (const [what, fn, pattern] of bad) {
      it(what, () => {
        expect(fn).to.throw(pattern);
      });
    }

    it('shape errors surface when the layer is applied', () => {
      const input = tfl.input({shape: [4, 5, 3]});
      expect(() => pt.layers.batchNorm({numFeatures: 4}).apply(input))
          .to.throw(/layers\.batchNorm: input has 3 channels .* numFeatures 4/);
      expect(() => pt.layers.instanceNorm({numFeatures: 3}).apply(tfl.input({shape: [3]})))
          .to.throw(/layers\.instanceNorm: input must have rank 3, 4, 5/);
      expect(() => pt.layers.pad({padding: [1, 1], mode: 'reflect'}).apply(input))
          .to.throw(/layers\.pad: mode 'reflect' pads the spatial dims of a batched input: padding needs 2 entries per spatial dim \(4\)/);
      expect(() => pt.layers.prelu({numParameters: 2}).apply(input))
          .to.throw(/layers\.prelu: input has 3 channels .* numParameters is 2/);
      expect(() => pt.layers.upsample({mode: 'bilinear'}).apply(input))
          .to.throw(/layers\.upsample: give 'size' or 'scaleFactor', or apply the layer to \[x, like\]/);
      expect(() => pt.layers.upsample({scaleFactor: 2}).apply([input, input]))
          .to.throw(/layers\.upsample: applied to \[x, like\] .* must not be given/);
      const x = tf.ones([1, 2, 2, 3]);
      expect(() => pt.layers.batchNorm({numFeatures: 3}).apply(tf.ones([1, 3]), {training: true}))
          .to.throw(/layers\.batchNorm: expected more than 1 value per statistic/);
      x.dispose();
    });
  });
});
