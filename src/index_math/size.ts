// The size guard: how many elements a shape holds, computed so that no absurd size wraps around
// or loses its meaning, and the limit above which an op refuses to allocate.
//
// Note [size guard]
// A size that is a legal number can still be absurd: `interpolate(x, {size: 1e9})` or a
// convTranspose with stride 2**31 asks for more memory than any process has. Left unchecked such a
// request ends in a bare `RangeError: Invalid typed array length`, an out-of-memory abort of V8,
// a native crash inside TensorFlow, or a frozen page, after gigabytes were allocated. So every
// op computes its output shape first (and every kernel the tables and scratch buffers it will
// make), counts the elements with the rules below, and refuses a shape over the limit with
// `<op>: output of shape [...] (N elements) is larger than ...` before anything is allocated.
//
// The count is a product of doubles. Every dim must be a non-negative safe integer; the product
// is exact while it stays below 2^53 (Number.MAX_SAFE_INTEGER) and past that only needs to be
// known to be too large, which a double product always shows (it grows monotonically with its
// factors and saturates at Infinity rather than wrapping like a 32- or 64-bit integer would). An
// empty dim gives 0 elements whatever the others: an empty tensor costs nothing.
//
// The limit, DEFAULT_MAX_ELEMENTS = 2^28 (1 GiB of float32), is far above any activation a
// model in a browser or a Node server makes per tensor, and far below what a single typed array
// can hold (2^32 - 1 elements in V8) or what TensorFlow's 32-bit index arithmetic in some kernels
// survives (2^31). A user with more memory raises it with the tf.env() flag
// TFJS_TORCH_MAX_ELEMENTS (registered in src/util/args.ts); it never goes past ABSOLUTE_MAX_ELEMENTS.

/** The default largest element count of one tensor an op allocates (Note [size guard]). */
export const DEFAULT_MAX_ELEMENTS = 2 ** 28;

/** The largest element count a typed array holds in V8 (the ceiling of the flag). */
export const ABSOLUTE_MAX_ELEMENTS = 2 ** 32 - 1;

/**
 * The number of elements of `shape` (Note [size guard]): exact below 2^53, otherwise a double
 * that is certainly above any limit (possibly Infinity). NaN for a dim that is not a
 * non-negative integer. A null dim (tfjs-layers' unknown batch) counts as 1.
 */
export function elementCount(shape: ReadonlyArray<number|null>): number {
  let n = 1;
  let empty = false;
  for (const d of shape) {
    if (d === null) continue;
    if (typeof d !== 'number' || !(d >= 0) || !Number.isInteger(d)) return NaN;
    if (d === 0) empty = true;
    n *= d;
  }
  return empty ? 0 : n;
}

/** A count as a message shows it: digits while exact, else exponent notation. */
export function showCount(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : n.toPrecision(3).replace('+', '');
}

/**
 * The refusal of Note [size guard], or null when `shape` fits: `<what> of shape [...] (N
 * elements) is larger than the L elements ...` (the caller prefixes the op's name).
 */
export function tooLargeMessage(
    what: string, shape: ReadonlyArray<number|null>, limit: number): string|null {
  const n = elementCount(shape);
  if (n <= limit) return null;
  const dims = shape.map((d) => d === null ? 'null' :
                                  typeof d === 'number' ? showCount(d) : String(typeof d));
  return `${what} of shape [${dims.join(', ')}] (${showCount(n)} elements) is larger than the ${
      limit} elements tfjs-torch allocates for one tensor (raise it with ${
      ''}tf.env().set('TFJS_TORCH_MAX_ELEMENTS', n), at most ${ABSOLUTE_MAX_ELEMENTS})`;
}
