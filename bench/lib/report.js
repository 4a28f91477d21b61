'use strict';
const { runtimeSection } = require('./runtime');
/**
 * Turns a run's JSON into docs/PERFORMANCE.md (and a console summary): every scenario, ours, the
 * bare relay, the ratio ours / relay, the target from issue 7 and the gap to it.
 */

function fmt(v, digits) {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
    return '–';
  }
  if (typeof v !== 'number') {
    return String(v);
  }
  const d = digits !== undefined ? digits : Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: d });
}

function ratio(a, b) {
  if (typeof a !== 'number' || typeof b !== 'number' || b === 0) {
    return '–';
  }
  const r = a / b;
  if (r === 0) {
    return '0';
  }
  if (r >= 100) {
    return fmt(r, 0);
  }
  // two significant digits for small ratios (0.0023, not 0)
  return r >= 1 ? fmt(r, 2) : String(Number(r.toPrecision(2)));
}

/** target: {op: '<=' | '>=', value, unit?}; returns [target text, gap text]. */
function gap(v, target) {
  if (!target) {
    return ['', ''];
  }
  const t = `${target.op === '<=' ? '≤' : '≥'} ${fmt(target.value)}${target.unit || ''}`;
  if (typeof v !== 'number') {
    return [t, target.missing || 'not measured'];
  }
  if (target.op === '<=') {
    if (v <= target.value) {
      return [t, 'met'];
    }
    const f = v / target.value;
    return [t, f < 1.1 ? `${fmt((f - 1) * 100, 1)} % over` : `${fmt(f, 1)}× over`];
  }
  if (v >= target.value) {
    return [t, 'met'];
  }
  if (target.unit === ' %') {
    return [t, `${fmt(target.value - v, 3)} points short`];
  }
  if (v <= 0) {
    return [t, 'not met'];
  }
  const f = target.value / v;
  return [t, f < 1.1 ? `${fmt((1 - v / target.value) * 100, 1)} % short` : `${fmt(f, 1)}× short`];
}

const get = (o, p) => p.split('.').reduce((a, k) => (a === null || a === undefined ? undefined : a[k]), o);

function cpuMsPerMessage(r) {
  if (!r || !r.procs || !r.acked) {
    return null;
  }
  const s = (r.procs.server ? r.procs.server.cpuSeconds : 0) + (r.procs.db ? r.procs.db.cpuSeconds : 0);
  return (s * 1000) / r.acked;
}

