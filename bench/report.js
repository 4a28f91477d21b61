#!/usr/bin/env node
'use strict';
/**
 * Re-render the markdown report from a saved run:
 *   node bench/report.js bench/results/<run>.json [docs/PERFORMANCE.md]
 * Without an output path it prints to stdout. With one, the latency-vs-rate chart is written beside it.
 */
const fs = require('node:fs');
const path = require('node:path');
const { renderMarkdown } = require('./lib/report');
const { renderLatencyChart, CHART_FILE } = require('./lib/chart');

const [input, output] = process.argv.slice(2);
if (!input) {
  process.stderr.write('usage: node bench/report.js <result.json> [out.md]\n');
  process.exit(2);
}
const result = JSON.parse(fs.readFileSync(input, 'utf8'));
result.resultFile = result.resultFile || path.relative(path.resolve(__dirname, '..'), path.resolve(input));
const svg = renderLatencyChart(result);
// the chart is written (and linked) only beside a report file
const md = renderMarkdown(result, { chart: svg && output ? CHART_FILE : null });
if (output) {
  fs.writeFileSync(output, md);
  if (svg) {
    fs.writeFileSync(path.join(path.dirname(path.resolve(output)), CHART_FILE), svg);
  }
} else {
  process.stdout.write(md);
}
