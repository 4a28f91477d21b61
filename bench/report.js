#!/usr/bin/env node
'use strict';
/**
 * Re-render the markdown report from a saved run:
 *   node bench/report.js bench/results/<run>.json [docs/PERFORMANCE.md]
 * Without an output path it prints to stdout.
 */
const fs = require('node:fs');
const path = require('node:path');
const { renderMarkdown } = require('./lib/report');

const [input, output] = process.argv.slice(2);
if (!input) {
  process.stderr.write('usage: node bench/report.js <result.json> [out.md]\n');
  process.exit(2);
}
const result = JSON.parse(fs.readFileSync(input, 'utf8'));
result.resultFile = result.resultFile || path.relative(path.resolve(__dirname, '..'), path.resolve(input));
const md = renderMarkdown(result);
if (output) {
  fs.writeFileSync(output, md);
} else {
  process.stdout.write(md);
}
