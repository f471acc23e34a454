// What the ops need to know about a backend's kernels, declared once by each entry point
// (src/index.ts for cpu, src/node.ts, src/wasm.ts, src/webgl.ts, src/webgpu.ts) and read by the
// ops. A backend nobody declared (a third-party one running tfjs-torch's kernels of another
// name, say) gets DEFAULT_CAPABILITIES: the op does every check itself.

import type {FiniteCheck} from '../index_math/finite.js';

/**
 * Where an unpool index outside the output plane is caught (Note [unpool index check] in
 * src/index_math/pool.ts):
 * - 'kernel': the MaxUnpool kernel raises PyTorch's error itself as it writes (cpu, wasm);
 * - 'op': the op takes a min and a max of the indices and reads those two numbers before the
 *   kernel runs (tensorflow, whose tensors live in host memory; any undeclared backend);
 * - 'dropped': the kernel never writes such an index (its value is lost, its gradient is 0) and
 *   nothing raises: a GPU backend, where the check would be a synchronous read stalling the queue.
 */
export type UnpoolIndexCheck = 'kernel'|'op'|'dropped';
export type {FiniteCheck};

export interface BackendCapabilities {
  readonly unpoolIndices: UnpoolIndexCheck;
  /**
   * Where the input of a finite-only shortcut (the Interpolate kernel's native bilinear) is
   * checked: by the op, by the kernel, or nowhere (the rule: Note [native resize and non-finite
   * input] in src/index_math/finite.ts).
   */
  readonly finiteCheck: FiniteCheck;
  /**
   * tf.transpose of an int32 tensor compiles (false on webgpu: tfjs-backend-webgpu 4.22's
   * Transpose program writes an i32 into its f32 output and its shader fails to build); where it
   * does not, int32 transposes take the exact route of transposeInt32 in src/util/layout.ts.
   */
  readonly int32Transpose?: boolean;
  /**
   * tfjs's Prelu kernel on this backend is a composition of generic ops (tfjs-node's, six
   * TensorFlow ops, NaN at +Infinity): the PReLU layer composes PyTorch's form itself in
   * fewer (Note [PReLU on tensorflow] in src/layers/prelu.ts).
   */
  readonly composedPrelu?: boolean;
  /**
   * The backend's BatchMatMul multiplies operands of any rank >= 2 with broadcast batch dims in
   * one op (tfjs-node: TensorFlow's BatchMatMulV2), and every reshape is an op of its own (an
   * eager TensorFlow op on tfjs-node, not a view): products skip the reshapes to rank 3 and back
   * (Note [products without reshapes on tensorflow] in src/layers/attention.ts).
   */
  readonly broadcastMatMul?: boolean;
  /**
   * The grouped convolutions this backend's TorchGroupedConv2d kernel runs in one pass (webgpu's
   * and wasm's direct convolutions): at most maxGroupIn input and maxGroupOut output channels per group, the
   * output channels per group a multiple of 4. The TorchGroupedConv2d layer calls the kernel for
   * these and runs the per-group form with its cached filters for the rest (Note [grouped
   * convolution layer: per-group filters] in src/layers/grouped_conv.ts).
   */
  readonly groupedConvOnePass?: {
    readonly maxGroupIn: number, readonly maxGroupOut: number,
    /**
     * Whether the kernel runs them in one pass now, where that depends on the running backend
     * (wasm: not while XNNPACK has more than one thread); absent: always.
     */
    readonly now?: () => boolean,
  };
}

export const DEFAULT_CAPABILITIES: BackendCapabilities = {
  unpoolIndices: 'op',
  finiteCheck: 'none',
};

const declared = new Map<string, BackendCapabilities>();

/** Called once by a backend's entry point; a second declaration for the same name must agree. */
export function declareCapabilities(backendName: string, capabilities: BackendCapabilities): void {
  const before = declared.get(backendName);
  if (before != null && (before.unpoolIndices !== capabilities.unpoolIndices ||
                         before.finiteCheck !== capabilities.finiteCheck ||
                         before.int32Transpose !== capabilities.int32Transpose ||
                         before.composedPrelu !== capabilities.composedPrelu ||
                         before.broadcastMatMul !== capabilities.broadcastMatMul ||
                         before.groupedConvOnePass?.maxGroupIn !==
                             capabilities.groupedConvOnePass?.maxGroupIn ||
                         before.groupedConvOnePass?.maxGroupOut !==
                             capabilities.groupedConvOnePass?.maxGroupOut ||
                         before.groupedConvOnePass?.now !== capabilities.groupedConvOnePass?.now)) {
    throw new Error(`tfjs-torch: backend '${backendName}' declared with two different capabilities`);
  }
  const onePass = capabilities.groupedConvOnePass;
  declared.set(backendName, Object.freeze({
    ...capabilities,
    ...(onePass == null ? {} : {groupedConvOnePass: Object.freeze({...onePass})}),
  }));
}

/** The declared capabilities of a backend, or DEFAULT_CAPABILITIES. */
export function capabilitiesOf(backendName: string): BackendCapabilities {
  return declared.get(backendName) ?? DEFAULT_CAPABILITIES;
}
