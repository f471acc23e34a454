// The decoder nets of scripts/fixtures/gen_decoders.py, rebuilt with tfjs-layers and tfjs-torch's
// layers. Each layer that holds weights is named after its PyTorch module path with dots turned
// into underscores (`enc1.0` -> `enc1_0`), so pt.loadTorchWeights fills them with no mapping.
// Parameter-free modules (ReLU, Tanh, pooling) need no particular name.
//
// Porting choices worth a look (see docs/porting.md):
// - Conv2d(k, padding=(k-1)/2) with stride 1 is tfjs's padding 'same'.
// - BatchNorm2d in eval mode is tf.layers.batchNormalization with PyTorch's epsilon 1e-5 (tfjs's
//   default is 1e-3); tfjs uses the moving statistics whenever training is false (predict).
// - ConvTranspose2d uses pt.layers.convTranspose2d (PyTorch's padding/outputPadding arithmetic,
//   weight layout kept); Upsample is pt.layers.upsample (PyTorch's coordinate rules);
//   PixelShuffle is pt.layers.pixelShuffle (PyTorch's channel order, not depthToSpace's).
// - The VAE decoder runs channelsFirst: its Linear output is viewed as (N, 32, 4, 4) in PyTorch,
//   which a channelsFirst reshape reproduces without permuting the Dense weights.
// - CycleGAN's ReflectionPad2d and U-Net's F.pad are pt.layers.pad (F.pad's order, last dim
//   first); InstanceNorm2d is pt.layers.instanceNorm; the odd-size U-Nets run channelsFirst with
//   pt.layers.batchNorm, which (unlike tfjs's batchNormalization with axis 1 on the cpu backend)
//   is right in channelsFirst.
import * as tfl from '@tensorflow/tfjs-layers';
import * as pt from '../../src/index.js';
import type {DataFormat} from '../../src/kernel_names.js';

type ST = tfl.SymbolicTensor;

/** PyTorch's BatchNorm2d in eval mode. */
function batchNorm(name: string, dataFormat: DataFormat = 'channelsLast'): tfl.layers.Layer {
  return tfl.layers.batchNormalization(
      {name, axis: dataFormat === 'channelsLast' ? -1 : 1, epsilon: 1e-5, momentum: 0.9});
}

/** Conv2d(cin, filters, k, padding=(k-1)/2) [+ activation]. */
function conv(
    name: string, filters: number, kernelSize: number, activation?: 'relu'|'tanh'|'sigmoid',
    dataFormat: DataFormat = 'channelsLast'): tfl.layers.Layer {
  return tfl.layers.conv2d({name, filters, kernelSize, padding: 'same', activation, dataFormat});
}

/**
 * ESPCN x3 with a bicubic skip: any input size (channelsLast [N, H, W, 3] -> [N, 3H, 3W, 3]).
 */
export function espcn(): tfl.LayersModel {
  const x = tfl.input({shape: [null, null, 3]});
  let h = conv('feature_0', 32, 5, 'tanh').apply(x) as ST;
  h = conv('feature_2', 16, 3, 'tanh').apply(h) as ST;
  h = conv('upsample_0', 27, 3).apply(h) as ST;
  const detail = pt.layers.pixelShuffle({name: 'upsample_1', upscaleFactor: 3}).apply(h) as ST;
  const skip = pt.layers.upsample({name: 'skip', scaleFactor: 3, mode: 'bicubic'}).apply(x) as ST;
  const y = tfl.layers.add().apply([detail, skip]) as ST;
  return tfl.model({name: 'espcn', inputs: x, outputs: y});
}

