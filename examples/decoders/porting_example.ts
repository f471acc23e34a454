// The worked example of docs/porting.md (kept identical to the code block there, which imports
// 'tfjs-torch' instead of '../../src/index.js'): the U-Net of scripts/fixtures/gen_decoders.py
// rebuilt with tfjs-layers and tfjs-torch, its PyTorch weights loaded, its output compared with
// PyTorch's.  Run: npx tsx examples/decoders/porting_example.ts
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'fs';
import * as pt from '../../src/index.js';

function buildUNet(): tfl.LayersModel {
  type ST = tfl.SymbolicTensor;
  // Conv2d(cin, filters, 3, padding=1) + ReLU: stride 1, so tfjs's 'same' pads 1 on each side.
  const conv = (name: string, filters: number, kernelSize = 3, activation: 'relu'|'linear' = 'relu') =>
      tfl.layers.conv2d({name, filters, kernelSize, padding: 'same', activation});
  // nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True), PyTorch's numerics.
  const up = (name: string) =>
      pt.layers.upsample({name, scaleFactor: 2, mode: 'bilinear', alignCorners: true});
  const pool = () => tfl.layers.maxPooling2d({poolSize: 2});  // MaxPool2d(2): same windows

  const x = tfl.input({shape: [null, null, 3]});          // channelsLast: [N, H, W, C]
  const e1 = conv('enc1_0', 8).apply(x) as ST;            // module enc1.0 -> layer enc1_0
  const e2 = conv('enc2_0', 16).apply(pool().apply(e1)) as ST;
  const b = conv('bottleneck_0', 32).apply(pool().apply(e2)) as ST;
  // torch.cat([up2(b), e2], dim=1): the channel axis is the last one here.
  const d2 = conv('dec2_0', 16).apply(
      tfl.layers.concatenate({axis: -1}).apply([up('up2').apply(b) as ST, e2])) as ST;
  const d1 = conv('dec1_0', 8).apply(
      tfl.layers.concatenate({axis: -1}).apply([up('up1').apply(d2) as ST, e1])) as ST;
  const y = conv('head', 2, 1, 'linear').apply(d1) as ST;
  return tfl.model({inputs: x, outputs: y});
}

// The files beside this example: examples/decoders/assets/ in the package or the repository.
const asset = (name: string) => new URL(`assets/${name}`, import.meta.url);

async function main(): Promise<void> {
  const model = buildUNet();
  // enc1.0.weight [8, 3, 3, 3] -> layer enc1_0's kernel [3, 3, 3, 8], and so on for every key.
  const report = await pt.loadTorchWeights(model, asset('unet.safetensors'));
  console.log(`loaded ${report.loadedKeys.length} tensors: ${report.loadedKeys.join(', ')}`);

  // PyTorch's input x and output y for this net (written by scripts/fixtures/gen_decoders.py).
  const io = pt.readSafetensors(fs.readFileSync(asset('unet_io.safetensors')));
  const tensorOf = (key: string) => {
    const e = io.tensors.get(key)!;
    return tf.tensor(e.values, e.shape, e.dtype);
  };
  const x = tf.transpose(tensorOf('x'), [0, 2, 3, 1]);   // PyTorch's NCHW -> NHWC
  const y = model.predict(x) as tf.Tensor;
  const yNCHW = tf.transpose(y, [0, 3, 1, 2]);
  const diff = tf.max(tf.abs(tf.sub(yNCHW, tensorOf('y')))).dataSync()[0];
  console.log(`output ${y.shape.join('x')}, max |tfjs - PyTorch| = ${diff.toExponential(2)}`);
  if (!(diff <= 1e-4)) process.exitCode = 1;
}

main();
