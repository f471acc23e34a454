// `npm run bench -- pool`: maxPool2dWithIndices and maxUnpool2d on the cpu backend next to
// - tf.maxPoolWithArgmax (tfjs's cpu kernel; NHWC only, and its indices are flat over the whole
//   tensor, TensorFlow's convention: the same comparisons and writes, another index encoding),
// - onnxruntime-node running models from scripts/export_onnx_pool.py, with intraOpNumThreads 1
//   and 2: PyTorch's own export of MaxPool2d(return_indices=True) (a MaxPool plus a second
//   kernel-1 MaxPool, Slice and Sub that turn ONNX's whole-tensor indices into PyTorch's
//   per-plane ones), the bare ONNX MaxPool node with its indices output, and ONNX MaxUnpool (fed
//   whole-tensor int64 indices converted from ours before timing).
// onnxruntime only takes NCHW: the channelsLast rows time it on the NCHW copy of the input.
// Every contender's result is checked against tfjs-torch's before timing.
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import {maxPool2dWithIndices, maxUnpool2d} from '../src/index.js';
import type {DataFormat} from '../src/kernel_names.js';
import {ortContender, ortSession, tfContender} from './contenders.js';
import {runRows} from './harness.js';
import type {Contender, Row} from './harness.js';


function expectEqual(
    what: string, a: ArrayLike<number|bigint>, b: ArrayLike<number|bigint>): void {
  if (a.length !== b.length) throw new Error(`bench ${what}: lengths ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (Number(a[i]) !== Number(b[i])) {
      throw new Error(`bench ${what}: element ${i} is ${a[i]} here and ${b[i]} there`);
    }
  }
}

/** ONNX's whole-tensor NCHW offsets from PyTorch's per-plane ones (NCHW data). */
function wholeTensorIndices(perPlane: Int32Array, planeSize: number, spatialOut: number):
    BigInt64Array {
  const out = new BigInt64Array(perPlane.length);
  for (let i = 0; i < perPlane.length; i++) {
    out[i] = BigInt(Math.floor(i / spatialOut) * planeSize + perPlane[i]);
  }
  return out;
}

export async function benchPool(): Promise<void> {
  const [N, C, H, W] = [1, 64, 128, 128];
  const xFirst = tf.randomUniform([N, C, H, W], -1, 1, 'float32', 7);
  const xLast = tf.transpose(xFirst, [0, 2, 3, 1]);
  const options = {kernelSize: 2, stride: 2};
  const [vFirst, iFirst] =
      maxPool2dWithIndices(xFirst, {...options, dataFormat: 'channelsFirst'});
  const [vLast, iLast] = maxPool2dWithIndices(xLast, options);
  const xOrt = new ort.Tensor('float32', xFirst.dataSync() as Float32Array, [N, C, H, W]);
  const vOrt = new ort.Tensor('float32', vFirst.dataSync() as Float32Array, vFirst.shape);
  const iOrt = new ort.Tensor(
      'int64', wholeTensorIndices(iFirst.dataSync() as Int32Array, H * W, (H / 2) * (W / 2)),
      iFirst.shape);

  const sessions: Record<string, ort.InferenceSession> = {};
  for (const threads of [1, 2]) {
    sessions[`export${threads}`] = await ortSession('pool_maxpool2d_indices.onnx', threads);
    sessions[`bare${threads}`] = await ortSession('pool_maxpool2d_bare.onnx', threads);
    sessions[`unpool${threads}`] = await ortSession('pool_maxunpool2d.onnx', threads);
  }

  // Same results before timing: PyTorch's export gives our indices, the bare node and
  // tf.maxPoolWithArgmax whole-tensor ones; MaxUnpool gives our unpooled tensor.
  const ourValues = vFirst.dataSync();
  const ourIndices = iFirst.dataSync();
  const exported = await sessions.export1.run({x: xOrt});
  expectEqual('ort export values', exported.values.data as Float32Array, ourValues);
  expectEqual('ort export indices', exported.indices.data as BigInt64Array, ourIndices);
  const bare = await sessions.bare1.run({x: xOrt});
  expectEqual('ort bare values', bare.values.data as Float32Array, ourValues);
  expectEqual('ort bare indices', bare.indices.data as BigInt64Array, iOrt.data as BigInt64Array);
  const argmax = tf.maxPoolWithArgmax(xLast as tf.Tensor4D, 2, 2, 'valid');
  expectEqual('tf.maxPoolWithArgmax values', argmax.result.dataSync(), vLast.dataSync());
  tf.dispose([argmax.result, argmax.indexes]);
  const unpooled = await sessions.unpool1.run({x: vOrt, indices: iOrt});
  const ourUnpooled = maxUnpool2d(vFirst, iFirst, {...options, dataFormat: 'channelsFirst'});
  expectEqual('ort MaxUnpool', unpooled.y.data as Float32Array, ourUnpooled.dataSync());
  ourUnpooled.dispose();

  const poolOrt = (): Contender[] => [1, 2].flatMap((t) => [
    ortContender(`ort PyTorch export, ${t} thread${t > 1 ? 's' : ''}`, sessions[`export${t}`],
                 {x: xOrt}),
    ortContender(`ort bare MaxPool, ${t} thread${t > 1 ? 's' : ''}`, sessions[`bare${t}`],
                 {x: xOrt}),
  ]);
  const unpoolOrt = (): Contender[] => [1, 2].map(
      (t) => ortContender(`ort MaxUnpool, ${t} thread${t > 1 ? 's' : ''}`, sessions[`unpool${t}`],
                          {x: vOrt, indices: iOrt}));
  const rows: Row[] = [];
  for (const dataFormat of ['channelsLast', 'channelsFirst'] as DataFormat[]) {
    const x = dataFormat === 'channelsLast' ? xLast : xFirst;
    const v = dataFormat === 'channelsLast' ? vLast : vFirst;
    const i = dataFormat === 'channelsLast' ? iLast : iFirst;
    rows.push({
      label: `maxPool2dWithIndices k=2 s=2 ${JSON.stringify(x.shape)} ${dataFormat}`,
      contenders: [
        tfContender('tfjs-torch', () => maxPool2dWithIndices(x, {...options, dataFormat})),
        tfContender(`tf.maxPoolWithArgmax (NHWC${dataFormat === 'channelsFirst' ? ' copy' : ''})`,
                    () => {
                      const r = tf.maxPoolWithArgmax(xLast as tf.Tensor4D, 2, 2, 'valid');
                      return [r.result, r.indexes];
                    }),
        ...poolOrt(),
      ],
    });
    rows.push({
      label: `maxUnpool2d k=2 s=2 ${JSON.stringify(v.shape)} ${dataFormat}`,
      contenders: [
        tfContender('tfjs-torch', () => maxUnpool2d(v, i, {...options, dataFormat})),
        ...unpoolOrt(),
      ],
    });
  }
  await runRows('pool', rows);
  tf.dispose([xFirst, xLast, vFirst, iFirst, vLast, iLast]);
  for (const s of Object.values(sessions)) await s.release();
}
