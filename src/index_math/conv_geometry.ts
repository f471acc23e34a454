// Everything a GPU kernel of the transposed convolution needs about one call, in one object: the
// sizes of convTransposeShapes (conv.ts) with the attributes and the full shapes; the webgl and
// webgpu kernels build their tap tables from it.
import type {ConvTransposeAttrs, DataFormat} from '../kernel_names.js';
import {convTransposeShapes, unitWhereInert} from './conv.js';
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
  const shapes = convTransposeShapes(xShape, weightShape, attrs);
  // Note [strides and dilations that cannot matter]: the gather tables hold one list per residue
  // of the stride.
  const {stride, dilation} =
      unitWhereInert(shapes.inSize, shapes.kernelSize, attrs.stride, attrs.dilation);
  return {
    ...shapes,
    stride,
    padding: attrs.padding.slice(),
    dilation,
    dataFormat: attrs.dataFormat,
    xShape: xShape.slice(),
    weightShape: weightShape.slice(),
  };
}
