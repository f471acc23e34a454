// The TorchConv2d route (src/ops/conv2d.ts: tfjs's own FusedConv2D kernel of each backend with
// explicit padding) and the TorchFusedConv2d layer on it, against PyTorch (test/fixtures/
// conv2d.json from scripts/fixtures/gen_conv2d.py): F.conv2d after F.pad's zeros (even, uneven,
// larger than half the kernel), strides, dilation, with and without bias, linear / ReLU /
// LeakyReLU / PReLU (per channel and one weight) after it, NaN kept; the layer's gradients of x,
// kernel, bias and alpha; loadTorchWeights with a PReLU's weight; save / load; argument checks.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {torchConv2d} from '../src/ops/conv2d.js';
import type {TorchConv2dActivation, TorchConv2dAttrs} from '../src/kernel_names.js';
import {stateDictBytes} from './reliability_cases.js';
import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fixtureValues, fromFixture, loadFixture} from './util.js';
import type {FixtureTensor} from './util.js';

const fixture = loadFixture('conv2d');
type Case = (typeof fixture.cases)[number];

function attrsOf(c: Case): TorchConv2dAttrs {
  const s = c.args.stride as number;
  const d = c.args.dilation as number;
  return {
    strides: [s, s], pad: c.args.pad as [number, number, number, number], dilations: [d, d],
    activation: c.args.activation as TorchConv2dActivation,
    leakyreluAlpha: (c.args.negative_slope as number|null) ?? 0,
  };
}

/** PyTorch's weight [out, in, kh, kw] as the kernel [kh, kw, in, out]. */
function kernelOf(c: Case): tf.Tensor4D {
  const w = c.inputs.weight;
  return tf.tidy(() => tf.transpose(tf.tensor4d(fixtureValues(w), w.shape as [number, number, number, number]), [2, 3, 1, 0])) as tf.Tensor4D;
}

function vec(t: FixtureTensor|undefined, n: number): tf.Tensor1D|null {
  if (t == null) return null;
  return tf.tidy(() => tf.broadcastTo(tf.tensor1d(fixtureValues(t) as Float32Array), [n])) as tf.Tensor1D;
}

describeBackends('torchConv2d (TorchConv2d kernel)', () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const x = fromFixture(c.inputs.x, 'channelsLast') as tf.Tensor4D;
      const k = kernelOf(c);
      const out = k.shape[3];
      const b = vec(c.inputs.bias, out);
      const p = vec(c.inputs.prelu, out);
      const inputs = [x, k, ...(b == null ? [] : [b]), ...(p == null ? [] : [p])];
      const y = await expectNoLeak(inputs, () => torchConv2d(x, k, b, p, attrsOf(c)));
      await expectMatches(y, c.outputs[0], 'channelsLast', 'output');
      tf.dispose([...inputs, y]);
    });
  }

  it('rejects bad arguments before any work', () => {
    const x = tf.zeros([1, 5, 5, 3]) as tf.Tensor4D;
    const k = tf.zeros([3, 3, 3, 4]) as tf.Tensor4D;
    const a: TorchConv2dAttrs = {strides: [1, 1], pad: [0, 0, 0, 0], dilations: [1, 1], activation: 'linear', leakyreluAlpha: 0};
    const before = tf.memory().numTensors;
    const w4 = tf.zeros([4]) as tf.Tensor1D;
    expect(() => torchConv2d(tf.zeros([5, 5, 3]) as unknown as tf.Tensor4D, k, null, null, a)).to.throw(/^torchConv2d: argument 'x' must have rank 4/);
    expect(() => torchConv2d(x, tf.zeros([3, 3, 2, 4]) as tf.Tensor4D, null, null, a)).to.throw(/^torchConv2d: argument 'filter' of shape \[3, 3, 2, 4\] expects 2 input channels/);
    expect(() => torchConv2d(x, k, tf.zeros([3]) as tf.Tensor1D, null, a)).to.throw(/^torchConv2d: argument 'bias' must have shape \[4\]/);
    expect(() => torchConv2d(x, k, null, null, {...a, pad: [1, 1, 1] as unknown as [number, number, number, number]})).to.throw(/^torchConv2d: argument 'pad' must be 4 integers >= 0/);
    expect(() => torchConv2d(x, k, null, null, {...a, strides: [2, 2], dilations: [2, 2]})).to.throw(/^torchConv2d: strides \[2, 2\] together with dilations/);
    expect(() => torchConv2d(x, k, null, null, {...a, activation: 'elu' as TorchConv2dActivation})).to.throw(/^torchConv2d: argument 'activation' must be one of/);
    expect(() => torchConv2d(x, k, null, null, {...a, activation: 'prelu'})).to.throw(/^torchConv2d: argument 'preluWeights' must have shape \[4\] with activation 'prelu', got none/);
    expect(() => torchConv2d(x, k, null, w4, a)).to.throw(/^torchConv2d: argument 'preluWeights' is only taken with activation 'prelu'/);
    expect(() => torchConv2d(x, k, null, null, {...a, dilations: [3, 3]})).to.throw(/^torchConv2d: input of spatial size \[5, 5\]/);
    expect(() => torchConv2d(x, tf.zeros([3, 3, 3, 4], 'int32') as tf.Tensor4D, null, null, a)).to.throw(/^torchConv2d: argument 'filter' must be float32/);
    expect(tf.memory().numTensors).to.equal(before + 5);  // w4 and the zeros made inline above
    tf.dispose([x, k, w4]);
  });
});

