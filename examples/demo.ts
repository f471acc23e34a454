// `npm run demo`: (1) upsamples the image that ships with the repo (examples/assets/demo_image.png)
// in every interpolate mode with tfjs-torch, writes the results as one labelled PNG grid, and
// prints, per mode, the largest difference from PyTorch's result for the same image (written by
// scripts/fixtures/gen_demo.py into examples/assets/demo_reference.json); (2) loads each decoder
// net ported from PyTorch (examples/decoders: ESPCN, SegNet, DCGAN, U-Net, VAE, CycleGAN, the
// odd-size U-Nets) with its PyTorch weights (examples/decoders/assets/*.safetensors), runs it on
// every backend it can load in Node (cpu; wasm from @tensorflow/tfjs-backend-wasm; tensorflow
// from tfjs-node when it is built), prints one table with each backend's max error against
// PyTorch and time per run, so which backend to pick shows at a glance, and writes the ESPCN,
// DCGAN, CycleGAN and VAE outputs as PNGs under out/demo/; (3) loads the U-Net exported from
// PyTorch by the Python exporter (examples/decoders/exported/unet: model.json, weights.bin,
// check.safetensors, written by `tfjs_torch.export`, see scripts/fixtures/gen_exported.py) with
// tf.loadLayersModel and checks it with pt.checkExport on every backend. Exits non-zero if any
// error exceeds 1e-4.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'fs';
import * as path from 'path';
import * as pt from '../src/index.js';
import {fixtureValues, type FixtureFile, fromFixture} from '../test/util.js';
import {DECODERS, loadDecoder} from './decoders/models.js';
import {readImage, type Tile, writeGrid} from './png.js';
import {exportDirHandler} from '../scripts/check-export.js';

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'out', 'demo');

async function interpolateGrid(): Promise<number> {
  await tf.setBackend('cpu');
  const image = readImage(path.join(ROOT, 'examples', 'assets', 'demo_image.png'));
  const reference = JSON.parse(fs.readFileSync(
      path.join(ROOT, 'examples', 'assets', 'demo_reference.json'), 'utf8')) as FixtureFile;

  console.log(`tfjs-torch demo: interpolate on ${image.shape.slice(1, 3).join('x')} image, backend ${
      tf.getBackend()}, PyTorch reference ${reference.torch_version}\n`);
  console.log('| mode | output | max |tfjs-torch - PyTorch| | ms |');
  console.log('|---|---|---:|---:|');
  const tiles: Tile[] = [{label: 'input', image}];
  let worst = 0;
  for (const c of reference.cases) {
    const opts = c.args as pt.InterpolateOptions;
    const t0 = performance.now();
    const y = pt.interpolate(image, opts);
    await y.data();
    const ms = performance.now() - t0;
    const expected = fixtureValues(c.outputs[0]);  // PyTorch layout [1, 3, H, W]
    const got = tf.tidy(() => tf.transpose(y, [0, 3, 1, 2]).dataSync());
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
    }
    worst = Math.max(worst, maxDiff);
    console.log(`| ${c.name} | ${y.shape.join('x')} | ${maxDiff.toExponential(2)} | ${ms.toFixed(1)} |`);
    tiles.push({label: c.name, image: y});
  }
  const file = path.join(OUT_DIR, 'interpolate_modes.png');
  await writeGrid(file, tiles, 4);
  tf.dispose(tiles.map((t) => t.image));
  console.log(`\nlargest difference from PyTorch over all modes: ${worst.toExponential(2)}`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  return worst;
}

/**
 * cpu, wasm (tfjs-backend-wasm, an optional peer) when it is installed, and tfjs-node's
 * tensorflow backend when it is built (scripts/setup-tfjs-node.sh).
 */
function backends(): string[] {
  const names = ['cpu'];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-wasm');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../src/wasm.js');
    names.push('wasm');
  } catch (e) {
    console.log(`(tfjs-backend-wasm not available: ${(e as Error).message.split('\n')[0]})`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../src/node.js');
    names.push('tensorflow');
  } catch (e) {
    console.log(`(tfjs-node not available: ${(e as Error).message.split('\n')[0]})`);
  }
  return names;
}