function summaryRows(result) {
  const ours = (result.targets.ours || {}).scenarios || {};
  const relay = (result.targets.relay || {}).scenarios || {};
  const o = result.opts;
  const rows = [];
  const add = (scenario, metric, path, target, f) => {
    const val = (s) => (f ? f(s) : get(s, path));
    const a = val(ours);
    const b = val(relay);
    const [tt, g] = gap(a, target);
    rows.push({ scenario, metric, ours: a, relay: b, ratio: ratio(a, b), target: tt, gap: g });
  };

  if (o.scenarios.includes('connections')) {
    const n = o.connections;
    add('connections', `sockets held (of ${fmt(n)} asked)`, 'connections.heldAfterHold', {
      op: '>=',
      value: 19000,
      missing: 'not measured',
    });
    if (n < 19000 && rows.length) {
      rows[rows.length - 1].gap = `not tried at 19,000 (ran ${fmt(n)}; --connections 19000)`;
    }
    add('connections', 'server RSS per socket (KiB)', 'connections.rssPerSocketKiB', { op: '<=', value: 20 });
    add('connections', 'connects per second', 'connections.connectsPerSec');
    add('connections', 'connect latency p99 (ms)', 'connections.connectLatencyMs.p99');
  }
  if (o.scenarios.includes('storm')) {
    const at = `storm: ${fmt(o.stormConnections)} reconnect @ dm ${fmt(o.stormDmRate)}/s`;
    add(at, 'reconnects per second', 'storm.reconnectsPerSec', { op: '>=', value: 1500 });
    add(at, 'reconnect latency p99 (ms)', 'storm.reconnectLatencyMs.p99');
    add(at, 'handshakes refused UNAVAILABLE (retried after the hint)', 'storm.reconnectRefusals');
    add(at, 'sockets refused at least once', 'storm.reconnectRefusedSockets');
    add(at, 'server RSS per socket (KiB)', 'storm.rssPerSocketKiB', { op: '<=', value: 12 });
    add(at, 'dm delivered % during the storm', 'storm.dmDuringStorm.deliveredPct', { op: '>=', value: 100, unit: ' %' });
    add(at, 'dm send → receive p50 (ms)', 'storm.dmDuringStorm.sendToReceiveMs.p50');
    add(at, 'dm send → receive p99 (ms)', 'storm.dmDuringStorm.sendToReceiveMs.p99');
  }
  if (o.scenarios.includes('dm')) {
    const at = `dm @ ${fmt(o.dmRate)}/s`;
    add(at, 'delivered %', 'dm.deliveredPct', { op: '>=', value: 100, unit: ' %' });
    add(at, 'deliveries per second', 'dm.deliveriesPerSec');
    add(at, 'send → receive p50 (ms)', 'dm.sendToReceiveMs.p50');
    add(at, 'send → receive p90 (ms)', 'dm.sendToReceiveMs.p90');
    add(at, 'send → receive p99 (ms)', 'dm.sendToReceiveMs.p99');
    const last = rows[rows.length - 1];
    if (o.dmRate === 2000) {
      last.target = '≤ 3× relay';
      const r = Number(last.ratio);
      last.gap = Number.isFinite(r) ? (r <= 3 ? 'met' : `${fmt(r / 3, 1)}× over`) : 'not measured';
    }
    add(at, 'send → receive p99.9 (ms)', 'dm.sendToReceiveMs.p999');
    add(at, 'send → receive max (ms)', 'dm.sendToReceiveMs.max');
    add(at, 'send → ack p50 (ms)', 'dm.sendToAckMs.p50');
    add(at, 'send → ack p99 (ms)', 'dm.sendToAckMs.p99');
    add(at, 'send → delivery receipt p99 (ms)', 'dm.sendToReceiptMs.p99');
    add(at, 'server + db CPU per message (ms)', null, null, (s) => cpuMsPerMessage(s.dm));
  }
  if (o.scenarios.includes('group')) {
    const at = `group of ${fmt(o.groupMembers)} @ ${fmt(o.groupRate)} msg/s`;
    // the group targets are for 200 online members offered >= 50,000 deliveries/s
    const offered = o.groupRate * (o.groupMembers - 1);
    const atSize = o.groupMembers >= 200 && offered >= 50000 * 0.99;
    const notTried = `not tried at 200 members / 50,000 per s (offered ${fmt(offered)}/s)`;
    add(at, 'deliveries per second', 'group.deliveriesPerSec', { op: '>=', value: 50000 });
    if (!atSize) {
      rows[rows.length - 1].gap = notTried;
    }
    add(at, 'delivered %', 'group.deliveredPct', { op: '>=', value: 100, unit: ' %' });
    add(at, 'send → receive p50 (ms)', 'group.sendToReceiveMs.p50');
    add(at, 'send → receive p99 (ms)', 'group.sendToReceiveMs.p99', { op: '<=', value: 100 });
    if (!atSize) {
      rows[rows.length - 1].gap = notTried;
    }
    add(at, 'send → receive max (ms)', 'group.sendToReceiveMs.max');
    add(at, 'send → ack p99 (ms)', 'group.sendToAckMs.p99');
    add(at, 'server + db CPU per message (ms)', null, null, (s) => cpuMsPerMessage(s.group));
    add(at, 'server + db CPU per delivery (µs)', null, null, (s) => {
      const ms = cpuMsPerMessage(s.group);
      return ms === null ? null : (ms * 1000) / Math.max(1, o.groupMembers - 1);
    });
  }
  if (o.scenarios.includes('knee')) {
    add('knee', `highest DM rate held (p99 ≤ ${fmt(o.kneeP99Ms)} ms, 100 %)`, 'knee.highestHeld', { op: '>=', value: 5000, unit: '/s' });
    const kr = rows[rows.length - 1];
    if (get(ours, 'knee.allHeld') && kr.gap !== 'met') {
      kr.gap = `every step held: the knee is above ${fmt(kr.ours)}/s (add --knee-steps)`;
    }
    const step = (s) => (s.knee && s.knee.steps ? s.knee.steps.filter((x) => x.rate === 5000).pop() : undefined);
    add('knee', 'p99 at 5,000 DM/s (ms)', null, { op: '<=', value: 50, missing: 'step not reached' }, (s) =>
      get(step(s), 'sendToReceiveMs.p99'),
    );
    add('knee', 'delivered % at 5,000 DM/s', null, { op: '>=', value: 100, unit: ' %', missing: 'step not reached' }, (s) =>
      get(step(s), 'deliveredPct'),
    );
  }
  if (o.scenarios.includes('http')) {
    add('http', 'login requests per second', 'http.login.requestsPerSec');
    add('http', 'login p99 (ms)', 'http.login.latencyMs.p99');
    add('http', 'history page (50) requests per second', 'http.history.requestsPerSec');
    add('http', 'history page p99 (ms)', 'http.history.latencyMs.p99');
  }
  return rows;
}

