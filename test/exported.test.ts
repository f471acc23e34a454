// Models written by the Python exporter (python/tfjs_torch, committed by
// scripts/fixtures/gen_exported.py): the decoders of examples/decoders and one module per
// supported node kind, each exported channelsLast and channelsFirst, loaded with
// tf.loadLayersModel and compared with PyTorch's outputs by pt.checkExport, on every test backend.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {describeBackends, loadFixture} from './util.js';

interface ExportedCase {
  name: string;
  dataFormat: 'channelsLast'|'channelsFirst';
  model: tf.io.ModelJSON;
  /** base64 of weights.bin, or null when it is the same as the case's in `weightsOf` format. */
  weights: string|null;
  weightsOf?: 'channelsLast'|'channelsFirst';
  check: string;
  outputs: string[];
}

const fixture = loadFixture('exported') as unknown as {torch_version: string, cases: ExportedCase[]};

function b64Bytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function weightsOf(c: ExportedCase): Uint8Array {
  if (c.weights != null) return b64Bytes(c.weights);
  const same = fixture.cases.find((k) => k.name === c.name && k.dataFormat === c.weightsOf);
  if (same?.weights == null) throw new Error(`${c.name}: no weights`);
  return b64Bytes(same.weights);
}

/** The model as tf.loadLayersModel reads an export folder (model.json + weights.bin). */
async function load(c: ExportedCase, weights?: Uint8Array): Promise<tfl.LayersModel> {
  const data = weights ?? weightsOf(c);
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: c.model.modelTopology,
    weightSpecs: c.model.weightsManifest.flatMap((g) => g.weights),
    weightData: buffer,
  }));
}

/** The weights with one value of `weight` moved by `delta`. */
function perturbed(c: ExportedCase, weight: string, delta: number): Uint8Array {
  const bytes = weightsOf(c).slice();
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  let offset = 0;
  for (const spec of c.model.weightsManifest.flatMap((g) => g.weights)) {
    if (spec.name === weight) {
      floats[offset] += delta;
      return bytes;
    }
    offset += spec.shape.reduce((a, b) => a * b, 1);
  }
  throw new Error(`no weight ${weight}`);
}

