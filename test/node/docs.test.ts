// Docs that run: every fenced code block of README.md and docs/*.md is run here, or carries a
// visible marker on the line just above its fence saying why it is not:
//
//   <!-- doctest: skip (the reason, in words) -->
//
// (an HTML comment: seen by whoever edits the block, not by readers of the rendered page).
// ts / typescript / js blocks run as ES modules (top-level await) with tsx in .cache/doctest/,
// inside the repository, so `import ... from 'tfjs-torch'` resolves through package.json's
// exports map to the built package (dist/, as `npm test` builds it) and @tensorflow/* from
// node_modules. Beside each block lie the files the docs name: web/unet/ (the committed U-Net
// export), assets/ (examples/decoders/assets: the worked example's weights and PyTorch output)
// and weights.safetensors (README's Conv2d + PixelShuffle state dict, written by PyTorch here).
// python blocks run with Debian's torch (/usr/bin/python3) and python/ on the path. sh blocks
// never run unless marked safe, <!-- doctest: run (why it is safe) --> above the fence (a shell
// block in a README installs, builds or deletes: `npm ci` once ran here and emptied the shared
// node_modules); an unmarked one fails here, unrun, until it gets one of the two markers.
// Untagged fences (plain text, trees) are not code. A block that should not run gets the skip
// marker; a new block without one fails here until it runs.
import {expect} from 'chai';
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const WORK = path.join(ROOT, '.cache', 'doctest');
const SKIP = /^<!--\s*doctest:\s*skip\s*\((.+)\)\s*-->\s*$/;
const RUN = /^<!--\s*doctest:\s*run\s*\((.+)\)\s*-->\s*$/;

interface Block {doc: string, line: number, lang: string, code: string, skip: string|null, safe: boolean}

/** The fenced blocks of a markdown file, with the skip marker (if any) just above each. */
export function codeBlocks(file: string): Block[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (open == null) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    const above = i > 0 ? lines[i - 1].trim() : '';
    out.push({doc: path.relative(ROOT, file), line: i + 1, lang: open[1],
              skip: SKIP.exec(above)?.[1] ?? null, safe: RUN.test(above),
              code: lines.slice(i + 1, end).join('\n')});
    i = end;
  }
  return out;
}

const DOCS = [path.join(ROOT, 'README.md'),
              ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort()
                  .map((f) => path.join(ROOT, 'docs', f))];
const RUNNABLE: Record<string, 'ts'|'python'|'sh'> = {
  ts: 'ts', typescript: 'ts', js: 'ts', javascript: 'ts', python: 'python', py: 'python',
  sh: 'sh', bash: 'sh', shell: 'sh',
};

function run(cmd: string, args: string[], cwd: string): void {
  execFileSync(cmd, args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000,
                           env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2'}});
}

describe('docs that run (every code block of README.md and docs/*.md)', function() {
  this.timeout(600000);
  const blocks = DOCS.flatMap(codeBlocks);

  before(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'esm', 'src', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    }
    fs.rmSync(WORK, {recursive: true, force: true});
    fs.mkdirSync(WORK, {recursive: true});
    fs.cpSync(path.join(ROOT, 'examples', 'decoders', 'exported', 'unet'), path.join(WORK, 'web', 'unet'),
              {recursive: true});
    fs.cpSync(path.join(ROOT, 'examples', 'decoders', 'assets'), path.join(WORK, 'assets'), {recursive: true});
    // README's layers example: nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2)).
    run('/usr/bin/python3', ['-c', [
      'import sys, torch',
      `sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'scripts', 'fixtures'))})`,
      'from safetensors_util import write_safetensors',
      'torch.manual_seed(0)',
      'net = torch.nn.Sequential(torch.nn.Conv2d(3, 12, 3, padding=1), torch.nn.PixelShuffle(2))',
      'write_safetensors("weights.safetensors", net.state_dict())',
    ].join('\n')], WORK);
  });

  it('finds the blocks, and every skipped block says why', () => {
    expect(blocks.length).to.be.greaterThan(10);
    for (const b of blocks) {
      if (b.skip != null) expect(b.skip.trim().length, `${b.doc}:${b.line}`).to.be.greaterThan(10);
    }
  });

  for (const b of blocks) {
    const where = `${b.doc}:${b.line} (${b.lang || 'text'})`;
    if (b.lang === '') continue;  // untagged: text, not code
    if (b.skip != null) {
      it(`${where} is marked not runnable: ${b.skip}`, () => undefined);
      continue;
    }
    const kind = RUNNABLE[b.lang];
    it(`${where} runs`, () => {
      if (kind == null) {
        throw new Error(`${where}: a ${b.lang} block cannot run here; mark it ` +
                        '<!-- doctest: skip (why) --> on the line above its fence');
      }
      if (kind === 'sh' && !b.safe) {
        throw new Error(`${where}: a shell block runs only when marked <!-- doctest: run (why it ` +
                        'is safe) --> or <!-- doctest: skip (why not) --> on the line above its fence');
      }
      const name = `${b.doc.replace(/[^a-z0-9]+/gi, '_')}_${b.line}`;
      const file = path.join(WORK, `${name}.${kind === 'ts' ? 'mts' : kind === 'python' ? 'py' : 'sh'}`);
      fs.writeFileSync(file, b.code + '\n');
      try {
        if (kind === 'ts') {
          run(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), file], WORK);
        } else if (kind === 'python') {
          run('/usr/bin/python3', ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'python'))}); exec(open(${JSON.stringify(file)}).read())`], WORK);
        } else {
          run('bash', ['-euo', 'pipefail', file], WORK);
        }
      } catch (e) {
        const err = e as {stdout?: string, stderr?: string, message: string};
        throw new Error(`${where} failed:\n${b.code}\n--- output ---\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
      }
    });
  }
});
