// The browser benches' page side (bench/webgl, bench/webgpu; their runner is
// scripts/bench-webgl.mjs): console.log also POSTs each line to the page's server, in order,
// which prints it on its stdout, and runBenchPage runs the sections the URL asks for and ends
// the run with /done.
import {DEFAULT_OPTIONS, runRows} from './harness.js';
import type {Row} from './harness.js';

let pending: Promise<unknown> = Promise.resolve();

/** Sends one message to the runner after the ones before it. */
function report(path: string, body: string): Promise<unknown> {
  pending = pending.then(() => fetch(path, {method: 'POST', body}).catch(() => undefined));
  return pending;
}

const log = console.log.bind(console);
console.log = (...args: unknown[]) => {
  log(...args);
  void report('/log', args.map(String).join(' '));
};

/**
 * Starts the backend (`start` returns the header line describing it), then times the sections
 * named in the URL's `sections` parameter (all when empty), printing one table per section.
 */
export function runBenchPage(
    backend: string, start: () => Promise<string>,
    sections: Record<string, () => Promise<Row[]>>): void {
  const main = async () => {
    const params = new URLSearchParams(location.search);
    const wanted = (params.get('sections') ?? '').split(',').filter((s) => s.length > 0);
    const names = wanted.length > 0 ? wanted : Object.keys(sections);
    console.log(await start());
    console.log(`median of await data() per call; warmup ${DEFAULT_OPTIONS.warmup}, >= ${
        DEFAULT_OPTIONS.minRuns} runs and ${DEFAULT_OPTIONS.budgetMs} ms per contender`);
    for (const name of names) {
      const section = sections[name];
      if (section == null) {
        throw new Error(`unknown ${backend} bench section ${name}; known: ${Object.keys(sections)}`);
      }
      await runRows(`${name} (${backend})`, await section());
    }
  };
  main().then(
      () => report('/done', 'ok'),
      (e: Error) => {
        console.log(`bench failed: ${e.stack ?? e}`);
        return report('/done', 'failed');
      });
}
