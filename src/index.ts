// tfjs-torch: PyTorch's upsampling and inverse ops for TensorFlow.js.
// Importing this module registers the cpu kernels and every gradient.
import {cpuKernelConfigs} from '../kernels/cpu/index.js';
import {gradConfigs} from './gradients/index.js';
import {declareCapabilities} from './util/capabilities.js';
import {registerGradientsOnce, registerKernelsOnce} from './util/register.js';
import {registerFileRouterOnce} from './weights/router.js';

export * from './ops/index.js';
export * as kernelNames from './kernel_names.js';
// The published index.d.ts types `layers` loosely (scripts/build.mjs, Note [types without
// tfjs-layers]); 'tfjs-torch/layers' carries their full types.
export * as layers from './layers/index.js';
export {loadTorchWeights, readSafetensors} from './weights/index.js';
export {checkExport} from './check_export.js';
export type {CheckExportLayer, CheckExportModel, CheckExportOptions, CheckExportOutput, CheckExportResult} from './check_export.js';
export type {LayersModelLike, LoadTorchWeightsOptions, LoadTorchWeightsResult, SafetensorsEntry, SafetensorsFile, TorchWeightsSource} from './weights/index.js';
export type {DataFormat, InterpolateMode} from './kernel_names.js';

registerKernelsOnce(cpuKernelConfigs);
registerGradientsOnce(gradConfigs);
// In Node, tf.loadLayersModel('file://...') without tfjs-node (Note [file:// without tfjs-node]).
registerFileRouterOnce();
// The cpu MaxUnpool kernel rejects an out-of-plane index as it writes (kernels/cpu/MaxUnpool.ts).
declareCapabilities('cpu', {unpoolIndices: 'kernel', finiteCheck: 'none'});
