// A reader for the safetensors format (https://github.com/huggingface/safetensors), the format
// PyTorch state dicts are shared in without pickle:
//   8 bytes   N, the header length, unsigned 64-bit little-endian
//   N bytes   JSON: {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//                    "__metadata__": {string: string}}   (metadata optional)
//   the rest  the tensors' bytes, little-endian, row-major; offsets count from the end of the
//             header.
// Floating tensors become float32 (what tfjs computes in), integer tensors int32 (tfjs's only
// integer dtype; an int64 value outside int32's range is an error, never a silent wrap).
import * as tf from '@tensorflow/tfjs-core';
import {fail, isOwnError, type Who} from './errors.js';

/** One tensor of a safetensors file, decoded. */
export interface SafetensorsEntry {
  /** The dtype the file stored it in ('F32', 'F16', 'BF16', 'I64', ...). */
  storedDtype: string;
  shape: number[];
  /** float32 for floating dtypes, int32 for integer and bool dtypes. */
  dtype: 'float32'|'int32';
  values: Float32Array|Int32Array;
}

export interface SafetensorsFile {
  /** Tensors in the order of their data offsets (the order the file wrote them). */
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** The parser's errors are loadTorchWeights' (readSafetensors is its reader); see parseAs. */
const PARSER: Who = 'loadTorchWeights';

function bad(message: string): never {
  fail(PARSER, message);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half precision bits to a float32 value (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;  // zero and subnormals
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(name: string, dtype: string, bytes: Uint8Array, count: number): {
  dtype: 'float32'|'int32', values: Float32Array|Int32Array
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      // A view is only possible on an aligned offset of a little-endian machine; else copy.
      if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
        return {dtype: 'float32', values: new Float32Array(bytes.buffer, bytes.byteOffset, count)};
      }
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return {dtype: 'float32', values: out};
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return {dtype: 'float32', values: out};
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return {dtype: 'float32', values: out};
    }
    case 'BF16': {
      // bfloat16 is the upper half of a float32: shifting its bits up is the exact conversion.
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return {dtype: 'float32', values: new Float32Array(bits.buffer)};
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) {
          bad(`tensor '${name}' (I64) holds ${v} at flat index ${i}, outside int32's range ` +
              `(tfjs's only integer dtype)`);
        }
        out[i] = Number(v);
      }
      return {dtype: 'int32', values: out};
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return {dtype: 'int32', values: out};
    }
    case 'I16':
    case 'I8':
    case 'U8':
    case 'BOOL': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        out[i] = dtype === 'I16' ? view.getInt16(2 * i, true) :
            dtype === 'I8'       ? view.getInt8(i) :
                                   view.getUint8(i);
      }
      return {dtype: 'int32', values: out};
    }
    default:
      bad(`tensor '${name}' has dtype ${dtype}, which loadTorchWeights does not read (it reads ${
          Object.keys(BYTES).join(', ')})`);
  }
}

// Note [safetensors strictness]
// The reader follows the format's rules as the reference implementation (the Rust crate) states
// them, because a file is often untrusted (downloaded with a model):
// - the header length is at most MAX_HEADER_BYTES (the crate's 100 MB) and inside the file;
// - the header is a JSON object of entries {dtype, shape, data_offsets} plus an optional
//   `__metadata__` mapping strings to strings; keys are unique;
// - dtypes are looked up in a Map, never as properties (`__proto__` or `toString` are unknown
//   dtypes, not something found on Object.prototype);
// - each entry's byte length (product of the shape, times the dtype's width) equals end - begin,
//   and the entries, taken in order of their offsets, are contiguous from 0 and end exactly at
//   the end of the file: no overlap (two tensors sharing bytes), no gap (bytes no tensor owns,
//   which would shift what a reader that trusts offsets decodes), no trailing bytes.
// The header is parsed by parseHeader below, not JSON.parse: the grammar is three levels deep,
// so the parser accepts exactly that shape and stops at the first thing that is not (a header of
// a million nested arrays is refused at its second character, without recursion), holds no more
// than the entries themselves, and names the entry it refuses. Nothing is decoded until the whole
// header is checked.

/** The largest header the reader parses (the safetensors crate's MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

const WIDTHS = new Map<string, number>(Object.entries(BYTES));

interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** A strict, iterative parser of a safetensors header (Note [safetensors strictness]). */
class HeaderParser {
  private i = 0;
  constructor(private readonly text: string) {}

