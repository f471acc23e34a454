// Hostile sizes, configs and files (issue 14): every case of test/reliability_cases.ts on every
// backend, each asserting the exact error (op or layer and argument named) or PyTorch's result,
// no leaked tensor, and a process that survives. In Node the cases that could take the process
// down if their guard regressed (`heavy`) run in a child process under
// `node --max-old-space-size=512`, a resident-memory limit and a wall-clock limit per case
// (test/reliability_runner.ts), so a regression fails this test instead of killing the run. In
// the browser every case runs in the page (the guards throw before anything is allocated).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {expect} from 'chai';
import * as pt from '../src/index.js';
import {CASES, type HostileCase} from './reliability_cases.js';
import {applies, type CaseResult, runCase, runInChild} from './reliability_runner.js';
import {describeBackends} from './util.js';

const IN_NODE = typeof process !== 'undefined' && process.versions?.node != null &&
    typeof (globalThis as {window?: unknown}).window === 'undefined';

function expected(c: HostileCase): string {
  return c.error != null ? 'clear' : 'ok';
}

function verdict(r: CaseResult): string {
  return `${r.outcome}: ${r.id}${r.detail ? ` (${r.detail})` : ''}`;
}

describeBackends('reliability', (backend) => {
  const cases = CASES.filter((c) => applies(c, backend, IN_NODE));
  for (const c of cases) {
    if (c.heavy && IN_NODE) continue;
    it(c.id, async () => {
      const r = await runCase(c, {pt, tfl, backend});
      expect(r.outcome, verdict(r)).to.equal(expected(c));
    });
  }
  if (IN_NODE && backend === 'cpu') {
    it('a failed WebAssembly allocation is remembered: convTranspose falls back once, not per call',
       async function() {
         this.timeout(120000);
         const {execFileSync} = await import('node:child_process');
         const path = await import('node:path');
         // WebAssembly.Memory throws as under an address-space limit; five calls must try it once.
         const script = `
           let made = 0;
           WebAssembly.Memory = function() { made++; throw new RangeError('no memory'); };
           (async () => {
             await import('@tensorflow/tfjs-backend-cpu');
             const tf = await import('@tensorflow/tfjs-core');
             const m = await import(${JSON.stringify(path.join(__dirname, '..', 'src', 'index.ts'))});
             const pt = m.convTranspose2d != null ? m : m.default;
             await tf.setBackend('cpu');
             const x = tf.ones([1, 8, 8, 16]);
             const w = tf.ones([16, 8, 4, 4]);
             const sums = [];
             for (let i = 0; i < 5; i++) {
               sums.push(tf.sum(pt.convTranspose2d(x, w, null, {stride: 2, padding: 1})).dataSync()[0]);
             }
             console.log('@@' + JSON.stringify({made, sums}));
           })();`;
         const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script],
                                  {cwd: path.join(__dirname, '..'), encoding: 'utf8'});
         const line = out.split('\n').find((l) => l.startsWith('@@'));
         const r = JSON.parse(line!.slice(2)) as {made: number, sums: number[]};
         expect(r.made, 'WebAssembly.Memory attempts').to.equal(1);
         // The JavaScript fallback gives what this process (WebAssembly working) gives.
         const here = tf.tidy(() => tf.sum(pt.convTranspose2d(
             tf.ones([1, 8, 8, 16]) as tf.Tensor4D, tf.ones([16, 8, 4, 4]) as tf.Tensor4D, null,
             {stride: 2, padding: 1})));
         const expectedSum = (await here.data())[0];
         here.dispose();
         expect(r.sums).to.deep.equal(new Array(5).fill(expectedSum));
       });
  }
  if (IN_NODE) {
    const heavy = cases.filter((c) => c.heavy);
    it(`${heavy.length} heavy cases in a child process (512 MB heap, 1.5 GB resident, 30 s each)`,
       async function() {
         this.timeout(20 * 60 * 1000);
         const results = await runInChild(backend, heavy.map((c) => c.id),
                                          {heapMB: 512, rssLimitMB: 1536, timeoutMs: 30000});
         const wrong = results.filter((r) => r.outcome !== expected(CASES.find((c) => c.id === r.id)!));
         expect(wrong.map(verdict), 'cases without the expected outcome').to.deep.equal([]);
         expect(results.length).to.equal(heavy.length);
       });
  }
});
