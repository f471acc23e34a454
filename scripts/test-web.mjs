// `npm run test:web`: the package in headless Chromium as users load it, against PyTorch's
// numbers (the committed U-Net export and its check.safetensors):
//   umd   the script-tag bundle (dist/tfjs-torch.min.js) after tfjs's tf.min.js and
//         tf-backend-wasm.min.js, through its one global tfjsTorch (test/bundles/umd.html)
//   esm   the ESM build bundled by esbuild through the package's exports map, as a user's bundler
//         does (test/bundles/esm_entry.js)
// each on cpu, webgl and wasm. Needs `npm run build` first (npm test builds).
//   node scripts/test-web.mjs [umd|esm ...]
import * as esbuild from 'esbuild';
import {existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {launchChromium, serveStatic} from './chromium.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.env.TFJS_TORCH_SKIP_BROWSER === '1') {
  console.log('test:web: SKIPPED (TFJS_TORCH_SKIP_BROWSER=1)');
  process.exit(0);
}
if (!existsSync(join(ROOT, 'dist', 'tfjs-torch.min.js'))) {
  console.error('test:web: dist/ is missing: run `npm run build` first (npm test does)');
  process.exit(2);
}

/** esbuild resolves 'tfjs-torch' as a user's bundler does: a package in node_modules. */
async function bundleEsm() {
  const modules = mkdtempSync(join(tmpdir(), 'tfjs-torch-esm-'));
  symlinkSync(ROOT, join(modules, 'tfjs-torch'), 'dir');
  try {
    mkdirSync(join(ROOT, '.cache', 'bundles'), {recursive: true});
    const r = await esbuild.build({
      entryPoints: [join(ROOT, 'test', 'bundles', 'esm_entry.js')],
      bundle: true, format: 'esm', platform: 'browser', target: 'es2020', minify: true,
      outfile: join(ROOT, '.cache', 'bundles', 'esm.js'), nodePaths: [modules],
      define: {global: 'globalThis'}, logLevel: 'warning', metafile: true,
    });
    const inputs = Object.keys(r.metafile.inputs);
    const ours = inputs.filter((i) => /dist\/esm\//.test(i));
    if (ours.length === 0) throw new Error('the ESM bundle took no file of dist/esm');
    const node = inputs.filter((i) => /^(node:|fs$)/.test(i) || /dist\/cjs\//.test(i));
    if (node.length > 0) throw new Error(`the browser bundle took ${node.join(', ')}`);
  } finally {
    rmSync(modules, {recursive: true, force: true});
  }
}

const PAGES = {umd: '/test/bundles/umd.html', esm: '/test/bundles/esm.html'};
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(PAGES);

let failed = 0;
const server = await serveStatic(ROOT);
const browser = await launchChromium();
try {
  if (wanted.includes('esm')) await bundleEsm();
  for (const name of wanted) {
    const page = await browser.open(`${server.url}${PAGES[name]}`);
    await page.waitFor('window.bundleResult !== undefined', 60000).catch(() => {
      throw new Error(`${name}: the page set no result\n${page.console.join('\n')}`);
    });
    const result = await page.evaluate('window.bundleResult');
    for (const backend of ['cpu', 'webgl', 'wasm']) {
      const r = result[backend];
      const ok = r != null && r.error == null && r.backend === backend && r.ok === true &&
          JSON.stringify(r.row) === JSON.stringify([1, 1.25, 1.75, 2]) && r.maxAbsDiff < 1e-4;
      if (!ok) failed++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${backend}: ${JSON.stringify(r)}`);
    }
    const globals = name === 'umd' ? ['tf', 'tfjsTorch'] : ['tf'];
    const extra = result.globals.filter((g) => !globals.includes(g) && g !== 'tf');
    if (name === 'umd' && !result.globals.includes('tfjsTorch')) {
      failed++;
      console.log('FAIL umd: no global tfjsTorch');
    }
    if (extra.length > 0) {
      failed++;
      console.log(`FAIL ${name}: unexpected globals ${extra.join(', ')}`);
    }
    if (page.console.some((l) => l.startsWith('exception'))) {
      console.log(page.console.join('\n'));
    }
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(failed === 0 ? 'test:web: all passed' : `test:web: ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
