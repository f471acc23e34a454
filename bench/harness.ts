// Side-by-side timing for `npm run bench`: every contender of a row runs in this one process on
// the same input, and the table reports medians and the ratio of tfjs-torch to each other one.

export interface Contender {
  name: string;
  /** One run; resolves when the result is complete (data downloaded or awaited). */
  run: () => Promise<void>|void;
}

export interface Row {
  label: string;
  /** The first contender is tfjs-torch; ratios are taken against it. */
  contenders: Contender[];
}

export interface BenchOptions {
  warmup: number;
  minRuns: number;
  /** Stop after this many milliseconds per contender once minRuns is reached. */
  budgetMs: number;
}

export const DEFAULT_OPTIONS: BenchOptions = {warmup: 3, minRuns: 10, budgetMs: 1500};

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function timeMedian(run: Contender['run'], opts: BenchOptions): Promise<number> {
  for (let i = 0; i < opts.warmup; i++) await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < opts.minRuns || performance.now() - start < opts.budgetMs) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    if (times.length >= 1000) break;
  }
  return median(times);
}

/** Times every row and prints one line per contender: median ms and ratio ours / theirs. */
export async function runRows(
    title: string, rows: Row[], opts: BenchOptions = DEFAULT_OPTIONS): Promise<void> {
  console.log(`\n## ${title}\n`);
  console.log('| case | contender | median ms | tfjs-torch / contender |');
  console.log('|---|---|---:|---:|');
  for (const row of rows) {
    const ms: number[] = [];
    for (const c of row.contenders) ms.push(await timeMedian(c.run, opts));
    row.contenders.forEach((c, i) => {
      const ratio = i === 0 ? '' : (ms[0] / ms[i]).toFixed(2) + 'x';
      console.log(`| ${row.label} | ${c.name} | ${ms[i].toFixed(3)} | ${ratio} |`);
    });
  }
}
