// GPU rows (webgl and webgpu benches) for the decoder-vocabulary kernels against the composed
// tfjs ops they replace (results checked first): pad (reflect, CycleGAN's [1,64,64,256] by 1)
// against one tf.gather per padded axis and tf.mirrorPad; groupNorm(32) (SD VAE) and
// layerNorm(256) (SAM) against tf.moments + elementwise ops. Channels last. PReLU(64)
// (SRVGGNetCompact, FSRCNN) on [1,128,128,64] in both layouts: the TorchPrelu kernel against the
// select form the layer used before it (Greater, Mul, Select) and tfjs's tf.prelu.
import * as tf from '@tensorflow/tfjs-core';
import {groupNorm, layerNorm, pad} from '../../src/index.js';
import type {Row} from '../harness.js';
import {padByGathers} from '../decoder_ops_common.js';
import {contender, expectSame, input} from './common.js';

/** Group norm with tfjs ops on the [N, P, G, K] view. */
function groupNormByMoments(x: tf.Tensor, g: number, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const [n, h, wd, c] = x.shape;
    const v = tf.reshape(x, [n, h * wd, g, c / g]);
    const {mean, variance} = tf.moments(v, [1, 3], true);
    const y = tf.mul(tf.sub(v, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(tf.reshape(y, x.shape), w), b);
  });
}

export async function decoderOpsRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const shape = [1, 64, 64, 256];
  const x = input(shape);
  const x2 = input(shape);
  const x3 = input(shape);
  const check = input(shape);
  const padding = [1, 1, 1, 1];
  const pairs: Array<[number, number]> = [[0, 0], [1, 1], [1, 1], [0, 0]];
  const ours = (t: tf.Tensor) => pad(t, padding, {mode: 'reflect'});
  const gathers = (t: tf.Tensor) => padByGathers(t, padding, 'reflect', 'channelsLast');
  const mirror = (t: tf.Tensor) => tf.mirrorPad(t as tf.Tensor4D, pairs, 'reflect');
  for (const [name, f] of [['gathers', gathers], ['mirrorPad', mirror]] as const) {
    const a = ours(check);
    const b = f(check);
    await expectSame(a, b, `pad vs ${name}`, 0);
    tf.dispose([a, b]);
  }
  rows.push({label: `pad reflect 1 [${shape}] channelsLast`, contenders: [
    contender('tfjs-torch pad (one kernel)', () => ours(x)),
    contender('tf.gather per padded axis', () => gathers(x2)),
    contender('tf.mirrorPad', () => mirror(x3)),
  ]});

  const gShape = [1, 64, 64, 512];
  const gx = input(gShape);
  const gx2 = input(gShape);
  const gcheck = input(gShape);
  const w = tf.randomUniform([512], 0.5, 1.5, 'float32', 1);
  const b = tf.randomUniform([512], -0.5, 0.5, 'float32', 2);
  const gOurs = (t: tf.Tensor) => groupNorm(t, 32, {weight: w, bias: b, eps: 1e-6});
  const gTheirs = (t: tf.Tensor) => groupNormByMoments(t, 32, w, b, 1e-6);
  const ga = gOurs(gcheck);
  const gb = gTheirs(gcheck);
  await expectSame(ga, gb, 'groupNorm vs moments', 1e-3);
  tf.dispose([ga, gb]);
  rows.push({label: `groupNorm(32) [${gShape}] channelsLast`, contenders: [
    contender('tfjs-torch GroupNorm kernel', () => gOurs(gx)),
    contender('tf.moments + elementwise', () => gTheirs(gx2)),
  ]});

  const lw = tf.randomUniform([256], 0.5, 1.5, 'float32', 3);
  const lb = tf.randomUniform([256], -0.5, 0.5, 'float32', 4);
  const lOurs = (t: tf.Tensor) => layerNorm(t, 256, {weight: lw, bias: lb, eps: 1e-6});
  const lTheirs = (t: tf.Tensor) => tf.tidy(() => {
    const {mean, variance} = tf.moments(t, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-6))), lw), lb);
  });
  const la = lOurs(check);
  const lb2 = lTheirs(check);
  await expectSame(la, lb2, 'layerNorm vs moments', 1e-3);
  tf.dispose([la, lb2]);
  rows.push({label: `layerNorm(256) [${shape}]`, contenders: [
    contender('tfjs-torch GroupNorm kernel (trailing)', () => lOurs(x)),
    contender('tf.moments + elementwise', () => lTheirs(x2)),
  ]});
  rows.push(...await preluRows());
  return rows;
}

/** PReLU(64) rows: TorchPrelu, where(x > 0, x, w * x), tf.prelu. */
async function preluRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const c = 64;
  const weight = tf.randomUniform([c], -0.5, 1.5, 'float32', 5);
  for (const dataFormat of ['channelsLast', 'channelsFirst'] as const) {
    const shape = dataFormat === 'channelsLast' ? [1, 128, 128, c] : [1, c, 128, 128];
    // Half the values negative, so both branches run.
    const [px, px2, px3, pcheck] = [0, 1, 2, 3].map(() => tf.tidy(() => tf.sub(input(shape), 0.5)));
    const attrs = {dataFormat} as unknown as tf.NamedAttrMap;
    const broadcast = dataFormat === 'channelsLast' ? [c] : [c, 1, 1];
    const alpha = tf.reshape(weight, dataFormat === 'channelsLast' ? [1, 1, 1, c] : [1, c, 1, 1]);
    const wb = tf.reshape(weight, broadcast);
    const ours = (t: tf.Tensor) => tf.engine().runKernel('TorchPrelu', {x: t, weight}, attrs) as tf.Tensor;
    const select = (t: tf.Tensor) => tf.tidy(() => tf.where(tf.greater(t, 0), t, tf.mul(t, wb)));
    const theirs = (t: tf.Tensor) => tf.prelu(t, alpha);
    const contenders = [contender('tfjs-torch TorchPrelu kernel', () => ours(px)),
                        contender('where(x > 0, x, w * x)', () => select(px2))];
    const a = ours(pcheck);
    const b = select(pcheck);
    await expectSame(a, b, `prelu ${dataFormat} vs select`, 0);
    const t = theirs(pcheck);
    try {
      await expectSame(a, t, `prelu ${dataFormat} vs tf.prelu`, 0);
      contenders.push(contender('tf.prelu', () => theirs(px3)));
    } catch (e) {
      // Timed only where it computes the same values.
      console.log(`decoderOps: tf.prelu left out of the ${dataFormat} row: ${(e as Error).message}`);
    }
    tf.dispose([a, b, t]);
    rows.push({label: `PReLU(64) [${shape}] ${dataFormat}`, contenders});
  }
  return rows;
}
