// The browser benches' line to their runner (scripts/bench-webgl.mjs): importing this module
// makes console.log also POST each line to the page's server, in order, which prints it on its
// stdout; report('/done', 'ok' | 'failed') ends the run.
let pending: Promise<unknown> = Promise.resolve();

/** Sends one message to the runner after the ones before it. */
export function report(path: string, body: string): Promise<unknown> {
  pending = pending.then(() => fetch(path, {method: 'POST', body}).catch(() => undefined));
  return pending;
}

const log = console.log.bind(console);
console.log = (...args: unknown[]) => {
  log(...args);
  void report('/log', args.map(String).join(' '));
};
