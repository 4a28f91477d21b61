'use strict';
/**
 * The baseline: a bare Socket.IO relay with the same wire surface as our server for the benchmark
 * scenarios, and nothing else. No auth (the token is the user id), no password hashing, no database,
 * no validation beyond what routing needs. Every figure our server reaches is divided by this one's,
 * measured on the same machine by the same generator, so the ratio says what auth, storage, ordering
 * and delivery guarantees cost over the bare transport.
 *
 * HTTP (plain node:http, in-memory stubs, SPEC envelope):
 *   GET  /health
 *   POST /api/users/register   {username, email, password}   -> 201 user
 *   POST /api/users/login      {username|email, password}    -> {accessToken: <user id>, ...}
 *   POST /api/groups           {name, ...}                   -> 201 group (caller is a member)
 *   POST /api/groups/:id/join                                 -> membership
 *   GET  /api/messages/history/:conversationID?limit=50       -> last <= 100 messages kept in memory
 * Socket.IO on path /ws, auth {token: userID}:
 *   emits `connected`; `send_message` (ack with the message, `message` to the recipient's sockets or
 *   the group's, and to the sender's other sockets); `message_delivered` forwarded to the sender.
 *
 * Usage: PORT=4000 node bench/baseline/relay.js
 */
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { Server } = require('socket.io');

const RING = 100; // messages kept per conversation, only so the history stub has something to page

const usersByName = new Map(); // lower(username) -> user
const usersByEmail = new Map();
const groups = new Map(); // groupID -> {group, members:Set}
const userGroups = new Map(); // userID -> Set(groupID)
const conversations = new Map(); // conversationID -> {id, seq, members:[..] | null, groupID, ring:[]}
const dmIndex = new Map(); // 'a|b' -> conversationID

function ok(res, status, data, extra) {
  const body = JSON.stringify({ success: true, data, ...extra });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function fail(res, status, code, message) {
  const body = JSON.stringify({ success: false, error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= 65536) {
        chunks.push(c);
      }
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch {
        resolve(null);
      }
    });
  });
}

function bearer(req) {
  const h = req.headers.authorization || '';
  return h.startsWith('Bearer ') ? h.slice(7) : null;
}

function publicUser(u) {
  return { id: u.id, username: u.username, email: u.email, status: 'offline', createdAt: u.createdAt };
}

function dmConversation(a, b) {
  const key = a < b ? `${a}|${b}` : `${b}|${a}`;
  let id = dmIndex.get(key);
  if (!id) {
    id = randomUUID();
    dmIndex.set(key, id);
    conversations.set(id, { id, seq: 0, members: [a, b], groupID: null, ring: [] });
  }
  return conversations.get(id);
}

function groupMembership(g, userID) {
  return { groupID: g.group.id, userID, role: g.group.createdBy === userID ? 'owner' : 'member' };
}

let io;