/** SegNet-style encoder-decoder on [N, 30, 30, 3] (any size with the same halvings). */
export function segnet(): tfl.LayersModel {
  const x = tfl.input({shape: [null, null, 3]});
  const block = (prefix: string, filters: number, input: ST): ST => {
    const c = conv(`${prefix}_0`, filters, 3).apply(input) as ST;
    return tfl.layers.reLU().apply(batchNorm(`${prefix}_1`).apply(c)) as ST;
  };
  const e1 = block('enc1', 16, x);
  const [p1, i1] = pt.layers.maxPool2d({name: 'pool1', kernelSize: 2, returnIndices: true})
                       .apply(e1) as ST[];
  const e2 = block('enc2', 32, p1);
  const [p2, i2] = pt.layers.maxPool2d({name: 'pool2', kernelSize: 2, returnIndices: true})
                       .apply(e2) as ST[];
  // [values, indices, like]: the output takes like's spatial size, as
  // MaxUnpool2d(..., output_size=e2.shape) (30 -> 15 -> 7 pools back to 15, not 14).
  const u2 = pt.layers.maxUnpool2d({name: 'unpool2', kernelSize: 2}).apply([p2, i2, e2]) as ST;
  const d2 = block('dec2', 16, u2);
  const u1 = pt.layers.maxUnpool2d({name: 'unpool1', kernelSize: 2}).apply([d2, i1, e1]) as ST;
  const y = conv('dec1', 4, 3).apply(u1) as ST;
  return tfl.model({name: 'segnet', inputs: x, outputs: y});
}

/** DCGAN generator: z as [N, 1, 1, 16] (PyTorch's [N, 16, 1, 1]) -> [N, 32, 32, 3]. */
export function dcgan(): tfl.LayersModel {
  const z = tfl.input({shape: [1, 1, 16]});
  const up = (i: number, inChannels: number, outChannels: number, stride: number, padding: number,
              input: ST): ST =>
      pt.layers.convTranspose2d({name: `main_${i}`, inChannels, outChannels, kernelSize: 4, stride,
                                 padding, bias: false})
          .apply(input) as ST;
  const bnRelu = (i: number, input: ST): ST =>
      tfl.layers.reLU().apply(batchNorm(`main_${i}`).apply(input)) as ST;
  let h = bnRelu(1, up(0, 16, 64, 1, 0, z));
  h = bnRelu(4, up(3, 64, 32, 2, 1, h));
  h = bnRelu(7, up(6, 32, 16, 2, 1, h));
  const y = tfl.layers.activation({activation: 'tanh'}).apply(up(9, 16, 3, 2, 1, h)) as ST;
  return tfl.model({name: 'dcgan', inputs: z, outputs: y});
}

/** U-Net with bilinear (alignCorners) upsampling and skip concatenation; H, W divisible by 4. */
export function unet(): tfl.LayersModel {
  const x = tfl.input({shape: [null, null, 3]});
  const pool = () => tfl.layers.maxPooling2d({poolSize: 2});
  const up = (name: string) =>
      pt.layers.upsample({name, scaleFactor: 2, mode: 'bilinear', alignCorners: true});
  const e1 = conv('enc1_0', 8, 3, 'relu').apply(x) as ST;
  const e2 = conv('enc2_0', 16, 3, 'relu').apply(pool().apply(e1)) as ST;
  const b = conv('bottleneck_0', 32, 3, 'relu').apply(pool().apply(e2)) as ST;
  // torch.cat([up(b), e2], 1): channels of the upsampled tensor first, on the channel axis.
  const c2 = tfl.layers.concatenate({axis: -1}).apply([up('up2').apply(b) as ST, e2]) as ST;
  const d2 = conv('dec2_0', 16, 3, 'relu').apply(c2) as ST;
  const c1 = tfl.layers.concatenate({axis: -1}).apply([up('up1').apply(d2) as ST, e1]) as ST;
  const d1 = conv('dec1_0', 8, 3, 'relu').apply(c1) as ST;
  const y = conv('head', 2, 1).apply(d1) as ST;
  return tfl.model({name: 'unet', inputs: x, outputs: y});
}

/** VAE-style decoder, channelsFirst: z [N, 16] -> [N, 3, 16, 16]. */
export function vae(): tfl.LayersModel {
  const f: DataFormat = 'channelsFirst';
  const z = tfl.input({shape: [16]});
  let h = tfl.layers.dense({name: 'fc', units: 32 * 4 * 4, activation: 'relu'}).apply(z) as ST;
  // PyTorch's .view(-1, 32, 4, 4) on a channelsFirst model is a plain reshape.
  h = tfl.layers.reshape({targetShape: [32, 4, 4]}).apply(h) as ST;
  h = pt.layers.upsample({name: 'up1', scaleFactor: 2, mode: 'nearest', dataFormat: f}).apply(h) as ST;
  h = conv('conv1', 16, 3, 'relu', f).apply(h) as ST;
  h = pt.layers.upsample({name: 'up2', scaleFactor: 2, mode: 'nearest', dataFormat: f}).apply(h) as ST;
  const y = conv('conv2', 3, 3, 'sigmoid', f).apply(h) as ST;
  return tfl.model({name: 'vae', inputs: z, outputs: y});
}