async function medianMs(run: () => Promise<void>, runs = 5): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[runs >> 1];
}

/** PNG tiles from a decoder output: [N, H, W, 3] or [N, 3, H, W] in [lo, hi] -> [0, 1]. */
function tiles(y: tf.Tensor, channelsFirst: boolean, lo: number, hi: number, label: string): Tile[] {
  const images = tf.tidy(() => {
    const nhwc = channelsFirst ? tf.transpose(y, [0, 2, 3, 1]) : y;
    return tf.unstack(tf.div(tf.sub(nhwc, lo), hi - lo));
  });
  return images.map((image, i) => ({label: `${label} ${i}`, image}));
}

async function decoders(): Promise<number> {
  const names = backends();
  const reference = JSON.parse(fs.readFileSync(
      path.join(ROOT, 'test', 'fixtures', 'decoders.json'), 'utf8')) as FixtureFile;
  console.log(`\nDecoders ported from PyTorch (examples/decoders), weights loaded with ${
      ''}pt.loadTorchWeights from examples/decoders/assets/*.safetensors, PyTorch reference ${
      reference.torch_version}\n`);
  // One row per decoder; per backend, the largest difference from PyTorch and ms per run.
  const rows = new Map<string, string[]>();
  let worst = 0;
  const outputs: Record<string, tf.Tensor> = {};
  for (const decoder of DECODERS) {
    const c = reference.cases.find((k) => k.name === decoder.name)!;
    const cells: string[] = [];
    for (const backend of names) {
      if (!(await tf.setBackend(backend))) {
        worst = Infinity;
        cells.push('backend failed to start', '');
        continue;
      }
      let model: tfl.LayersModel|undefined;
      let x: tf.Tensor|undefined;
      try {
        model = await loadDecoder(
            decoder, path.join(ROOT, 'examples', 'decoders', 'assets', `${decoder.name}.safetensors`));
        x = fromFixture(c.inputs.x, decoder.dataFormat);
        const y = model.predict(x) as tf.Tensor;
        // Compare in PyTorch's layout.
        const got = tf.tidy(() => decoder.dataFormat === 'channelsLast' && y.rank === 4 ?
                                      tf.transpose(y, [0, 3, 1, 2]).dataSync() : y.dataSync());
        const expected = fixtureValues(c.outputs[0]);
        let maxDiff = got.length === expected.length ? 0 : Infinity;
        for (let i = 0; i < expected.length; i++) {
          const d = Math.abs(got[i] - expected[i]);
          maxDiff = Math.max(maxDiff, Number.isNaN(d) ? Infinity : d);
        }
        worst = Math.max(worst, maxDiff);
        const ms = await medianMs(async () => {
          const r = model!.predict(x!) as tf.Tensor;
          await r.data();
          r.dispose();
        });
        if (cells.length === 0) rows.set(decoder.title, [x.shape.join('x'), y.shape.join('x')]);
        cells.push(maxDiff.toExponential(1), ms.toFixed(1));
        if (backend === 'cpu') {
          outputs[decoder.name] = y;
        } else {
          y.dispose();
        }
      } catch (e) {
        worst = Infinity;
        cells.push(`FAILED: ${(e as Error).message}`, '');
      } finally {
        x?.dispose();
        model?.dispose();
      }
    }
    rows.set(decoder.title, [...(rows.get(decoder.title) ?? ['', '']), ...cells]);
  }
  console.log(`| decoder | input | output | ${names.map((b) => `${b} max err | ${b} ms`).join(' | ')} |`);
  console.log(`|---|---|---|${names.map(() => '---:|---:|').join('')}`);
  for (const [title, cells] of rows) console.log(`| ${title} | ${cells.join(' | ')} |`);
  await tf.setBackend('cpu');

  const written: string[] = [];
  if (outputs.espcn != null) {
    // ESPCN's input is the demo image: show it next to bicubic and ESPCN x3.
    const image = readImage(path.join(ROOT, 'examples', 'assets', 'demo_image.png'));
    const bicubic = pt.interpolate(image, {scaleFactor: 3, mode: 'bicubic'});
    const file = path.join(OUT_DIR, 'espcn_x3.png');
    await writeGrid(file, [
      {label: 'input', image}, {label: 'bicubic x3', image: bicubic},
      {label: 'espcn x3', image: outputs.espcn},
    ], 3);
    tf.dispose([image, bicubic]);
    written.push(file);
  }
  if (outputs.dcgan != null) {
    const t = tiles(outputs.dcgan, false, -1, 1, 'dcgan');
    const file = path.join(OUT_DIR, 'dcgan_samples.png');
    await writeGrid(file, t, 4);
    tf.dispose(t.map((k) => k.image));
    written.push(file);
  }
  if (outputs.cyclegan != null) {
    const t = tiles(outputs.cyclegan, false, -1, 1, 'cyclegan');
    const file = path.join(OUT_DIR, 'cyclegan_samples.png');
    await writeGrid(file, t, 2);
    tf.dispose(t.map((k) => k.image));
    written.push(file);
  }
  if (outputs.vae != null) {
    const t = tiles(outputs.vae, true, 0, 1, 'vae');
    const file = path.join(OUT_DIR, 'vae_samples.png');
    await writeGrid(file, t, 4);
    tf.dispose(t.map((k) => k.image));
    written.push(file);
  }
  tf.dispose(Object.values(outputs));
  console.log(`\nlargest difference from PyTorch over all decoders and backends: ${
      worst.toExponential(2)}`);
  for (const f of written) console.log(`wrote ${path.relative(process.cwd(), f)}`);
  return worst;
}