  private fail(what: string): never {
    bad(`not a valid safetensors header: ${what} (at character ${this.i} of ${
        this.text.length})`);
  }

  private ws(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.i++;
    }
  }

  private expect(ch: string, what: string): void {
    this.ws();
    if (this.text[this.i] !== ch) {
      this.fail(`expected ${what}, found ${this.i < this.text.length ? `'${this.text[this.i]}'` : 'the end'}`);
    }
    this.i++;
  }

  /** Whether the next non-space character is `ch` (consumed if so). */
  private take(ch: string): boolean {
    this.ws();
    if (this.text[this.i] === ch) {
      this.i++;
      return true;
    }
    return false;
  }

  string(): string {
    this.ws();
    if (this.text[this.i] !== '"') this.fail('expected a string');
    const start = this.i;
    this.i++;
    let escaped = false;
    const t = this.text;
    for (; this.i < t.length; this.i++) {
      const c = t[this.i];
      if (c === '\\') {
        escaped = true;
        this.i++;
      } else if (c === '"') {
        break;
      }
    }
    if (this.i >= t.length) this.fail('unterminated string');
    this.i++;
    const raw = t.slice(start, this.i);
    if (!escaped) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      this.fail('a string with an invalid escape');
    }
  }

  /** A non-negative integer that is exact in a double. */
  integer(what: string): number {
    this.ws();
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.i, this.i + 40));
    if (m == null) this.fail(`expected a number in ${what}`);
    this.i += m[0].length;
    const v = Number(m[0]);
    if (!Number.isSafeInteger(v) || v < 0) {
      this.fail(`${what} must hold non-negative integers below 2^53, got ${m[0]}`);
    }
    return v;
  }

  private intArray(what: string): number[] {
    this.expect('[', `an array for ${what}`);
    const out: number[] = [];
    if (this.take(']')) return out;
    do {
      out.push(this.integer(what));
      if (out.length > 64) this.fail(`${what} has more than 64 entries`);
    } while (this.take(','));
    this.expect(']', `',' or ']' in ${what}`);
    return out;
  }

  private metadata(): Record<string, string> {
    this.ws();
    if (this.text[this.i] !== '{') {
      this.fail(`'__metadata__' must be an object mapping strings to strings`);
    }
    this.i++;
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    if (this.take('}')) return out;
    do {
      const key = this.string();
      this.expect(':', `':' after '__metadata__' key '${key}'`);
      this.ws();
      if (this.text[this.i] !== '"') {
        this.fail(`'__metadata__' must map strings to strings; key '${key}' holds something else`);
      }
      if (Object.prototype.hasOwnProperty.call(out, key)) {
        this.fail(`duplicate key '${key}' in '__metadata__'`);
      }
      out[key] = this.string();
    } while (this.take(','));
    this.expect('}', `',' or '}' in '__metadata__'`);
    return out;
  }

  private entry(name: string): HeaderEntry {
    this.ws();
    if (this.text[this.i] !== '{') this.fail(`tensor '${name}': expected {dtype, shape, data_offsets}`);
    this.i++;
    let dtype: string|undefined;
    let shape: number[]|undefined;
    let offsets: number[]|undefined;
    if (!this.take('}')) {
      do {
        const key = this.string();
        this.expect(':', `':' after key '${key}' of tensor '${name}'`);
        if (key === 'dtype' && dtype === undefined) {
          dtype = this.string();
        } else if (key === 'shape' && shape === undefined) {
          shape = this.intArray(`the shape of tensor '${name}'`);
        } else if (key === 'data_offsets' && offsets === undefined) {
          offsets = this.intArray(`the data_offsets of tensor '${name}'`);
        } else if (key === 'dtype' || key === 'shape' || key === 'data_offsets') {
          this.fail(`tensor '${name}': duplicate key '${key}'`);
        } else {
          this.fail(`tensor '${name}': unknown key '${key}' (an entry holds dtype, shape, data_offsets)`);
        }
      } while (this.take(','));
      this.expect('}', `',' or '}' in tensor '${name}'`);
    }
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      bad(`tensor '${name}': header entry must be {dtype, shape, data_offsets}, missing ${
          [dtype === undefined ? 'dtype' : '', shape === undefined ? 'shape' : '',
           offsets === undefined ? 'data_offsets' : ''].filter((m) => m !== '').join(', ')}`);
    }
    if (offsets.length !== 2) {
      bad(`tensor '${name}': data_offsets must be [begin, end], got [${offsets.join(', ')}]`);
    }
    return {name, dtype, shape, begin: offsets[0], end: offsets[1]};
  }

  parse(): {entries: HeaderEntry[], metadata: Record<string, string>} {
    const entries: HeaderEntry[] = [];
    const seen = new Set<string>();
    let metadata: Record<string, string> = {};
    this.expect('{', `'{' (the header is a JSON object)`);
    if (!this.take('}')) {
      do {
        const key = this.string();
        if (seen.has(key)) bad(`duplicate key '${key}' in the header (keys must be unique)`);
        seen.add(key);
        this.expect(':', `':' after key '${key}'`);
        if (key === '__metadata__') {
          metadata = {...this.metadata()};
        } else {
          entries.push(this.entry(key));
        }
      } while (this.take(','));
      this.expect('}', `',' or '}' between entries`);
    }
    // The format pads the header with spaces; anything else after the object is an error.
    this.ws();
    if (this.i !== this.text.length) this.fail('text after the header object');
    return {entries, metadata};
  }
}

