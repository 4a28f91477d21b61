'use strict';
/**
 * The machine's speed right now, two ways: a fixed single-threaded workload (a SHA-256 chain and
 * small JSON encodes) timed, and the CPU one loopback TCP round trip of 100 bytes costs (two writes,
 * two reads, the polls: what a socket server mostly does). This 2-core VM's speed moves by 2x between
 * hours (the relay's own CPU per DM 0.12-0.29 ms on the same build), and the two do not always move
 * together, so a run's figures are only comparable with runs of a similar calibration. Medians of
 * three, on an otherwise idle machine.
 */
const crypto = require('node:crypto');
const net = require('node:net');
const { execFileSync } = require('node:child_process');

const ROUND_TRIPS = 20000;

function once() {
  const start = process.hrtime.bigint();
  let digest = Buffer.alloc(64);
  for (let i = 0; i < 200000; i += 1) {
    digest = crypto.createHash('sha256').update(digest).digest();
  }
  let rows = [];
  for (let i = 0; i < 150000; i += 1) {
    rows.push({ i, s: `x${i}` });
    if (rows.length > 1000) {
      rows = [];
    }
    JSON.stringify(rows[0]);
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Prints the CPU microseconds (user + system) per loopback round trip, then exits. */
function loopbackProbe() {
  const server = net.createServer((socket) => socket.on('data', (data) => socket.write(data)));
  server.listen(0, '127.0.0.1', () => {
    const client = net.connect(server.address().port, '127.0.0.1', () => {
      client.setNoDelay(true);
      const payload = Buffer.alloc(100, 1);
      const before = process.cpuUsage();
      let done = 0;
      client.on('data', () => {
        done += 1;
        if (done < ROUND_TRIPS) {
          client.write(payload);
          return;
        }
        const used = process.cpuUsage(before);
        process.stdout.write(String((used.user + used.system) / ROUND_TRIPS));
        process.exit(0);
      });
      client.write(payload);
    });
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[1];

/** { cpuMs: the fixed workload's ms, loopbackUs: CPU µs per loopback round trip }; lower is faster. */
function calibrate() {
  const cpuMs = Math.round(median([once(), once(), once()]));
  let loopbackUs = null;
  try {
    const probe = () =>
      Number(execFileSync(process.execPath, [__filename, '--loopback'], { timeout: 30000 }).toString());
    loopbackUs = Math.round(median([probe(), probe(), probe()]) * 10) / 10;
  } catch {
    loopbackUs = null;
  }
  return { cpuMs, loopbackUs };
}

if (require.main === module && process.argv[2] === '--loopback') {
  loopbackProbe();
}

module.exports = { calibrate };
