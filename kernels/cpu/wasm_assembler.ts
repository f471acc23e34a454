// A minimal WebAssembly assembler: the encodings the project's own WebAssembly kernels use (the
// convTranspose product, kernels/cpu/conv_transpose_gemm.ts; the wasm backend's pooling and
// resize loops, kernels/wasm/simd.ts). Each kernel is a module of its own, assembled from its
// opcodes at run time, so the package ships no binary and needs no build step.

export const I32 = 0x7f;
export const V128 = 0x7b;
export const F32 = 0x7d;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export function name(s: string): number[] {
  return vec(Array.from(s, (c) => [c.charCodeAt(0)]));
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A SIMD instruction: prefix 0xfd, then the opcode as unsigned LEB128. */
const simd = (code: number) => [0xfd, ...uleb(code)];

export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  eqz: [0x45],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  shl: [0x74],
  geS: [0x4e],
  geU: [0x4f],
  gtS: [0x4a],
  ltS: [0x48],
  ltU: [0x49],
  i32Load: (offset: number) => [0x28, 2, ...uleb(offset)],
  i32Store: (offset: number) => [0x36, 2, ...uleb(offset)],
  /** memory.copy (bulk memory): dst, src, bytes. */
  memoryCopy: [0xfc, ...uleb(10), 0, 0],
  f32Load: (offset: number) => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset: number) => [0x38, 2, ...uleb(offset)],
  f32Add: [0x92],
  block: (body: number[]) => [0x02, 0x40, ...body, 0x0b],
  loop: (body: number[]) => [0x03, 0x40, ...body, 0x0b],
  if: (body: number[]) => [0x04, 0x40, ...body, 0x0b],
  ifElse: (then: number[], otherwise: number[]) =>
      [0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  // SIMD (memarg = align log2, offset)
  vLoad: (offset: number) => [...simd(0x00), 4, ...uleb(offset)],
  vStore: (offset: number) => [...simd(0x0b), 4, ...uleb(offset)],
  vSplat32: (offset: number) => [...simd(0x09), 2, ...uleb(offset)],
  /** v128.load32_zero / load64_zero: one or two floats into the low lanes, the rest 0. */
  vLoad32Zero: (offset: number) => [...simd(0x5c), 2, ...uleb(offset)],
  vLoad64Zero: (offset: number) => [...simd(0x5d), 3, ...uleb(offset)],
  /** v128.store32_lane: one lane to memory. */
  vStore32Lane: (offset: number, lane: number) => [...simd(0x5a), 2, ...uleb(offset), lane],
  vConst: (bytes: number[]) => [...simd(0x0c), ...bytes],
  vConstI32: (lanes: number[]) =>
      [...simd(0x0c), ...lanes.flatMap((v) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff])],
  vZero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
  /** i8x16.shuffle of the two operands' 32 bytes by these 16 byte indices. */
  shuffle: (bytes: number[]) => [...simd(0x0d), ...bytes],
  i32x4Splat: simd(0x11),
  f32x4Splat: simd(0x13),
  fx4Lane: (lane: number) => [...simd(0x1f), lane],
  fx4Ne: simd(0x42),
  fx4Gt: simd(0x44),
  vOr: simd(0x50),
  vBitselect: simd(0x52),
  vAnyTrue: simd(0x53),
  ix4Add: simd(0xae),
  ix4Sub: simd(0xb1),
  fx4Add: simd(0xe4),
  fx4Sub: simd(0xe5),
  fx4Mul: simd(0xe6),
  fx4RelaxedMadd: simd(0x105),
  fx4Abs: simd(0xe0),
  fx4Div: simd(0xe7),
  fx4Ge: simd(0x46),
  vAnd: simd(0x4e),
  // Scalar f32 arithmetic; f32FromI32: f32.convert_i32_s, f32FromBits: f32.reinterpret_i32.
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sub: [0x93],
  f32Sqrt: [0x91],
  f32Neg: [0x8c],
  f32FromI32: [0xb2],
  f32FromBits: [0xbe],
};

/**
 * A module of one function `fn` with i32 parameters (and an i32 result when `result`), importing
 * its memory as env.mem: a plain memory, or a shared one (a threaded runtime's heap, which must
 * be declared shared with a maximum) when `shared`. `body` holds the locals and the code.
 */
export function assembleFunction(fn: string, params: number, result: boolean, body: number[],
                                 shared = false): Uint8Array<ArrayBuffer> {
  const memory = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array<number[]>(params).fill([I32])),
                        ...vec(result ? [[I32]] : [])]])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, ...memory]])),
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...name(fn), 0x00, ...uleb(0)]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}
