// silu (one TorchSilu kernel: src/ops/silu.ts, Note [silu numerics]) against PyTorch
// (test/fixtures/silu.json from scripts/fixtures/gen_silu.py): values up to |x| = 1e4, +-1e30,
// +-3.4e38, +-Infinity and NaN (also at many positions of a 2210-value tensor), exact zeros,
// gradients (PyTorch's silu_backward, NaN at +-Infinity), both dataFormats (an elementwise op: the
// layout only permutes), the silu activation layer that the exporter writes for nn.SiLU, every
// backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import {Silu} from '../src/kernel_names.js';
import {TorchActivation} from '../src/layers/tensor_ops.js';
import {silu} from '../src/ops/silu.js';
import {DATA_FORMATS, describeBackends, expectMatches, expectNoLeak, fromFixture, loadFixture} from './util.js';

const fixture = loadFixture('silu');

describeBackends('silu (one kernel)', () => {
  for (const c of fixture.cases) {
    for (const dataFormat of DATA_FORMATS) {
      it(`${c.name} [${dataFormat}]`, async () => {
        const x = fromFixture(c.inputs.x, dataFormat);
        const xBefore = await x.data();
        const y = await expectNoLeak([x], () => silu(x));
        await expectMatches(y, c.outputs[0], dataFormat, 'output');
        const dy = fromFixture(c.grad!.dy, dataFormat);
        const [dx] = await expectNoLeak([x, dy], () => tf.grads((t: tf.Tensor) => silu(t))([x], dy));
        await expectMatches(dx, c.grad!.grads.x, dataFormat, 'gradient of x');
        // The input is unchanged (NaN compared as NaN).
        expect(Array.from(await x.data()).map(String)).to.deep.equal(Array.from(xBefore).map(String));
        tf.dispose([x, y, dy, dx]);
      });
    }
  }

  it('the silu activation layer (nn.SiLU in an export) runs the one kernel, PyTorch\'s values', async () => {
    const layer = new TorchActivation({fn: 'silu'});
    for (const c of fixture.cases) {
      const x = fromFixture(c.inputs.x, 'channelsLast');
      let y: tf.Tensor|undefined;
      const info = await tf.profile(() => {
        y = layer.apply(x) as tf.Tensor;
        return y;
      });
      // One TorchSilu, the layer's last kernel (what a backend's kernel runs inside it, wasm's
      // Sigmoid and Mul, is listed before it).
      expect(info.kernelNames.filter((k) => k === Silu), c.name).to.have.length(1);
      expect(info.kernelNames[info.kernelNames.length - 1], c.name).to.equal(Silu);
      await expectMatches(y!, c.outputs[0], 'channelsLast', `${c.name}: layer output`);
      tf.dispose([x, y!]);
    }
  });

  it('rejects bad arguments before any work', () => {
    const i = tf.zeros([2], 'int32');
    const before = tf.memory().numTensors;
    expect(() => silu(i)).to.throw(/^silu: argument 'x' must be float32/);
    expect(() => silu('a' as never)).to.throw(/^silu: argument 'x'/);
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose(i);
  });
});
