// `npm run demo`: upsamples the image that ships with the repo (examples/assets/demo_image.png)
// in every interpolate mode with tfjs-torch, writes the results as one labelled PNG grid, and
// prints, per mode, the largest difference from PyTorch's result for the same image (written by
// scripts/fixtures/gen_demo.py into examples/assets/demo_reference.json).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'fs';
import * as path from 'path';
import * as pt from '../src/index.js';
import {fixtureValues, type FixtureFile} from '../test/util.js';
import {readImage, type Tile, writeGrid} from './png.js';

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'out', 'demo');

async function main(): Promise<void> {
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
    const got = tf.tidy(() => y.transpose([0, 3, 1, 2]).dataSync());
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
  if (!(worst <= 1e-4)) {
    console.error('FAIL: a mode differs from PyTorch by more than 1e-4');
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
