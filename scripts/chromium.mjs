// A small driver for headless Debian Chromium (/usr/bin/chromium) over the DevTools protocol,
// with `ws` (already in node_modules through karma): launch, open a page, evaluate, screenshot.
// No browser download, no puppeteer. Also a static file server on 127.0.0.1 for the pages.
//
//   const browser = await launchChromium({webgpu: true});
//   const page = await browser.open('http://127.0.0.1:8080/x.html');
//   await page.evaluate('1 + 1');             // awaits promises, returns the value (JSON)
//   await page.screenshot('out/x.png');
//   await browser.close();
import {spawn} from 'node:child_process';
import {createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:http';
import {tmpdir} from 'node:os';
import {extname, join, normalize, sep} from 'node:path';
import WebSocket from 'ws';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

// The flags of karma.conf.js: WebGL2 on SwiftShader; with webgpu, Dawn's SwiftShader adapter
// and a GPU process on SwiftShader's Vulkan (see the notes there).
const BASE_FLAGS = [
  '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-dev-shm-usage', '--mute-audio', '--window-size=1280,900',
];
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader'];

async function waitFor(what, test, ms) {
  const t0 = Date.now();
  for (;;) {
    const v = await test();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`chromium: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

class Session {
  constructor(ws) {
    this.ws = ws;
    this.id = 0;
    this.pending = new Map();
    this.listeners = [];
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.id != null && this.pending.has(msg.id)) {
        const {resolve, reject} = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) reject(new Error(`${msg.error.message} ${msg.error.data ?? ''}`));
        else resolve(msg.result);
      } else if (msg.method) {
        for (const l of this.listeners) l(msg);
      }
    });
  }

  send(method, params = {}) {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject});
      this.ws.send(JSON.stringify({id, method, params}));
    });
  }
}

class Page {
  constructor(session) {
    this.session = session;
    this.console = [];
    session.listeners.push((msg) => {
      if (msg.method === 'Runtime.consoleAPICalled') {
        this.console.push(`${msg.params.type}: ${msg.params.args.map((a) => a.value ?? a.description).join(' ')}`);
      } else if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params.exceptionDetails;
        this.console.push(`exception: ${d.exception?.description ?? d.text}`);
      }
    });
  }

  async goto(url) {
    const loaded = new Promise((resolve) => this.session.listeners.push(
        (msg) => msg.method === 'Page.loadEventFired' && resolve()));
    await this.session.send('Page.navigate', {url});
    await loaded;
  }

  /** The value of a JavaScript expression in the page (promises awaited); page errors throw. */
  async evaluate(expression, timeoutMs = 300000) {
    const r = await this.session.send('Runtime.evaluate', {
      expression, awaitPromise: true, returnByValue: true, timeout: timeoutMs,
    });
    if (r.exceptionDetails) {
      throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    }
    return r.result.value;
  }

  /** Polls `expression` until it is truthy; its value. */
  waitFor(expression, timeoutMs = 300000) {
    return waitFor(expression, () => this.evaluate(expression), timeoutMs);
  }

  async screenshot(file) {
    const {data} = await this.session.send('Page.captureScreenshot', {format: 'png', captureBeyondViewport: true});
    writeFileSync(file, Buffer.from(data, 'base64'));
  }
}

/** Starts headless Chromium; {webgpu: true} adds the WebGPU flags, else WebGL runs on --disable-gpu. */
export async function launchChromium({webgpu = false} = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (scripts/setup.sh installs it)`);
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-torch-chromium-'));
  const flags = [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : ['--disable-gpu']),
                 `--user-data-dir=${dir}`, '--remote-debugging-port=0', 'about:blank'];
  // detached: Chromium leads a process group of its own, so close() ends its helpers too.
  const proc = spawn(CHROMIUM, flags, {stdio: ['ignore', 'ignore', 'pipe'], detached: true});
  let stderr = '';
  proc.stderr.on('data', (d) => stderr = (stderr + d).slice(-4000));
  const portFile = join(dir, 'DevToolsActivePort');
  try {
    await waitFor('DevToolsActivePort', () => existsSync(portFile) &&
                  readFileSync(portFile, 'utf8').includes('\n'), 30000);
  } catch (e) {
    proc.kill();
    throw new Error(`${e.message}\n${stderr}`);
  }
  const port = readFileSync(portFile, 'utf8').split('\n')[0];
  const close = async () => {
    const exited = new Promise((r) => proc.exitCode != null ? r() : proc.once('exit', r));
    try {
      process.kill(-proc.pid, 'SIGTERM');  // the whole group: the browser and its helpers
    } catch {
      proc.kill();
    }
    await exited;
    // Helper processes may still write the profile for a moment after the browser exits (seen
    // under load: ENOTEMPTY after Node's own retries). A profile folder that cannot be removed
    // is left in the temp dir with a warning; it is not a test failure.
    for (let attempt = 0;; attempt++) {
      try {
        rmSync(dir, {recursive: true, force: true, maxRetries: 10, retryDelay: 200});
        break;
      } catch (e) {
        if (attempt >= 4) {
          console.warn(`chromium.mjs: left the profile folder ${dir}: ${e.code ?? e.message}`);
          break;
        }
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {}
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  return {
    async open(url) {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      const target = targets.find((t) => t.type === 'page');
      const ws = new WebSocket(target.webSocketDebuggerUrl, {perMessageDeflate: false, maxPayload: 2 ** 30});
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      const session = new Session(ws);
      const page = new Page(session);
      await session.send('Page.enable');
      await session.send('Runtime.enable');
      await page.goto(url);
      return page;
    },
    close,
  };
}

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.wasm': 'application/wasm', '.png': 'image/png', '.css': 'text/css', '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream', '.map': 'application/json',
};

/** Serves `root` read-only on 127.0.0.1 (port 0: any free port); resolves to {url, close}. */
export function serveStatic(root, port = 0) {
  const server = createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = normalize(join(root, urlPath));
    if (!file.startsWith(normalize(root + sep)) && file !== normalize(root)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
                        'content-length': statSync(file).size, 'cache-control': 'no-store'});
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  })));
}
