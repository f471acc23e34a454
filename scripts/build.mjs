// Builds dist/esm (ES modules + .d.ts in dist/types) and dist/cjs (CommonJS).
// Each output folder gets a package.json that tells Node which module system its .js files use.
import {execFileSync} from 'node:child_process';
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';

rmSync('dist', {recursive: true, force: true});
const tsc = (project) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], {stdio: 'inherit'});
tsc('tsconfig.build.json');
tsc('tsconfig.cjs.json');
for (const [dir, type] of [['dist/esm', 'module'], ['dist/cjs', 'commonjs']]) {
  mkdirSync(dir, {recursive: true});
  writeFileSync(`${dir}/package.json`, JSON.stringify({type}) + '\n');
}
console.log('built dist/esm, dist/cjs, dist/types');
