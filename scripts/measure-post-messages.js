#!/usr/bin/env node
/**
 * PostgreSQL's CPU per `post_messages` call, without the bench: 200 batches of 50 direct messages
 * (each with a clientMessageID, as the SDK and the bench send them) over 100 conversations, written
 * through the built MessagesRepository on ONE pooled connection, whose backend's CPU is read from
 * /proc/<pid>/stat before and after (the server must run on this machine). Also prints the Node
 * process's CPU and the wall time of the calls. Uses a throwaway database on DATABASE_URL's server.
 *
 *   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node scripts/measure-post-messages.js
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { Client } = require('pg');
const { DataSource } = require('typeorm');

const dist = path.resolve(__dirname, '..', 'dist', 'src');
const { buildDataSourceOptions } = require(path.join(dist, 'database', 'typeorm-options'));
const { MessagesRepository } = require(
  path.join(dist, 'messaging', 'repositories', 'messages.repository'),
);

const BATCHES = Number(process.env.BATCHES ?? 200);
const PER_BATCH = Number(process.env.PER_BATCH ?? 50);
const CONVERSATIONS = Number(process.env.CONVERSATIONS ?? 100);
const WARMUP = 20;
const TICKS = 100; // USER_HZ

/** utime + stime of a process, in ms. */
function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    throw new Error('DATABASE_URL is not set');
  }
  const name = `post_measure_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dataSource = new DataSource({ ...buildDataSourceOptions(url.toString(), 1) });
  try {
    await dataSource.initialize();
    const users = Array.from({ length: CONVERSATIONS * 2 }, () => randomUUID());
    await dataSource.query(
      `INSERT INTO users (id, username, email, password_hash)
       SELECT id, 'm' || o, 'm' || o || '@example.com', 'x' FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, o)`,
      [users],
    );
    const conversations = [];
    for (let c = 0; c < CONVERSATIONS; c += 1) {
      const [a, b] = [users[2 * c], users[2 * c + 1]];
      const [low, high] = a < b ? [a, b] : [b, a];
      const rows = await dataSource.query(
        `WITH c AS (INSERT INTO conversations (type, user_low, user_high) VALUES ('direct', $1, $2) RETURNING id)
         INSERT INTO conversation_members (conversation_id, user_id)
         SELECT c.id, u FROM c, unnest(ARRAY[$1, $2]::uuid[]) u RETURNING conversation_id AS id`,
        [low, high],
      );
      conversations.push({ id: rows[0].id, a, b });
    }
    const repository = new MessagesRepository(dataSource);
    let counter = 0;
    const batch = () =>
      Array.from({ length: PER_BATCH }, () => {
        counter += 1;
        const conversation = conversations[counter % CONVERSATIONS];
        const fromA = counter % 3 !== 0;
        return {
          conversationId: conversation.id,
          senderId: fromA ? conversation.a : conversation.b,
          recipientId: fromA ? conversation.b : conversation.a,
          groupId: null,
          content: `message ${counter} `.padEnd(120, 'lorem ipsum '),
          messageType: 'text',
          clientMessageId: `bench.${counter}`,
        };
      });
    for (let i = 0; i < WARMUP; i += 1) {
      await repository.post(batch(), new Date());
    }
    const [{ pid }] = await dataSource.query('SELECT pg_backend_pid() AS pid');
    const batches = Array.from({ length: BATCHES }, batch);
    const pgBefore = cpuMs(pid);
    const nodeBefore = process.cpuUsage();
    const started = performance.now();
    for (const sends of batches) {
      const posted = await repository.post(sends, new Date());
      if (posted.outcomes.size !== sends.length) {
        throw new Error('a send was not answered');
      }
    }
    const wallMs = performance.now() - started;
    const nodeCpu = process.cpuUsage(nodeBefore);
    const pgMs = cpuMs(pid) - pgBefore;
    const messages = BATCHES * PER_BATCH;
    const nodeMs = (nodeCpu.user + nodeCpu.system) / 1000;
    console.log(
      JSON.stringify({
        batches: BATCHES,
        perBatch: PER_BATCH,
        postgresCpuMs: pgMs,
        postgresMsPerCall: +(pgMs / BATCHES).toFixed(3),
        postgresMsPerMessage: +(pgMs / messages).toFixed(4),
        nodeCpuMs: +nodeMs.toFixed(1),
        nodeMsPerMessage: +(nodeMs / messages).toFixed(4),
        wallMs: +wallMs.toFixed(1),
        wallMsPerCall: +(wallMs / BATCHES).toFixed(3),
      }),
    );
  } finally {
    if (dataSource.isInitialized) {
      await dataSource.destroy();
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
