// `npm run web`: serves the repository read-only on 127.0.0.1 (PORT, default 8080) and prints
// the web app's address (examples/web/). Builds dist/ first when its script-tag bundle is missing.
import {execFileSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {serveStatic} from './chromium.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(ROOT, 'dist', 'tfjs-torch.min.js'))) {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {cwd: ROOT, stdio: 'inherit'});
}
const server = await serveStatic(ROOT, Number(process.env.PORT ?? 8080));
console.log(`tfjs-torch web app: ${server.url}/examples/web/  (Ctrl-C stops it)`);