describeBackends('exported from PyTorch (tfjs_torch.export)', () => {
  it('the fixture holds every decoder and node kind in both data formats', () => {
    const names = new Set(fixture.cases.map((c) => c.name));
    for (const d of ['espcn', 'segnet', 'dcgan', 'unet', 'vae', 'cyclegan', 'unet_odd', 'unet_odd_bilinear']) expect(names.has(`decoder_${d}`), d).to.equal(true);
    for (const name of names) {
      const formats = fixture.cases.filter((c) => c.name === name).map((c) => c.dataFormat).sort();
      expect(formats, name).to.deep.equal(['channelsFirst', 'channelsLast']);
    }
    expect(names.size).to.be.greaterThan(90);
  });

  for (const c of fixture.cases) {
    it(`${c.name} (${c.dataFormat}) matches PyTorch`, async () => {
      const beforeLoad = tf.memory().numTensors;
      const model = await load(c);
      const before = tf.memory().numTensors;
      const result = await pt.checkExport(model, b64Bytes(c.check));
      // A layer may keep tensors of its own from its first call (TorchGroupedConv2d's per-group
      // filters, Note [grouped convolution layer: per-group filters]): a second call adds none,
      // and the model's dispose releases them with the weights.
      const afterFirst = tf.memory().numTensors;
      const grouped = JSON.stringify(c.model.modelTopology).includes('"TorchGroupedConv2d"');
      if (grouped) {
        const again = await pt.checkExport(model, b64Bytes(c.check));
        expect(tf.memory().numTensors, 'tensors left by a second checkExport').to.equal(afterFirst);
        expect(again.ok).to.equal(result.ok);
      } else {
        expect(afterFirst, 'tensors left by checkExport').to.equal(before);
      }
      model.dispose();
      if (grouped) expect(tf.memory().numTensors, 'tensors left after model.dispose()').to.equal(beforeLoad);
      expect(result.outputs.map((o) => o.name)).to.deep.equal(c.outputs);
      for (const o of result.outputs) {
        expect(o.ok, `${o.name}: max |ours - torch| = ${o.maxAbsDiff}${
            result.firstDeparting ? `; first departing layer ${result.firstDeparting.layer}` : ''}`)
            .to.equal(true);
        expect(o.maxAbsDiff).to.be.at.most(1e-3);
      }
      expect(result.ok).to.equal(true);
    });
  }

  it('checkExport names the first layer that departs from PyTorch', async () => {
    const c = fixture.cases.find((k) => k.name === 'decoder_vae' && k.dataFormat === 'channelsLast')!;
    const good = await load(c);
    const clean = await pt.checkExport(good, b64Bytes(c.check));
    good.dispose();
    expect(clean.ok).to.equal(true);
    expect(clean.firstDeparting).to.equal(null);
    expect(clean.layers!.map((l) => l.layer)).to.include.members(['fc', 'conv1', 'conv2']);
    const bad = await load(c, perturbed(c, 'conv1/kernel', 0.05));
    const result = await pt.checkExport(bad, b64Bytes(c.check));
    bad.dispose();
    expect(result.ok).to.equal(false);
    expect(result.firstDeparting!.layer).to.equal('conv1');
    expect(result.firstDeparting!.maxAbsDiff).to.be.greaterThan(1e-3);
    expect(result.layers!.find((l) => l.layer === 'fc')!.ok).to.equal(true);
    expect(result.outputs[0].ok).to.equal(false);
  });

  // Note [activation folded into its convolution] (python/tfjs_torch/ops/activation.py).
  it('folded activations: one convolution layer each, kept apart where the pattern does not hold', () => {
    const classes = (name: string) => (fixture.cases.find((k) => k.name === name && k.dataFormat === 'channelsLast')!
        .model.modelTopology as {config: {layers: Array<{class_name: string, config: {activation?: string}}>}})
        .config.layers.map((l) =>
          `${l.class_name}${l.config.activation ? `:${l.config.activation}` : ''}`)
        .filter((c) => !/^(InputLayer|TorchShapeCheck|ZeroPadding2D)/.test(c));
    expect(classes('conv_relu_folded')).to.deep.equal(['TorchFusedConv2d:relu']);
    expect(classes('conv_batch_norm_relu_folded')).to.deep.equal(['TorchFusedConv2d:relu']);
    expect(classes('conv_leaky_relu_folded')).to.deep.equal(['TorchFusedConv2d:leakyrelu', 'TorchFusedConv2d:leakyrelu']);
    expect(classes('conv_relu_not_folded_two_users')).to.deep.equal(['TorchFusedConv2d:linear', 'ReLU', 'TorchElementwise']);
    expect(classes('conv_leaky_relu_not_folded_output')).to.deep.equal(['TorchFusedConv2d:linear', 'LeakyReLU']);
    expect(classes('depthwise_relu_not_folded')).to.deep.equal([
      'DepthwiseConv2D:linear', 'ReLU', 'TorchFusedConv2d:relu', 'TorchFusedConv2d:linear', 'ReLU',
      'TorchFusedConv2d:linear', 'ReLU']);
    expect(classes('conv_prelu_folded')).to.deep.equal(
        ['TorchFusedConv2d:prelu', 'TorchFusedConv2d:prelu', 'TorchFusedConv2d:prelu']);
    expect(classes('conv_prelu_folded_nan')).to.deep.equal(['TorchFusedConv2d:prelu', 'TorchFusedConv2d:prelu']);
    // Note [instance norm with running statistics is a batch norm] (python/tfjs_torch/ops/norm.py).
    expect(classes('conv_instance_norm_running_relu_folded')).to.deep.equal(['TorchPad', 'TorchFusedConv2d:relu']);
    expect(classes('conv_instance_norm_running_affine_folded')).to.deep.equal(['TorchFusedConv2d:linear']);
    expect(classes('conv_transpose_instance_norm_running_folded')).to.deep.equal(['TorchConvTranspose2d', 'ReLU']);
    expect(classes('conv_transpose_no_bias_batch_norm_folded')).to.deep.equal(['TorchConvTranspose2d']);
    expect(classes('conv_transpose_grouped_batch_norm_not_folded')).to.deep.equal(['TorchConvTranspose2d', 'TorchBatchNorm']);
    expect(classes('conv_instance_norm_not_folded')).to.deep.equal(['TorchFusedConv2d:linear', 'TorchInstanceNorm', 'ReLU']);
    expect(classes('conv_prelu_not_folded_two_users')).to.deep.equal(['TorchFusedConv2d:linear', 'TorchPReLU', 'TorchElementwise']);
    // The zero padding is the convolution's own (Note [every 2-d convolution through TorchConv2d]).
    const padLayers = (name: string) => (fixture.cases.find((k) => k.name === name && k.dataFormat === 'channelsLast')!
        .model.modelTopology as {config: {layers: Array<{class_name: string}>}})
        .config.layers.map((l) => l.class_name).filter((c) => /Pad/.test(c));
    for (const name of ['conv_prelu_folded', 'conv_leaky_relu_folded', 'conv_relu_folded']) {
      expect(padLayers(name), name).to.deep.equal([]);
    }
  });

  // Note [x * sigmoid(x) as one SiLU] (python/tfjs_torch/ops/elementwise.py).
  it('x * sigmoid(x) written out: one silu layer, the sigmoid kept only where something else reads it', () => {
    const classes = (name: string) => (fixture.cases.find((k) => k.name === name && k.dataFormat === 'channelsLast')!
        .model.modelTopology as {config: {layers: Array<{class_name: string, config: {activation?: string, fn?: string, op?: string}}>}})
        .config.layers.map((l) => `${l.class_name}${
            (l.config.activation ?? l.config.fn ?? l.config.op) ? `:${l.config.activation ?? l.config.fn ?? l.config.op}` : ''}`)
        .filter((c) => !/^(InputLayer|TorchShapeCheck)/.test(c));
    expect(classes('silu_written_out')).to.deep.equal(
        ['TorchGroupNorm', 'TorchActivation:silu', 'TorchFusedConv2d:linear', 'TorchActivation:silu']);
    expect(classes('silu_written_out_non_finite')).to.deep.equal(['TorchActivation:silu']);
    expect(classes('silu_written_out_sigmoid_read_twice')).to.deep.equal(
        ['Activation:sigmoid', 'TorchActivation:silu', 'TorchElementwise:add']);
    expect(classes('mul_by_sigmoid_of_another')).to.deep.equal(
        ['TorchElementwise:mul', 'Activation:sigmoid', 'TorchElementwise:mul']);
  });

  it('TorchFusedConv2d survives model.save / tf.loadLayersModel and takes PyTorch\'s weights through loadTorchWeights', async () => {
    for (const dataFormat of ['channelsLast', 'channelsFirst']) {
      const c = fixture.cases.find((k) => k.name === 'conv_leaky_relu_folded' && k.dataFormat === dataFormat)!;
      const model = await load(c);
      let saved: tf.io.ModelArtifacts|undefined;
      await model.save(tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      }));
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      const fused = loaded.layers.filter((l) => l.getClassName() === 'TorchFusedConv2d');
      expect(fused.length).to.equal(2);
      expect(fused.map((l) => l.getConfig())).to.deep.equal(
          model.layers.filter((l) => l.getClassName() === 'TorchFusedConv2d').map((l) => l.getConfig()));
      expect((await pt.checkExport(loaded, b64Bytes(c.check), {atol: 0, rtol: 0})).outputs[0].maxAbsDiff)
          .to.equal((await pt.checkExport(model, b64Bytes(c.check), {atol: 0, rtol: 0})).outputs[0].maxAbsDiff);
      // The exported (PyTorch) weights in PyTorch's layout, [out, in, kh, kw], as a state dict
      // keyed by layer name: loadTorchWeights must put them back where they give PyTorch's output.
      const header: Record<string, unknown> = {};
      const parts: Uint8Array[] = [];
      let offset = 0;
      for (const layer of fused) {
        const [kernel, bias] = layer.getWeights();
        const state: Array<[string, tf.Tensor]> = [[`${layer.name}.weight`, tf.transpose(kernel, [3, 2, 0, 1])]];
        if (bias != null) state.push([`${layer.name}.bias`, tf.clone(bias)]);
        for (const [key, t] of state) {
          const bytes = new Uint8Array((await t.data() as Float32Array).slice().buffer);
          header[key] = {dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes.length]};
          parts.push(bytes);
          offset += bytes.length;
          t.dispose();
        }
        layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
      }
      const h = new TextEncoder().encode(JSON.stringify(header));
      const file = new Uint8Array(8 + h.length + offset);
      new DataView(file.buffer).setBigUint64(0, BigInt(h.length), true);
      file.set(h, 8);
      let at = 8 + h.length;
      for (const p of parts) {
        file.set(p, at);
        at += p.length;
      }
      expect((await pt.checkExport(loaded, b64Bytes(c.check))).ok).to.equal(false);
      await pt.loadTorchWeights(loaded, file);
      const result = await pt.checkExport(loaded, b64Bytes(c.check));
      expect(result.ok, `max |ours - torch| = ${result.outputs[0].maxAbsDiff}`).to.equal(true);
      model.dispose();
      loaded.dispose();
    }
  });

  it('non-finite config values (-inf masks and pads) survive model.json, model.save and JSON text', async () => {
    // Note [non-finite numbers in model.json]: the exporter writes them as strings; a layer writes
    // them back the same way, so a saved topology stays JSON and reloads with the same numbers.
    for (const dataFormat of ['channelsLast', 'channelsFirst']) {
      const c = fixture.cases.find((k) => k.name === 'non_finite_config_values' && k.dataFormat === dataFormat)!;
      expect(JSON.stringify(c.model)).to.contain('"-inf"');
      const model = await load(c);
      let saved: tf.io.ModelArtifacts|undefined;
      await model.save(tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      }));
      const text = JSON.stringify(saved!.modelTopology);
      const infinities = (t: string) => (t.match(/"-?inf"/g) ?? []).length;
      // every one the export wrote is written back (JSON.stringify would make a number null)
      expect(infinities(text)).to.equal(infinities(JSON.stringify(c.model.modelTopology))).and.above(0);
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory({...saved!, modelTopology: JSON.parse(text)}));
      const before = await pt.checkExport(model, b64Bytes(c.check));
      const after = await pt.checkExport(loaded, b64Bytes(c.check));
      expect(before.ok).to.equal(true);
      expect(after.ok).to.equal(true);
      expect(after.outputs.map((o) => o.maxAbsDiff)).to.deep.equal(before.outputs.map((o) => o.maxAbsDiff));
      model.dispose();
      loaded.dispose();
    }
  });

  it('checkExport passes tolerances and refuses what is not a check file', async () => {
    const c = fixture.cases.find((k) => k.name === 'act_gelu' && k.dataFormat === 'channelsLast')!;
    const model = await load(c);
    const exact = await pt.checkExport(model, b64Bytes(c.check), {atol: 0, rtol: 0});
    expect(exact.ok).to.equal(exact.outputs[0].maxAbsDiff === 0);
    const other = fixture.cases.find((k) => k.name === 'two_inputs_rank2')!;
    let message = '';
    try {
      await pt.checkExport(model, b64Bytes(other.check));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/^checkExport: the check file has 2 input\(s\), the model 1/);
    message = '';
    try {
      await pt.checkExport(model, weightsOf(c));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/^checkExport: /);
    model.dispose();
  });
});

