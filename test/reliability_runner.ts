// Runs the cases of test/reliability_cases.ts and reports each one's outcome.
//
// In-process: runCase(c, env) (the mocha suite uses it for the cases that cannot take the process
// down). In a child process: runInChild(backend, ids) starts
//   node --max-old-space-size=512 --import tsx test/reliability_runner.ts
// which runs the cases one after the other and prints one line per case; the parent watches the
// child's resident memory and a wall-clock limit per case, so a case that kills the process (V8
// out of memory, a native crash), hangs, or grows past the memory limit is reported as such and
// the remaining cases go on in a fresh child. A regression then fails a test instead of CI.
import * as tf from '@tensorflow/tfjs-core';
import {CASES, type CaseEnv, disposeMade, type HostileCase} from './reliability_cases.js';

export type Outcome =
    /** The expected clear error, nothing leaked. */
    'clear'|
    /** A valid call gave PyTorch's result, nothing leaked. */
    'ok'|
    /** An error, but not the expected message. */
    'unclear'|
    /** An error case that did not throw. */
    'accepted'|
    /** A valid call that threw or gave a wrong result. */
    'failed'|
    /** Tensors left behind. */
    'leak'|
    /** The child process died (signal or exit code). */
    'killed'|
    /** Past the wall-clock limit. */
    'hung'|
    /** Past the resident-memory limit. */
    'memory';

export interface CaseResult {
  id: string;
  outcome: Outcome;
  detail: string;
  ms: number;
  /** The child's peak resident memory so far (MB), where known. */
  peakMB?: number;
}

function disposeAll(v: unknown): void {
  if (v instanceof tf.Tensor) {
    v.dispose();
  } else if (Array.isArray(v)) {
    for (const e of v) disposeAll(e);
  }
}

