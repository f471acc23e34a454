// The cpu backend's compute cores: the one door through which another backend runs the cpu
// kernels' loops (as tfjs-backend-cpu's shared.ts does for tfjs-backend-webgl). The webgl
// kernels use it for int32 and CPU-resident data; the wasm kernels run these cores on views into
// tfjs-backend-wasm's heap. No other file outside kernels/cpu imports from kernels/cpu, except
// the entry point src/index.ts (its kernel registrations).
//
// Every core is a function over typed arrays, with no tfjs backend object inside:
// - inputs are read-only views (any byteOffset; nothing is assumed about the buffer behind);
// - the output is a view the CALLER allocates (sized by the shape function named in each doc
//   comment) and the core writes every value of it (zeroing first where it scatters);
// - scratch memory of the core's own is allocated inside (the convTranspose product copies its
//   operands into its own WebAssembly memory);
// - shapes are full tensor shapes in the stated dataFormat; attributes are the kernel's resolved
//   attributes (src/kernel_names.ts).
export {interpolateImplCPU, resampledShape, resampleImplCPU} from './Interpolate.js';
export {interpolateGradImplCPU} from './InterpolateGrad.js';
export {convTransposeImplCPU} from './ConvTranspose.js';
export {convTransposeBackpropInputImplCPU} from './ConvTransposeBackpropInput.js';
export {convTransposeBackpropFilterImplCPU} from './ConvTransposeBackpropFilter.js';
export {pixelShuffleImplCPU} from './PixelShuffle.js';
export {pixelUnshuffleImplCPU} from './PixelUnshuffle.js';
export {maxPoolOutputShape, maxPoolWithIndicesImplCPU} from './MaxPoolWithIndices.js';
export {maxPoolWithIndicesGradImplCPU} from './MaxPoolWithIndicesGrad.js';
export {maxUnpoolImplCPU} from './MaxUnpool.js';
export {maxUnpoolGradImplCPU} from './MaxUnpoolGrad.js';
export {denormalizeImplCPU, normalizeImplCPU} from './Normalize.js';
export {gemmKind, WASM_SIMD_FLAG} from './conv_transpose_gemm.js';
export {padImplCPU, padOutputShape} from './Pad.js';
export {groupNormImplCPU} from './GroupNorm.js';
export {geluImplCPU} from './Gelu.js';
export {siluImplCPU} from './Silu.js';
export {preluImplCPU} from './Prelu.js';
export {batchMatMulImplCPU, batchMatMulShape} from './BatchMatMul.js';
