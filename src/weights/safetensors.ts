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

function bad(message: string): never {
  throw new Error(`loadTorchWeights: ${message}`);
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

/** Parses a whole safetensors file. Every structural problem throws, naming the tensor. */
export function readSafetensors(data: ArrayBuffer|Uint8Array): SafetensorsFile {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.byteLength < 8) {
    bad(`not a safetensors file: ${bytes.byteLength} bytes, fewer than the 8-byte header length`);
  }
  const lengthView = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const headerLength = Number(lengthView.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) {
    bad(`not a safetensors file: the header length ${headerLength} exceeds the ${
        bytes.byteLength - 8} bytes that follow it`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    bad(`not a safetensors file: its header is not JSON (${(e as Error).message})`);
  }
  if (header == null || typeof header !== 'object' || Array.isArray(header)) {
    bad('not a safetensors file: its header is not a JSON object');
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const metadata = (header['__metadata__'] ?? {}) as Record<string, string>;
  const entries: Array<[string, number, SafetensorsEntry]> = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {dtype, shape, data_offsets: offsets} =
        (info ?? {}) as {dtype?: unknown, shape?: unknown, data_offsets?: unknown};
    if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offsets) ||
        offsets.length !== 2 || !shape.every((s) => Number.isInteger(s) && s >= 0) ||
        !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      bad(`tensor '${name}': header entry must be {dtype, shape, data_offsets}, got ${
          JSON.stringify(info)}`);
    }
    const width = BYTES[dtype];
    if (width === undefined) decode(name, dtype, bytes, 0);  // throws: unknown dtype
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const [begin, end] = offsets as number[];
    if (end - begin !== count * width || end > dataLength) {
      bad(`tensor '${name}': data_offsets [${begin}, ${end}] do not hold ${count} ${dtype} values${
          end > dataLength ? ` inside the ${dataLength} data bytes` : ''}`);
    }
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    const {dtype: tfDtype, values} = decode(name, dtype, raw, count);
    entries.push([name, begin, {storedDtype: dtype, shape: shape as number[], dtype: tfDtype, values}]);
  }
  entries.sort((a, b) => a[1] - b[1]);
  return {tensors: new Map(entries.map(([n, , e]) => [n, e])), metadata};
}

/** A decoded entry as a tf.Tensor (the caller owns it). */
export function entryToTensor(entry: SafetensorsEntry): tf.Tensor {
  return tf.tensor(entry.values, entry.shape, entry.dtype);
}