describe('the exporter\'s tensor-op layers refuse bad configs', () => {
  const L = pt.layers;
  const throws = (make: () => unknown, pattern: RegExp) => expect(make).to.throw(pattern);
  it('TorchActivation', () => {
    throws(() => new L.TorchActivation({fn: 'gelu_tanh' as never}), /^layers\.activation: argument 'fn' must be one of gelu, geluTanh/);
    throws(() => new L.TorchActivation({fn: 'clamp', min: 2, max: 1}), /'min' \(2\) must not exceed 'max' \(1\)/);
    throws(() => new L.TorchActivation({fn: 'softmax', axis: 1.5}), /argument 'axis' must be an integer/);
  });
  it('TorchElementwise', () => {
    throws(() => new L.TorchElementwise({op: 'mod' as never}), /^layers\.elementwise: argument 'op' must be one of add, sub/);
    throws(() => new L.TorchElementwise({op: 'add', scalar: 1, constantShape: [1, 2]}), /at most one of 'scalar' and 'constantShape'/);
    throws(() => new L.TorchElementwise({op: 'add', constantShape: [0]}), /'constantShape' must be an array of positive integers/);
    // a size as an operand (Note [a size as an operand]): a shape expression, checked as data
    throws(() => new L.TorchElementwise({op: 'div', scalar: 2, scalarExpr: ['dim', 1, 1]}), /at most one of 'scalar', 'constantShape' and 'scalarExpr'/);
    throws(() => new L.TorchElementwise({op: 'maximum', scalarExpr: ['dim', 1, 1]}), /^layers\.elementwise: argument 'scalarExpr' .* goes with op add, sub, mul, div, pow, eq, ne, lt, le, gt, ge, got maximum/);
    throws(() => new L.TorchElementwise({op: 'div', scalarExpr: ['eval', 'process.exit()']} as never), /^layers\.elementwise: argument 'scalarExpr': unknown shape expression op eval/);
    throws(() => new L.TorchElementwise({op: 'div', scalarExpr: ['dim', 1, 1.5]}), /argument 'scalarExpr': \["dim", input, axis\] needs two small integers/);
    throws(() => new L.TorchElementwise({op: 'div', scalarExpr: 0.5}), /argument 'scalarExpr': 0\.5 in a shape expression is not a safe integer/);
    let deep: unknown = ['dim', 1, 1];
    for (let i = 0; i < 40; i++) deep = ['neg', deep];
    throws(() => new L.TorchElementwise({op: 'div', scalarExpr: deep as never}), /argument 'scalarExpr': a shape expression is nested deeper than 32/);
    // it reads input 1's dims: applied to one input, or to an input without that axis
    const e = new L.TorchElementwise({op: 'div', scalarExpr: ['mul', ['dim', 1, 1], ['dim', 1, 2]]});
    throws(() => e.computeOutputShape([null, 3, 4, 2]), /with 'scalarExpr' reading input 1 the layer takes 2 input\(s\)/);
    throws(() => e.computeOutputShape([[null, 3, 4, 2], [null, 3]]), /reads dim 2 of input 1, which the layer's inputs/);
  });
  it('TorchFusedConv2d', () => {
    throws(() => new L.TorchFusedConv2d({filters: 2, kernelSize: 3} as never), /^layers\.fusedConv2d: argument 'activation' is required/);
    throws(() => new L.TorchFusedConv2d({filters: 2, kernelSize: 3, activation: 'relu6' as never}), /argument 'activation' must be one of linear, relu, leakyrelu, prelu/);
    throws(() => new L.TorchFusedConv2d({filters: 2, kernelSize: 3, activation: 'leakyrelu', leakyreluAlpha: NaN}), /argument 'leakyreluAlpha' must be a finite number/);
    throws(() => new L.TorchFusedConv2d({filters: 2, kernelSize: 3, activation: 'relu', strides: 2, dilationRate: 2}), /strides \[2, 2\] together with dilationRate \[2, 2\]/);
    throws(() => new L.TorchFusedConv2d({filters: 2, kernelSize: 3, activation: 'relu', padding: 'causal' as never}), /argument 'padding' must be one of valid, same/);
    throws(() => new L.TorchFusedConv2d({filters: 2, kernelSize: 3, activation: 'relu', kernel_size: 3} as never), /unknown argument 'kernel_size'/);
    throws(() => new L.TorchFusedConv2d({filters: 2, kernelSize: 5, activation: 'relu'}).computeOutputShape([null, 3, 3, 1]), /smaller than the kernel/);
  });
  it('TorchReduce and TorchSlice', () => {
    throws(() => new L.TorchReduce({op: 'mean', axis: [0]}), /^layers\.reduce: argument 'axis' must be a non-empty array of axes >= 1 \(0 is the batch\)/);
    throws(() => new L.TorchReduce({op: 'prod' as never, axis: [1]}), /argument 'op' must be one of mean, sum, max, min/);
    throws(() => new L.TorchSlice({begin: [0, 1], size: [2]}), /^layers\.slice: argument 'size' must be an array/);
    const s = new L.TorchSlice({begin: [0, 3], size: [-1, 4]});
    throws(() => s.computeOutputShape([null, 5, 6]), /exceeds the input shape \[null, 5, 6\]/);
    // strides: one integer >= 1 per entry of 'begin'; a hostile config is refused, naming it
    for (const bad of [[2], [1, 0], [1, -2], [1, 1.5], [1, '2'], [1, NaN], [1, 2 ** 31], 2, 'x', {0: 1, 1: 2}]) {
      throws(() => new L.TorchSlice({begin: [0, 1], size: [-1, 2], strides: bad as never}),
             /^layers\.slice: argument 'strides' must be an array of integers >= 1/);
    }
    throws(() => new L.TorchSlice({begin: [0, 1], size: [-1, 2], stride: [1, 2]} as never),
           /^layers\.slice: unknown argument 'stride'/);
    // size counts the elements taken: 3 every 2nd from 1 spans 1..5, past a dim of 5
    const st = new L.TorchSlice({begin: [1, 0], size: [3, -1], strides: [2, 3]});
    throws(() => st.computeOutputShape([null, 5, 6]), /slice begin \[1, 0\] size \[3, -1\] strides \[2, 3\] exceeds the input shape \[null, 5, 6\]/);
    expect(st.computeOutputShape([null, 6, 7])).to.deep.equal([null, 3, 3]);
    expect(st.computeOutputShape([null, 6, null])).to.deep.equal([null, 3, null]);
    expect(st.getConfig()['strides']).to.deep.equal([2, 3]);
    // steps of 1 are a plain slice: the config is what it was before 'strides' existed
    expect('strides' in new L.TorchSlice({begin: [0, 1], size: [-1, 2], strides: [1, 1]}).getConfig()).to.equal(false);
    expect('strides' in s.getConfig()).to.equal(false);
  });
});

describeBackends('the exporter\'s tensor-op layers on empty results', () => {
  it('TorchSlice: an empty slice sliced again (HAT\'s shifted-window mask at a one-window height)', async () => {
    // [1, 40, 40]: large enough that tfjs-backend-webgpu slices it on the GPU, whose empty result
    // used to carry a plain [] as its values; the second slice of that on the CPU path called
    // [].subarray (out/zoo hat at 8x32 on webgpu: "vals.subarray is not a function").
    const before = tf.memory().numTensors;
    const x = tf.tensor3d(Float32Array.from({length: 1600}, (_, i) => i), [1, 40, 40]);
    const first = new pt.layers.TorchSlice({begin: [0, 0], size: [0, -1]});
    const second = new pt.layers.TorchSlice({begin: [0, 8], size: [-1, 4]});
    const strided = new pt.layers.TorchSlice({begin: [0, 1], size: [-1, 3], strides: [1, 2]});
    const a = first.apply(x) as tf.Tensor;
    const b = second.apply(a) as tf.Tensor;
    const c = strided.apply(a) as tf.Tensor;
    expect(a.shape).to.deep.equal([1, 0, 40]);
    expect(b.shape).to.deep.equal([1, 0, 4]);
    expect(c.shape).to.deep.equal([1, 0, 3]);
    expect((await b.data()).length).to.equal(0);
    expect((await c.data()).length).to.equal(0);
    tf.dispose([x, a, b, c]);
    expect(tf.memory().numTensors).to.equal(before);
  });
});
