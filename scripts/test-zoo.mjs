// `npm run test:zoo`: the exporter on the zoo of published decoders (python/tests/zoo, issue 20).
//
//  1. export: python/tests/zoo_export.py under the torch 2.x venv exports every zoo entry with
//     tfjs_torch.export's defaults at its export size into out/zoo/<name>/ and writes PyTorch's
//     outputs at two other sizes beside it (check_1/check_2.safetensors, the exporter's format);
//  2. node: scripts/check-export.ts --all-checks on cpu, wasm and tensorflow (tfjs-node);
//  3. browser: karma with the zoo bundle (test/zoo/zoo.browser.ts) on webgl and webgpu in headless
//     Chromium (karma.conf.js's 'webgl' and 'webgpu' runs);
//     (an entry whose PyTorch outputs are too trivial to check against, constant, all zero, mostly
//     one value or tiny, is not exported and fails: zoo_export.py's reference_problems);
//  4. prints the table: model x size x backend, max |ours - PyTorch's| or why it failed, and exits 1
//     if any export is refused or any check fails (nothing is marked expected-to-fail).
//
//   node scripts/test-zoo.mjs [--shard I/N] [--backends cpu,wasm,tensorflow,webgl,webgpu]
//                             [--no-export] [names...]
//   TFJS_TORCH_PYTHON2   the torch 2.x venv's python (default /root/.cache/tfjs-torch/torch2/bin/python)
//   TFJS_TORCH_SKIP_EXPORTER=1 / TFJS_TORCH_SKIP_BROWSER=1   scripts/setup.sh's switches: skip (loudly)
//
// Tolerance: pt.checkExport's default, |ours - torch| <= 1e-4 + 1e-4 |torch| for every element.
// out/zoo is gitignored; the table is also written to out/zoo/table.md and out/zoo/results.json.
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {bundleZoo} from './bundle-browser-tests.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ZOO = join(ROOT, 'out', 'zoo');
const NODE_BACKENDS = ['cpu', 'wasm', 'tensorflow'];
const BROWSER_BACKENDS = ['webgl', 'webgpu'];

const args = process.argv.slice(2);
let shard = null;
let backends = [...NODE_BACKENDS, ...BROWSER_BACKENDS];
let doExport = true;
const names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--shard') shard = args[++i];
  else if (args[i] === '--backends') backends = args[++i].split(',');
  else if (args[i] === '--no-export') doExport = false;
  else names.push(args[i]);
}
if (process.env.TFJS_TORCH_SKIP_EXPORTER === '1') {
  console.log('test:zoo: SKIPPED (TFJS_TORCH_SKIP_EXPORTER=1)');
  process.exit(0);
}
if (process.env.TFJS_TORCH_SKIP_BROWSER === '1') {
  const dropped = backends.filter((b) => BROWSER_BACKENDS.includes(b));
  if (dropped.length) console.log(`test:zoo: browser backends SKIPPED (TFJS_TORCH_SKIP_BROWSER=1): ${dropped}`);
  backends = backends.filter((b) => !BROWSER_BACKENDS.includes(b));
}

function run(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, {cwd: ROOT, env: {...process.env, ...env}, encoding: 'utf8',
                                  maxBuffer: 256 * 1024 * 1024});
  if (r.error) throw r.error;
  return r;
}

