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
console.log('built dist/esm, dist/cjs (each with its .d.ts)');