function messageOf(e: unknown): string {
  try {
    if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`;
    return String(e);
  } catch {
    return Object.prototype.toString.call(e);
  }
}

function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

/** Runs one case in this process on the active backend. */
export async function runCase(c: HostileCase, env: CaseEnv): Promise<CaseResult> {
  const t0 = Date.now();
  const before = tf.memory().numTensors;
  let result: unknown;
  let error: unknown;
  let threw = false;
  try {
    result = await c.run(env);
  } catch (e) {
    threw = true;
    error = e;
  }
  let outcome: Outcome;
  let detail = '';
  if (c.error != null) {
    disposeAll(result);
    if (!threw) {
      outcome = 'accepted';
      detail = 'no error';
    } else {
      const m = messageOf(error);
      outcome = c.error.test(m) ? 'clear' : 'unclear';
      detail = clip(m);
    }
  } else if (threw) {
    outcome = 'failed';
    detail = clip(messageOf(error));
  } else {
    try {
      await c.check?.(result, env);
      outcome = 'ok';
    } catch (e) {
      outcome = 'failed';
      detail = clip(messageOf(e));
    }
    disposeAll(result);
  }
  disposeMade();
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0 && !c.noLeakCheck && (outcome === 'clear' || outcome === 'ok')) {
    outcome = 'leak';
    detail = `${leaked} tensor(s) left behind; ${detail}`;
  }
  return {id: c.id, outcome, detail, ms: Date.now() - t0};
}

/** Whether a case applies to a backend in this environment. */
export function applies(c: HostileCase, backend: string, inNode: boolean): boolean {
  if (c.backends != null && !c.backends.includes(backend)) return false;
  if (c.nodeOnly && !inNode) return false;
  return true;
}

export interface ChildOptions {
  /** Wall-clock limit of one case, ms. */
  timeoutMs?: number;
  /** Resident-memory limit of the child, MB. */
  rssLimitMB?: number;
  /** V8 heap limit of the child (--max-old-space-size), MB. */
  heapMB?: number;
  /** The repository root (the child runs test/reliability_runner.ts from there). */
  root?: string;
}

const MARK = '@@reliability ';

/**
 * Runs the named cases in child processes on `backend`, one after the other; a child that dies,
 * hangs or grows past the memory limit is replaced by a fresh one for the remaining cases.
 */
export async function runInChild(
    backend: string, ids: string[], options: ChildOptions = {}): Promise<CaseResult[]> {
  const {spawn} = await import('node:child_process');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const timeoutMs = options.timeoutMs ?? 30000;
  const rssLimitMB = options.rssLimitMB ?? 1536;
  const heapMB = options.heapMB ?? 512;
  const root = options.root ?? path.join(__dirname, '..');
  const results: CaseResult[] = [];
  let remaining = ids.slice();
  while (remaining.length > 0) {
    const child = spawn(
        process.execPath,
        [`--max-old-space-size=${heapMB}`, '--import', 'tsx', path.join('test', 'reliability_runner.ts')],
        {cwd: root, env: {...process.env, RELIABILITY_CHILD: '1', RELIABILITY_BACKEND: backend,
                          RELIABILITY_IDS: JSON.stringify(remaining)},
         stdio: ['ignore', 'pipe', 'pipe']});
    let current: string|null = null;
    let started = Date.now();
    let peakMB = 0;
    let stderr = '';
    let verdict: {outcome: Outcome, detail: string}|null = null;
    const done = new Set<string>();
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith(MARK)) continue;
        const msg = JSON.parse(line.slice(MARK.length)) as {start?: string, result?: CaseResult};
        if (msg.start != null) {
          current = msg.start;
          started = Date.now();
        } else if (msg.result != null) {
          results.push({...msg.result, peakMB: Math.max(peakMB, msg.result.peakMB ?? 0)});
          done.add(msg.result.id);
          current = null;
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const watch = setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const m = /VmRSS:\s+(\d+) kB/.exec(status);
        if (m != null) peakMB = Math.max(peakMB, Number(m[1]) / 1024);
      } catch {
        // The child has gone, or there is no /proc (then only the time limit applies).
      }
      if (current != null && verdict == null) {
        if (peakMB > rssLimitMB) {
          verdict = {outcome: 'memory', detail: `resident memory passed ${rssLimitMB} MB`};
          child.kill('SIGKILL');
        } else if (Date.now() - started > timeoutMs) {
          verdict = {outcome: 'hung', detail: `no answer within ${timeoutMs} ms`};
          child.kill('SIGKILL');
        }
      }
    }, 50);
    const exit = await new Promise<{code: number|null, signal: string|null}>(
        (resolve) => child.on('close', (code, signal) => resolve({code, signal})));
    clearInterval(watch);
    if (current != null) {
      const why = verdict ?? {
        outcome: 'killed' as Outcome,
        detail: `process ended (${exit.signal != null ? `signal ${exit.signal}` : `exit code ${
            exit.code}`}): ${clip(stderr.trim().split('\n').slice(-3).join(' | '), 400)}`,
      };
      results.push({id: current, outcome: why.outcome, detail: why.detail,
                    ms: Date.now() - started, peakMB: Math.round(peakMB)});
      done.add(current);
    } else if (exit.code !== 0 && done.size === 0) {
      throw new Error(`reliability child failed before any case (exit ${exit.code}, signal ${
          exit.signal}): ${stderr}`);
    }
    remaining = remaining.filter((id) => !done.has(id));
  }
  return results;
}

async function childMain(): Promise<void> {
  const backend = process.env.RELIABILITY_BACKEND ?? 'cpu';
  const ids = JSON.parse(process.env.RELIABILITY_IDS ?? '[]') as string[];
  await import('@tensorflow/tfjs-backend-cpu');
  const pt = await import('../src/index.js');
  const tfl = await import('@tensorflow/tfjs-layers');
  if (backend === 'tensorflow') {
    await import('@tensorflow/tfjs-node');
    await import('../src/node.js');
  } else if (backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    await import('../src/wasm.js');
  }
  tf.env().set('IS_TEST', true);
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} is not available`);
  const env: CaseEnv = {pt, tfl, backend};
  const send = (m: unknown) => process.stdout.write(`${MARK}${JSON.stringify(m)}\n`);
  for (const id of ids) {
    const c = CASES.find((k) => k.id === id);
    if (c == null) throw new Error(`no case '${id}'`);
    send({start: id});
    const r = await runCase(c, env);
    r.peakMB = Math.round(process.resourceUsage().maxRSS / 1024);
    send({result: r});
  }
  // Servers or timers a case left behind must not keep the child alive.
  process.exit(0);
}

if (typeof process !== 'undefined' && process.env?.RELIABILITY_CHILD === '1') {
  childMain().catch((e) => {
    process.stderr.write(`${messageOf(e)}\n`);
    process.exit(3);
  });
}