/**
 * CycleGAN's ResnetGenerator, channelsLast: [N, H, W, 3] -> [N, H, W, 3], H and W divisible by 4.
 * ReflectionPad2d is pt.layers.pad({mode: 'reflect'}); the stride-2 convs with padding 1 are an
 * explicit zero pad and a 'valid' conv (tfjs's 'same' would pad one more at the end than at the
 * start); InstanceNorm2d is pt.layers.instanceNorm (affine false, no weights, so any name).
 */
export function cyclegan(): tfl.LayersModel {
  const x = tfl.input({shape: [null, null, 3]});
  const reflect = (p: number) => pt.layers.pad({padding: [p, p, p, p], mode: 'reflect'});
  const norm = (c: number) => pt.layers.instanceNorm({numFeatures: c});
  const relu = () => tfl.layers.reLU();
  const valid = (name: string, filters: number, kernelSize: number, strides = 1) =>
      tfl.layers.conv2d({name, filters, kernelSize, strides, padding: 'valid'});
  const ngf = 8;
  let h = valid('model_1', ngf, 7).apply(reflect(3).apply(x)) as ST;
  h = relu().apply(norm(ngf).apply(h)) as ST;
  for (const [i, c] of [[4, ngf * 2], [7, ngf * 4]]) {
    h = pt.layers.pad({padding: [1, 1, 1, 1]}).apply(h) as ST;
    h = relu().apply(norm(c).apply(valid(`model_${i}`, c, 3, 2).apply(h))) as ST;
  }
  for (const i of [10, 11]) {
    let r = valid(`model_${i}_conv_block_1`, ngf * 4, 3).apply(reflect(1).apply(h)) as ST;
    r = relu().apply(norm(ngf * 4).apply(r)) as ST;
    r = valid(`model_${i}_conv_block_5`, ngf * 4, 3).apply(reflect(1).apply(r)) as ST;
    h = tfl.layers.add().apply([h, norm(ngf * 4).apply(r) as ST]) as ST;
  }
  for (const [i, c] of [[12, ngf * 4], [15, ngf * 2]]) {
    h = pt.layers.convTranspose2d({name: `model_${i}`, inChannels: c, outChannels: c / 2,
                                   kernelSize: 3, stride: 2, padding: 1, outputPadding: 1})
            .apply(h) as ST;
    h = relu().apply(norm(c / 2).apply(h)) as ST;
  }
  h = valid('model_19', 3, 7).apply(reflect(3).apply(h)) as ST;
  const y = tfl.layers.activation({activation: 'tanh'}).apply(h) as ST;
  return tfl.model({name: 'cyclegan', inputs: x, outputs: y});
}

/**
 * milesial's U-Net on a fixed odd input size, channelsFirst (PyTorch's layout throughout):
 * [N, 3, H, W] -> [N, 2, H, W]. The pools floor odd sizes, so each decoder stage pads its
 * upsampled map to the skip's size as the PyTorch code's F.pad does; the amounts are worked out
 * here from the symbolic shapes, which is why the model is built for one input size.
 * BatchNorm2d is pt.layers.batchNorm: tfjs's batchNormalization with axis 1 gives wrong
 * numbers on the cpu backend (loadTorchWeights refuses it there).
 */
