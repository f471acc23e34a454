// TorchArgGather (table[argmin(x, -1)] or argmax: a vector quantizer's codebook lookup) against
// PyTorch (test/fixtures/codebook.json, Debian's torch 1.13: scripts/fixtures/gen_codebook.py):
// ties (the first index of the extreme wins), NaN (the first NaN counts as the extreme),
// infinities, rows of 300 entries full of ties, tables of rank 1 to 3. Each case: the looked-up
// rows and the indices, called eagerly and inside a tf.LayersModel, the gradients (none for x;
// embedding's for the table), no tensor left behind, inputs unchanged, a config round trip and a
// model.save / tf.loadLayersModel round trip; then hostile configs and wrong inputs.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {argExtreme} from '../src/layers/arg_gather.js';
import {describeBackends, expectMatches, expectNoLeak, fromFixture, loadFixture} from './util.js';

const cases = loadFixture('codebook').cases;
const EXACT = {atol: 0, rtol: 0};

interface Args {op: 'argmin'|'argmax', tableShape: number[]}

function layerFor(args: Args, table: tf.Tensor, name = 'codebook'): pt.layers.TorchArgGather {
  const layer = pt.layers.argGather({...args, name});
  layer.build([null, args.tableShape[0]]);
  layer.setWeights([table]);
  return layer;
}

describeBackends('TorchArgGather against PyTorch', () => {
  for (const c of cases) {
    const args = c.args as unknown as Args;

    it(`${c.name}: rows and indices, no leak, config round trip`, async () => {
      const x = fromFixture(c.inputs.x, 'channelsFirst');
      const table = fromFixture(c.inputs.table, 'channelsFirst');
      const layer = layerFor(args, table);
      const y = await expectNoLeak([x], () => layer.apply(x) as tf.Tensor);
      await expectMatches(y, c.outputs[0], 'channelsFirst', `${c.name} rows`, true, EXACT);
      expect(y.shape).to.deep.equal(layer.computeOutputShape(x.shape));
      const idx = await expectNoLeak([x], () => argExtreme(x, args.op));
      await expectMatches(idx, c.outputs[1], 'channelsFirst', `${c.name} indices`, true, EXACT);
      const again = pt.layers.TorchArgGather.fromConfig(
          pt.layers.TorchArgGather, layer.getConfig()) as pt.layers.TorchArgGather;
      again.build(x.shape);
      again.setWeights(layer.getWeights());
      const y2 = again.apply(x) as tf.Tensor;
      expect(Array.from(await y2.data())).to.deep.equal(Array.from(await y.data()));
      tf.dispose([x, table, y, idx, y2]);
      layer.weights.forEach((w) => w.dispose());
      again.weights.forEach((w) => w.dispose());
    });

    it(`${c.name}: in a tf.LayersModel, saved and reloaded`, async () => {
      const x = fromFixture(c.inputs.x, 'channelsFirst');
      const table = fromFixture(c.inputs.table, 'channelsFirst');
      const input = tfl.input({batchShape: [null, ...x.shape.slice(1)], name: 'x'});
      const layer = pt.layers.argGather({...args, name: 'codebook'});
      const model = tfl.model({inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor});
      layer.setWeights([table]);
      const y = model.predict(x) as tf.Tensor;
      await expectMatches(y, c.outputs[0], 'channelsFirst', `${c.name} model`, true, EXACT);
      let saved: tf.io.ModelArtifacts|null = null;
      await model.save(tf.io.withSaveHandler(async (a) => {
        saved = a;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      }));
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      const y2 = loaded.predict(x) as tf.Tensor;
      await expectMatches(y2, c.outputs[0], 'channelsFirst', `${c.name} reloaded`, true, EXACT);
      tf.dispose([x, table, y, y2]);
      model.dispose();
      loaded.dispose();
    });

    it(`${c.name}: gradients (none for x; embedding's for the table)`, async () => {
      const x = tf.variable(fromFixture(c.inputs.x, 'channelsFirst'), true);
      const table = fromFixture(c.inputs.table, 'channelsFirst');
      const layer = layerFor(args, table);
      const dy = fromFixture(c.grad!.dy, 'channelsFirst');
      const w = layer.trainableWeights[0].read() as tf.Variable;
      const before = tf.memory().numTensors;
      const {value, grads} = tf.variableGrads(
          () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, dy)), [x, w]);
      expect(tf.memory().numTensors, 'tensors after the gradient call').to.equal(before + 3);
      await expectMatches(grads[x.name], c.grad!.grads.x, 'channelsFirst', `${c.name} dx`);
      await expectMatches(grads[w.name], c.grad!.grads['weight:table'], 'channelsFirst',
                          `${c.name} dtable`);
      tf.dispose([value, dy, table, x, ...Object.values(grads)]);
      layer.weights.forEach((v) => v.dispose());
    });
  }

  it('refuses an input whose last dim is not the table\'s rows, before any work', () => {
    const layer = pt.layers.argGather({tableShape: [4, 2], name: 'vq'});
    layer.build([null, 4]);
    const x = tf.zeros([3, 5]);
    const before = tf.memory().numTensors;
    expect(() => layer.apply(x)).to.throw(/layers\.argGather: 'vq': the input's last dim must be the table's 4 rows/);
    expect(tf.memory().numTensors).to.equal(before);
    expect(() => layer.computeOutputShape([null, 7])).to.throw(/table's 4 rows/);
    expect(() => layer.apply(tf.zeros([3, 4], 'int32'))).to.throw(/layers\.argGather: 'vq': takes float32/);
    tf.dispose(x);
    layer.weights.forEach((w) => w.dispose());
  });
});

