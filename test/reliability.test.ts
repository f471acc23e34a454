// Hostile sizes, configs and files (issue 14): every case of test/reliability_cases.ts on every
// backend, each asserting the exact error (op or layer and argument named) or PyTorch's result,
// no leaked tensor, and a process that survives. In Node the cases that could take the process
// down if their guard regressed (`heavy`) run in a child process under
// `node --max-old-space-size=512`, a resident-memory limit and a wall-clock limit per case
// (test/reliability_runner.ts), so a regression fails this test instead of killing the run. In
// the browser every case runs in the page (the guards throw before anything is allocated).
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
  if (IN_NODE) {
    const heavy = cases.filter((c) => c.heavy);
    it(`${heavy.length} heavy cases in a child process (512 MB heap, 1 GB resident, 30 s each)`,
       async function() {
         this.timeout(20 * 60 * 1000);
         const results = await runInChild(backend, heavy.map((c) => c.id),
                                          {heapMB: 512, rssLimitMB: 1024, timeoutMs: 30000});
         const wrong = results.filter((r) => r.outcome !== expected(CASES.find((c) => c.id === r.id)!));
         expect(wrong.map(verdict), 'cases without the expected outcome').to.deep.equal([]);
         expect(results.length).to.equal(heavy.length);
       });
  }
});
