// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with its .d.ts beside its .js, so
// that the types read for `import` are ES module types and those for `require` CommonJS types
// (publint, arethetypeswrong). Each output folder gets a package.json that tells Node (and
// TypeScript) which module system its files use.
//
// Note [types without tfjs-layers]
// The main entry's `layers` (export * as layers) would make index.d.ts pull in every layer's
// types, which import @tensorflow/tfjs-layers, an optional peer: a TypeScript user with tfjs-core
// alone and no skipLibCheck would get "Cannot find module '@tensorflow/tfjs-layers'". So the
// published index.d.ts declares `layers` loosely; 'tfjs-torch/layers' (layers_entry.d.ts) gives
// the same functions and classes with their full types. The source keeps the full namespace, so
// the repository's own code and tests stay typed.
import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';

rmSync('dist', {recursive: true, force: true});
const tsc = (project) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], {stdio: 'inherit'});
tsc('tsconfig.build.json');
tsc('tsconfig.cjs.json');
for (const [dir, type] of [['dist/esm', 'module'], ['dist/cjs', 'commonjs']]) {
  mkdirSync(dir, {recursive: true});
  writeFileSync(`${dir}/package.json`, JSON.stringify({type}) + '\n');
  const index = `${dir}/src/index.d.ts`;
  const full = `export * as layers from './layers/index.js';`;
  const text = readFileSync(index, 'utf8');
  if (!text.includes(full)) throw new Error(`${index}: no '${full}' to replace (Note [types without tfjs-layers])`);
  writeFileSync(index, text.replace(full, [
    '/**',
    ' * tfjs-torch\'s tf.LayersModel layers (they need @tensorflow/tfjs-layers loaded). Typed loosely',
    ' * here so that this entry\'s types need tfjs-core alone; `import * as layers from',
    ' * \'tfjs-torch/layers\'` gives the same functions and classes with their full types.',
    ' */',
    'export declare const layers: {readonly [name: string]: any};',
  ].join('\n')));
}

// Note [script-tag bundle]
// dist/tfjs-torch.min.js follows tfjs's convention for script tags: load it after tfjs's own
// tf.min.js (and after tf-backend-wasm.min.js / tf-backend-webgpu.min.js for those backends); it
// takes tfjs from the global `tf` (never a second copy of tfjs-core) and defines one global,
// `tfjsTorch`, holding what `import * as pt from 'tfjs-torch'` gives, with the kernels of every
// backend (cpu, webgl, wasm, webgpu) registered. An immediately invoked function assigned to a
// global (esbuild's iife), as tfjs's own bundles do for script tags.
const esbuild = await import('esbuild');
const GLOBALS = {
  '@tensorflow/tfjs-core': 'globalThis.tf',
  '@tensorflow/tfjs-layers': 'globalThis.tf',
  '@tensorflow/tfjs-backend-cpu': 'globalThis.tf',
  '@tensorflow/tfjs-backend-webgl': 'globalThis.tf',
  '@tensorflow/tfjs-backend-wasm': '(globalThis.tf && globalThis.tf.wasm)',  // its min.js: tf.wasm
  '@tensorflow/tfjs-backend-webgpu': 'globalThis.tf',  // tf-backend-webgpu.min.js adds webgpu_util to tf
};
const fromGlobal = {
  name: 'tfjs-from-global',
  setup(build) {
    build.onResolve({filter: /^@tensorflow\/tfjs-/}, (args) => {
      const base = args.path.split('/').slice(0, 2).join('/');
      if (!(base in GLOBALS)) throw new Error(`script-tag bundle: no global for ${args.path}`);
      return {path: base, namespace: 'tfjs-global'};
    });
    build.onLoad({filter: /.*/, namespace: 'tfjs-global'}, (args) => ({
      contents: `module.exports = ${GLOBALS[args.path]} || {};`, loader: 'js',
    }));
  },
};
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
await esbuild.build({
  stdin: {
    contents: `export * from './src/index.ts';\nimport './src/webgl.ts';\nimport './src/wasm.ts';\nimport './src/webgpu.ts';\n`,
    resolveDir: '.', sourcefile: 'tfjs-torch-script-tag.ts', loader: 'ts',
  },
  bundle: true, format: 'iife', globalName: 'tfjsTorch', platform: 'browser', target: 'es2020',
  minify: true, legalComments: 'none', outfile: 'dist/tfjs-torch.min.js', plugins: [fromGlobal],
  banner: {js: `/** tfjs-torch ${pkg.version} (script-tag bundle; needs tfjs's tf.min.js first). Apache-2.0. */`},
  logLevel: 'warning',
});
console.log('built dist/esm, dist/cjs (each with its .d.ts), dist/tfjs-torch.min.js');
