// The one reader of bytes for tfjs-torch: loadTorchWeights, pt.checkExport and the Node file://
// router (router.ts) all read through readSource, so a path, a file:// URL, an http(s) URL and
// bytes in memory are taken the same way everywhere, with the same checks and messages.
//
// Note [what a string source is]
//   'http://', 'https://', 'blob:', 'data:'   fetched (fetch: browsers, Node >= 18)
//   'file:///abs/path'                        in Node, that file (a URL: %20 is a space)
//   'file://rel/path'                         in Node, rel/path from the working directory
//                                             (tfjs-node's reading of such URLs)
//   anything else                             in Node, a path; in a browser, a URL relative
//                                             to the page, fetched
// Node's fs is reached without a static import (nodeFs below), so browser bundles never see it.
import {describeError, fail, isOwnError, type Who} from './errors.js';

/** What a source may be: the bytes, or where to read them from. */
export type TorchWeightsSource = ArrayBuffer|Uint8Array|string|URL;

export interface ReadOptions {
  /** Aborts reading a URL (fetch's AbortSignal): the read rejects, naming the URL. */
  signal?: AbortSignal;
  /**
   * How long reading a URL may take, response and body together, in ms (default 60000; 0 or
   * Infinity: no limit). A server that never answers then rejects instead of hanging.
   */
  timeoutMs?: number;
  /** The most bytes to take (default and upper bound: MAX_SOURCE_BYTES). */
  maxBytes?: number;
}

/** The default of ReadOptions.timeoutMs. */
export const DEFAULT_TIMEOUT_MS = 60000;

/**
 * The largest source the reader takes: what one Uint8Array can hold (a source is read whole;
 * tfjs keeps every weight in memory anyway).
 */
export const MAX_SOURCE_BYTES = 2 ** 32 - 1;

export function isNode(): boolean {
  const p = (globalThis as {process?: {versions?: {node?: string}}}).process;
  return p?.versions?.node != null;
}

interface NodeFileHandle {
  stat(): Promise<{isFile(): boolean, size: number}>;
  read(buffer: Uint8Array, offset: number, length: number, position: number):
      Promise<{bytesRead: number}>;
  close(): Promise<void>;
}

interface NodeFs {
  promises: {open(path: string|URL, flags: string): Promise<NodeFileHandle>};
}

/**
 * Node's fs, without a static import: the package must load in browsers, and its types must not
 * need Node's. process.getBuiltinModule (Node >= 20.16) avoids even a dynamic import; older Node
 * imports a specifier held in a variable, which bundlers for the browser leave alone.
 */
async function nodeFs(): Promise<NodeFs> {
  const proc = (globalThis as {process?: {getBuiltinModule?: (id: string) => unknown}}).process;
  const builtin = proc?.getBuiltinModule?.('fs');
  if (builtin != null) return builtin as NodeFs;
  const id = 'fs';
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ id)) as NodeFs;
}

/** Whether a string source is fetched rather than read from the file system in Node. */
export function isFetched(where: string): boolean {
  return /^(https?|blob|data):/i.test(where);
}

