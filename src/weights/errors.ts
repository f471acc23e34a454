// The one way tfjs-torch's loaders fail (loadTorchWeights, pt.checkExport, the safetensors
// reader, the Node file:// router): an Error whose message starts with the name of the function
// the user called, so a message read in a log says who refused what. The reader of sources
// (sources.ts) and the safetensors parser take that name from their caller.

/** Who failed: the public name the user called ('loadTorchWeights', 'checkExport', ...). */
export type Who = string;

/** Throws `${who}: ${message}`. */
export function fail(who: Who, message: string): never {
  throw new Error(`${who}: ${message}`);
}

/** Whether `e` is an error `fail(who, ...)` threw (to let it through a catch unchanged). */
export function isOwnError(e: unknown, who: Who): e is Error {
  return e instanceof Error && e.message.startsWith(`${who}: `);
}

/** What an error from fs or fetch says, with its cause (fetch's "fetch failed" hides it there). */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as {cause?: unknown}).cause;
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return `${e.message}${why}`;
}

/** A shape as PyTorch prints it in messages: [1, 3, 64, 64]. */
export function showShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}
