// `npm run bench -- memory`: peak resident memory of work whose cost must stay in proportion to
// its output (issue 14): interpolate along one long axis, and max pooling with a 15x15 kernel
// (225 taps). Each row runs in a fresh child process (so one row's peak is not another's), on the
// cpu and tensorflow backends, next to PyTorch (/usr/bin/python3) doing the same; the table gives
// the output's size, the process's resident memory before the call and its peak during it.
// Peaks are the kernel's maxrss (getrusage), in MB.
import {execFileSync} from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

interface MemoryRow {
  id: string;
  label: string;
  /** Input shape (channelsLast for ours) and the call. */
  run: (pt: typeof import('../src/index.js')) => tf.Tensor|tf.Tensor[];
  /** The same work in PyTorch (x is the input in PyTorch's layout). */
  torch: string;
  torchInput: string;
  outputMB: number;
}

const ROWS: MemoryRow[] = [
  {
    id: 'nearest-5e7',
    label: 'interpolate nearest [1,1,1] -> size 5e7',
    run: (pt) => pt.interpolate(tf.ones([1, 1, 1]), {size: 5e7}),
    torchInput: 'torch.ones(1, 1, 1)',
    torch: 'F.interpolate(x, size=50000000)',
    outputMB: 200,
  },
  {
    id: 'linear-2e7',
    label: 'interpolate linear [1,1,1] -> size 2e7',
    run: (pt) => pt.interpolate(tf.ones([1, 1, 1]), {size: 2e7, mode: 'linear'}),
    torchInput: 'torch.ones(1, 1, 1)',
    torch: 'F.interpolate(x, size=20000000, mode="linear")',
    outputMB: 80,
  },
  {
    id: 'pool-k15',
    label: 'maxPool2dWithIndices [1,128,128,32] k15 s1 p7 (NHWC)',
    run: (pt) => pt.maxPool2dWithIndices(tf.randomUniform([1, 128, 128, 32]),
                                         {kernelSize: 15, stride: 1, padding: 7}),
    torchInput: 'torch.rand(1, 32, 128, 128)',
    torch: 'F.max_pool2d(x, 15, 1, 7, return_indices=True)',
    // values float32 + indices (int32 here, int64 in PyTorch).
    outputMB: 4,
  },
];

const MARK = '@@memory ';

function rssMB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

async function child(id: string, backend: string): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  const pt = await import('../src/index.js');
  if (backend === 'tensorflow') {
    await import('@tensorflow/tfjs-node');
    await import('../src/node.js');
  }
  await tf.setBackend(backend);
  // Warm the backend up on something small, so its own start-up is in the baseline.
  tf.dispose(pt.interpolate(tf.ones([1, 2, 2, 1]), {scaleFactor: 2, mode: 'bilinear'}));
  const row = ROWS.find((r) => r.id === id)!;
  const before = rssMB();
  const out = row.run(pt);
  const outs = Array.isArray(out) ? out : [out];
  for (const t of outs) await t.data();
  const peak = process.resourceUsage().maxRSS / 1024;
  tf.dispose(outs);
  process.stdout.write(`${MARK}${JSON.stringify({before, peak})}\n`);
}

function runChild(id: string, backend: string): {before: number, peak: number}|string {
  try {
    const out = execFileSync(
        process.execPath, ['--max-old-space-size=2048', '--import', 'tsx', path.join('bench', 'memory.ts'), '--child', id, backend],
        {cwd: path.join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
         env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2'}});
    const line = out.split('\n').find((l) => l.startsWith(MARK));
    return line == null ? 'no result' : JSON.parse(line.slice(MARK.length));
  } catch (e) {
    const err = e as {status?: number, signal?: string};
    return `failed (${err.signal ?? `exit ${err.status}`})`;
  }
}

function runTorch(row: MemoryRow): {before: number, peak: number}|string {
  const script = [
    'import resource, torch, torch.nn.functional as F',
    'torch.set_num_threads(1)',
    `x = ${row.torchInput}`,
    'F.interpolate(torch.ones(1, 1, 2, 2), scale_factor=2, mode="bilinear")',
    'before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024',
    `y = ${row.torch}`,
    'peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024',
    'print("@@", before, peak)',
  ].join('\n');
  try {
    const out = execFileSync('/usr/bin/python3', ['-c', script], {encoding: 'utf8'});
    const line = out.split('\n').find((l) => l.startsWith('@@'));
    if (line == null) return 'no result';
    const [, before, peak] = line.split(' ').map(Number);
    return {before, peak};
  } catch {
    return 'not run (no PyTorch at /usr/bin/python3)';
  }
}

export async function benchMemory(): Promise<void> {
  console.log('\n## peak memory (one fresh process per row)\n');
  console.log('| case | who | output MB | resident before MB | peak MB | peak - before MB |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const row of ROWS) {
    const results: Array<[string, {before: number, peak: number}|string]> = [
      ['tfjs-torch cpu', runChild(row.id, 'cpu')],
      ['tfjs-torch tensorflow', runChild(row.id, 'tensorflow')],
      ['PyTorch 1 thread', runTorch(row)],
    ];
    for (const [who, r] of results) {
      if (typeof r === 'string') {
        console.log(`| ${row.label} | ${who} | ${row.outputMB} | | ${r} | |`);
      } else {
        console.log(`| ${row.label} | ${who} | ${row.outputMB} | ${r.before.toFixed(0)} | ${
            r.peak.toFixed(0)} | ${(r.peak - r.before).toFixed(0)} |`);
      }
    }
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