function table(headers, rows) {
  const out = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  for (const r of rows) {
    out.push(`| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return out.join('\n');
}

function procCells(p) {
  if (!p) {
    return ['–', '–', '–', '–', '–', '–', '–', '–'];
  }
  const c = (g) => (p[g] ? `${fmt(p[g].cpuAvgPct, 0)} (${fmt(p[g].cpuMaxPct, 0)})` : '–');
  return [c('server'), c('db'), c('redis'), c('gen'), p.otherPct !== undefined ? fmt(p.otherPct, 0) : '–', p.machineBusyPct !== undefined ? fmt(p.machineBusyPct, 0) : '–', p.server ? fmt(p.server.rssMaxMB, 0) : '–', p.db ? fmt(p.db.rssMaxMB, 0) : '–'];
}

function resourceRows(result) {
  const rows = [];
  for (const kind of ['ours', 'relay']) {
    const t = result.targets[kind];
    if (!t || !t.scenarios) {
      continue;
    }
    const s = t.scenarios;
    const push = (name, procs, extra = '') => rows.push([name, kind, ...procCells(procs), extra]);
    if (s.connections && s.connections.procs) {
      push('connections', s.connections.procs);
    }
    if (s.dm && s.dm.procs) {
      push(`dm @ ${fmt(s.dm.rate)}/s`, s.dm.procs, `gen lag p99 ${fmt(s.dm.generatorLagMs.p99)} ms, loop p99 ${fmt(s.dm.generatorLoopDelayP99Ms)} ms`);
    }
    if (s.group && s.group.procs) {
      push('group', s.group.procs, `gen lag p99 ${fmt(s.group.generatorLagMs.p99)} ms, loop p99 ${fmt(s.group.generatorLoopDelayP99Ms)} ms`);
    }
    if (s.knee && s.knee.steps) {
      for (const k of s.knee.steps) {
        push(`knee @ ${fmt(k.rate)}/s${k.attempt > 1 ? ` (attempt ${k.attempt})` : ''}`, k.procs, `gen lag p99 ${fmt(k.generatorLagMs.p99)} ms`);
      }
    }
    if (s.http && s.http.login) {
      push('http login', s.http.login.procs);
      push('http history', s.http.history.procs);
    }
  }
  return rows;
}

function heldCell(k) {
  const base = k.held ? 'yes' : 'no';
  if (!k.earlier || k.earlier.length === 0) {
    return base;
  }
  const tries = k.earlier.map((e) => `p99 ${fmt(e.sendToReceiveMs.p99)} ms, ${fmt(e.deliveredPct, 3)} %`).join('; ');
  return `${base} on attempt ${k.earlier.length + 1} (before: ${tries})`;
}

function kneeRows(result) {
  const o = (result.targets.ours || {}).scenarios || {};
  const r = (result.targets.relay || {}).scenarios || {};
  const steps = new Map();
  for (const [who, s] of [['ours', o], ['relay', r]]) {
    for (const k of (s.knee && s.knee.steps) || []) {
      if (!steps.has(k.rate)) {
        steps.set(k.rate, {});
      }
      // the last attempt decides; an earlier failed one is flagged in the "held" cell
      const prev = steps.get(k.rate)[who];
      steps.get(k.rate)[who] = { ...k, earlier: prev ? (prev.earlier || []).concat([prev]) : [] };
    }
  }
  return [...steps.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([rate, v]) => {
      const c = (k) => (k ? [fmt(k.sendToReceiveMs.p50), fmt(k.sendToReceiveMs.p99), fmt(k.sendToReceiveMs.max), fmt(k.deliveredPct, 3), fmt(k.deliveriesPerSec, 0), fmt(cpuMsPerMessage(k), 3), heldCell(k)] : ['–', '–', '–', '–', '–', '–', '–']);
      return [fmt(rate), ...c(v.ours), ...c(v.relay)];
    });
}

/** options.chart: the latency-vs-rate SVG's path relative to the report, when one was written. */
/** Ack latency per half second of send time for the cold-start and overload windows (ours). */
function timelineSection(scenarios) {
  const windows = [
    ['cold', scenarios.cold],
    ['overload', scenarios.overload],
  ].filter(([, r]) => r && r.timeline && r.timeline.length);
  if (!windows.length) {
    return [];
  }
  const lines = ['## When the tail happened: ack latency per half second of send time (ours)', ''];
  lines.push('Each row is the sends scheduled in that half second: acked (with their send → ack latency),');
  lines.push('refused with `UNAVAILABLE`, and ack timeouts. A cold start shows as slow first rows.');
  lines.push('');
  for (const [name, r] of windows) {
    lines.push(`${name}:`);
    lines.push('');
    lines.push(
      table(
        ['from (s)', 'acked', 'refused', 'timeouts', 'ack p50 (ms)', 'ack p99 (ms)', 'ack max (ms)'],
        r.timeline.map((b) => [fmt(b.fromS), fmt(b.acked), fmt(b.refused), fmt(b.timeouts), fmt(b.ackP50Ms), fmt(b.ackP99Ms), fmt(b.ackMaxMs)]),
      ),
    );
    lines.push('');
  }
  return lines;
}

function renderMarkdown(result, options = {}) {
  const m = result.machine;
  const o = result.opts;
  const lines = [];
  lines.push('# Performance');
  lines.push('');
  lines.push(
    `Generated by \`npm run bench${result.mode === 'quick' ? ' -- --quick' : ''}\` (bench/run.js) on ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC` +
      ` at commit ${m.commit || '(none)'}. Do not edit by hand: rerun the bench. How to run it and read it: [bench/README.md](../bench/README.md).`,
  );
  lines.push('');
  lines.push('Absolute figures move between machines; the ratio **ours / bare relay** (the same generator against');
  lines.push('`bench/baseline/relay.js`, a Socket.IO relay with no auth and no storage, measured minutes apart on the');
  lines.push('same machine) is what to compare. For latencies and CPU a ratio above 1 means we are slower; for');
  lines.push('rates a ratio below 1 means we do less.');
  lines.push('');
  lines.push('## Machine and run');
  lines.push('');
  lines.push(
    table(
      ['', ''],
      [
        ['cores (nproc)', m.nproc],
        ['CPU', m.cpuModel],
        ['memory', `${m.memoryGiB} GiB`],
        ['Node.js', m.node],
        ['OS', m.platform],
        ['open-file limit per process', fmt(m.openFilesLimit)],
        ['machine speed now', m.calibration ? `${fmt(m.calibration.cpuMs)} ms for bench/lib/calibrate.js's fixed workload, ${fmt(m.calibration.loopbackUs)} µs CPU per loopback TCP round trip (lower is faster; this VM's speed moves between hours: compare runs of similar speed)` : '–'],
        ['ours', (result.targets.ours && result.targets.ours.describe) || '–'],
        ['baseline', (result.targets.relay && result.targets.relay.describe) || '–'],
        ['generator', `${o.genWorkers} processes on the same machine (socket.io-client, websocket transport), competing with the server for the same cores; its CPU is in the resources table`],
        ['messages', `${o.msgSize}-character content; open loop (latency from each send's scheduled time); recipients confirm with \`message_delivered\`${o.receipts ? (o.receiptDelayMs ? ` batched per ${o.receiptDelayMs} ms` : ' once per event-loop turn (highest seq per conversation)') : ' off'}`],
        ['run', `${result.mode}; ${result.startedAt} → ${result.finishedAt}`],
      ],
    ),
  );
  lines.push('');
  lines.push('## Scenarios against the targets');
  lines.push('');
  lines.push('Targets are those of issue 7. "–" means not measured (or the scenario failed: see Errors).');
  lines.push('');
  lines.push(
    table(
      ['scenario', 'metric', 'ours', 'bare relay', 'ours / relay', 'target', 'gap'],
      summaryRows(result).map((r) => [r.scenario, r.metric, fmt(r.ours), fmt(r.relay), r.ratio, r.target, r.gap]),
    ),
  );
  lines.push('');
  const setupRows = ['ours', 'relay']
    .filter((k) => result.targets[k] && result.targets[k].setup)
    .map((k) => {
      const s = result.targets[k].setup;
      return [k, fmt(s.users), fmt(s.registerPerSec), fmt(s.loginPerSec), fmt(result.targets[k].bootS)];
    });
  if (setupRows.length) {
    lines.push(`Setup (HTTP, ${o.setupConcurrency} in flight):`);
    lines.push('');
    lines.push(table(['target', 'users', 'registrations/s', 'logins/s', 'boot to healthy (s)'], setupRows));
    lines.push('');
  }
  const kr = kneeRows(result);
  if (kr.length) {
    lines.push(`## Knee: DM rate steps (${fmt(o.kneeStepMs / 1000)} s each, ${fmt(o.kneePairs)} pairs)`);
    lines.push('');
    lines.push(
      table(
        ['offered/s', 'ours p50', 'ours p99', 'ours max', 'ours delivered %', 'ours deliveries/s', 'ours CPU/msg (ms)', 'ours held', 'relay p50', 'relay p99', 'relay max', 'relay delivered %', 'relay deliveries/s', 'relay CPU/msg (ms)', 'relay held'],
        kr,
      ),
    );
    lines.push('');
    lines.push(`Latencies in ms, send → receive; CPU/msg is server + database CPU per acked message. A step that fails`);
    lines.push(`gets ${fmt(o.kneeRetries)} more attempt(s); the steps stop at the first that still does not hold.`);
    lines.push('');
    if (options.chart) {
      lines.push(`![send → receive p50 and p99 against offered rate, ours and the bare relay](${options.chart})`);
      lines.push('');
    }
  }
  const os = (result.targets.ours || {}).scenarios || {};
  lines.push(...timelineSection(os));
  const dbRows = [];
  const dbRow = (name, r) => {
    if (r && r.db) {
      const top = Object.entries(r.db.writesPerMessageByTable)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([t, v]) => `${t} ${fmt(v, 2)}`)
        .join(', ');
      dbRows.push([name, fmt(r.db.messages), fmt(r.db.commitsPerMessage, 3), fmt(r.db.rowsWrittenPerMessage, 3), fmt(r.db.rowsUpdatedPerDelivery, 3), top]);
    }
  };
  dbRow(`dm @ ${fmt(o.dmRate)}/s`, os.dm);
  dbRow(`group @ ${fmt(o.groupRate)} msg/s`, os.group);
  for (const k of (os.knee && os.knee.steps) || []) {
    dbRow(`knee @ ${fmt(k.rate)}/s${k.attempt > 1 ? ` (attempt ${k.attempt})` : ''}`, k);
  }
  if (dbRows.length) {
    const st = (result.targets.ours && result.targets.ours.database) || {};
    lines.push('## Database work per message (ours)');
    lines.push('');
    lines.push('From PostgreSQL\'s counters (pg_stat_database, pg_stat_user_tables) over the steady middle of each send');
    lines.push('window. Target: O(1) round trips per message amortised (group commit: commits per message well below 1)');
    lines.push('and no write per delivery (rows updated per delivery near 0).');
    lines.push(`PostgreSQL ${st.server_version || '?'}: fsync=${st.fsync || '?'}, synchronous_commit=${st.synchronous_commit || '?'}, full_page_writes=${st.full_page_writes || '?'}.`);
    lines.push('');
    lines.push(table(['scenario', 'messages in window', 'commits / message', 'rows written / message', 'rows updated / delivery', 'writes / message by table'], dbRows));
    lines.push('');
  }
  lines.push(...runtimeSection(result, { fmt, table }));
  lines.push('## Resources per scenario');
  lines.push('');
  lines.push('CPU in % of one core, average over the measured window (peak 0.5 s sample in brackets);');
  lines.push(`${m.nproc} cores = ${m.nproc * 100} %. "db" is PostgreSQL, "redis" a local Redis (with --redis-url; shared with anything else using it); "gen" is the load generator (runner + worker processes);`);
  lines.push('"other" is the rest of the machine\'s busy time: kernel work for loopback TCP (softirq, charged to no');
  lines.push('process) and any other process on the machine, so a large figure means the run shared its cores.');
  lines.push('');
  lines.push(table(['scenario', 'target', 'server CPU %', 'db CPU %', 'redis CPU %', 'gen CPU %', 'other CPU %', 'machine CPU %', 'server RSS MB', 'db RSS MB', 'generator health'], resourceRows(result)));
  lines.push('');
  const details = [];
  for (const kind of ['ours', 'relay']) {
    const t = result.targets[kind];
    if (!t || !t.scenarios) {
      continue;
    }
    const s = t.scenarios;
    if (s.connections && s.connections.sockets) {
      const c = s.connections;
      details.push(`- ${kind} connections: ${fmt(c.connected)}/${fmt(c.sockets)} connected (${fmt(c.users)} users × ${fmt(c.devicesPerUser)} devices) in ${fmt(c.connectWallS)} s; ${fmt(c.heldAfterHold)} still connected after ${fmt(c.holdS)} s; server RSS ${fmt(c.serverRssBeforeMB)} → ${fmt(c.serverRssAfterMB)} MB; /health activeConnections ${fmt(c.healthActiveConnections)}.`);
    }
    for (const name of ['dm', 'group']) {
      const r = s[name];
      if (r && r.scheduled !== undefined) {
        details.push(`- ${kind} ${name}: ${fmt(r.scheduled)} sends scheduled, ${fmt(r.acked)} acked, ${fmt(r.ackErrors)} error acks, ${fmt(r.ackTimeouts)} ack timeouts; ${fmt(r.received)} of ${fmt(r.expectedDeliveries)} deliveries (${fmt(r.duplicates)} duplicates); clients received ${fmt(r.receipts)} \`message_delivered\` events (${fmt(r.acked ? r.receipts / r.acked : null)} per message).`);
      }
    }
  }
  if (details.length) {
    lines.push('## Counts');
    lines.push('');
    lines.push(...details);
    lines.push('');
  }
  const errs = [];
  for (const kind of ['ours', 'relay']) {
    const t = result.targets[kind];
    if (!t) {
      continue;
    }
    for (const e of t.errors || []) {
      errs.push(`- ${kind}: error: ${e.split('\n')[0]}`);
    }
    for (const w of t.warnings || []) {
      errs.push(`- ${kind}: warning: ${w}`);
    }
  }
  lines.push('## Errors and warnings');
  lines.push('');
  lines.push(errs.length ? errs.join('\n') : 'None.');
  lines.push('');
  lines.push('## How each figure is measured');
  lines.push('');
  lines.push('- **connections**: sockets opened with bounded concurrency across the generator processes; connected means');
  lines.push('  the server sent `connected`. RSS per socket = growth of the server process RSS from before the first connect');
  lines.push('  to after the hold, divided by the sockets still connected (database RSS is reported apart).');
  lines.push('- **dm**: pairs of users send each other direct messages over `send_message`; message k is due at');
  lines.push('  start + k / rate whatever happened before (open loop), and latency counts from that due time, so a stall');
  lines.push('  in the server (or the generator: see "gen lag") is charged in full. Delivered % = distinct messages');
  lines.push(`  received / messages scheduled, after up to ${fmt(o.drainMs / 1000)} s of drain. Receipt latency is send → the sender's`);
  lines.push('  `message_delivered` event.');
  lines.push('- **group**: one group, every member online with one socket, a few senders; a delivery is one message');
  lines.push('  reaching one member; deliveries/s counts over the send window (longer if deliveries trail it).');
  lines.push('- **knee**: dm steps at rising offered rates on the same sockets.');
  lines.push('- Every measurement starts once server and database are idle (a backlog from the previous scenario, or');
  lines.push('  catch-up after connecting, is not charged to it). Figures from one run on a shared 2-core machine move');
  lines.push('  between runs (latency percentiles by 2-4× when other work takes CPU: see the "other CPU" column and');
  lines.push('  the warnings); rerun before reading much into a single number.');
  lines.push('- **http**: autocannon, keep-alive connections; login rotates over 50 users; history pages 50 messages of');
  lines.push('  seeded direct conversations with a Bearer token.');
  lines.push('');
  return lines.join('\n');
}

function renderConsole(result) {
  const rows = summaryRows(result);
  const head = ['scenario', 'metric', 'ours', 'relay', 'ratio', 'target', 'gap'];
  const cells = rows.map((r) => [r.scenario, r.metric, fmt(r.ours), fmt(r.relay), r.ratio, r.target, r.gap]);
  const widths = head.map((h, i) => Math.min(48, Math.max(h.length, ...cells.map((c) => String(c[i]).length))));
  const line = (c) => c.map((x, i) => String(x).slice(0, 48).padEnd(widths[i])).join('  ');
  return [line(head), ...cells.map(line)].join('\n');
}

module.exports = { renderMarkdown, renderConsole, summaryRows };
