// tensorflow-backend kernel of pad (F.pad, every mode) on TensorFlow's own ops, one native op
// per step:
// - 'constant': Slice for the negative pads (crops), then PadV2 with the fill value;
// - 'reflect' with no negative pad: MirrorPad REFLECT (PyTorch's reflect is TensorFlow's
//   REFLECT: the edge element is not repeated);
// - everything else ('replicate', 'circular', reflect with a crop): one GatherV2 per padded
//   axis with the source table of src/index_math/pad.ts (Note [pad source index]).
import * as tf from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {padSourceTable} from '../../src/index_math/pad.js';
import {Pad} from '../../src/kernel_names.js';
import type {PadAttrs, PadInputs} from '../../src/kernel_names.js';
import {asTensor, nodeOf, runOp} from './util.js';

export const pad: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as PadInputs;
  const {pairs, mode, value} = attrs as unknown as PadAttrs;
  const {node, attr} = nodeOf(backend);
  const dtype = x.dtype;
  return tf.tidy(() => {
    let t = asTensor(x);
    const negative = pairs.some(([b, e]) => b < 0 || e < 0);
    if (mode === 'constant') {
      if (negative) {
        const begin = pairs.map(([b]) => Math.max(-b, 0));
        const size = x.shape.map((n, a) => n - begin[a] - Math.max(-pairs[a][1], 0));
        t = tf.slice(t, begin, size);
      }
      const paddings = tf.tensor2d(pairs.map(([b, e]) => [Math.max(b, 0), Math.max(e, 0)]),
                                   [pairs.length, 2], 'int32');
      const fill = tf.scalar(value, dtype);
      return runOp(node, 'PadV2', [attr.type('T', dtype), attr.type('Tpaddings', 'int32')],
                   [t, paddings, fill]);
    }
    if (mode === 'reflect' && !negative) {
      const paddings = tf.tensor2d(pairs, [pairs.length, 2], 'int32');
      return runOp(node, 'MirrorPad', [attr.type('T', dtype), attr.type('Tpaddings', 'int32'),
                                       attr.string('mode', 'REFLECT')], [t, paddings]);
    }
    pairs.forEach(([b, e], axis) => {
      if (b === 0 && e === 0) return;
      const table = padSourceTable(mode, x.shape[axis], b, e);
      const indices = tf.tensor1d(table, 'int32');
      t = tf.gather(t, indices, axis);  // tfjs-node's GatherV2: one native op
    });
    return t === x ? tf.clone(t) : t;
  }) as TensorInfo;
};

export const padConfig: KernelConfig = {
  kernelName: Pad,
  backendName: 'tensorflow',
  kernelFunc: pad,
};
