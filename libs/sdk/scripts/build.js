#!/usr/bin/env node
/**
 * Builds the SDK package into libs/sdk/dist: ESM (dist/esm) and CommonJS (dist/cjs), each with .d.ts
 * types, and the wire contract (libs/contracts) compiled alongside so the package stands alone.
 * ESM needs full relative specifiers (`./retry.js`), which the sources leave out (they are shared with
 * the CommonJS server build), so they are completed here. SDK_OUT_DIR builds somewhere else instead
 * (the demo page's browser test does, so it never races `npm pack` over libs/sdk/dist).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const sdk = path.resolve(__dirname, '..');
const dist = process.env.SDK_OUT_DIR ? path.resolve(process.env.SDK_OUT_DIR) : path.join(sdk, 'dist');
const tsc = require.resolve('typescript/bin/tsc');

function run(project, outDir) {
  const args = [tsc, '-p', path.join(sdk, project), '--outDir', outDir];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
}

function files(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files(full, out);
    else out.push(full);
  }
  return out;
}

/** `./x` -> `./x.js`, `./dir` -> `./dir/index.js` in import/export specifiers of the ESM output. */
function completeSpecifiers(file) {
  const source = fs.readFileSync(file, 'utf8');
  const fixed = source.replace(/(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g, (all, lead, quote, spec) => {
    if (/\.(m?js|json)$/.test(spec)) return all;
    const base = path.resolve(path.dirname(file), spec);
    if (fs.existsSync(`${base}.js`)) return `${lead}${quote}${spec}.js${quote}`;
    if (fs.existsSync(path.join(base, 'index.js'))) return `${lead}${quote}${spec}/index.js${quote}`;
    throw new Error(`${file}: cannot resolve ${spec}`);
  });
  if (fixed !== source) fs.writeFileSync(file, fixed);
}

fs.rmSync(dist, { recursive: true, force: true });
run('tsconfig.json', path.join(dist, 'esm'));
run('tsconfig.cjs.json', path.join(dist, 'cjs'));
for (const file of files(path.join(dist, 'esm'))) {
  if (file.endsWith('.js') || file.endsWith('.d.ts')) completeSpecifiers(file);
}
fs.writeFileSync(path.join(dist, 'esm', 'package.json'), '{ "type": "module" }\n');
fs.writeFileSync(path.join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
process.stdout.write(`[sdk] built ${path.relative(process.cwd(), dist)} (esm + cjs, with types)\n`);