async function handleHttp(req, res) {
  const url = new URL(req.url, 'http://x');
  const path = url.pathname;
  if (req.method === 'GET' && path === '/health') {
    const body = JSON.stringify({
      status: 'ok',
      timestamp: new Date().toISOString(),
      activeConnections: io ? io.engine.clientsCount : 0,
      totalUsers: usersByName.size,
      database: 'none',
      redis: 'none',
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  if (req.method === 'POST' && path === '/api/users/register') {
    const b = await readBody(req);
    if (!b || !b.username || !b.email || !b.password) {
      return fail(res, 400, 'VALIDATION_FAILED', 'username, email and password are required');
    }
    const key = String(b.username).toLowerCase();
    if (usersByName.has(key) || usersByEmail.has(String(b.email).toLowerCase())) {
      return fail(res, 409, 'CONFLICT', 'Username or email is taken');
    }
    const u = { id: randomUUID(), username: b.username, email: b.email, password: b.password, createdAt: new Date().toISOString() };
    usersByName.set(key, u);
    usersByEmail.set(String(b.email).toLowerCase(), u);
    return ok(res, 201, publicUser(u));
  }
  if (req.method === 'POST' && path === '/api/users/login') {
    const b = await readBody(req);
    const u = b && (b.username ? usersByName.get(String(b.username).toLowerCase()) : usersByEmail.get(String(b.email || '').toLowerCase()));
    if (!u || u.password !== b.password) {
      return fail(res, 401, 'UNAUTHORIZED', 'Invalid credentials');
    }
    return ok(res, 200, {
      accessToken: u.id,
      refreshToken: randomUUID(),
      tokenType: 'Bearer',
      expiresIn: 900,
      user: publicUser(u),
    });
  }
  const me = bearer(req);
  if (!me) {
    return fail(res, 401, 'UNAUTHORIZED', 'Missing token');
  }
  if (req.method === 'POST' && path === '/api/groups') {
    const b = await readBody(req);
    if (!b || !b.name) {
      return fail(res, 400, 'VALIDATION_FAILED', 'name is required');
    }
    const id = randomUUID();
    const group = {
      id,
      name: b.name,
      description: b.description || null,
      visibility: b.visibility || 'public',
      createdBy: me,
      memberCount: 1,
      conversationID: id,
      createdAt: new Date().toISOString(),
    };
    groups.set(id, { group, members: new Set([me]) });
    conversations.set(id, { id, seq: 0, members: null, groupID: id, ring: [] });
    joinGroup(me, id);
    return ok(res, 201, group);
  }
  let m = /^\/api\/groups\/([^/]+)\/join$/.exec(path);
  if (req.method === 'POST' && m) {
    const g = groups.get(m[1]);
    if (!g) {
      return fail(res, 404, 'NOT_FOUND', 'Group not found');
    }
    joinGroup(me, g.group.id);
    g.group.memberCount = g.members.size;
    return ok(res, 200, groupMembership(g, me));
  }
  m = /^\/api\/messages\/history\/([^/]+)$/.exec(path);
  if (req.method === 'GET' && m) {
    let conv = conversations.get(m[1]);
    if (!conv && dmIndex.size) {
      const key = me < m[1] ? `${me}|${m[1]}` : `${m[1]}|${me}`;
      conv = conversations.get(dmIndex.get(key));
    }
    if (!conv) {
      return fail(res, 404, 'NOT_FOUND', 'Conversation not found');
    }
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit')) || 50));
    const page = conv.ring.slice(-limit).reverse();
    const hasMore = conv.ring.length > limit || (conv.ring.length > 0 && conv.ring[0].seq > 1);
    return ok(res, 200, page, {
      pagination: { limit, hasMore, nextCursor: page.length ? page[page.length - 1].seq : null },
    });
  }
  return fail(res, 404, 'NOT_FOUND', 'Not found');
}

function joinGroup(userID, groupID) {
  const g = groups.get(groupID);
  g.members.add(userID);
  let set = userGroups.get(userID);
  if (!set) {
    set = new Set();
    userGroups.set(userID, set);
  }
  set.add(groupID);
  if (io) {
    io.in(`u:${userID}`).socketsJoin(`g:${groupID}`);
  }
}

function remember(conv, msg) {
  conv.ring.push(msg);
  if (conv.ring.length > RING) {
    conv.ring.shift();
  }
}

function onConnection(socket) {
  const userID = socket.data.userID;
  socket.join(`u:${userID}`);
  const gs = userGroups.get(userID);
  if (gs) {
    for (const g of gs) {
      socket.join(`g:${g}`);
    }
  }
  socket.emit('connected', { userID, timestamp: new Date().toISOString() });

  socket.on('send_message', (p, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    if (!p || typeof p.content !== 'string' || (!p.recipientID === !p.groupID)) {
      return reply({ success: false, error: { code: 'VALIDATION_FAILED', message: 'bad payload' } });
    }
    let conv;
    if (p.groupID) {
      const g = groups.get(p.groupID);
      if (!g || !g.members.has(userID)) {
        return reply({ success: false, error: { code: 'FORBIDDEN', message: 'not a member' } });
      }
      conv = conversations.get(p.groupID);
    } else {
      if (p.recipientID === userID) {
        return reply({ success: false, error: { code: 'VALIDATION_FAILED', message: 'self' } });
      }
      conv = dmConversation(userID, p.recipientID);
    }
    const msg = {
      id: randomUUID(),
      conversationID: conv.id,
      seq: ++conv.seq,
      senderID: userID,
      recipientID: p.recipientID || null,
      groupID: p.groupID || null,
      content: p.content,
      messageType: p.messageType || 'text',
      clientMessageID: p.clientMessageID || null,
      timestamp: new Date().toISOString(),
      delivered: false,
      read: false,
    };
    remember(conv, msg);
    const target = p.groupID ? io.to(`g:${p.groupID}`) : io.to(`u:${p.recipientID}`).to(`u:${userID}`);
    target.except(socket.id).emit('message', msg);
    reply({ success: true, data: msg });
  });

  socket.on('message_delivered', (p, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    const conv = p && conversations.get(p.conversationID);
    if (!conv) {
      return reply({ success: false, error: { code: 'NOT_FOUND', message: 'no conversation' } });
    }
    const evt = { conversationID: conv.id, seq: p.seq, userID, deliveredAt: new Date().toISOString() };
    if (conv.members) {
      const other = conv.members[0] === userID ? conv.members[1] : conv.members[0];
      io.to(`u:${other}`).emit('message_delivered', evt);
    } else {
      const m = conv.ring.find((x) => x.seq === p.seq);
      if (m && m.senderID !== userID) {
        io.to(`u:${m.senderID}`).emit('message_delivered', evt);
      }
    }
    reply({ success: true, data: { conversationID: conv.id, seq: p.seq } });
  });

  socket.on('ping', (_p, ack) => {
    const ts = { timestamp: new Date().toISOString() };
    socket.emit('pong', ts);
    if (typeof ack === 'function') {
      ack({ success: true, data: ts });
    }
  });
}

function start(port, host = '127.0.0.1') {
  const server = http.createServer((req, res) => {
    handleHttp(req, res).catch((err) => {
      fail(res, 500, 'INTERNAL', String(err && err.message));
    });
  });
  io = new Server(server, { path: '/ws', cors: { origin: '*' } });
  io.use((socket, next) => {
    const token = (socket.handshake.auth && socket.handshake.auth.token) || socket.handshake.query.token;
    if (!token) {
      return next(new Error('UNAUTHORIZED'));
    }
    socket.data.userID = String(token);
    next();
  });
  io.on('connection', onConnection);
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (require.main === module) {
  const port = Number(process.env.PORT || 4000);
  start(port).then(() => {
    process.stdout.write(`relay listening on 127.0.0.1:${port}\n`);
  });
  const stop = () => {
    io.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { start };
