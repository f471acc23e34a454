// groupedConv2d (one TorchGroupedConv2d kernel: TensorFlow's own grouped Conv2D on tensorflow,
// one tfjs convolution per group elsewhere) against PyTorch (test/fixtures/grouped_conv.json from
// scripts/fixtures/gen_grouped_conv.py): 1 to 32 groups, strides, dilations, even and uneven
// ('same' on an even kernel) padding, with and without bias; values and the gradients of x,
// weight and bias; both dataFormats; the layer against the op; argument checks; every backend.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {groupedConv2d} from '../src/index.js';
import type {GroupedConv2dOptions} from '../src/index.js';
import {stateDictBytes} from './reliability_cases.js';
import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fixtureValues, fromFixture, loadFixture} from './util.js';
import type {FixtureTensor} from './util.js';

const fixture = loadFixture('grouped_conv');

describeBackends('groupedConv2d (one kernel)', () => {
  for (const c of fixture.cases) {
    const options = c.args as GroupedConv2dOptions;
    for (const dataFormat of DATA_FORMATS) {
      it(`${c.name} [${dataFormat}]`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat);
        const w = fromFixture(c.inputs.weight, dataFormat, false);
        const b = c.inputs.bias == null ? null : fromFixture(c.inputs.bias, dataFormat, false);
        const o = {...options, dataFormat};
        const inputs = b == null ? [x, w] : [x, w, b];
        const y = await expectNoLeak(inputs, () => groupedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, o));
        await expectMatches(y, c.outputs[0], dataFormat, 'output');
        const dy = fromFixture(c.grad!.dy, dataFormat);
        const f = (...t: tf.Tensor[]) => groupedConv2d(t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, (t[2] ?? null) as tf.Tensor1D, o);
        const grads = await expectNoLeak([...inputs, dy], () => tf.grads(f)(inputs, dy));
        await expectMatches(grads[0], c.grad!.grads.x, dataFormat, 'gradient of x');
        await expectMatches(grads[1], c.grad!.grads.weight, dataFormat, 'gradient of weight', false);
        if (b != null) await expectMatches(grads[2], c.grad!.grads.bias, dataFormat, 'gradient of bias', false);
        tf.dispose([x, w, y, dy, ...grads]);
        if (b != null) b.dispose();
      });
    }
  }

  it('rejects bad arguments before any work', () => {
    const x = tf.zeros([1, 5, 5, 8]) as tf.Tensor4D;
    const w = tf.zeros([8, 2, 3, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(() => groupedConv2d(x, w, null, {groups: 3})).to.throw(/^groupedConv2d: argument 'weight' of shape \[8, 2, 3, 3\] with groups 3 expects 6 input channels/);
    expect(() => groupedConv2d(x, tf.zeros([6, 2, 3, 3]) as tf.Tensor4D, null, {groups: 4})).to.throw(/^groupedConv2d: argument 'groups' \(4\) must divide the 6 output channels/);
    expect(() => groupedConv2d(x, w, tf.zeros([3]) as tf.Tensor1D, {groups: 4})).to.throw(/^groupedConv2d: argument 'bias' must have shape \[8\]/);
    expect(() => groupedConv2d(x, w, null, {groups: 4, stride: 2, padding: 'same'})).to.throw(/^groupedConv2d: padding 'same' is not supported for strided/);
    expect(() => groupedConv2d(x, w, null, {groups: 4, stride: 2, dilation: 2})).to.throw(/^groupedConv2d: stride \[2, 2\] together with dilation \[2, 2\]/);
    expect(() => groupedConv2d(x, w, null, {groups: 4, dilation: 3})).to.throw(/^groupedConv2d: input of spatial size \[5, 5\]/);
    expect(() => groupedConv2d(x, w, null, {groups: 4, pad: 1} as object)).to.throw(/^groupedConv2d: unknown option 'pad'/);
    expect(tf.memory().numTensors).to.equal(before + 2);  // the two zeros made inline above
    tf.dispose([x, w]);
  });
});

/** A state dict {conv.weight, conv.bias?} as safetensors bytes, from a fixture case's inputs. */
function stateDict(c: (typeof fixture.cases)[number]): Uint8Array {
  const entries: Array<[string, FixtureTensor|undefined]> = [['conv.weight', c.inputs.weight], ['conv.bias', c.inputs.bias]];
  return stateDictBytes(entries.map(([k, t]) => [k, t == null ? undefined :
      {shape: t.shape, values: fixtureValues(t) as Float32Array}]));
}

