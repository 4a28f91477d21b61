'use strict';
/**
 * Database work per message, from PostgreSQL's own counters (pg_stat_database, pg_stat_user_tables):
 * transactions committed and rows written per message sent and per delivery. This is how the bench
 * checks "O(1) database round trips per message amortised; receipts do not cost a write per
 * delivery" without knowing anything about the server's code.
 *
 * Where the database is: --database-url, or for the embedded default the cluster the server started
 * in the temporary DATA_DIR this runner created (port from postmaster.pid, password from the file the
 * server keeps beside it). When neither can be read the figures are simply absent.
 *
 * PostgreSQL flushes these counters from each backend at most once a second while it is busy, so the
 * window is taken inside the steady part of a send phase, not at its edges.
 */
const fs = require('node:fs');
const path = require('node:path');

function embeddedUrl(dataDir) {
  try {
    const pid = fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    const port = Number(pid[3]);
    const password = fs.readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim();
    if (!port || !password) {
      return null;
    }
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  } catch {
    return null;
  }
}

class DbStats {
  constructor(url) {
    this.url = url;
    this.client = null;
  }

  static async open({ databaseUrl, dataDir }) {
    const url = databaseUrl || (dataDir ? embeddedUrl(dataDir) : null);
    if (!url) {
      return null;
    }
    const { Client } = require('pg');
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 5000 });
    try {
      await client.connect();
    } catch {
      return null;
    }
    const s = new DbStats(url);
    s.client = client;
    client.on('error', () => {});
    return s;
  }

  /** The settings that decide what a commit costs, to show next to the figures. */
  async settings() {
    const r = await this.client.query(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections')`,
    );
    return Object.fromEntries(r.rows.map((x) => [x.name, x.setting]));
  }

  async snapshot() {
    const c = this.client;
    await c.query('SELECT pg_stat_clear_snapshot()');
    const db = await c.query(
      `SELECT xact_commit::float8 AS commits, xact_rollback::float8 AS rollbacks,
              tup_inserted::float8 AS inserted, tup_updated::float8 AS updated,
              tup_deleted::float8 AS deleted
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const tables = await c.query(
      `SELECT relname, (n_tup_ins + n_tup_upd + n_tup_del)::float8 AS writes
         FROM pg_stat_user_tables`,
    );
    return { db: db.rows[0], tables: Object.fromEntries(tables.rows.map((r) => [r.relname, r.writes])) };
  }

  /** Per-message and per-delivery figures from two snapshots and the counts between them. */
  static diff(a, b, messages, deliveries) {
    if (!a || !b || !messages) {
      return null;
    }
    const d = (k) => b.db[k] - a.db[k];
    const per = (v, n) => (n ? Math.round((v / n) * 1000) / 1000 : null);
    const writes = d('inserted') + d('updated') + d('deleted');
    const tables = {};
    for (const [name, w] of Object.entries(b.tables)) {
      const delta = w - (a.tables[name] || 0);
      if (delta > 0) {
        tables[name] = per(delta, messages);
      }
    }
    return {
      messages,
      deliveries,
      commitsPerMessage: per(d('commits'), messages),
      rowsWrittenPerMessage: per(writes, messages),
      rowsUpdatedPerDelivery: per(d('updated'), deliveries),
      writesPerMessageByTable: tables,
    };
  }

  async close() {
    await this.client.end().catch(() => {});
  }
}

module.exports = { DbStats };
