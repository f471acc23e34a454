// Loading PyTorch weights (safetensors state dicts) into tf.LayersModel layers.
export {loadTorchWeights} from './load.js';
export type {LayersModelLike, LoadTorchWeightsOptions, LoadTorchWeightsResult, TorchWeightsSource} from './load.js';
export {readSafetensors} from './safetensors.js';
export type {SafetensorsEntry, SafetensorsFile} from './safetensors.js';