export function unetOdd(bilinear: boolean, height = 37, width = 45): tfl.LayersModel {
  const f: DataFormat = 'channelsFirst';
  const x = tfl.input({shape: [3, height, width]});
  const doubleConv = (prefix: string, input: ST, out: number, mid = out): ST => {
    let h = input;
    for (const [i, c] of [[0, mid], [3, out]]) {
      h = tfl.layers.conv2d({name: `${prefix}_double_conv_${i}`, filters: c, kernelSize: 3,
                             padding: 'same', useBias: false, dataFormat: f}).apply(h) as ST;
      h = pt.layers.batchNorm({name: `${prefix}_double_conv_${i + 1}`, numFeatures: c, dataFormat: f})
              .apply(h) as ST;
      h = tfl.layers.reLU().apply(h) as ST;
    }
    return h;
  };
  const down = (name: string, input: ST, out: number): ST => doubleConv(
      `${name}_maxpool_conv_1`,
      tfl.layers.maxPooling2d({poolSize: 2, dataFormat: f}).apply(input) as ST, out);
  const up = (name: string, input: ST, skip: ST, cin: number, out: number): ST => {
    const upsampled = (bilinear ?
        pt.layers.upsample({scaleFactor: 2, mode: 'bilinear', alignCorners: true, dataFormat: f}) :
        pt.layers.convTranspose2d({name: `${name}_up`, inChannels: cin, outChannels: cin / 2,
                                   kernelSize: 2, stride: 2, dataFormat: f})).apply(input) as ST;
    const dy = skip.shape[2]! - upsampled.shape[2]!;
    const dx = skip.shape[3]! - upsampled.shape[3]!;
    const d2 = (d: number) => [Math.floor(d / 2), d - Math.floor(d / 2)];
    const padded = pt.layers.pad({padding: [...d2(dx), ...d2(dy)], dataFormat: f})
                       .apply(upsampled) as ST;
    // torch.cat([x2, x1], dim=1): the skip first.
    const cat = tfl.layers.concatenate({axis: 1}).apply([skip, padded]) as ST;
    return doubleConv(`${name}_conv`, cat, out, bilinear ? cin / 2 : out);
  };
  const factor = bilinear ? 2 : 1;
  const x1 = doubleConv('inc', x, 8);
  const x2 = down('down1', x1, 16);
  const x3 = down('down2', x2, 32);
  const x4 = down('down3', x3, 64 / factor);
  let y = up('up1', x4, x3, 64, 32 / factor);
  y = up('up2', y, x2, 32, 16 / factor);
  y = up('up3', y, x1, 16, 8);
  y = tfl.layers.conv2d({name: 'outc', filters: 2, kernelSize: 1, dataFormat: f}).apply(y) as ST;
  return tfl.model({name: bilinear ? 'unet_odd_bilinear' : 'unet_odd', inputs: x, outputs: y});
}

export interface Decoder {
  name: 'espcn'|'segnet'|'dcgan'|'unet'|'vae'|'cyclegan'|'unet_odd'|'unet_odd_bilinear';
  title: string;
  /** The layout the tfjs model takes and returns ('channelsFirst' is PyTorch's). */
  dataFormat: DataFormat;
  build: () => tfl.LayersModel;
}

export const DECODERS: Decoder[] = [
  {name: 'espcn', title: 'ESPCN x3 (conv + pixelShuffle, bicubic skip)', dataFormat: 'channelsLast', build: espcn},
  {name: 'segnet', title: 'SegNet (maxPool indices + maxUnpool)', dataFormat: 'channelsLast',
   build: segnet},
  {name: 'dcgan', title: 'DCGAN generator (convTranspose + BN)', dataFormat: 'channelsLast',
   build: dcgan},
  {name: 'unet', title: 'U-Net (bilinear alignCorners + skips)', dataFormat: 'channelsLast',
   build: unet},
  {name: 'vae', title: 'VAE decoder (nearest 2x + conv)', dataFormat: 'channelsFirst', build: vae},
  {name: 'cyclegan', title: 'CycleGAN generator (reflect pad, instanceNorm, convTranspose op=1)',
   dataFormat: 'channelsLast', build: cyclegan},
  {name: 'unet_odd', title: 'U-Net 37x45 (convTranspose, F.pad, batchNorm channelsFirst)',
   dataFormat: 'channelsFirst', build: () => unetOdd(false)},
  {name: 'unet_odd_bilinear', title: 'U-Net 37x45 (bilinear, F.pad, batchNorm channelsFirst)',
   dataFormat: 'channelsFirst', build: () => unetOdd(true)},
];

/** Builds a decoder and loads its PyTorch weights (bytes, a path or a URL). */
export async function loadDecoder(
    decoder: Decoder, weights: pt.TorchWeightsSource): Promise<tfl.LayersModel> {
  const model = decoder.build();
  await pt.loadTorchWeights(model, weights);
  return model;
}