/** Parses a whole safetensors file. Every structural problem throws, naming the tensor. */
export function readSafetensors(data: ArrayBuffer|Uint8Array): SafetensorsFile {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.byteLength < 8) {
    bad(`not a safetensors file: ${bytes.byteLength} bytes, fewer than the 8-byte header length`);
  }
  const lengthView = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const headerLength = Number(lengthView.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) {
    bad(`not a safetensors file: the header length ${headerLength} is more than the ${
        MAX_HEADER_BYTES} bytes the format allows`);
  }
  if (headerLength > bytes.byteLength - 8) {
    bad(`not a safetensors file: the header length ${headerLength} exceeds the ${
        bytes.byteLength - 8} bytes that follow it`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    bad('not a safetensors file: its header is not UTF-8 text');
  }
  const {entries, metadata} = new HeaderParser(text).parse();
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;

  // Note [safetensors strictness]: every entry checked, then the offsets as a whole.
  for (const e of entries) {
    const width = WIDTHS.get(e.dtype);
    if (width === undefined) {
      bad(`tensor '${e.name}' has dtype ${JSON.stringify(e.dtype).slice(1, -1)}: unknown dtype (loadTorchWeights reads ${
          [...WIDTHS.keys()].join(', ')})`);
    }
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * width) || e.end < e.begin || e.end - e.begin !== count * width) {
      bad(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] do not hold ${
          Number.isSafeInteger(count) ? count : count.toPrecision(3)} ${e.dtype} values (shape [${
          e.shape.join(', ')}], ${width} bytes each)`);
    }
  }
  const ordered = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of ordered) {
    if (e.end > dataLength) {
      bad(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] reach past the end: not inside ${
          ''}the ${dataLength} data bytes`);
    }
    if (e.begin < at) {
      bad(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap the previous tensor, ${
          ''}which ends at ${at} (tensors must be contiguous, not overlapping)`);
    }
    if (e.begin > at) {
      bad(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave a gap of ${
          e.begin - at} bytes after offset ${at} (tensors must be contiguous)`);
    }
    at = e.end;
  }
  if (at !== dataLength) {
    bad(at > dataLength ?
            `the tensors need ${at} data bytes, but the file has ${dataLength} after its header` :
            `${dataLength - at} trailing bytes after the last tensor (the tensors must cover the ${
                ''}data exactly: ${at} of ${dataLength} bytes)`);
  }
  const tensors = new Map<string, SafetensorsEntry>();
  for (const e of ordered) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const count = e.shape.reduce((a, b) => a * b, 1);
    const {dtype: tfDtype, values} = decode(e.name, e.dtype, raw, count);
    tensors.set(e.name, {storedDtype: e.dtype, shape: e.shape, dtype: tfDtype, values});
  }
  return {tensors, metadata};
}

/** readSafetensors for another caller: its errors name `who` (pt.checkExport) instead. */
export function readSafetensorsAs(who: Who, data: ArrayBuffer|Uint8Array): SafetensorsFile {
  try {
    return readSafetensors(data);
  } catch (e) {
    if (who !== PARSER && isOwnError(e, PARSER)) fail(who, e.message.slice(PARSER.length + 2));
    throw e;
  }
}

/** A decoded entry as a tf.Tensor (the caller owns it). */
export function entryToTensor(entry: SafetensorsEntry): tf.Tensor {
  return tf.tensor(entry.values, entry.shape, entry.dtype);
}
