// loadTorchWeights and its safetensors reader against PyTorch (scripts/fixtures/gen_weights.py):
// every stored dtype, every layer kind the loader fills (PyTorch's layouts converted to tfjs's),
// the naming rule and options.map, each source kind, and the errors for missing, unused and
// misshapen tensors.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {describeBackends, expectMatches, type FixtureCase, fixtureValues, fromFixture, loadFixture} from './util.js';

const fixture = loadFixture('weights');
const byName = (name: string): FixtureCase => {
  const c = fixture.cases.find((k) => k.name === name);
  if (c == null) throw new Error(`no fixture case ${name}`);
  return c;
};

/** The bytes of a base64 field of a case (the safetensors files the generator wrote). */
function stBytes(c: FixtureCase, field = 'safetensors'): Uint8Array {
  const s = atob(c.args[field] as string);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A safetensors file written here, for malformed-file tests only (never for expected values). */
function handMade(header: object|string, data = new Uint8Array(0), lengthOverride?: number): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

async function expectReject(p: Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect((e as Error).message).to.match(pattern);
    return e as Error;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}

const NOT_ACTIVATIONS = new Set(['dense', 'embedding', 'layerNormalization']);

type LayerFactory = (config: object) => tfl.layers.Layer;
const tflLayers = tfl.layers as unknown as Record<string, LayerFactory>;

/** A one-layer tfjs model for a module case, in the given dataFormat where the layer has one. */
function modelFor(c: FixtureCase, dataFormat: 'channelsLast'|'channelsFirst' = 'channelsLast'): tfl.Sequential {
  const x = c.inputs.x;
  const layer = c.args.layer as string;
  const layout = !NOT_ACTIVATIONS.has(layer) && x.shape.length >= 3;
  const cl = layout && dataFormat === 'channelsLast';
  const inputShape = cl ? [...x.shape.slice(2), x.shape[1]] : x.shape.slice(1);
  const config: Record<string, unknown> = {...(c.args.config as object), inputShape};
  if (layer === 'batchNormalization') config.axis = cl ? -1 : 1;
  else if (layout) config.dataFormat = dataFormat;
  return tfl.sequential({layers: [tflLayers[layer](config)]});
}

describe('safetensors reader', () => {
  it('reads every dtype as PyTorch converts it (F16 subnormals, inf, NaN, BF16, I64)', () => {
    const c = byName('dtypes');
    const file = pt.readSafetensors(stBytes(c));
    const names = c.args.names as string[];
    expect(Array.from(file.tensors.keys())).to.deep.equal(names);
    expect(file.metadata).to.deep.equal({format: 'pt'});
    names.forEach((name, i) => {
      const e = c.outputs[i];
      const got = file.tensors.get(name)!;
      expect(got.shape, name).to.deep.equal(e.shape);
      expect(got.dtype, name).to.equal(e.dtype);
      const want = fixtureValues(e);
      // Exact: every conversion here is exact in float32 (or integral).
      expect(Array.from(got.values).map(String), name).to.deep.equal(Array.from(want).map(String));
    });
  });

  it('reads a file whose data is not 4-byte aligned in its buffer', () => {
    const c = byName('dtypes');
    const bytes = stBytes(c);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const file = pt.readSafetensors(shifted.subarray(1));
    expect(Array.from(file.tensors.get('f32')!.values)).to.deep.equal(
        Array.from(fixtureValues(c.outputs[0])));
  });

  const bad: Array<[string, Uint8Array, RegExp]> = [
    ['fewer than 8 bytes', new Uint8Array(3), /not a safetensors file: 3 bytes/],
    ['a header length past the end', handMade({}, new Uint8Array(0), 100),
     /header length 100 exceeds/],
    ['a header that is not JSON', handMade('{oops'), /not a valid safetensors header: expected a string/],
    ['a header that is not an object', handMade('[1]'), /not a valid safetensors header: expected '\{' \(the header is a JSON object\)/],
    ['an entry without data_offsets', handMade({w: {dtype: 'F32', shape: [1]}}),
     /tensor 'w': header entry must be/],
    ['offsets that do not match the shape',
     handMade({w: {dtype: 'F32', shape: [2], data_offsets: [0, 4]}}, new Uint8Array(4)),
     /tensor 'w': data_offsets \[0, 4\] do not hold 2 F32 values/],
    ['offsets past the data',
     handMade({w: {dtype: 'F32', shape: [2], data_offsets: [0, 8]}}, new Uint8Array(4)),
     /tensor 'w'.*inside the 4 data bytes/],
    ['an unknown dtype', handMade({w: {dtype: 'C64', shape: [1], data_offsets: [0, 8]}}),
     /tensor 'w' has dtype C64/],
  ];
  for (const [what, bytes, pattern] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => pt.readSafetensors(bytes)).to.throw(pattern);
    });
  }

  it('rejects an I64 value outside int32 range, naming the tensor', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, 2n ** 40n, true);
    expect(() => pt.readSafetensors(handMade({step: {dtype: 'I64', shape: [1], data_offsets: [0, 8]}}, data)))
        .to.throw(/tensor 'step' \(I64\) holds 1099511627776/);
  });
});

