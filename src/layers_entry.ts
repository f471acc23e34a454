// `import 'tfjs-torch/layers'`: tfjs-torch's layers with a static import of
// @tensorflow/tfjs-layers, for code that wants the dependency explicit (a bundler then sees it).
// `pt.layers` of the main entry point is the same module and works without this import as soon
// as tfjs-layers is loaded (Note [layers without a static tfjs-layers import] in
// src/layers/base.ts); importing this also registers the cpu kernels and every gradient.
import * as tfl from '@tensorflow/tfjs-layers';
import './index.js';
import {useTfjsLayers} from './layers/base.js';

useTfjsLayers(tfl.layers.Layer);

export * from './layers/index.js';