// 1. export
if (doExport) {
  const python = process.env.TFJS_TORCH_PYTHON2 ||
      join(process.env.TFJS_TORCH_VENV || join(process.env.HOME || '/root', '.cache/tfjs-torch/torch2'), 'bin', 'python');
  const pyArgs = [join(ROOT, 'python', 'tests', 'zoo_export.py'), ZOO, ...(shard ? ['--shard', shard] : []),
                  ...names];
  console.log(`=== zoo export (${python})`);
  const r = spawnSync(python, pyArgs, {cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8'});
  if (r.status !== 0) {
    console.error(r.stderr);
    console.error(`test:zoo: the export step failed (exit ${r.status})`);
    process.exit(1);
  }
}

// Which entries this run covers: those zoo_export.py wrote (shard and names as given).
const infos = readdirSync(ZOO).filter((d) => existsSync(join(ZOO, d, 'zoo.json')))
                  .map((d) => JSON.parse(readFileSync(join(ZOO, d, 'zoo.json'), 'utf8')));
const registryOrder = run(process.env.TFJS_TORCH_PYTHON2 || '/root/.cache/tfjs-torch/torch2/bin/python',
                          ['-c', 'import sys; sys.path.insert(0, "python/tests"); from zoo.registry import ENTRIES; ' +
                                 'print(" ".join(e.name for e in ENTRIES))']).stdout.trim().split(/\s+/);
// The same selection as zoo_export.py's: the registry's order, the names given, then every n-th.
let selected = registryOrder.filter((n) => !names.length || names.includes(n));
if (shard) {
  const [i, n] = shard.split('/').map(Number);
  selected = selected.filter((_, k) => k % n === i);
}
const missing = selected.filter((n) => !infos.some((i) => i.name === n));
if (missing.length) {
  console.error(`test:zoo: no export record (out/zoo/<name>/zoo.json) for ${missing.join(', ')}`);
  process.exit(1);
}
const info = Object.fromEntries(infos.map((i) => [i.name, i]));
const exported = selected.filter((n) => info[n].export === 'ok');

// results[name][check][backend] = row
const results = {};
for (const n of selected) results[n] = {};
function record(row) {
  const name = row.dir.split('/').pop();
  if (!(name in results)) return;
  (results[name][row.check ?? 'check.safetensors'] ??= {})[row.backend] = row;
}

// 2. node backends
for (const backend of backends.filter((b) => NODE_BACKENDS.includes(b))) {
  if (!exported.length) break;
  console.log(`=== zoo check in Node on ${backend}`);
  const r = run(join(ROOT, 'node_modules', '.bin', 'tsx'),
                [join(ROOT, 'scripts', 'check-export.ts'), '--all-checks', ...exported.map((n) => `out/zoo/${n}`)],
                {TFJS_TORCH_BACKEND: backend});
  let rows = 0;
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const row = JSON.parse(line);
    if (row.check == null) {  // the model did not load: every check of the folder fails with it
      for (const c of ['check.safetensors', 'check_1.safetensors', 'check_2.safetensors']) {
        record({...row, check: c});
      }
    } else {
      record(row);
    }
    rows++;
  }
  if (!rows) console.error(`check-export.ts printed nothing on ${backend} (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
}

// 3. browser backends
const browser = backends.filter((b) => BROWSER_BACKENDS.includes(b));
if (browser.length && exported.length) {
  await bundleZoo(ZOO, exported);
  for (const backend of browser) {
    console.log(`=== zoo check in Chromium on ${backend}`);
    const r = run(process.execPath,
                  [join(ROOT, 'node_modules', 'karma', 'bin', 'karma'), 'start', join(ROOT, 'karma.conf.js'),
                   '--single-run'],
                  {TFJS_TORCH_BROWSER_RUN: backend, TFJS_TORCH_BROWSER_BUNDLE: 'zoo'});
    const log = r.stdout + '\n' + r.stderr;
    writeFileSync(join(ZOO, `karma-${backend}${shard ? '-' + shard.replace('/', 'of') : ''}.log`), log);
    // karma prints each console.log as a quoted string and may break a long one into
    // 'part' +\n 'part' lines: join those back before reading the ZOO lines.
    const joined = log.replace(/'\s*\+\s*\n\s*'/g, '');
    let rows = 0;
    for (const line of joined.split('\n')) {
      const at = line.indexOf('ZOO {');
      if (at < 0) continue;
      let text = line.slice(at + 4).trim();
      if (text.endsWith("'")) text = text.slice(0, -1);  // karma's quotes around the logged string
      try {
        record(JSON.parse(text.replace(/\\'/g, "'")));
        rows++;
      } catch {
        console.error(`test:zoo: unreadable browser result line: ${text.slice(0, 200)}`);
      }
    }
    if (!rows) console.error(`karma printed no zoo results on ${backend} (exit ${r.status}):\n${
        (r.stdout + r.stderr).slice(-4000)}`);
  }
}

// 4. the table
function cell(row) {
  if (row == null) return 'missing';
  if (row.error != null) return `FAIL: ${String(row.error).replace(/\s+/g, ' ').slice(0, 70)}`;
  const d = Math.max(...row.outputs.map((o) => o.maxAbsDiff));
  return `${row.ok ? '' : 'FAIL '}${d.toExponential(1)}`;
}
const checks = ['check.safetensors', 'check_1.safetensors', 'check_2.safetensors'];
// Models that export but take only their export size: at the other two sizes every backend must
// refuse the input with tfjs's clear input-shape error naming the fixed shape (`says`); the run
// fails if one of them runs there (take it off this list then) or fails any other way. Each is
// listed in the table with why; nothing else is marked.
const KNOWN_FIXED_SIZES = {};
const lines = ['| model | export | size | ' + backends.join(' | ') + ' |',
               '|---|---|---|' + backends.map(() => '---').join('|') + '|'];
let failed = 0;
for (const n of selected) {
  const i = info[n];
  if (i.export !== 'ok') {
    failed++;
    const err = `${i.error_type.split('.').pop()}: ${String(i.error).split('\n')[0].slice(0, 200)}`;
    lines.push(`| ${n} | ${i.export === 'ok' ? '' : i.export === 'refused' ? 'refused' : i.export === 'trivial reference' ? 'TRIVIAL REFERENCE' : 'NOT BUILT'}: ${err.replace(/\|/g, '\\|')} | | ${backends.map(() => '').join(' | ')} |`);
    continue;
  }
  checks.forEach((c, k) => {
    const size = i.sizes[k].map((s) => s.join('x')).join(', ');
    const fixed = k > 0 ? KNOWN_FIXED_SIZES[n] : undefined;
    const cells = backends.map((b) => {
      const row = results[n][c]?.[b];
      if (fixed != null) {
        const clear = row?.error != null && String(row.error).includes(fixed.says);
        if (!clear) failed++;
        return clear ? 'refused as known' : `FAIL: expected the known refusal, got ${cell(row)}`.replace(/\|/g, '\\|');
      }
      if (row?.ok !== true) failed++;
      return cell(row).replace(/\|/g, '\\|');
    });
    lines.push(`| ${k === 0 ? n : ''} | ${k === 0 ? 'ok' : ''} | ${size}${k === 0 ? ' (export)' : ''} | ${
        cells.join(' | ')} |`);
  });
  if (KNOWN_FIXED_SIZES[n] != null) {
    lines.push(`| ${n} | known: export size only | | ${KNOWN_FIXED_SIZES[n].why.replace(/\|/g, '\\|')} | ${
        backends.slice(1).map(() => '').join(' | ')} |`);
  }
  if (i.module_changed_by_export?.length) {
    lines.push(`| ${n} | module changed by export: ${i.module_changed_by_export.join(', ').slice(0, 200)} | | ${
        backends.map(() => '').join(' | ')} |`);
  }
}
const table = lines.join('\n');
console.log('\n' + table + '\n');
writeFileSync(join(ZOO, shard ? `table-${shard.replace('/', 'of')}.md` : 'table.md'), table + '\n');
writeFileSync(join(ZOO, shard ? `results-${shard.replace('/', 'of')}.json` : 'results.json'),
              JSON.stringify({info, results}, null, 1));
const refused = selected.filter((n) => info[n].export !== 'ok').length;
const fixedSizes = selected.filter((n) => KNOWN_FIXED_SIZES[n] != null);
console.log(`test:zoo: ${selected.length} models, ${refused} refused or not built or with a trivial reference, ${fixedSizes.length} known to take ` +
            `their export size only (${fixedSizes.join(', ')}), ${failed} failures ` +
            `(of ${exported.length * checks.length * backends.length}) on ${backends.join(', ')}`);
process.exit(failed ? 1 : 0);
