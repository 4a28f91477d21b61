'use strict';
/**
 * The knee steps as a chart: send -> receive p50 and p99 against the offered rate, ours and the bare
 * relay, log-log, as a hand-written SVG (no plotting dependency). The report links it beside the
 * tables; run.js writes it next to each report it writes.
 */

const CHART_FILE = 'latency-vs-rate.svg';
const W = 760;
const H = 420;
const M = { left: 64, right: 180, top: 40, bottom: 52 };
const COLORS = { ours: '#1f6feb', relay: '#d9480f' };

function escapeXml(s) {
  return String(s).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
}

/** rate -> the last attempt of that step, per target. */
function lastAttempts(result, kind) {
  const steps = (((result.targets[kind] || {}).scenarios || {}).knee || {}).steps || [];
  const byRate = new Map();
  for (const k of steps) {
    byRate.set(k.rate, k);
  }
  return [...byRate.values()].filter((k) => k.sendToReceiveMs && k.sendToReceiveMs.p99 !== null);
}

function shortRate(r) {
  return r >= 1000 ? `${r / 1000}k` : String(r);
}

/** The SVG text, or null when no knee step was measured. */
function renderLatencyChart(result) {
  const series = {};
  for (const kind of ['ours', 'relay']) {
    const steps = lastAttempts(result, kind);
    if (steps.length) {
      series[kind] = steps;
    }
  }
  const all = Object.values(series).flat();
  if (!all.length) {
    return null;
  }
  const rates = [...new Set(all.map((k) => k.rate))].sort((a, b) => a - b);
  const values = all.flatMap((k) => [k.sendToReceiveMs.p50, k.sendToReceiveMs.p99]).filter((v) => v > 0);
  const limit = result.opts && result.opts.kneeP99Ms;
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...values, limit || Infinity)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values, limit || 0)));
  const xMin = Math.log10(rates[0]) - 0.05;
  const xMax = Math.log10(rates[rates.length - 1]) + 0.05;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (rate) => M.left + ((Math.log10(rate) - xMin) / (xMax - xMin || 1)) * pw;
  const y = (ms) => M.top + ph - ((Math.log10(Math.max(ms, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1)) * ph;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="14" font-weight="bold">Send → receive latency against offered DM rate (knee steps)</text>`);
  for (let v = yMin; v <= yMax * 1.0001; v *= 10) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 1 ? v : v.toPrecision(1)}</text>`);
  }
  for (const r of rates) {
    out.push(`<line x1="${x(r).toFixed(1)}" x2="${x(r).toFixed(1)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x(r).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${shortRate(r)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">offered messages/s (log)</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">ms (log)</text>`);
  if (limit) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(limit).toFixed(1)}" y2="${y(limit).toFixed(1)}" stroke="#999" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${M.left + pw - 4}" y="${(y(limit) - 4).toFixed(1)}" text-anchor="end" fill="#666">p99 limit ${limit} ms</text>`);
  }
  const legend = [];
  for (const [kind, steps] of Object.entries(series)) {
    for (const [p, dash, width] of [['p50', '5 4', 1.5], ['p99', '', 2.5]]) {
      const pts = steps.map((k) => `${x(k.rate).toFixed(1)},${y(k.sendToReceiveMs[p]).toFixed(1)}`);
      out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS[kind]}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
      for (const k of steps) {
        // a filled point held the step (p99 within the limit, 100 % delivered), a hollow one did not
        out.push(`<circle cx="${x(k.rate).toFixed(1)}" cy="${y(k.sendToReceiveMs[p]).toFixed(1)}" r="3" stroke="${COLORS[kind]}" fill="${k.held ? COLORS[kind] : '#fff'}"><title>${escapeXml(`${kind} ${p} @ ${k.rate}/s: ${k.sendToReceiveMs[p]} ms`)}</title></circle>`);
      }
      legend.push({ label: `${kind === 'ours' ? 'ours' : 'bare relay'} ${p}`, color: COLORS[kind], dash, width });
    }
  }
  legend.forEach((l, i) => {
    const ly = M.top + 14 + i * 20;
    const lx = M.left + pw + 16;
    out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${l.color}" stroke-width="${l.width}"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''}/>`);
    out.push(`<text x="${lx + 34}" y="${ly + 4}">${escapeXml(l.label)}</text>`);
  });
  out.push(`<text x="${M.left + pw + 16}" y="${M.top + 14 + legend.length * 20 + 8}" fill="#666">hollow: step not held</text>`);
  out.push(`<text x="${M.left + pw + 16}" y="${M.top + 14 + legend.length * 20 + 24}" fill="#666">${escapeXml((result.startedAt || '').slice(0, 16).replace('T', ' '))}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

module.exports = { renderLatencyChart, CHART_FILE };
