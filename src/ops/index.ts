// The public ops, with PyTorch's semantics. Each converts and checks its arguments and runs one
// kernel from src/kernel_names.ts through tfjs's registry.
export * from './pixel_shuffle.js';
export * from './normalize.js';
export * from './max_pool.js';
export * from './max_unpool.js';
export * from './conv_transpose.js';
export * from './interpolate.js';
export * from './pad.js';
export * from './group_norm.js';
export * from './gelu.js';
export * from './grouped_conv.js';
