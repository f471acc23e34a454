// Everything a GPU kernel of the transposed convolution needs about one call, in one object: the
// sizes of convTransposeShapes (conv.ts) with the attributes and the full shapes. (The webgpu
// kernels take it from here; kernels/webgl/conv_transpose_gpu.ts still declares the same object
// for itself and can switch to this one.)
import type {ConvTransposeAttrs, DataFormat} from '../kernel_names.js';
import {convTransposeShapes} from './conv.js';
import type {ConvTransposeShapes} from './conv.js';

/** The sizes of one transposed convolution, with the attributes and full shapes. */
export interface ConvTransposeGeometry extends ConvTransposeShapes {
  stride: number[];
  padding: number[];
  dilation: number[];
  dataFormat: DataFormat;
  /** Full shapes: x in dataFormat, the weight in PyTorch's layout. */
  xShape: number[];
  weightShape: number[];
}

export function convTransposeGeometry(
    xShape: readonly number[], weightShape: readonly number[],
    attrs: ConvTransposeAttrs): ConvTransposeGeometry {
  return {
    ...convTransposeShapes(xShape, weightShape, attrs),
    stride: attrs.stride.slice(),
    padding: attrs.padding.slice(),
    dilation: attrs.dilation.slice(),
    dataFormat: attrs.dataFormat,
    xShape: xShape.slice(),
    weightShape: weightShape.slice(),
  };
}
