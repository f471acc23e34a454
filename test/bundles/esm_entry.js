// The README's bundler recipe (esbuild here; Vite resolves the same exports map): the ESM build
// of tfjs-torch with @tensorflow/tfjs and the wasm backend, bundled for the browser by
// scripts/test-web.mjs into .cache/bundles/esm.js.
import * as tf from '@tensorflow/tfjs';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as pt from 'tfjs-torch';
import 'tfjs-torch/webgl';
import 'tfjs-torch/wasm';

window.bundleResult = window.runBundleChecks(tf, pt, setWasmPaths);
