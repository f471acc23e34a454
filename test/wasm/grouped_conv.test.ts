// The wasm TorchGroupedConv2d kernel (kernels/wasm/GroupedConv2d.ts): the grouped convolution in
// one kernel call of the direct convolution (smallConv2d with groups) where each group fits it,
// through the op groupedConv2d in both dataFormats and through the TorchGroupedConv2d layer,
// against PyTorch (the grouped cases of test/fixtures/small_conv2d.json, from
// scripts/fixtures/gen_small_conv2d.py, without an activation: the op has none); the kernels that
// ran (tf.profile): no per-group convolution where the path claims the shape, the per-group form
// where it does not. test/grouped_conv.test.ts runs grouped_conv.json (values, gradients) on every
// backend. Run: TFJS_TORCH_BACKENDS=wasm npx mocha test/wasm/grouped_conv.test.ts
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../../src/wasm.js';
import {groupedConv2d} from '../../src/wasm.js';
import {groupedKernelIsOnePass} from '../../src/ops/grouped_conv.js';
import {stateDictBytes} from '../reliability_cases.js';
import {DATA_FORMATS, expectMatches, expectNoLeak, fixtureValues, fromFixture, loadFixture} from '../util.js';
import type {FixtureTensor} from '../util.js';

const fixture = loadFixture('small_conv2d');
const grouped = fixture.cases.filter((c) => c.args.groups != null && c.args.activation === 'linear');

type Case = (typeof fixture.cases)[number];

/** The kernels a function ran (tf.profile's names). */
async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => f());
  tf.dispose(info.result as tf.Tensor);
  return info.kernels.map((k) => k.name);
}

function options(c: Case, dataFormat: 'channelsFirst'|'channelsLast') {
  const a = c.args as {stride: number[], pad: number[], dilation: number[], groups: number};
  const [t, b, l, r] = a.pad;
  return t === b && l === r ? {stride: a.stride, padding: [t, l], dilation: a.dilation, groups: a.groups, dataFormat} : null;
}

