// The finite-input rule: when a kernel may skip PyTorch's handling of Inf and NaN, and how a
// backend learns cheaply that an input is finite. Written once here; the tensorflow and wasm
// Interpolate kernels and the interpolate op follow it.
import type {InterpolateAttrs} from '../kernel_names.js';
import {nativeResize} from './resize.js';

// Note [native resize and non-finite input]
// TensorFlow's ResizeBilinear (tfjs-node's, and tfjs-backend-wasm's XNNPACK one) interpolates as
// a + (b - a) * t with taps floor and ceil of the coordinate, PyTorch as (1 - t) * a + t * b with
// taps i0 and i0 + 1 (Note [taps PyTorch evaluates] in resize.ts). For finite values the two
// agree within rounding; for Inf and NaN they do not: where t = 0 TensorFlow never reads the
// second tap (PyTorch: 0 * Inf = NaN), and two infinite taps give Inf - Inf = NaN in TensorFlow's
// form (PyTorch: Inf). So such a native op is a finite-only shortcut: a kernel takes it only
// when the input is known to hold no Inf or NaN, and otherwise runs PyTorch's formula over every
// tap (the tables). Where the check happens depends on where the backend keeps its values
// (FiniteCheck):
// - 'op': the op checks before the kernel runs, with one Sum and a read of one number (an Inf or
//   NaN anywhere makes the sum Inf or NaN; a finite input whose sum overflows float32 counts as
//   not finite, which only costs the shortcut: sumIsFinite), and passes the answer as
//   attrs.finite (tensorflow: kernels there read nothing back, and the Sum runs in TensorFlow).
// - 'kernel': the kernel looks at the values where they lie, with no read back (wasm: the input
//   is in the backend's heap, and a SIMD scan of it, kernels/wasm/simd.ts's allFinite, costs a
//   small part of the resize that follows; valuesAreFinite where SIMD is missing).
// - 'none': the backend has no finite-only shortcut (cpu, webgl, webgpu): nothing is checked.
// A GPU backend would need a synchronous read for the check, or would compute both results and
// select between them on the device: it runs the tables instead.
// An input known to be finite (attrs.finite === true) needs no check at all. Gradients never
// pass that knowledge on (a gradient's ddx was never checked).

/** Where a backend checks finiteness for a finite-only shortcut (Note above). */
export type FiniteCheck = 'op'|'kernel'|'none';

/**
 * Whether interpolate with these attributes has a finite-only shortcut (TensorFlow's bilinear
 * form, where its sampling is PyTorch's: Note [native resize on TensorFlow] in resize.ts).
 */
export function hasFiniteOnlyShortcut(a: InterpolateAttrs): boolean {
  return nativeResize(a)?.op === 'Bilinear';
}

/** Whether the op checks the input for the kernel (a backend whose check is 'op'). */
export function opChecksFinite(check: FiniteCheck, a: InterpolateAttrs): boolean {
  return check === 'op' && hasFiniteOnlyShortcut(a);
}

/** The op's check from the sum of the input (one number read back): finite or not. */
export function sumIsFinite(sum: number): boolean {
  return Number.isFinite(sum);
}

/** Whether every value is finite, scanning values in memory (x - x is 0 only for finite x). */
export function valuesAreFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    if (values[i] - values[i] !== 0) return false;
  }
  return true;
}