function layerPadding(c: (typeof fixture.cases)[number]): number[] {
  const p = c.args.padding as number|number[]|string;
  const [kh, kw] = c.inputs.weight.shape.slice(2);
  const d = c.args.dilation as number|number[];
  const [dh, dw] = typeof d === 'number' ? [d, d] : d;
  if (p === 'valid') return [0, 0, 0, 0];
  if (p === 'same') {
    const th = dh * (kh - 1);
    const tw = dw * (kw - 1);
    return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  }
  const [ph, pw] = typeof p === 'number' ? [p, p] : p as number[];
  return [ph, ph, pw, pw];
}

describeBackends('TorchGroupedConv2d layer (the exporter\'s grouped convolution)', () => {
  for (const c of fixture.cases.filter((k) => (k.args.groups as number) > 1).slice(0, 6)) {
    for (const dataFormat of DATA_FORMATS) {
      it(`${c.name} [${dataFormat}]: loadTorchWeights, predict, save / load, gradients`, async () => {
        const [, cin, h, w] = c.inputs.x.shape;
        const weight = c.inputs.weight.shape;
        const config = {
          name: 'conv', inChannels: cin, outChannels: weight[0], kernelSize: weight.slice(2),
          stride: c.args.stride as number, padding: layerPadding(c), dilation: c.args.dilation as number,
          groups: c.args.groups as number, bias: c.inputs.bias != null, dataFormat,
        };
        const layer = new pt.layers.TorchGroupedConv2d(config);
        const model = tfl.sequential({layers: [
          tfl.layers.inputLayer({inputShape: dataFormat === 'channelsLast' ? [h, w, cin] : [cin, h, w]}), layer]});
        await pt.loadTorchWeights(model, stateDict(c));
        const x = fromFixture(c.inputs.x, dataFormat);
        const y = model.predict(x) as tf.Tensor;
        await expectMatches(y, c.outputs[0], dataFormat, 'layer output');
        // Weights changed after a call: the layer's per-group filters follow them.
        const before = model.getWeights().map((t) => t.clone());
        model.setWeights(before.map((t) => tf.mul(t, 0)));
        const zero = model.predict(x) as tf.Tensor;
        expect(await tf.max(tf.abs(zero)).data()).to.deep.equal(new Float32Array([0]));
        model.setWeights(before);
        // Round trip through model.json.
        const artifacts: tf.io.ModelArtifacts[] = [];
        await model.save(tf.io.withSaveHandler(async (a) => {
          artifacts.push(a);
          return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
        }));
        const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts[0]));
        const y2 = loaded.predict(x) as tf.Tensor;
        await expectMatches(y2, c.outputs[0], dataFormat, 'output after save / load');
        // Trainable: the kernel's gradient is PyTorch's weight gradient in tfjs's layout.
        const dy = fromFixture(c.grad!.dy, dataFormat);
        const {grads} = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, {training: true}) as tf.Tensor, dy)) as tf.Scalar,
                                         model.trainableWeights.map((v) => (v as unknown as {val: tf.Variable}).val));
        const kernelGrad = grads[(layer.kernel as unknown as {val: tf.Variable}).val.name];
        const dw = c.grad!.grads.weight;
        const dwTfjs = tf.transpose(tf.tensor(fixtureValues(dw), dw.shape), [2, 3, 1, 0]);
        expect(kernelGrad.shape).to.deep.equal(dwTfjs.shape);
        const err = (await tf.max(tf.abs(tf.sub(kernelGrad, dwTfjs))).data())[0];
        const scale = (await tf.max(tf.abs(dwTfjs)).data())[0];
        expect(err, 'kernel gradient').to.be.at.most(1e-4 * (1 + scale));
        model.dispose();
        loaded.dispose();
        tf.dispose([x, y, zero, y2, dy, dwTfjs, ...before, ...Object.values(grads)]);
      });
    }
  }

  it('refuses bad configs', () => {
    const L = pt.layers;
    expect(() => new L.TorchGroupedConv2d({inChannels: 6, outChannels: 8, kernelSize: 3, groups: 4})).to.throw(/^layers\.groupedConv2d: inChannels \(6\) must be divisible by groups \(4\)/);
    expect(() => new L.TorchGroupedConv2d({inChannels: 8, outChannels: 6, kernelSize: 3, groups: 4})).to.throw(/outChannels \(6\) must be divisible by groups \(4\)/);
    expect(() => new L.TorchGroupedConv2d({inChannels: 8, outChannels: 8, kernelSize: 3, groups: 4, stride: 2, dilation: 2})).to.throw(/together with dilation/);
    expect(() => new L.TorchGroupedConv2d({inChannels: 8, outChannels: 8, kernelSize: 3, groups: 4, padding: [1, 2, 3]})).to.throw(/argument 'padding'/);
  });
});