describe('TorchArgGather: configs', () => {
  it('is registered for tf.loadLayersModel under its class name', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map['TorchArgGather']?.[0]).to.equal(pt.layers.TorchArgGather);
  });

  async function loadOne(config: object, table: number[] = [4, 2]): Promise<void> {
    const topology = {class_name: 'Sequential', keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js',
                      config: {name: 'm', layers: [{class_name: 'TorchArgGather', config: {name: 'vq', ...config}}]}};
    const n = table.reduce((a, b) => a * b, 1);
    const model = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: [{name: 'vq/table', shape: table, dtype: 'float32'}],
      weightData: new Float32Array(n).buffer}));
    model.dispose();
  }

  it('a hostile model.json is refused with a clear error (the layer\'s own before any weight is made)', async () => {
    const cases: Array<[object, number[], RegExp]> = [
      [{tableShape: [1000, 1e9], batch_input_shape: [null, 1000]}, [4, 2], /layers\.argGather: .*weight/],
      [{tableShape: [1e9, 2], batch_input_shape: [null, 1e9]}, [4, 2], /layers\.argGather: .*1000000000 rows/],
      [{tableShape: [4, 2], op: 'argmedian', batch_input_shape: [null, 4]}, [4, 2], /argument 'op'/],
      [{tableShape: [4, 2], batch_input_shape: [null, 5]}, [4, 2], /layers\.argGather: 'vq': the input's last dim must be the table's 4 rows/],
      [{tableShape: [4, 2], batch_input_shape: [null, 4]}, [4, 3], /Shape mismatch: \[4,2\] vs\. \[4,3\]/],
    ];
    for (const [config, table, message] of cases) {
      const before = tf.memory().numTensors;
      let err: Error|null = null;
      try {
        await loadOne(config, table);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message ?? 'no error', JSON.stringify(config)).to.match(message);
      // (A table of the wrong size is tfjs-layers' own check, after the layer made its weight,
      // which tfjs's loader leaves behind on wasm; the layer's own refusals come before.)
      if (table[1] === 2) {
        expect(tf.memory().numTensors, 'tensors after the refused load').to.equal(before);
      }
    }
  });

  const bad: Array<[object, RegExp]> = [
    [{tableShape: [0, 2]}, /layers\.argGather: argument 'tableShape' must be an array of integers >= 1/],
    [{tableShape: []}, /layers\.argGather: argument 'tableShape'/],
    [{tableShape: [3, 2.5]}, /layers\.argGather: argument 'tableShape'/],
    [{tableShape: '16,4'}, /layers\.argGather: argument 'tableShape'/],
    [{}, /layers\.argGather: argument 'tableShape'/],
    [{tableShape: [2 ** 24, 1]}, /layers\.argGather: argument 'tableShape' has 16777216 rows/],
    [{tableShape: [1e6, 1e6]}, /layers\.argGather: .*weight/],
    [{tableShape: [4, 2], op: 'min'}, /layers\.argGather: argument 'op' must be one of argmin, argmax/],
    [{tableShape: [4, 2], dim: 1}, /layers\.argGather: unknown argument 'dim'/],
    [null as unknown as object, /layers\.argGather: a config object is required/],
  ];
  for (const [config, message] of bad) {
    it(`argGather(${JSON.stringify(config)}) is refused: ${message.source}`, () => {
      expect(() => pt.layers.argGather(config as pt.layers.ArgGatherArgs)).to.throw(message);
    });
  }
});
