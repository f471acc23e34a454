// `npm run bench:webgl [-- section ...]`: bundles bench/webgl (scripts/bundle-browser-tests.mjs
// --bench), serves it on a local port, opens it in headless Chromium with the same flags as the
// karma run (karma.conf.js: WebGL2 on SwiftShader) and prints the lines the page reports. No
// puppeteer: the page POSTs its output lines to this server and says when it is done.
// `npm run bench:webgpu [-- section ...]` (this script with --webgpu) does the same for
// bench/webgpu, with the flags of karma.conf.js's 'webgpu' run.
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {createServer} from 'node:http';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {bundleBench, OUT_DIR} from './bundle-browser-tests.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const {RUNS, chromiumFlagsOf} = createRequire(import.meta.url)(join(ROOT, 'karma.conf.js'));
const args = process.argv.slice(2);
const gpu = args.includes('--webgpu') ? 'webgpu' : 'webgl';
const CHROME = process.env.CHROME_BIN || '/usr/bin/chromium';
const TIMEOUT_MS = 15 * 60 * 1000;

// `npm run bench:webgpu -- models [names...]`: the published decoders against onnxruntime-web's
// webgpu engine, a runner of its own (scripts/bench-webgpu-models.mjs); the names after `models`
// are models, not sections.
if (gpu === 'webgpu' && args.includes('models')) {
  const {benchWebgpuModels} = await import('./bench-webgpu-models.mjs');
  const names = args.filter((a) => a !== '--webgpu' && a !== 'models');
  const results = await benchWebgpuModels(names);
  process.exit(results.some((r) => r.error != null) ? 1 : 0);
}

await bundleBench(gpu);
const page = `<!doctype html><meta charset="utf-8"><title>tfjs-torch ${gpu} bench</title>` +
    '<script src="/bench.js"></script>';

let finish;
const done = new Promise((resolve) => (finish = resolve));
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, {'content-type': 'text/html'}).end(page);
  } else if (req.method === 'GET' && url.pathname === '/bench.js') {
    res.writeHead(200, {'content-type': 'text/javascript'})
        .end(readFileSync(join(OUT_DIR, 'bench.js')));
  } else if (req.method === 'POST') {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.writeHead(204).end();
      if (url.pathname === '/log') console.log(body);
      if (url.pathname === '/done') finish(body === 'ok' ? 0 : 1);
    });
  } else {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const {port} = server.address();

const sections = args.filter((a) => a !== '--webgpu').join(',');
const userDataDir = mkdtempSync(join(tmpdir(), 'tfjs-torch-bench-'));
const chrome = spawn(CHROME, [
  ...chromiumFlagsOf(RUNS[gpu]), `--user-data-dir=${userDataDir}`,
  `http://127.0.0.1:${port}/?sections=${encodeURIComponent(sections)}`,
], {stdio: ['ignore', 'ignore', 'pipe']});
let stderr = '';
chrome.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
const exited = new Promise((resolve) => chrome.on('exit', resolve));
void exited.then((code) => finish(code === 0 ? 1 : 2));

const timer = setTimeout(() => {
  console.error(`bench:${gpu}: no result after ${TIMEOUT_MS / 60000} min`);
  finish(3);
}, TIMEOUT_MS);
const code = await done;
clearTimeout(timer);
chrome.kill();
await exited;
server.close();
rmSync(userDataDir, {recursive: true, force: true, maxRetries: 5, retryDelay: 200});
// Chromium's own stderr is mostly noise on a headless server (no D-Bus): only what is left.
const own = stderr.split('\n').filter((l) => l.length > 0 && !/dbus|bus\.cc/i.test(l));
if (code !== 0 && own.length > 0) console.error(own.join('\n'));
process.exit(code);