// tfjs-backend-wasm 4.22's own Conv3DBackpropInputV2 kernel, which tf.layers.conv3dTranspose
// runs, gives other values than tfjs's cpu kernel (even with one channel and stride 1; pinned by
// the last test below). On those backends the conv3dTranspose module case checks what the loader
// controls: the weights it loads equal, value for value, those it loads on cpu, where the same
// case matches PyTorch's output. Remove the entry once the pinned test fails (tfjs fixed it).
const TFJS_LAYER_KERNEL_BUGS: Record<string, string[]> = {conv3dTranspose: ['wasm']};

/** Every weight of a model, as plain numbers. */
function weightValues(model: tfl.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

describeBackends('loadTorchWeights', (backend) => {
  const modules = fixture.cases.filter((c) => c.name.startsWith('module/'));
  for (const c of modules) {
    const layer = c.args.layer as string;
    // tfjs-layers' Conv1D computes channelsLast whatever its dataFormat (4.22), so only Conv2D
    // is also tried channelsFirst.
    const formats: Array<'channelsLast'|'channelsFirst'> =
        layer === 'conv2d' && c.args.dtype === 'float32' ?
        ['channelsLast', 'channelsFirst'] : ['channelsLast'];
    for (const dataFormat of formats) {
      it(`${c.name} -> tf.layers.${layer} (${dataFormat})`, async () => {
        const model = modelFor(c, dataFormat);
        const result = await pt.loadTorchWeights(model, stBytes(c));
        const keys = c.args.keys as string[];
        expect(result.loadedKeys).to.deep.equal(keys.filter((k) => !k.endsWith('num_batches_tracked')));
        expect(result.unusedKeys).to.deep.equal([]);
        expect(result.missingWeights).to.deep.equal([]);
        if (TFJS_LAYER_KERNEL_BUGS[layer]?.includes(backend)) {
          const loaded = weightValues(model);
          model.dispose();
          await tf.setBackend('cpu');
          const reference = modelFor(c, dataFormat);
          await pt.loadTorchWeights(reference, stBytes(c));
          const want = weightValues(reference);
          reference.dispose();
          await tf.setBackend(backend);
          expect(loaded).to.deep.equal(want);
          return;
        }
        const layout = !NOT_ACTIVATIONS.has(layer);
        const x = fromFixture(c.inputs.x, dataFormat, layout);
        const y = model.predict(x) as tf.Tensor;
        await expectMatches(y, c.outputs[0], dataFormat, c.name, layout);
        tf.dispose([x, y]);
        model.dispose();
      });
    }
  }

  it('loads into tfjs-torch\'s own convTranspose2d layer (PyTorch layout kept) and leaks nothing', async () => {
    const c = byName('module/ConvTranspose2d(3, 4, 4, stride=2, padding=1)');
    const model = tfl.sequential({layers: [pt.layers.convTranspose2d({
      name: 'decoder_up1', inChannels: 3, outChannels: 4, kernelSize: 4, stride: 2, padding: 1,
      inputShape: [5, 5, 3],
    })]});
    const before = tf.memory().numTensors;
    await pt.loadTorchWeights(model, stBytes(c));
    expect(tf.memory().numTensors).to.equal(before);
    const x = fromFixture(c.inputs.x, 'channelsLast');
    const y = model.predict(x) as tf.Tensor;
    await expectMatches(y, c.outputs[0], 'channelsLast', 'convTranspose2d layer');
    tf.dispose([x, y]);
    model.dispose();
  });

  it('loads nn.Linear\'s weight into tfjs-torch\'s own linear layer (transposed, as into Dense)', async () => {
    const c = byName('module/Linear(5, 3)');
    const model = tfl.sequential({layers: [pt.layers.linear({
      ...(c.args.config as {units: number, name: string}), inputShape: c.inputs.x.shape.slice(1)})]});
    const before = tf.memory().numTensors;
    const result = await pt.loadTorchWeights(model, stBytes(c));
    expect(tf.memory().numTensors).to.equal(before);
    expect(result.unusedKeys).to.deep.equal([]);
    expect(result.missingWeights).to.deep.equal([]);
    const x = fromFixture(c.inputs.x, 'channelsLast', false);
    const y = model.predict(x) as tf.Tensor;
    await expectMatches(y, c.outputs[0], 'channelsLast', 'linear layer', false);
    tf.dispose([x, y]);
    model.dispose();
  });

  describe('sources', () => {
    const c = byName('module/Linear(5, 3)');
    const check = async (source: pt.TorchWeightsSource) => {
      const model = modelFor(c);
      await pt.loadTorchWeights(model, source);
      const x = fromFixture(c.inputs.x, 'channelsLast', false);
      const y = model.predict(x) as tf.Tensor;
      await expectMatches(y, c.outputs[0], 'channelsLast', 'dense', false);
      tf.dispose([x, y]);
      model.dispose();
    };
    it('an ArrayBuffer', async () => {
      const bytes = stBytes(c);
      await check(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    });
    it('a data: URL (fetch)', async () => {
      await check(`data:application/octet-stream;base64,${c.args.safetensors as string}`);
    });
    const nodeFs = typeof process !== 'undefined' && process.versions?.node != null &&
        typeof window === 'undefined';
    if (nodeFs) it('a path and a file: URL (Node)', async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fs = require('fs') as typeof import('fs');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const os = require('os') as typeof import('os');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const path = require('path') as typeof import('path');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const url = require('url') as typeof import('url');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-torch-'));
      const file = path.join(dir, 'head.safetensors');
      fs.writeFileSync(file, stBytes(c));
      try {
        await check(file);
        await check(url.pathToFileURL(file).href);
        await check(url.pathToFileURL(file));
        await expectReject(pt.loadTorchWeights(modelFor(c), path.join(dir, 'nope.safetensors')),
                           /loadTorchWeights: cannot read '.*nope\.safetensors'/);
      } finally {
        fs.rmSync(dir, {recursive: true, force: true});
      }
    });
  });

  describe('naming and options.map', () => {
    const c = byName('module/ConvTranspose2d(3, 4, 4, stride=2, padding=1)');  // key decoder.up1.*
    const convT = (name: string) => tfl.layers.conv2dTranspose(
        {name, filters: 4, kernelSize: 4, strides: 2, padding: 'same', inputShape: [5, 5, 3]});
    const run = async (model: tfl.LayersModel) => {
      const x = fromFixture(c.inputs.x, 'channelsLast');
      const y = model.predict(x) as tf.Tensor;
      await expectMatches(y, c.outputs[0], 'channelsLast', 'mapped');
      tf.dispose([x, y]);
    };
    it('maps a module path to a layer with an object', async () => {
      const model = tfl.sequential({layers: [convT('up')]});
      await pt.loadTorchWeights(model, stBytes(c), {map: {'decoder.up1': 'up'}});
      await run(model);
    });
    it('maps with a function; undefined falls back to the default rule', async () => {
      const model = tfl.sequential({layers: [convT('decoder_up1')]});
      const seen: string[] = [];
      await pt.loadTorchWeights(model, stBytes(c), {map: (p) => {
        seen.push(p);
        return undefined;
      }});
      expect(seen).to.deep.equal(['decoder.up1', 'decoder.up1']);
      await run(model);
    });
    it('a null mapping skips that module\'s keys', async () => {
      const model = tfl.sequential({layers: [convT('decoder_up1')]});
      const r = await pt.loadTorchWeights(model, stBytes(c), {map: {'decoder.up1': null}, strict: false});
      expect(r.loadedKeys).to.deep.equal([]);
      expect(r.unusedKeys).to.deep.equal([]);
      expect(r.missingWeights).to.deep.equal(['decoder_up1/kernel', 'decoder_up1/bias']);
    });
    it('finds layers inside a nested model', async () => {
      const inner = tfl.sequential({name: 'decoder', layers: [convT('decoder_up1')]});
      const input = tfl.input({shape: [5, 5, 3]});
      const model = tfl.model({inputs: input, outputs: inner.apply(input) as tfl.SymbolicTensor});
      await pt.loadTorchWeights(model, stBytes(c));
      await run(model);
    });
  });

  describe('errors', () => {
    const conv = byName('module/Conv2d(3, 4, (3, 2))');  // keys features.0.weight / bias
    const convModel = (filters: number, extra = false) => {
      const layers: tfl.layers.Layer[] = [tfl.layers.conv2d(
          {name: 'features_0', filters, kernelSize: [3, 2], inputShape: [6, 5, 3]})];
      if (extra) layers.push(tfl.layers.dense({name: 'head', units: 2}));
      return tfl.sequential({layers});
    };
    it('a misshapen tensor names the key, both shapes and the layer, and writes nothing', async () => {
      const model = convModel(5);
      const before = model.getWeights().map((w) => w.dataSync().slice());
      await expectReject(
          pt.loadTorchWeights(model, stBytes(conv)),
          /loadTorchWeights: key 'features\.0\.weight' has shape \[4, 3, 3, 2\], but layer 'features_0' \(Conv2D\) needs \[5, 3, 3, 2\] in PyTorch's layout/);
      model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).to.deep.equal(Array.from(before[i])));
    });
    it('a misshapen tensor throws even with strict: false', async () => {
      await expectReject(pt.loadTorchWeights(convModel(5), stBytes(conv), {strict: false}),
                         /key 'features\.0\.weight' has shape/);
    });
    it('a weight no key fills (strict) names the layer and weight; nothing is written', async () => {
      const model = convModel(4, true);
      const before = model.getWeights().map((w) => w.dataSync().slice());
      await expectReject(
          pt.loadTorchWeights(model, stBytes(conv)),
          /weights no key fills: 'head\/kernel' \(expected a key '<module path>\.weight' whose module path maps to layer 'head'\); 'head\/bias'/);
      model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).to.deep.equal(Array.from(before[i])));
    });
    it('a key that fills nothing (strict) names the key and the layer it looked for', async () => {
      const model = tfl.sequential({layers: [tfl.layers.conv2d(
          {name: 'other', filters: 4, kernelSize: [3, 2], inputShape: [6, 5, 3]})]});
      await expectReject(pt.loadTorchWeights(model, stBytes(conv)),
                         /keys that fill nothing: 'features\.0\.weight' \(no layer named 'features_0'\)/);
    });
    it('strict: false loads the rest and reports unused keys and missing weights', async () => {
      const model = convModel(4, true);
      const r = await pt.loadTorchWeights(model, stBytes(conv), {strict: false});
      expect(r.loadedKeys).to.deep.equal(['features.0.weight', 'features.0.bias']);
      expect(r.missingWeights).to.deep.equal(['head/kernel', 'head/bias']);
      const x = fromFixture(conv.inputs.x, 'channelsLast');
      const y = model.layers[0].apply(x) as tf.Tensor;
      await expectMatches(y, conv.outputs[0], 'channelsLast', 'partial load');
      tf.dispose([x, y]);
    });
    it('a parameter the layer does not have is unused, naming what it takes', async () => {
      const c = byName('module/Conv2d(3, 5, 3, bias=False)');  // decoder.block.conv.weight only
      const model = tfl.sequential({layers: [tfl.layers.conv2d(
          {name: 'decoder_block_conv', filters: 5, kernelSize: 3, useBias: false, inputShape: [5, 5, 3]})]});
      await pt.loadTorchWeights(model, stBytes(c));
      const withBias = tfl.sequential({layers: [tfl.layers.conv2d(
          {name: 'decoder_block_conv', filters: 5, kernelSize: 3, inputShape: [5, 5, 3]})]});
      await expectReject(pt.loadTorchWeights(withBias, stBytes(c)),
                         /'decoder_block_conv\/bias'/);
      const bn = byName('module/BatchNorm2d(4) eval');
      const noCenter = tfl.sequential({layers: [tfl.layers.batchNormalization(
          {name: 'bn', center: false, inputShape: [3, 3, 4]})]});
      await expectReject(pt.loadTorchWeights(noCenter, stBytes(bn)),
                         /'bn\.bias' \(layer 'bn' \(BatchNormalization\) takes 'weight', 'running_mean', 'running_var'\)/);
    });
    it('a key for a layer class the loader cannot fill names the class', async () => {
      const c = byName('module/Conv2d(3, 5, 3, bias=False)');
      const model = tfl.sequential({layers: [tfl.layers.separableConv2d(
          {name: 'decoder_block_conv', filters: 5, kernelSize: 3, inputShape: [5, 5, 3]})]});
      await expectReject(pt.loadTorchWeights(model, stBytes(c)),
                         /key 'decoder\.block\.conv\.weight' maps to layer 'decoder_block_conv' of class SeparableConv2D/);
    });
    it('rejects a source that is not bytes, a path or a URL, and a model without layers', async () => {
      await expectReject(pt.loadTorchWeights(convModel(4), 42 as unknown as string),
                         /source must be an ArrayBuffer, a Uint8Array, a path or a URL/);
      await expectReject(pt.loadTorchWeights({} as tfl.LayersModel, stBytes(conv)),
                         /model must be a tf.LayersModel/);
    });
  });

  if (Object.values(TFJS_LAYER_KERNEL_BUGS).some((b) => b.includes(backend))) {
    it(`tfjs's own tf.conv3dTranspose on ${backend} still differs from tfjs's cpu kernel (why the ${
           ''}conv3dTranspose case compares weights here)`, async () => {
      const run = async (on: string) => {
        await tf.setBackend(on);
        return tf.tidy(() => {
          const x = tf.tensor5d(Float32Array.from({length: 27}, (_, i) => Math.sin(i)), [1, 3, 3, 3, 1]);
          const f = tf.tensor5d(Float32Array.from({length: 8}, (_, i) => Math.cos(i)), [2, 2, 2, 1, 1]);
          return Array.from(tf.conv3dTranspose(x, f, [1, 4, 4, 4, 1], 1, 'valid').dataSync());
        });
      };
      const want = await run('cpu');
      const got = await run(backend);
      const worst = Math.max(...want.map((v, i) => Math.abs(v - got[i])));
      expect(worst, 'tfjs fixed its kernel: drop the TFJS_LAYER_KERNEL_BUGS entry').to.be.greaterThan(0.1);
    });
  }
});