async function exported(): Promise<boolean> {
  const dir = path.join(ROOT, 'examples', 'decoders', 'exported', 'unet');
  const rel = path.relative(process.cwd(), dir);
  console.log(`\nThe U-Net exported from PyTorch in one call (no hand-written JavaScript):\n`);
  console.log(`  Python: tfjs_torch.export(unet, torch.rand(1, 3, 24, 24), '${rel}', intermediates=True)`);
  console.log(`          (UNet of scripts/fixtures/gen_decoders.py, weights examples/decoders/assets/unet.safetensors)`);
  console.log(`  JS:     model = await tf.loadLayersModel(...model.json); await pt.checkExport(model, check.safetensors)`);
  console.log(`  Sizes are free: checked at the export size (check.safetensors) and at 1x3x40x32 ${
      ''}(check_other_size.safetensors, PyTorch's outputs from tfjs_torch.write_check)\n`);
  console.log('| backend | layers | output | max |tfjs-torch - PyTorch| | layers checked | first departing |');
  console.log('|---|---:|---|---:|---:|---|');
  let ok = true;
  for (const backend of backends()) {
    await tf.setBackend(backend);
    // In a browser: tf.loadLayersModel('models/unet/model.json'); in Node with tfjs-node:
    // tf.loadLayersModel('file://.../model.json'). Here a small handler reads the files.
    const model = await tfl.loadLayersModel(exportDirHandler(dir));
    try {
      for (const file of ['check.safetensors', 'check_other_size.safetensors']) {
        const check = await pt.checkExport(model, path.join(dir, file));
        ok = ok && check.ok;
        for (const o of check.outputs) {
          console.log(`| ${backend} | ${model.layers.length} | ${o.name} ${o.shape.join('x')} | ${
              o.maxAbsDiff.toExponential(2)} | ${check.layers?.length ?? 0} | ${
              check.firstDeparting?.layer ?? 'none'} |`);
        }
      }
    } catch (e) {
      ok = false;
      console.log(`| ${backend} | | | FAILED: ${(e as Error).message} | | |`);
    } finally {
      model.dispose();
    }
  }
  await tf.setBackend('cpu');
  return ok;
}

async function main(): Promise<void> {
  const interpolateWorst = await interpolateGrid();
  const decoderWorst = await decoders();
  const exportOk = await exported();
  if (!exportOk) {
    console.error('FAIL: the exported U-Net differs from PyTorch by more than the tolerance');
    process.exitCode = 1;
  }
  if (!(interpolateWorst <= 1e-4)) {
    console.error('FAIL: an interpolate mode differs from PyTorch by more than 1e-4');
    process.exitCode = 1;
  }
  if (!(decoderWorst <= 1e-4)) {
    console.error('FAIL: a decoder differs from PyTorch by more than 1e-4 (or failed)');
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