/** The path (or file URL) fs opens for a string source in Node (Note [what a string source is]). */
function fileTarget(where: string): string|URL {
  if (/^file:\/\/\//i.test(where) || /^file:\/\/localhost\//i.test(where)) return new URL(where);
  if (/^file:\/\//i.test(where)) return where.slice('file://'.length);
  return where;
}

/**
 * A file's bytes, the path checked first: a regular file (not /dev/zero, a FIFO or a directory,
 * which have no size or an endless one) no larger than maxBytes, read in full into a buffer of
 * the size stat gave.
 */
async function readFileChecked(who: Who, where: string, maxBytes: number): Promise<Uint8Array> {
  const fs = await nodeFs();
  let handle: NodeFileHandle;
  try {
    handle = await fs.promises.open(fileTarget(where), 'r');
  } catch (e) {
    fail(who, `cannot read '${where}': ${describeError(e)}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      fail(who, `cannot read '${where}': not a regular file (a source must be a file, ${
          ''}not a directory or a device)`);
    }
    if (info.size > maxBytes) {
      fail(who, `cannot read '${where}': ${info.size} bytes, more than the ${maxBytes} ${
          ''}this source may have`);
    }
    const out = new Uint8Array(info.size);
    let at = 0;
    while (at < out.length) {
      const {bytesRead} = await handle.read(out, at, out.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    if (at !== out.length) {
      fail(who, `cannot read '${where}': the file shrank while it was read (${at} of ${
          out.length} bytes)`);
    }
    return out;
  } catch (e) {
    if (isOwnError(e, who)) throw e;
    return fail(who, `cannot read '${where}': ${describeError(e)}`);
  } finally {
    await handle.close();
  }
}

/**
 * A URL's bytes by fetch, under a timeout and the caller's AbortSignal (both cover the body
 * too); every failure names the URL, with HTTP's status or the network error's cause.
 */
async function fetchChecked(who: Who, where: string, signal: AbortSignal|undefined,
                            timeoutMs: number, maxBytes: number): Promise<Uint8Array> {
  if (typeof fetch !== 'function') fail(who, `cannot fetch '${where}': no fetch in this environment`);
  if (signal?.aborted) fail(who, `fetching '${where}' was aborted before it started`);
  const controller = new AbortController();
  let timedOut = false;
  const timer = timeoutMs > 0 && Number.isFinite(timeoutMs) ? setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs) : null;
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort);
  try {
    const response = await fetch(where, {signal: controller.signal});
    if (!response.ok) {
      fail(who, `fetching '${where}' failed: HTTP ${response.status} ${response.statusText}`);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      fail(who, `fetching '${where}': ${declared} bytes, more than the ${maxBytes} this source ${
          ''}may have`);
    }
    const out = new Uint8Array(await response.arrayBuffer());
    if (out.length > maxBytes) {
      fail(who, `fetching '${where}': ${out.length} bytes, more than the ${maxBytes} this ${
          ''}source may have`);
    }
    return out;
  } catch (e) {
    if (isOwnError(e, who)) throw e;
    if (timedOut) fail(who, `fetching '${where}' timed out after ${timeoutMs} ms (options.timeoutMs)`);
    if (signal?.aborted) fail(who, `fetching '${where}' was aborted (options.signal)`);
    return fail(who, `fetching '${where}' failed: ${describeError(e)}`);
  } finally {
    if (timer != null) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The bytes of a source: as given, from the file system (Node) or by fetch (Note [what a string
 * source is]). Every failure throws `${who}: ...`, naming the source.
 */
export async function readSource(who: Who, source: TorchWeightsSource,
                                 options: ReadOptions = {}): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const where = source instanceof URL ? source.href : source;
  if (typeof where !== 'string') {
    fail(who, `source must be an ArrayBuffer, a Uint8Array, a path or a URL, got ${
        Object.prototype.toString.call(source)}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
    fail(who, `options.timeoutMs must be a number of milliseconds >= 0, got ${String(timeoutMs)}`);
  }
  const maxBytes = Math.min(options.maxBytes ?? MAX_SOURCE_BYTES, MAX_SOURCE_BYTES);
  if (isNode() && !isFetched(where)) return readFileChecked(who, where, maxBytes);
  return fetchChecked(who, where, options.signal, timeoutMs, maxBytes);
}

/**
 * `relative` (a path from a manifest) resolved against the folder of `base` (a model.json's
 * source string), in the same kind of source as base: a path stays a path, a URL a URL.
 */
export function resolveBeside(base: string, relative: string): string {
  const slash = Math.max(base.lastIndexOf('/'), base.lastIndexOf('\\'));
  return slash < 0 ? relative : `${base.slice(0, slash + 1)}${relative}`;
}
