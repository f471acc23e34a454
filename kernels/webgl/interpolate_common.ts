// Runs the resampling shared by the Interpolate and InterpolateGrad webgl kernels: one table per
// spatial axis (from src/index_math/resize.ts), applied by ResampleProgram in one pass when the
// taps multiply to a few per output (nearest, (bi|tri)linear, bicubic), else one pass per axis
// (area and antialias windows, gradient tables), where each pass costs its own taps only.
import * as tf from '@tensorflow/tfjs-core';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {AxisTable} from '../../src/index_math/resize.js';
import type {DataFormat} from '../../src/kernel_names.js';
import {spatialAxes} from '../../src/util/layout.js';
import {GPU_PASS_LIMITS, planPasses} from '../../src/index_math/plan.js';
import {hasPaddingTaps, isGatherTable, isIdentityTable} from '../../src/index_math/resize.js';
import {resampledShape, resampleImplCPU} from '../cpu/shared.js';
import {ResampleProgram, SPLIT, tableTexture} from './interpolate_gpu.js';
import type {ProgramAxis} from './interpolate_gpu.js';
import {checkFitsTexture, cpuInt32Values, floatTable, runProgram} from './util.js';
import type {WebGLBackend} from './util.js';

interface Pass {
  axes: Array<ProgramAxis&{table: AxisTable}>;
  outShape: number[];
}

/** The passes for the non-identity axes (Note [pass planning] in src/index_math/plan.ts). */
function passesOf(shape: number[], axes: Array<ProgramAxis&{table: AxisTable}>): Pass[] {
  const s = shape.slice();
  return planPasses(shape, axes, GPU_PASS_LIMITS).map((p) => {
    for (const a of p) s[a.dim] = a.table.outSize;
    return {axes: p, outShape: s.slice()};
  });
}

/**
 * Applies tables[i] along spatial dim i of x (shape in dataFormat); returns the resampled tensor.
 * Throws, naming `op` and the tensor (`inputName`, or the result `what`: 'output', 'gradient'),
 * before any work when the input or a pass's result cannot be a texture.
 */
export function resample(
    backend: WebGLBackend, x: TensorInfo, dataFormat: DataFormat, tables: AxisTable[],
    op: string, what: string, inputName: string): TensorInfo {
  const dims = spatialAxes(x.shape.length, dataFormat);
  // Half-float textures hold integers exactly only below SPLIT (interpolate_gpu.ts).
  const halfFloat = !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  const axes = tables.map((table, i) => ({dim: dims[i], table}))
                   .filter(({table}) => !isIdentityTable(table))
                   .map(({dim, table}) => ({dim, table, taps: table.taps,
                                            gather: isGatherTable(table),
                                            split: halfFloat && table.inSize > SPLIT,
                                            padded: hasPaddingTaps(table)}));
  const ints = cpuInt32Values(backend, x);
  if (ints != null) {
    // Note [int32 beyond float precision] in util.ts: the cpu kernel's passes, same tables.
    const outShape = resampledShape(x.shape, dataFormat, tables);
    const out = new Int32Array(outShape.reduce((a, b) => a * b, 1));
    resampleImplCPU(ints, x.shape, dataFormat, tables, out);
    return backend.makeTensorInfo(outShape, 'int32', out);
  }
  const passes = passesOf(x.shape, axes);
  passes.forEach((p, k) => {
    checkFitsTexture(op, k === passes.length - 1 ? what : `intermediate ${what}`, p.outShape);
  });
  checkFitsTexture(op, inputName, x.shape);
  if (axes.length === 0) {
    // Every axis maps to itself: the output is the input (shared data, as tfjs's Identity).
    backend.incRef(x.dataId);
    return {dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype};
  }
  let cur = x;
  for (const p of passes) {
    const tableInfos = p.axes.map((a) => {
      const {shape, values} = tableTexture(a.table, a.gather, a.split);
      return floatTable(backend, shape, values);
    });
    try {
      const next = runProgram(
          backend, new ResampleProgram(p.outShape, p.axes), [cur, ...tableInfos], x.dtype);
      if (cur !== x) backend.disposeIntermediateTensorInfo(cur);
      cur = next;
    } finally {
      tableInfos.forEach((t) => backend.disposeIntermediateTensorInfo(t));
    }
  }
  return cur;
}