/** A state dict {conv.weight, conv.bias?, act.weight?} as safetensors bytes. */
function stateDict(c: Case): Uint8Array {
  const entries: Array<[string, FixtureTensor|undefined]> = [['conv.weight', c.inputs.weight], ['conv.bias', c.inputs.bias], ['act.weight', c.inputs.prelu]];
  return stateDictBytes(entries.map(([k, t]) => [k, t == null ? undefined :
      {shape: t.shape, values: fixtureValues(t) as Float32Array}]));
}

describeBackends('TorchFusedConv2d layer (the exporter\'s 2-d convolution)', () => {
  for (const c of fixture.cases) {
    for (const dataFormat of DATA_FORMATS) {
      it(`${c.name} [${dataFormat}]: loadTorchWeights, predict, save / load, gradients`, async () => {
        const [, cin, h, w] = c.inputs.x.shape;
        const a = attrsOf(c);
        const layer = new pt.layers.TorchFusedConv2d({
          name: 'conv', filters: c.inputs.weight.shape[0], kernelSize: c.inputs.weight.shape.slice(2),
          strides: a.strides, padding: a.pad, dilationRate: a.dilations, useBias: c.inputs.bias != null,
          activation: a.activation, leakyreluAlpha: a.activation === 'leakyrelu' ? a.leakyreluAlpha : undefined,
          dataFormat,
        });
        const model = tfl.sequential({layers: [
          tfl.layers.inputLayer({inputShape: dataFormat === 'channelsLast' ? [h, w, cin] : [cin, h, w]}), layer]});
        const loaded = await pt.loadTorchWeights(model, stateDict(c), {map: {act: 'conv'}});
        expect(loaded.loadedKeys.length).to.equal(Object.keys(c.inputs).length - 1);
        const x = fromFixture(c.inputs.x, dataFormat);
        const y = model.predict(x) as tf.Tensor;
        expect(y.shape).to.deep.equal(model.outputs[0].shape.map((s, i) => s ?? y.shape[i]));
        await expectMatches(y, c.outputs[0], dataFormat, 'layer output');
        // Round trip through model.json.
        const artifacts: tf.io.ModelArtifacts[] = [];
        await model.save(tf.io.withSaveHandler(async (art) => {
          artifacts.push(art);
          return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
        }));
        const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts[0]));
        expect(reloaded.getLayer('conv').getConfig()).to.deep.equal(layer.getConfig());
        const y2 = reloaded.predict(x) as tf.Tensor;
        await expectMatches(y2, c.outputs[0], dataFormat, 'output after save / load');
        tf.dispose([y, y2]);
        reloaded.dispose();
        if (c.grad != null) {
          // Under a gradient: PyTorch's gradients of x, kernel, bias and alpha.
          const dy = fromFixture(c.grad.dy, dataFormat);
          const xv = tf.variable(x);
          const vars = [xv, ...model.trainableWeights.map((v) => (v as unknown as {val: tf.Variable}).val)];
          const {value, grads} = tf.variableGrads(
              () => tf.sum(tf.mul(model.apply(xv, {training: true}) as tf.Tensor, dy)) as tf.Scalar, vars);
          await expectMatches(grads[xv.name], c.grad.grads.x, dataFormat, 'gradient of x');
          const named = (v: pt.layers.TorchFusedConv2d['kernel']) => grads[(v as unknown as {val: tf.Variable}).val.name];
          const dk = tf.transpose(fromFixture(c.grad.grads.weight, dataFormat, false), [2, 3, 1, 0]);
          expect(named(layer.kernel).shape).to.deep.equal(dk.shape);
          const err = (await tf.max(tf.abs(tf.sub(named(layer.kernel), dk))).data())[0];
          const scale = (await tf.max(tf.abs(dk)).data())[0];
          expect(err, 'gradient of kernel').to.be.at.most(1e-4 * (1 + scale));
          if (layer.bias != null) await expectMatches(named(layer.bias), c.grad.grads.bias, dataFormat, 'gradient of bias', false);
          if (layer.alpha != null) {
            const dp = c.grad.grads.prelu;
            const got = dp.shape[0] === 1 ? tf.sum(named(layer.alpha), 0, true) : named(layer.alpha);
            await expectMatches(got, dp, dataFormat, 'gradient of alpha', false);
            got.dispose();
          }
          tf.dispose([dy, xv, dk, value, ...Object.values(grads)]);
        }
        model.dispose();
        x.dispose();
      });
    }
  }

  it('takes tfjs\'s \'same\' and \'valid\' (models saved before explicit padding)', async () => {
    for (const [i, padding] of [[0, 'same'], [4, 'valid']] as const) {
      const c = fixture.cases[i];
      const [, cin, h, w] = c.inputs.x.shape;
      const a = attrsOf(c);
      expect(a.pad.every((p) => p === a.pad[0]) && a.strides[0] === 1, c.name).to.equal(true);
      const layer = new pt.layers.TorchFusedConv2d({
        filters: c.inputs.weight.shape[0], kernelSize: c.inputs.weight.shape.slice(2), padding,
        activation: a.activation, dataFormat: 'channelsLast',
      });
      layer.build([null, h, w, cin]);
      const k = kernelOf(c);
      const b = vec(c.inputs.bias, k.shape[3])!;
      const p = vec(c.inputs.prelu, k.shape[3]);
      layer.setWeights(p == null ? [k, b] : [k, b, p]);
      const x = fromFixture(c.inputs.x, 'channelsLast');
      const y = layer.apply(x) as tf.Tensor;
      expect(layer.computeOutputShape([null, h, w, cin])).to.deep.equal([null, ...y.shape.slice(1)]);
      await expectMatches(y, c.outputs[0], 'channelsLast', `${padding}: output`);
      tf.dispose([k, b, x, y, ...(p == null ? [] : [p]), ...layer.weights.map((v) => (v as unknown as {val: tf.Variable}).val)]);
    }
  });

  it('refuses bad configs', () => {
    const L = pt.layers;
    expect(() => new L.TorchFusedConv2d({filters: 4, kernelSize: 3, activation: 'elu' as 'relu'})).to.throw(/^layers\.fusedConv2d: argument 'activation' must be one of linear, relu, leakyrelu, prelu/);
    expect(() => new L.TorchFusedConv2d({filters: 4, kernelSize: 3, activation: 'linear', padding: [1, 1, 1]})).to.throw(/^layers\.fusedConv2d: argument 'padding'/);
    expect(() => new L.TorchFusedConv2d({filters: 4, kernelSize: 3, activation: 'linear', padding: [1, 1, -1, 0]})).to.throw(/^layers\.fusedConv2d: argument 'padding'/);
    expect(() => new L.TorchFusedConv2d({filters: 4, kernelSize: 3, activation: 'linear', padding: 'full' as 'same'})).to.throw(/^layers\.fusedConv2d: argument 'padding'/);
  });
});
