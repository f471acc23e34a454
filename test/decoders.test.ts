// The decoder nets of scripts/fixtures/gen_decoders.py, ported with examples/decoders/models.ts:
// PyTorch's weights through loadTorchWeights, the same output as PyTorch's within the project's
// tolerance, on every test backend.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {DECODERS, loadDecoder} from '../examples/decoders/models.js';
import {describeBackends, expectMatches, fromFixture, loadFixture} from './util.js';

const fixture = loadFixture('decoders');

function b64Bytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

describeBackends('ported decoders', () => {
  for (const decoder of DECODERS) {
    const c = fixture.cases.find((k) => k.name === decoder.name);
    it(`${decoder.title} matches PyTorch`, async () => {
      if (c == null) throw new Error(`no fixture for ${decoder.name}`);
      const model = await loadDecoder(decoder, b64Bytes(c.args.safetensors as string));
      const x = fromFixture(c.inputs.x, decoder.dataFormat);
      const before = tf.memory().numTensors;
      const y = model.predict(x) as tf.Tensor;
      expect(tf.memory().numTensors, 'tensors left by predict').to.equal(before + 1);
      await expectMatches(y, c.outputs[0], decoder.dataFormat, decoder.name);
      tf.dispose([x, y]);
      model.dispose();
    });
  }

  const node = typeof process !== 'undefined' && process.versions?.node != null &&
      typeof window === 'undefined';
  if (node) it('the shipped .safetensors assets are the fixture\'s bytes and load by path', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require('fs') as typeof import('fs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require('path') as typeof import('path');
    for (const decoder of DECODERS) {
      const c = fixture.cases.find((k) => k.name === decoder.name)!;
      const file = path.join(__dirname, '..', 'examples', 'decoders', 'assets', `${decoder.name}.safetensors`);
      const bytes = fs.readFileSync(file);
      expect(Buffer.compare(bytes, Buffer.from(b64Bytes(c.args.safetensors as string))), file).to.equal(0);
    }
    const espcn = DECODERS.find((d) => d.name === 'espcn')!;
    const c = fixture.cases.find((k) => k.name === 'espcn')!;
    const model = await loadDecoder(espcn, path.join(__dirname, '..', 'examples', 'decoders', 'assets', 'espcn.safetensors'));
    const x = fromFixture(c.inputs.x, espcn.dataFormat);
    const y = model.predict(x) as tf.Tensor;
    await expectMatches(y, c.outputs[0], espcn.dataFormat, 'espcn from path');
    tf.dispose([x, y]);
    model.dispose();
  });

  if (node) it('docs/porting.md\'s worked example is examples/decoders/porting_example.ts', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require('fs') as typeof import('fs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require('path') as typeof import('path');
    const root = path.join(__dirname, '..');
    const doc = fs.readFileSync(path.join(root, 'docs', 'porting.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(doc)![1];
    const lines = fs.readFileSync(path.join(root, 'examples', 'decoders', 'porting_example.ts'), 'utf8')
                      .split('\n');
    const body = lines.slice(lines.findIndex((l) => !l.startsWith('//'))).join('\n')
                     .replace(`'../../src/index.js'`, `'tfjs-torch'`);
    expect(block.trim()).to.equal(body.trim());
  });
});
