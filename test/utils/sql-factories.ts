import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SessionService } from '../../src/auth/session.service';
import { TokenService } from '../../src/auth/token.service';
import { uniqueUsername, type RegisteredUser } from './factories';

/**
 * Rows inserted straight into the tables, for tests that need users, groups and conversations to
 * exist but do not test how they come to exist: no HTTP, no argon2 per user (~35 ms of CPU each).
 * The rows are what the services themselves write, so every service reads them as its own.
 */

export const PASSWORD = 'correct-horse-battery';
/** argon2id of PASSWORD with the production parameters, computed once: these users can log in. */
export const PASSWORD_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$QJ4kxvyUGaMmFUGKM3WWoQ$YtvaZNaGGKG0aVImzGNFYwQ5U27/1XIApCrUzCUNTu8';

export interface SqlUser {
  id: string;
  username: string;
  email: string;
}

/** `count` users in one statement. */
export async function insertUsers(
  db: DataSource,
  count: number,
  prefix = 'user',
): Promise<SqlUser[]> {
  return insertNamedUsers(db, Array<string>(count).fill(prefix));
}

/** One user per username prefix, in one statement, in the order given. */
export async function insertNamedUsers(db: DataSource, prefixes: string[]): Promise<SqlUser[]> {
  const users = prefixes.map((prefix) => {
    const username = uniqueUsername(prefix);
    return { id: randomUUID(), username, email: `${username}@example.com` };
  });
  await db.query(
    `INSERT INTO users (id, username, email, password_hash)
     SELECT id, username, email, $4 FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, username, email)`,
    [
      users.map((u) => u.id),
      users.map((u) => u.username),
      users.map((u) => u.email),
      PASSWORD_HASH,
    ],
  );
  return users;
}

export async function insertUser(db: DataSource, prefix = 'user'): Promise<SqlUser> {
  return (await insertUsers(db, 1, prefix))[0];
}

/** The pair's direct conversation with both members, as the first send creates it. */
export async function insertDirectConversation(
  db: DataSource,
  a: string,
  b: string,
): Promise<string> {
  const [low, high] = a < b ? [a, b] : [b, a];
  const rows: { id: string }[] = await db.query(
    `WITH c AS (INSERT INTO conversations (type, user_low, user_high) VALUES ('direct', $1, $2) RETURNING id)
     INSERT INTO conversation_members (conversation_id, user_id)
     SELECT c.id, u FROM c, unnest(ARRAY[$1, $2]::uuid[]) u RETURNING conversation_id AS id`,
    [low, high],
  );
  return rows[0].id;
}

export interface SqlGroup {
  id: string;
  conversationId: string;
}

/**
 * A group, its conversation, the owner and `members` (plain members, joined in the order given, so
 * seniority is that order), with an exact member_count, as GroupsService writes them.
 */
export async function insertGroup(
  db: DataSource,
  ownerId: string,
  options: { members?: string[]; visibility?: 'public' | 'private'; name?: string } = {},
): Promise<SqlGroup> {
  const id = randomUUID();
  const members = [ownerId, ...(options.members ?? [])];
  const rows: { id: string }[] = await db.query(
    `INSERT INTO conversations (type, group_id) VALUES ('group', $1) RETURNING id`,
    [id],
  );
  const conversationId = rows[0].id;
  await db.query(
    `INSERT INTO groups (id, name, visibility, created_by, conversation_id, member_count)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      id,
      options.name ?? `group ${id.slice(0, 8)}`,
      options.visibility ?? 'public',
      ownerId,
      conversationId,
      members.length,
    ],
  );
  // joined_at defaults to clock_timestamp(): strictly increasing in the order of the array.
  await db.query(
    `INSERT INTO group_members (group_id, user_id, role)
     SELECT $1, u, CASE WHEN i = 1 THEN 'owner' ELSE 'member' END
       FROM unnest($2::uuid[]) WITH ORDINALITY AS m(u, i) ORDER BY i`,
    [id, members],
  );
  await db.query(
    `INSERT INTO conversation_members (conversation_id, user_id)
     SELECT $1, u FROM unnest($2::uuid[]) AS m(u)`,
    [conversationId, members],
  );
  return { id, conversationId };
}

/** Blocks `blockedId` for `blockerId`. */
export async function insertBlock(
  db: DataSource,
  blockerId: string,
  blockedId: string,
): Promise<void> {
  await db.query('INSERT INTO user_blocks (blocker_id, blocked_id) VALUES ($1, $2)', [
    blockerId,
    blockedId,
  ]);
}

/**
 * A signed-in user without the HTTP round trips: a session opened and an access token signed by the
 * app's own services, so the guard and socket handshake accept it as one from `POST /login`.
 */
export async function signIn(app: INestApplicationContext, user: SqlUser): Promise<RegisteredUser> {
  const { sessionId, refreshToken } = await app.get(SessionService).open(user.id);
  const accessToken = app
    .get(TokenService)
    .signAccessToken({ sub: user.id, sid: sessionId, username: user.username });
  return { ...user, password: PASSWORD, accessToken, refreshToken, auth: `Bearer ${accessToken}` };
}

/**
 * Users that only need to exist and be signed in (not a test of registering or logging in): one
 * INSERT for all, a session and a token each. Same shape and password as `registerUser`'s.
 */
export async function signedInUsers(
  app: INestApplicationContext,
  prefixes: string[],
): Promise<RegisteredUser[]> {
  const users = await insertNamedUsers(app.get(DataSource), prefixes);
  return Promise.all(users.map((user) => signIn(app, user)));
}

export async function signedInUser(
  app: INestApplicationContext,
  prefix = 'user',
): Promise<RegisteredUser> {
  return (await signedInUsers(app, [prefix]))[0];
}