describe('wasm TorchGroupedConv2d kernel (one call) against PyTorch', () => {
  let saved: string;
  before(async () => {
    saved = tf.getBackend();
    expect(await tf.setBackend('wasm')).to.equal(true);
  });
  after(async () => {
    if (saved != null) await tf.setBackend(saved);
  });

  it('has grouped cases to run, each claimed by the capability', () => {
    expect(grouped.length).to.be.at.least(5);
    for (const c of grouped) {
      const [cout, cinG] = c.inputs.weight.shape;
      const groups = c.args.groups as number;
      expect(groupedKernelIsOnePass('wasm', cinG * groups, cout, groups), c.name).to.equal(true);
    }
  });

  // The op takes symmetric pads only (PyTorch's); the layer below runs every case.
  for (const c of grouped.filter((k) => options(k, 'channelsLast') != null)) {
    for (const dataFormat of DATA_FORMATS) {
      it(`groupedConv2d: ${c.name} [${dataFormat}]`, async () => {
        const o = options(c, dataFormat);
        const x = fromFixture(c.inputs.x, dataFormat);
        const w = fromFixture(c.inputs.weight, dataFormat, false);
        const b = c.inputs.bias == null ? null : fromFixture(c.inputs.bias, dataFormat, false);
        const inputs = b == null ? [x, w] : [x, w, b];
        const before = inputs.map((t) => t.dataSync().slice());
        const run = () => groupedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, o!);
        const y = await expectNoLeak(inputs, run);
        await expectMatches(y, c.outputs[0], dataFormat, 'output');
        inputs.forEach((t, i) => expect(t.dataSync(), 'input unchanged').to.deep.equal(before[i]));
        const kernels = await kernelsOf(run);
        expect(kernels, 'kernels').to.include('TorchGroupedConv2d');
        expect(kernels.filter((k) => /Conv2D|TorchPad|Concat/.test(k)), 'per-group kernels').to.deep.equal([]);
        tf.dispose([y, ...inputs]);
      });
    }
  }

  it('runs the per-group form where a group does not fit (6 outputs per group, 72 inputs per group)', async () => {
    for (const [cin, cout, groups] of [[16, 24, 4], [144, 32, 2]]) {
      const x = tf.randomUniform([1, 9, 9, cin]) as tf.Tensor4D;
      const w = tf.randomUniform([cout, cin / groups, 3, 3]) as tf.Tensor4D;
      expect(groupedKernelIsOnePass('wasm', cin, cout, groups)).to.equal(false);
      const kernels = await kernelsOf(() => groupedConv2d(x, w, null, {groups, padding: 1}));
      expect(kernels.filter((k) => k === 'FusedConv2D' || k === 'Conv2D').length,
             `${cin} -> ${cout}, ${groups} groups`).to.equal(groups);
      tf.dispose([x, w]);
    }
  });

  it('leaves grouped convolutions to the per-group form while XNNPACK has more than one thread, and says so', async () => {
    const backend = tf.backend();
    const tfjs = (backend as unknown as {wasm: {tfjs: {getThreadsCount: () => number}}}).wasm.tfjs;
    const threads = tfjs.getThreadsCount;
    const c = grouped[0];
    const [cout, cinG, kh, kw] = c.inputs.weight.shape;
    const groups = c.args.groups as number;
    const cin = cinG * groups;
    const layer = new pt.layers.TorchGroupedConv2d({inChannels: cin, outChannels: cout, kernelSize: [kh, kw], padding: 1,
                                                    groups, bias: false, dataFormat: 'channelsLast'});
    const x = tf.randomUniform([1, 5, 6, cin]) as tf.Tensor4D;
    tf.dispose(layer.apply(x) as tf.Tensor);  // builds the layer
    tfjs.getThreadsCount = () => 2;
    try {
      expect(groupedKernelIsOnePass('wasm', cin, cout, groups)).to.equal(false);
      const kernels = await kernelsOf(() => layer.apply(x) as tf.Tensor);
      expect(kernels, 'kernels').to.not.include('TorchGroupedConv2d');
      expect(kernels.filter((k) => k === 'FusedConv2D').length).to.equal(groups);
    } finally {
      tfjs.getThreadsCount = threads;
    }
    expect(groupedKernelIsOnePass('wasm', cin, cout, groups)).to.equal(true);
    layer.dispose();
    x.dispose();
  });

  // The layer (the exporter's grouped convolution) with asymmetric pads too: the kernel where
  // the groups fit, with the weights loaded from PyTorch's state dict.
  for (const c of grouped) {
    for (const dataFormat of DATA_FORMATS) {
      it(`TorchGroupedConv2d layer: ${c.name} [${dataFormat}]`, async () => {
        const a = c.args as {stride: number[], pad: number[], dilation: number[], groups: number};
        const [, cin, h, w] = c.inputs.x.shape;
        const weight = c.inputs.weight.shape;
        const layer = new pt.layers.TorchGroupedConv2d({
          name: 'conv', inChannels: cin, outChannels: weight[0], kernelSize: weight.slice(2),
          stride: a.stride, padding: a.pad, dilation: a.dilation, groups: a.groups,
          bias: c.inputs.bias != null, dataFormat});
        const model = tfl.sequential({layers: [
          tfl.layers.inputLayer({inputShape: dataFormat === 'channelsLast' ? [h, w, cin] : [cin, h, w]}), layer]});
        const entries: Array<[string, FixtureTensor|undefined]> =
            [['conv.weight', c.inputs.weight], ['conv.bias', c.inputs.bias]];
        await pt.loadTorchWeights(model, stateDictBytes(entries.map(([k, t]) => [k, t == null ? undefined :
            {shape: t.shape, values: fixtureValues(t) as Float32Array}])));
        const x = fromFixture(c.inputs.x, dataFormat);
        const y = await expectNoLeak([x], () => model.predict(x) as tf.Tensor);
        await expectMatches(y, c.outputs[0], dataFormat, 'layer output');
        const kernels = await kernelsOf(() => model.predict(x) as tf.Tensor);
        expect(kernels, 'kernels').to.include('TorchGroupedConv2d');
        expect(kernels.filter((k) => /Conv2D|TorchPad|Concat/.test(k)), 'per-group kernels').to.deep.equal([]);
        model.dispose();
        tf.dispose([x, y]);
      });
    }
  }
});
