// `npm run bench -- interpolate`: tfjs-torch's interpolate cpu kernel next to
// - tfjs's tf.image.resizeNearestNeighbor / resizeBilinear with the settings that give PyTorch's
//   numbers (checked on the bench input before timing; a setting that disagrees is left out and
//   said so): bilinear alignCorners=false is halfPixelCenters=true; nearest at exactly 2x is
//   PyTorch's floor rule with halfPixelCenters=false. tfjs has no bicubic or antialiased resize.
//   tfjs's resize takes only NHWC: the channelsFirst rows time it on the NHWC copy.
// - onnxruntime-node running PyTorch's own ONNX export of the same resize
//   (scripts/export_onnx_interpolate.py), intraOpNumThreads 1 and 2. onnxruntime only takes
//   NCHW: the channelsLast rows time it on the NCHW copy. torch 1.13 cannot export antialias, so
//   that row has no onnxruntime contender.
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import {interpolate} from '../src/index.js';
import type {InterpolateOptions} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {ortSession, tfContender} from './contenders.js';
import {runRows} from './harness.js';
import type {Contender, Row} from './harness.js';


function ortContender(name: string, s: ort.InferenceSession, x: ort.Tensor): Contender {
  return {
    name,
    run: async () => {
      const out = await s.run({x});
      for (const k of Object.keys(out)) out[k].dispose();
    },
  };
}

/** Largest excess over the project's tolerance (|a-e| <= 1e-4 + 1e-4|e|); <= 0 means equal. */
function excess(a: ArrayLike<number>, e: ArrayLike<number>): number {
  if (a.length !== e.length) return Infinity;
  let worst = -Infinity;
  for (let i = 0; i < e.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - e[i]) - (1e-4 + 1e-4 * Math.abs(e[i])));
  }
  return worst;
}

/**
 * The same rows timed in process CPU time (process.cpuUsage, every thread of the process), which
 * a machine shared with other jobs disturbs less than wall time; the minimum over the runs is
 * the least disturbed estimate. A 2-thread onnxruntime run counts both threads' time.
 */
async function cpuTimeRows(title: string, rows: Row[]): Promise<void> {
  console.log(`\n## ${title}\n`);
  console.log('| case | contender | median CPU ms | min CPU ms | tfjs-torch / contender (min) |');
  console.log('|---|---|---:|---:|---:|');
  for (const row of rows) {
    const ms: number[] = [];
    const mins: number[] = [];
    for (const c of row.contenders) {
      for (let i = 0; i < 3; i++) await c.run();
      const times: number[] = [];
      const start = performance.now();
      while (times.length < 10 || (performance.now() - start < 1000 && times.length < 200)) {
        const t0 = process.cpuUsage();
        await c.run();
        const t = process.cpuUsage(t0);
        times.push((t.user + t.system) / 1000);
      }
      times.sort((a, b) => a - b);
      const m = times.length >> 1;
      ms.push(times.length % 2 ? times[m] : (times[m - 1] + times[m]) / 2);
      mins.push(times[0]);
    }
    row.contenders.forEach((c, i) => {
      const ratio = i === 0 ? '' : (mins[0] / mins[i]).toFixed(2) + 'x';
      console.log(`| ${row.label} | ${c.name} | ${ms[i].toFixed(3)} | ${mins[i].toFixed(3)} | ${
          ratio} |`);
    });
  }
}

interface Setting {
  label: string;
  options: InterpolateOptions;
  /** tfjs's built-in resize that should give the same numbers (NHWC input and output). */
  tfjs?: {name: string, fn: (x: tf.Tensor4D, size: [number, number]) => tf.Tensor};
  onnx?: string;
}

const SETTINGS: Setting[] = [
  {
    label: 'nearest 2x',
    options: {mode: 'nearest', scaleFactor: 2},
    tfjs: {
      name: 'tf.image.resizeNearestNeighbor',
      fn: (x, size) => tf.image.resizeNearestNeighbor(x, size, false, false),
    },
    onnx: 'interpolate_nearest2x.onnx',
  },
  {
    label: 'bilinear 2x',
    options: {mode: 'bilinear', scaleFactor: 2},
    tfjs: {
      name: 'tf.image.resizeBilinear halfPixelCenters',
      fn: (x, size) => tf.image.resizeBilinear(x, size, false, true),
    },
    onnx: 'interpolate_bilinear2x.onnx',
  },
  {
    label: 'bicubic 2x',
    options: {mode: 'bicubic', scaleFactor: 2},
    onnx: 'interpolate_bicubic2x.onnx',
  },
  {
    label: 'bilinear antialias 0.5x',
    options: {mode: 'bilinear', scaleFactor: 0.5, antialias: true},
  },
];

export async function benchInterpolate(): Promise<void> {
  const [N, C, H, W] = [1, 64, 128, 128];
  const xFirst = tf.randomUniform([N, C, H, W], -1, 1, 'float32', 11) as tf.Tensor4D;
  const xLast = tf.transpose(xFirst, [0, 2, 3, 1]) as tf.Tensor4D;
  const xOrt = new ort.Tensor('float32', xFirst.dataSync() as Float32Array, [N, C, H, W]);
  const notes: string[] = [];
  const rows: Row[] = [];
  for (const s of SETTINGS) {
    const yFirst = interpolate(xFirst, {...s.options, dataFormat: 'channelsFirst'});
    const yLast = interpolate(xLast, s.options);
    const ours = yFirst.dataSync();
    const sessions: ort.InferenceSession[] = [];
    if (s.onnx != null) {
      for (const threads of [1, 2]) sessions.push(await ortSession(s.onnx, threads));
      const out = await sessions[0].run({x: xOrt});
      const e = excess(out.y.data as Float32Array, ours);
      out.y.dispose();
      if (e > 0) throw new Error(`bench ${s.label}: onnxruntime differs from tfjs-torch by ${e}`);
    }
    let tfjsOk = false;
    if (s.tfjs != null) {
      const size = [yLast.shape[1], yLast.shape[2]] as [number, number];
      const t = s.tfjs.fn(xLast, size);
      const e = excess(t.dataSync(), yLast.dataSync());
      t.dispose();
      tfjsOk = e <= 0;
      if (!tfjsOk) notes.push(`${s.tfjs.name} left out of '${s.label}': differs by ${e}`);
    }
    tf.dispose([yFirst, yLast]);
    for (const dataFormat of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
      const x = dataFormat === 'channelsLast' ? xLast : xFirst;
      const contenders: Contender[] =
          [tfContender('tfjs-torch', () => interpolate(x, {...s.options, dataFormat}))];
      if (s.tfjs != null && tfjsOk) {
        const {name, fn} = s.tfjs;
        const size = [H * 2, W * 2] as [number, number];
        const copy = dataFormat === 'channelsFirst' ? ' (NHWC copy)' : '';
        contenders.push(tfContender(`${name}${copy}`, () => fn(xLast, size)));
      }
      sessions.forEach((sess, i) => {
        const copy = dataFormat === 'channelsLast' ? ', NCHW copy' : '';
        contenders.push(ortContender(`ort PyTorch export, ${i + 1} thread${i > 0 ? 's' : ''}${copy}`,
                                     sess, xOrt));
      });
      rows.push({label: `${s.label} ${JSON.stringify(x.shape)} ${dataFormat}`, contenders});
    }
  }
  await runRows('interpolate', rows);
  await cpuTimeRows('interpolate: process CPU time', rows);
  for (const n of notes) console.log(`\nnote: ${n}`);
  tf.dispose([xFirst, xLast]);
}
