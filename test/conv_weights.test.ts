// A convolution layer whose weights are reassigned between calls follows its new weights: one
// TorchFusedConv2d layer loads PyTorch weight set A, then B (loadTorchWeights), then A again
// (tfjs's setWeights), and each output matches F.conv2d's for that set (test/fixtures/conv2d.json,
// the two "weight set" cases, scripts/fixtures/gen_conv2d.py). Guards any per-kernel state a
// backend might keep for a filter (on tensorflow: Note [conv and bias in one TensorFlow op] in
// kernels/node/conv_bias.ts, oneDNN's is_filter_const).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {stateDictBytes} from './reliability_cases.js';
import {DATA_FORMATS, describeBackends, expectMatches, fixtureValues, fromFixture, loadFixture} from './util.js';
import type {FixtureTensor} from './util.js';

const fixture = loadFixture('conv2d');
type Case = (typeof fixture.cases)[number];

function caseNamed(suffix: string): Case {
  const c = fixture.cases.find((k) => k.name.endsWith(suffix));
  if (c == null) throw new Error(`conv2d.json has no case ending in '${suffix}'`);
  return c;
}

function stateDict(c: Case): Uint8Array {
  const entry = (t: FixtureTensor) => ({shape: t.shape, values: fixtureValues(t) as Float32Array});
  return stateDictBytes([['conv.weight', entry(c.inputs.weight)], ['conv.bias', entry(c.inputs.bias!)]]);
}

describeBackends('a convolution layer with reassigned weights', () => {
  const a = caseNamed('weight set A');
  const b = caseNamed('weight set B');
  for (const dataFormat of DATA_FORMATS) {
    it(`follows weight set A, then B, then A again [${dataFormat}]`, async () => {
      expect(a.inputs.weight.shape).to.deep.equal(b.inputs.weight.shape);
      expect(a.args).to.deep.equal(b.args);
      const [cout, cin, kh, kw] = a.inputs.weight.shape;
      const [, , h, w] = a.inputs.x.shape;
      const layer = new pt.layers.TorchFusedConv2d({
        name: 'conv', filters: cout, kernelSize: [kh, kw], strides: [1, 1],
        padding: a.args.pad as [number, number, number, number], useBias: true, activation: 'linear', dataFormat,
      });
      const model = tfl.sequential({layers: [
        tfl.layers.inputLayer({inputShape: dataFormat === 'channelsLast' ? [h, w, cin] : [cin, h, w]}), layer]});
      const xa = fromFixture(a.inputs.x, dataFormat);
      const xb = fromFixture(b.inputs.x, dataFormat);
      const before = tf.memory().numTensors;

      await pt.loadTorchWeights(model, stateDict(a));
      const weightsA = model.getWeights().map((t) => t.clone());
      const ya = model.predict(xa) as tf.Tensor;
      await expectMatches(ya, a.outputs[0], dataFormat, 'output with weight set A');

      await pt.loadTorchWeights(model, stateDict(b));
      const yb = model.predict(xb) as tf.Tensor;
      await expectMatches(yb, b.outputs[0], dataFormat, 'output with weight set B');
      // The same input as the first call, new weights: not A's output.
      const yab = model.predict(xa) as tf.Tensor;
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(yab, ya))));
      const moved = (await gap.data())[0];
      gap.dispose();
      expect(moved, 'set B moved the output of x from set A').to.be.greaterThan(0.1);

      model.setWeights(weightsA);
      const ya2 = model.predict(xa) as tf.Tensor;
      await expectMatches(ya2, a.outputs[0], dataFormat, 'output with weight set A again (setWeights)');

      tf.dispose([ya, yb, yab, ya2, ...weightsA]);
      expect(tf.memory().numTensors).to.equal(before);
      model.dispose();
      tf.dispose([xa, xb]);
    });
  }
});
