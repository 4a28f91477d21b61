'use strict';
/**
 * The generator's worker processes. Processes rather than threads: each process gets its own
 * open-file limit (20,000 here), so 19,000 client sockets fit across two of them, and /proc gives
 * each its own CPU figure.
 */
const { fork } = require('node:child_process');
const path = require('node:path');

class WorkerPool {
  constructor(size, { rpcTimeoutMs = 600000 } = {}) {
    this.size = size;
    this.rpcTimeoutMs = rpcTimeoutMs;
    this.workers = [];
  }

  async start(initArgs) {
    for (let i = 0; i < this.size; i++) {
      const child = fork(path.join(__dirname, 'worker.js'), [], {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const w = { child, pending: new Map(), seq: 0, exited: false };
      child.on('message', (msg) => {
        const p = w.pending.get(msg.id);
        if (!p) {
          return;
        }
        w.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.ok) {
          p.resolve(msg.result);
        } else {
          p.reject(new Error(`worker ${i}: ${msg.error}`));
        }
      });
      child.on('exit', (code, signal) => {
        w.exited = true;
        for (const p of w.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error(`worker ${i} exited (${code ?? signal})`));
        }
        w.pending.clear();
      });
      this.workers.push(w);
    }
    await Promise.all(this.workers.map((_, i) => this.call(i, 'init', { ...initArgs, workerId: i })));
  }

  pids() {
    return this.workers.filter((w) => !w.exited).map((w) => w.child.pid);
  }

  call(i, cmd, args) {
    const w = this.workers[i];
    if (w.exited) {
      return Promise.reject(new Error(`worker ${i} is not running`));
    }
    return new Promise((resolve, reject) => {
      const id = ++w.seq;
      const timer = setTimeout(() => {
        w.pending.delete(id);
        reject(new Error(`worker ${i}: ${cmd} timed out`));
      }, this.rpcTimeoutMs);
      w.pending.set(id, { resolve, reject, timer });
      w.child.send({ id, cmd, args });
    });
  }

  /** Same command on every worker; argsFor(i) gives each its arguments. */
  all(cmd, argsFor = () => ({})) {
    return Promise.all(this.workers.map((_, i) => this.call(i, cmd, argsFor(i))));
  }

  async stop() {
    await Promise.allSettled(this.workers.map((w, i) => (w.exited ? null : this.call(i, 'close', {}))));
    for (const w of this.workers) {
      if (!w.exited) {
        w.child.disconnect();
      }
    }
    const deadline = Date.now() + 3000;
    while (this.workers.some((w) => !w.exited) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const w of this.workers) {
      if (!w.exited) {
        w.child.kill('SIGKILL');
      }
    }
  }
}

module.exports = { WorkerPool };
