// `npm run test:browser`: bundles the tests (scripts/bundle-browser-tests.mjs), then runs
// `karma start karma.conf.js --single-run` once per browser run (karma.conf.js's RUNS), each in a
// fresh Chromium, and fails if any run fails.
//   node scripts/test-browser.mjs                  every run
//   node scripts/test-browser.mjs webgl-unpacked   only the named runs
//   TFJS_TORCH_GREP=<regexp>                       only the matching tests (karma.conf.js)
import {spawnSync} from 'node:child_process';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {bundleTests} from './bundle-browser-tests.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const {RUNS} = createRequire(import.meta.url)(join(ROOT, 'karma.conf.js'));

// The same switch as scripts/setup.sh's: a machine set up without Chromium skips the browser run
// (said out loud, never silently).
if (process.env.TFJS_TORCH_SKIP_BROWSER === '1') {
  console.log('test:browser: SKIPPED (TFJS_TORCH_SKIP_BROWSER=1)');
  process.exit(0);
}

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in RUNS)) {
    console.error(`unknown browser run ${name}; known: ${Object.keys(RUNS).join(', ')}`);
    process.exit(2);
  }
}
const names = wanted.length > 0 ? wanted : Object.keys(RUNS);

await bundleTests();
const results = [];
for (const name of names) {
  console.log(`\n=== browser run '${name}' ===`);
  const t0 = Date.now();
  const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'karma', 'bin', 'karma'), 'start', join(ROOT, 'karma.conf.js'),
       '--single-run'],
      {cwd: ROOT, stdio: 'inherit', env: {...process.env, TFJS_TORCH_BROWSER_RUN: name}});
  results.push({name, ok: r.status === 0, s: ((Date.now() - t0) / 1000).toFixed(0)});
}
console.log('\nbrowser runs:');
for (const r of results) console.log(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.name} (${r.s} s)`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
