// groupedConv2d (one TorchGroupedConv2d kernel: TensorFlow's own grouped Conv2D on tensorflow,
// one tfjs convolution per group elsewhere) against PyTorch (test/fixtures/grouped_conv.json from
// scripts/fixtures/gen_grouped_conv.py): 1 to 32 groups, strides, dilations, even and uneven
// ('same' on an even kernel) padding, with and without bias; values and the gradients of x,
// weight and bias; both dataFormats; the layer against the op; argument checks; every backend.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {groupedConv2d} from '../src/index.js';
import type {GroupedConv2dOptions} from '../src/index.js';
import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fromFixture, loadFixture} from './util.js';

const fixture = loadFixture('grouped_conv');

describeBackends('groupedConv2d (one kernel)', () => {
  for (const c of fixture.cases) {
    const options = c.args as GroupedConv2dOptions;
    for (const dataFormat of DATA_FORMATS) {
      it(`${c.name} [${dataFormat}]`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat);
        const w = fromFixture(c.inputs.weight, dataFormat, false);
        const b = c.inputs.bias == null ? null : fromFixture(c.inputs.bias, dataFormat, false);
        const o = {...options, dataFormat};
        const inputs = b == null ? [x, w] : [x, w, b];
        const y = await expectNoLeak(inputs, () => groupedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, o));
        await expectMatches(y, c.outputs[0], dataFormat, 'output');
        const dy = fromFixture(c.grad!.dy, dataFormat);
        const f = (...t: tf.Tensor[]) => groupedConv2d(t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, (t[2] ?? null) as tf.Tensor1D, o);
        const grads = await expectNoLeak([...inputs, dy], () => tf.grads(f)(inputs, dy));
        await expectMatches(grads[0], c.grad!.grads.x, dataFormat, 'gradient of x');
        await expectMatches(grads[1], c.grad!.grads.weight, dataFormat, 'gradient of weight', false);
        if (b != null) await expectMatches(grads[2], c.grad!.grads.bias, dataFormat, 'gradient of bias', false);
        tf.dispose([x, w, y, dy, ...grads]);
        if (b != null) b.dispose();
      });
    }
  }

  it('rejects bad arguments before any work', () => {
    const x = tf.zeros([1, 5, 5, 8]) as tf.Tensor4D;
    const w = tf.zeros([8, 2, 3, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(() => groupedConv2d(x, w, null, {groups: 3})).to.throw(/^groupedConv2d: argument 'weight' of shape \[8, 2, 3, 3\] with groups 3 expects 6 input channels/);
    expect(() => groupedConv2d(x, tf.zeros([6, 2, 3, 3]) as tf.Tensor4D, null, {groups: 4})).to.throw(/^groupedConv2d: argument 'groups' \(4\) must divide the 6 output channels/);
    expect(() => groupedConv2d(x, w, tf.zeros([3]) as tf.Tensor1D, {groups: 4})).to.throw(/^groupedConv2d: argument 'bias' must have shape \[8\]/);
    expect(() => groupedConv2d(x, w, null, {groups: 4, stride: 2, padding: 'same'})).to.throw(/^groupedConv2d: padding 'same' is not supported for strided/);
    expect(() => groupedConv2d(x, w, null, {groups: 4, stride: 2, dilation: 2})).to.throw(/^groupedConv2d: stride \[2, 2\] together with dilation \[2, 2\]/);
    expect(() => groupedConv2d(x, w, null, {groups: 4, dilation: 3})).to.throw(/^groupedConv2d: input of spatial size \[5, 5\]/);
    expect(() => groupedConv2d(x, w, null, {groups: 4, pad: 1} as object)).to.throw(/^groupedConv2d: unknown option 'pad'/);
    expect(tf.memory().numTensors).to.equal(before + 2);  // the two zeros made inline above
    tf.dispose([x, w]);
  });
});
