// The before/after tally of issue 14's hostile cases (test/reliability_cases.ts): every case that
// applies to a backend, each in a child process under a memory and time limit
// (test/reliability_runner.ts), counted by outcome.
//   npx tsx scripts/reliability_tally.ts cpu tensorflow [--json out.json] [--grep regexp]
//   npx tsx scripts/reliability_tally.ts --compare before.json after.json   (counts side by side)
// webgl runs in the browser: test/reliability.test.ts there (node scripts/test-browser.mjs webgl
// with TFJS_TORCH_GREP=reliability).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {CASES} from '../test/reliability_cases.js';
import {applies, type CaseResult, runInChild} from '../test/reliability_runner.js';

const args = process.argv.slice(2);
let jsonOut: string|null = null;
let grep: RegExp|null = null;
const backends: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') jsonOut = args[++i];
  else if (args[i] === '--grep') grep = new RegExp(args[++i]);
  else backends.push(args[i]);
}
if (backends.length === 0) backends.push('cpu');

function counts(results: CaseResult[]): string {
  const c: Record<string, number> = {};
  for (const r of results) c[r.outcome] = (c[r.outcome] ?? 0) + 1;
  return Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}

/** Two saved tallies side by side: counts per backend and the cases whose outcome changed. */
function compare(beforeFile: string, afterFile: string): void {
  const before = JSON.parse(fs.readFileSync(beforeFile, 'utf8')) as Record<string, CaseResult[]>;
  const after = JSON.parse(fs.readFileSync(afterFile, 'utf8')) as Record<string, CaseResult[]>;
  for (const backend of Object.keys(after)) {
    const b = before[backend] ?? [];
    const a = after[backend];
    console.log(`\n${backend}: before (${b.length} cases) ${counts(b)}`);
    console.log(`${backend}: after  (${a.length} cases) ${counts(a)}`);
    for (const r of a) {
      const old = b.find((x) => x.id === r.id);
      if (old != null && old.outcome !== r.outcome) {
        console.log(`  ${old.outcome.padEnd(8)} -> ${r.outcome.padEnd(8)} ${r.id}`);
      }
    }
  }
}

async function main(): Promise<void> {
const all: Record<string, CaseResult[]> = {};
for (const backend of backends) {
  const ids = CASES.filter((c) => applies(c, backend, true) && (grep == null || grep.test(c.id)))
                  .map((c) => c.id);
  const results = await runInChild(backend, ids, {root: path.join(__dirname, '..')});
  all[backend] = results;
  console.log(`\n=== ${backend}: ${results.length} cases ===`);
  for (const r of results) {
    console.log(`${r.outcome.padEnd(8)} ${r.id}${r.detail ? `  -- ${r.detail.slice(0, 160)}` : ''}${
        r.peakMB != null ? `  [${r.ms} ms, peak ${r.peakMB} MB]` : ''}`);
  }
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  console.log(`tally ${backend}: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
if (jsonOut != null) fs.writeFileSync(jsonOut, JSON.stringify(all, null, 1));
}

const at = args.indexOf('--compare');
(at >= 0 ? Promise.resolve(compare(args[at + 1], args[at + 2])) : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
