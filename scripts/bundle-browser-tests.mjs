// Bundles the browser (karma) run: the same test/*.test.ts files as the Node run, behind
// test/setup.browser.ts, into one script, plus the PyTorch fixtures as a second script that sets
// the global __FIXTURES__ read by test/util.ts's loadFixture.
//
//   node scripts/bundle-browser-tests.mjs            -> .cache/browser/{tests,fixtures}.js
//   node scripts/bundle-browser-tests.mjs --bench    -> .cache/browser/bench.js (bench/webgl)
//   node scripts/bundle-browser-tests.mjs --bench --webgpu  -> the same from bench/webgpu
//
// Node-only modules that a shared file may reach (fs and path in loadFixture's Node branch,
// tfjs-node, onnxruntime-node) are left external: their require() calls sit behind runtime
// checks that never take the Node branch in a browser, so they are never executed there.
import * as esbuild from 'esbuild';
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {dirname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, '.cache', 'browser');

// (util and crypto are not listed: tfjs's packages map them to empty modules for browsers
// through their package.json "browser" fields, which an external entry would bypass.)
const NODE_ONLY = [
  'fs', 'fs/promises', 'path', 'os', 'url', 'http', 'https', 'stream', 'zlib', 'child_process',
  'node:*',
  '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node',
];

async function bundle(entryContents, outfile) {
  await esbuild.build({
    stdin: {contents: entryContents, resolveDir: ROOT, sourcefile: 'browser-entry.ts',
            loader: 'ts'},
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    outfile,
    external: NODE_ONLY,
    sourcemap: 'inline',
    logLevel: 'warning',
    // tfjs-core and chai expect a `global` in some code paths.
    define: {global: 'globalThis'},
  });
}

/**
 * test/*.test.ts (the suites every environment runs) and test/browser/*.test.ts (webgl-only
 * checks), in a stable order, relative to the repo root.
 */
function testFiles() {
  return ['test', 'test/browser'].flatMap(
      (dir) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.test.ts')).sort()
                   .map((f) => `./${dir}/${f}`));
}

/**
 * One script defining globalThis.__FIXTURES__ = {name: <fixture JSON>, ...}. JSON text is valid
 * JavaScript, so the files are pasted in without parsing them here.
 */
function writeFixtures(outfile) {
  const dir = join(ROOT, 'test', 'fixtures');
  const names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const parts = names.map((f) => `${JSON.stringify(f.slice(0, -'.json'.length))}: ${
      readFileSync(join(dir, f), 'utf8').trim()}`);
  writeFileSync(outfile, `globalThis.__FIXTURES__ = {\n${parts.join(',\n')}\n};\n`);
  return names.length;
}

export async function bundleTests() {
  mkdirSync(OUT_DIR, {recursive: true});
  const files = testFiles();
  // The setup import comes first so that it runs (flags, test backends) before any suite is
  // declared: ES modules evaluate in import order.
  const entry = ["import './test/setup.browser.ts';", ...files.map((f) => `import '${f}';`)]
                    .join('\n');
  await bundle(entry, join(OUT_DIR, 'tests.js'));
  const fixtures = writeFixtures(join(OUT_DIR, 'fixtures.js'));
  console.log(`bundled ${files.length} test files and ${fixtures} fixture files into ${
      relative(ROOT, OUT_DIR)}/`);
}

/** The browser bench of one GPU backend ('webgl' or 'webgpu') into .cache/browser/bench.js. */
export async function bundleBench(gpu = 'webgl') {
  mkdirSync(OUT_DIR, {recursive: true});
  await bundle(`import './bench/${gpu}/bench_${gpu}.ts';`, join(OUT_DIR, 'bench.js'));
  console.log(`bundled the ${gpu} bench into ${relative(ROOT, OUT_DIR)}/bench.js`);
}

/**
 * The webgpu `models` bench's page (bench/webgpu/models.ts) into .cache/browser/bench-models.js;
 * scripts/bench-webgpu-models.mjs runs it.
 */
export async function bundleModelsBench() {
  mkdirSync(OUT_DIR, {recursive: true});
  await bundle("import './bench/webgpu/models.ts';", join(OUT_DIR, 'bench-models.js'));
}

/**
 * The zoo's browser check (test/zoo/zoo.browser.ts) into .cache/browser/zoo.js, with
 * .cache/browser/zoo-index.js setting globalThis.__ZOO__ listing the exported models under zooDir (out/zoo: folders holding a
 * model.json; only `names` when given) and their check files; scripts/test-zoo.mjs runs it.
 */
export async function bundleZoo(zooDir = join(ROOT, 'out', 'zoo'), names = null) {
  mkdirSync(OUT_DIR, {recursive: true});
  const rank = (f) => (f === 'check.safetensors' ? 0 : Number(/^check_(\d+)/.exec(f)[1]));
  const zoo = (names ?? readdirSync(zooDir, {withFileTypes: true}).filter((d) => d.isDirectory())
                            .map((d) => d.name).sort())
      .filter((name) => readdirSync(join(zooDir, name)).includes('model.json'))
      .map((name) => ({name, checks: readdirSync(join(zooDir, name))
                                     .filter((f) => /^check(_\d+)?\.safetensors$/.test(f))
                                     .sort((a, b) => rank(a) - rank(b))}));
  // A script of its own, loaded first: an ES module's imports run before its own statements.
  writeFileSync(join(OUT_DIR, 'zoo-index.js'), `globalThis.__ZOO__ = ${JSON.stringify(zoo)};\n`);
  await bundle("import './test/setup.browser.ts';\nimport './test/zoo/zoo.browser.ts';", join(OUT_DIR, 'zoo.js'));
  console.log(`bundled the zoo check (${zoo.length} models) into ${relative(ROOT, OUT_DIR)}/zoo.js`);
  return zoo;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const gpu = process.argv.includes('--webgpu') ? 'webgpu' : 'webgl';
  const run = process.argv.includes('--bench') ? () => bundleBench(gpu) : bundleTests;
  run().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
