import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { expect } from 'expect';
import { Client } from 'pg';
import { GROUP_EVENTS, type GroupMemberChangedEvent } from '../src/groups/groups.events';
import { createTestApp, type TestApp } from './utils/test-app';
import type { RegisteredUser } from './utils/factories';
import { createGroup as createGroupAs, expectError } from './utils/api';
import { signedInUser, signedInUsers } from './utils/sql-factories';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface GroupBody {
  id: string;
  name: string;
  description: string | null;
  visibility: 'public' | 'private';
  createdBy: string;
  memberCount: number;
  conversationID: string;
  createdAt: string;
}

describe('groups', () => {
  let app: TestApp;
  let db: Client;
  let owner: RegisteredUser;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let outsider: RegisteredUser;
  const events: { name: string; payload: GroupMemberChangedEvent }[] = [];

  before(async () => {
    app = await createTestApp();
    db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    const emitter = app.app.get(EventEmitter2);
    for (const name of Object.values(GROUP_EVENTS)) {
      emitter.on(name, (payload: GroupMemberChangedEvent) => events.push({ name, payload }));
    }
    [owner, alice, bob, carol, outsider] = await signedInUsers(app.app, [
      'owner',
      'alice',
      'bob',
      'carol',
      'outsider',
    ]);
  });

  after(async () => {
    await db.end();
    await app.close();
  });

  const createGroup = (user: RegisteredUser, body: Record<string, unknown> = {}) =>
    createGroupAs<GroupBody>(app, user, body);

  function getGroup(user: RegisteredUser, groupId: string) {
    return app.http().get(`/api/groups/${groupId}`).set('Authorization', user.auth);
  }

  function join(user: RegisteredUser, groupId: string) {
    return app.http().post(`/api/groups/${groupId}/join`).set('Authorization', user.auth);
  }

  function leave(user: RegisteredUser, groupId: string) {
    return app.http().delete(`/api/groups/${groupId}/leave`).set('Authorization', user.auth);
  }

  function addMember(actor: RegisteredUser, groupId: string, userID: string) {
    return app
      .http()
      .post(`/api/groups/${groupId}/members`)
      .set('Authorization', actor.auth)
      .send({ userID });
  }

  function removeMember(actor: RegisteredUser, groupId: string, userId: string) {
    return app
      .http()
      .delete(`/api/groups/${groupId}/members/${userId}`)
      .set('Authorization', actor.auth);
  }

  function setRole(actor: RegisteredUser, groupId: string, userId: string, body: unknown) {
    return app
      .http()
      .patch(`/api/groups/${groupId}/members/${userId}`)
      .set('Authorization', actor.auth)
      .send(body as object);
  }

  async function memberCount(groupId: string): Promise<number> {
    const result = await db.query<{ member_count: number }>(
      'SELECT member_count FROM groups WHERE id = $1',
      [groupId],
    );
    return result.rows[0].member_count;
  }

  async function participant(conversationId: string, userId: string) {
    const result = await db.query<{ left_seq: string | null }>(
      'SELECT left_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2',
      [conversationId, userId],
    );
    return result.rows[0] ?? null;
  }

  describe('create', () => {
    it('should create a group with the caller as owner and member', async () => {
      const response = await app
        .http()
        .post('/api/groups')
        .set('Authorization', owner.auth)
        .send({ name: '  Backend team  ', description: 'Shop talk', visibility: 'private' })
        .expect(201);
      const group = response.body.data as GroupBody;
      expect(response.body.success).toBe(true);
      expect(group).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Backend team',
        description: 'Shop talk',
        visibility: 'private',
        createdBy: owner.id,
        memberCount: 1,
        conversationID: expect.stringMatching(UUID),
        createdAt: expect.stringMatching(ISO),
      });
      const members = await app
        .http()
        .get(`/api/groups/${group.id}/members`)
        .set('Authorization', owner.auth)
        .expect(200);
      expect(members.body.data).toEqual([
        {
          userID: owner.id,
          username: owner.username,
          role: 'owner',
          status: 'offline',
          joinedAt: expect.stringMatching(ISO),
        },
      ]);
      expect(await participant(group.conversationID, owner.id)).toEqual({ left_seq: null });
      expect(events).toContainEqual({
        name: GROUP_EVENTS.memberJoined,
        payload: {
          groupId: group.id,
          conversationId: group.conversationID,
          userId: owner.id,
          memberIds: [owner.id],
        },
      });
    });

    it('should default to a public group without a description', async () => {
      const group = await createGroup(alice, { name: 'x' });
      expect(group).toMatchObject({ name: 'x', description: null, visibility: 'public' });
    });

    it('should reject invalid bodies with VALIDATION_FAILED naming the field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{}, 'name'],
        [{ name: '' }, 'name'],
        [{ name: '    ' }, 'name'],
        [{ name: 'a'.repeat(101) }, 'name'],
        [{ name: 42 }, 'name'],
        [{ name: 'ok', description: 'd'.repeat(501) }, 'description'],
        [{ name: 'ok', description: 7 }, 'description'],
        [{ name: 'ok', visibility: 'secret' }, 'visibility'],
        [{ name: 'ok', createdBy: outsider.id }, 'createdBy'],
      ];
      for (const [body, field] of cases) {
        const response = await app
          .http()
          .post('/api/groups')
          .set('Authorization', owner.auth)
          .send(body);
        expectError(response, 400, 'VALIDATION_FAILED');
        expect(response.body.error.details).toContainEqual(expect.objectContaining({ field }));
      }
    });

    it('should accept a name of exactly 100 characters', async () => {
      const group = await createGroup(alice, { name: 'n'.repeat(100) });
      expect(group.name).toHaveLength(100);
    });

    it('should require a token on every groups route', async () => {
      const id = randomUUID();
      const requests = [
        app.http().post('/api/groups').send({ name: 'x' }),
        app.http().get('/api/groups'),
        app.http().get(`/api/groups/${id}`),
        app.http().get(`/api/groups/${id}/members`),
        app.http().post(`/api/groups/${id}/join`),
        app.http().delete(`/api/groups/${id}/leave`),
        app.http().post(`/api/groups/${id}/members`).send({ userID: id }),
        app.http().delete(`/api/groups/${id}/members/${id}`),
        app.http().patch(`/api/groups/${id}/members/${id}`).send({ role: 'admin' }),
      ];
      for (const response of await Promise.all(requests)) {
        expectError(response, 401, 'UNAUTHORIZED');
      }
    });
  });

  describe('read', () => {
    it("should list the caller's current groups with their role", async () => {
      const user = await signedInUser(app.app, 'lister');
      const mine = await createGroup(user);
      const joined = await createGroup(owner);
      await join(user, joined.id).expect(200);
      const left = await createGroup(owner);
      await join(user, left.id).expect(200);
      await leave(user, left.id).expect(200);
      await createGroup(owner); // never joined

      const response = await app.http().get('/api/groups').set('Authorization', user.auth);
      expect(response.status).toBe(200);
      const list = response.body.data as (GroupBody & { role: string })[];
      expect(list.map((g) => [g.id, g.role])).toEqual([
        [joined.id, 'member'],
        [mine.id, 'owner'],
      ]);
      expect(list[0]).toMatchObject({ name: joined.name, memberCount: 2, createdBy: owner.id });
    });

    it('should show a public group to anyone and a private one only to members', async () => {
      const open = await createGroup(owner);
      const hidden = await createGroup(owner, { visibility: 'private' });
      expect((await getGroup(outsider, open.id)).body.data).toEqual(open);
      expect((await getGroup(owner, hidden.id)).body.data).toEqual(hidden);
      expectError(await getGroup(outsider, hidden.id), 404, 'NOT_FOUND');
    });

    it('should answer 404 for an unknown group and 400 for a non-uuid id', async () => {
      expectError(await getGroup(owner, randomUUID()), 404, 'NOT_FOUND');
      const response = await getGroup(owner, 'not-a-uuid');
      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.body.error.details).toEqual([
        { field: 'groupID', message: 'groupID must be a UUID' },
      ]);
    });

    it('should hide a private group from a member who left', async () => {
      const hidden = await createGroup(owner, { visibility: 'private' });
      await addMember(owner, hidden.id, carol.id).expect(201);
      expect((await getGroup(carol, hidden.id)).status).toBe(200);
      await leave(carol, hidden.id).expect(200);
      expectError(await getGroup(carol, hidden.id), 404, 'NOT_FOUND');
    });
  });

  describe('members list', () => {
    let big: GroupBody;
    let joiners: RegisteredUser[];

    before(async () => {
      big = await createGroup(owner);
      joiners = await signedInUsers(app.app, Array<string>(11).fill('m'));
      // Sequential joins give a known seniority order.
      for (const user of joiners) {
        await join(user, big.id).expect(200);
      }
    });

    it('should page through every member exactly once in seniority order', async () => {
      const seen: string[] = [];
      const pages: number[] = [];
      let cursor: string | null = null;
      do {
        const response = await app
          .http()
          .get(`/api/groups/${big.id}/members`)
          .query({ limit: 5, ...(cursor ? { cursor } : {}) })
          .set('Authorization', outsider.auth)
          .expect(200);
        const { data, pagination } = response.body as {
          data: { userID: string; role: string; joinedAt: string }[];
          pagination: { limit: number; hasMore: boolean; nextCursor: string | null };
        };
        pages.push(data.length);
        seen.push(...data.map((m) => m.userID));
        expect(pagination.limit).toBe(5);
        expect(pagination.hasMore).toBe(pagination.nextCursor !== null);
        cursor = pagination.nextCursor;
        expect(typeof (cursor ?? '')).toBe('string');
      } while (cursor);
      expect(pages).toEqual([5, 5, 2]);
      expect(seen).toEqual([owner.id, ...joiners.map((u) => u.id)]);
    });

    it('should default to 50 per page with no next cursor', async () => {
      const response = await app
        .http()
        .get(`/api/groups/${big.id}/members`)
        .set('Authorization', owner.auth)
        .expect(200);
      expect(response.body.data).toHaveLength(12);
      expect(response.body.pagination).toEqual({ limit: 50, hasMore: false, nextCursor: null });
      expect(response.body.data[0]).toMatchObject({ userID: owner.id, role: 'owner' });
      expect(response.body.data[1]).toMatchObject({
        userID: joiners[0].id,
        username: joiners[0].username,
        role: 'member',
        status: 'offline',
      });
    });

    it('should reject a bad limit, a bad cursor or an unknown query field', async () => {
      const bad: Record<string, string>[] = [
        { limit: '0' },
        { limit: '101' },
        { limit: 'abc' },
        { limit: '2.5' },
        { cursor: 'garbage!' },
        { cursor: Buffer.from('nonsense').toString('base64url') },
        { cursor: Buffer.from(`2026-13-45T00:00:00.000000Z|${owner.id}`).toString('base64url') },
        { cursor: Buffer.from('2026-01-01T00:00:00.000000Z|nope').toString('base64url') },
        { sort: 'name' },
      ];
      for (const query of bad) {
        const response = await app
          .http()
          .get(`/api/groups/${big.id}/members`)
          .query(query)
          .set('Authorization', owner.auth);
        expectError(response, 400, 'VALIDATION_FAILED');
      }
    });

    it('should hide the members of a private group from non-members', async () => {
      const hidden = await createGroup(owner, { visibility: 'private' });
      const response = await app
        .http()
        .get(`/api/groups/${hidden.id}/members`)
        .set('Authorization', outsider.auth);
      expectError(response, 404, 'NOT_FOUND');
      const unknown = await app
        .http()
        .get(`/api/groups/${randomUUID()}/members`)
        .set('Authorization', owner.auth);
      expectError(unknown, 404, 'NOT_FOUND');
      const badId = await app
        .http()
        .get('/api/groups/123/members')
        .set('Authorization', owner.auth);
      expectError(badId, 400, 'VALIDATION_FAILED');
    });
  });

  describe('join and leave', () => {
    it('should join a public group idempotently', async () => {
      const group = await createGroup(owner);
      const before = events.length;
      const first = await join(alice, group.id);
      expect(first.status).toBe(200);
      expect(first.body.data).toEqual({
        groupID: group.id,
        userID: alice.id,
        role: 'member',
        joinedAt: expect.stringMatching(ISO),
      });
      const again = await join(alice, group.id);
      expect(again.status).toBe(200);
      expect(again.body.data).toEqual(first.body.data);
      expect(await memberCount(group.id)).toBe(2);
      expect(await participant(group.conversationID, alice.id)).toEqual({ left_seq: null });
      expect(events.slice(before)).toEqual([
        {
          name: GROUP_EVENTS.memberJoined,
          payload: {
            groupId: group.id,
            conversationId: group.conversationID,
            userId: alice.id,
            memberIds: expect.arrayContaining([owner.id, alice.id]),
          },
        },
      ]);
    });

    it('should answer 403 to a non-member joining a private group (GET stays 404)', async () => {
      const hidden = await createGroup(owner, { visibility: 'private' });
      expectError(await join(alice, hidden.id), 403, 'FORBIDDEN');
      expectError(
        await app.http().get(`/api/groups/${hidden.id}`).set('Authorization', alice.auth),
        404,
        'NOT_FOUND',
      );
      const mine = await join(owner, hidden.id);
      expect(mine.status).toBe(200);
      expect(mine.body.data).toMatchObject({ userID: owner.id, role: 'owner' });
      expect(await memberCount(hidden.id)).toBe(1);
    });

    it('should answer 404 for joining an unknown group and 400 for a non-uuid id', async () => {
      expectError(await join(alice, randomUUID()), 404, 'NOT_FOUND');
      expectError(await join(alice, 'x'), 400, 'VALIDATION_FAILED');
    });

    it('should count concurrent joins of the same user once', async () => {
      const group = await createGroup(owner);
      const responses = await Promise.all(Array.from({ length: 10 }, () => join(bob, group.id)));
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(
        new Set(responses.map((r) => (r.body.data as { joinedAt: string }).joinedAt)).size,
      ).toBe(1);
      expect(await memberCount(group.id)).toBe(2);
      const joinedEvents = events.filter(
        (e) => e.name === GROUP_EVENTS.memberJoined && e.payload.groupId === group.id,
      );
      expect(joinedEvents.map((e) => e.payload.userId)).toEqual([owner.id, bob.id]);
    });

    it('should count concurrent joins of different users exactly', async () => {
      const group = await createGroup(owner);
      const users = await signedInUsers(app.app, Array<string>(8).fill('c'));
      const responses = await Promise.all(users.map((user) => join(user, group.id)));
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(await memberCount(group.id)).toBe(9);
      expect((await getGroup(owner, group.id)).body.data.memberCount).toBe(9);
    });

    it('should leave a group and end conversation participation', async () => {
      const group = await createGroup(owner);
      await join(alice, group.id).expect(200);
      const before = events.length;
      const response = await leave(alice, group.id);
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({
        groupID: group.id,
        userID: alice.id,
        left: true,
        newOwnerID: null,
      });
      expect(await memberCount(group.id)).toBe(1);
      expect((await participant(group.conversationID, alice.id))?.left_seq).not.toBeNull();
      expect(events.slice(before)).toEqual([
        {
          name: GROUP_EVENTS.memberLeft,
          payload: {
            groupId: group.id,
            conversationId: group.conversationID,
            userId: alice.id,
            memberIds: [owner.id],
          },
        },
      ]);
      // Rejoining restores participation.
      await join(alice, group.id).expect(200);
      expect(await participant(group.conversationID, alice.id)).toEqual({ left_seq: null });
    });

    it('should answer 404 when a non-member leaves', async () => {
      const group = await createGroup(owner);
      expectError(await leave(alice, group.id), 404, 'NOT_FOUND');
      expectError(await leave(alice, randomUUID()), 404, 'NOT_FOUND');
      expectError(await leave(alice, 'nope'), 400, 'VALIDATION_FAILED');
      expect(await memberCount(group.id)).toBe(1);
    });

    it('should hand ownership to the longest-standing member when the owner leaves', async () => {
      const group = await createGroup(owner);
      await join(alice, group.id).expect(200);
      await join(bob, group.id).expect(200);
      await setRole(owner, group.id, bob.id, { role: 'admin' }).expect(200);

      const response = await leave(owner, group.id);
      expect(response.status).toBe(200);
      expect(response.body.data).toMatchObject({ newOwnerID: alice.id });
      const members = await app
        .http()
        .get(`/api/groups/${group.id}/members`)
        .set('Authorization', alice.auth)
        .expect(200);
      expect(
        (members.body.data as { userID: string; role: string }[]).map((m) => [m.userID, m.role]),
      ).toEqual([
        [alice.id, 'owner'],
        [bob.id, 'admin'],
      ]);
      // The new owner has the owner's powers.
      await setRole(alice, group.id, bob.id, { role: 'member' }).expect(200);
    });

    it('should keep an empty group when its last member leaves; the next joiner owns it', async () => {
      const group = await createGroup(owner);
      const response = await leave(owner, group.id);
      expect(response.body.data).toMatchObject({ left: true, newOwnerID: null });
      const read = await getGroup(alice, group.id);
      expect(read.status).toBe(200);
      expect(read.body.data.memberCount).toBe(0);
      const joined = await join(alice, group.id);
      expect(joined.body.data).toMatchObject({ userID: alice.id, role: 'owner' });
      expect(await memberCount(group.id)).toBe(1);
    });

    it('should never leave two owners when the owner leaves while others join', async () => {
      const group = await createGroup(owner);
      const users = await signedInUsers(app.app, Array<string>(5).fill('r'));
      await join(users[0], group.id).expect(200);
      const responses = await Promise.all([
        leave(owner, group.id),
        ...users.slice(1).map((user) => join(user, group.id)),
      ]);
      expect(responses.map((r) => r.status)).toEqual(Array(5).fill(200));
      const owners = await db.query(
        `SELECT user_id FROM group_members WHERE group_id = $1 AND role = 'owner'`,
        [group.id],
      );
      expect(owners.rows).toEqual([{ user_id: users[0].id }]);
      expect(await memberCount(group.id)).toBe(5);
    });
  });

  describe('managing members', () => {
    it('should let the owner add a user to a private group (201, then 200)', async () => {
      const hidden = await createGroup(owner, { visibility: 'private' });
      const before = events.length;
      const first = await addMember(owner, hidden.id, alice.id);
      expect(first.status).toBe(201);
      expect(first.body.data).toEqual({
        groupID: hidden.id,
        userID: alice.id,
        role: 'member',
        joinedAt: expect.stringMatching(ISO),
      });
      const again = await addMember(owner, hidden.id, alice.id);
      expect(again.status).toBe(200);
      expect(again.body.data).toEqual(first.body.data);
      expect(await memberCount(hidden.id)).toBe(2);
      expect(events.slice(before).map((e) => [e.name, e.payload.userId])).toEqual([
        [GROUP_EVENTS.memberJoined, alice.id],
      ]);
      expect((await getGroup(alice, hidden.id)).status).toBe(200);
      expect(await participant(hidden.conversationID, alice.id)).toEqual({ left_seq: null });
    });

    it('should let an admin add members', async () => {
      const group = await createGroup(owner, { visibility: 'private' });
      await addMember(owner, group.id, alice.id).expect(201);
      await setRole(owner, group.id, alice.id, { role: 'admin' }).expect(200);
      await addMember(alice, group.id, bob.id).expect(201);
      expect(await memberCount(group.id)).toBe(3);
    });

    it('should refuse adds by non-admins, and hide private groups from non-members', async () => {
      const hidden = await createGroup(owner, { visibility: 'private' });
      await addMember(owner, hidden.id, alice.id).expect(201);
      expectError(await addMember(alice, hidden.id, bob.id), 403, 'FORBIDDEN');
      expectError(await addMember(outsider, hidden.id, bob.id), 404, 'NOT_FOUND');
      const open = await createGroup(owner);
      expectError(await addMember(outsider, open.id, bob.id), 403, 'FORBIDDEN');
      expect(await memberCount(hidden.id)).toBe(2);
    });

    it('should answer 404 for an unknown user or group and 400 for bad input', async () => {
      const group = await createGroup(owner);
      expectError(await addMember(owner, group.id, randomUUID()), 404, 'NOT_FOUND');
      expectError(await addMember(owner, randomUUID(), alice.id), 404, 'NOT_FOUND');
      expectError(await addMember(owner, group.id, 'not-a-uuid'), 400, 'VALIDATION_FAILED');
      expectError(await addMember(owner, 'zzz', alice.id), 400, 'VALIDATION_FAILED');
      const missing = await app
        .http()
        .post(`/api/groups/${group.id}/members`)
        .set('Authorization', owner.auth)
        .send({});
      expectError(missing, 400, 'VALIDATION_FAILED');
      const extra = await app
        .http()
        .post(`/api/groups/${group.id}/members`)
        .set('Authorization', owner.auth)
        .send({ userID: alice.id, role: 'admin' });
      expectError(extra, 400, 'VALIDATION_FAILED');
    });

    it('should let admins remove plain members but not the owner or other admins', async () => {
      const group = await createGroup(owner);
      for (const user of [alice, bob, carol]) {
        await join(user, group.id).expect(200);
      }
      await setRole(owner, group.id, alice.id, { role: 'admin' }).expect(200);
      await setRole(owner, group.id, bob.id, { role: 'admin' }).expect(200);

      expectError(await removeMember(alice, group.id, owner.id), 403, 'FORBIDDEN');
      expectError(await removeMember(alice, group.id, bob.id), 403, 'FORBIDDEN');
      expectError(await removeMember(carol, group.id, alice.id), 403, 'FORBIDDEN');
      expectError(await removeMember(outsider, group.id, carol.id), 403, 'FORBIDDEN');
      expectError(await removeMember(alice, group.id, alice.id), 403, 'FORBIDDEN');
      expectError(await removeMember(owner, group.id, owner.id), 403, 'FORBIDDEN');
      expect(await memberCount(group.id)).toBe(4);

      const before = events.length;
      const removed = await removeMember(alice, group.id, carol.id);
      expect(removed.status).toBe(200);
      expect(removed.body.data).toEqual({ groupID: group.id, userID: carol.id, removed: true });
      expect(events.slice(before)).toEqual([
        {
          name: GROUP_EVENTS.memberLeft,
          payload: {
            groupId: group.id,
            conversationId: group.conversationID,
            userId: carol.id,
            memberIds: expect.arrayContaining([owner.id, alice.id, bob.id]),
          },
        },
      ]);
      expect((await participant(group.conversationID, carol.id))?.left_seq).not.toBeNull();
      await removeMember(owner, group.id, bob.id).expect(200);
      expect(await memberCount(group.id)).toBe(2);
      expectError(await removeMember(owner, group.id, carol.id), 404, 'NOT_FOUND');
    });

    it('should answer 404 / 400 for removals from unknown or private groups and bad ids', async () => {
      const hidden = await createGroup(owner, { visibility: 'private' });
      expectError(await removeMember(outsider, hidden.id, owner.id), 404, 'NOT_FOUND');
      expectError(await removeMember(owner, randomUUID(), alice.id), 404, 'NOT_FOUND');
      expectError(await removeMember(owner, hidden.id, 'bad'), 400, 'VALIDATION_FAILED');
      expectError(await removeMember(owner, 'bad', alice.id), 400, 'VALIDATION_FAILED');
    });

    it('should let only the owner promote and demote', async () => {
      const group = await createGroup(owner);
      await join(alice, group.id).expect(200);
      await join(bob, group.id).expect(200);

      const promoted = await setRole(owner, group.id, alice.id, { role: 'admin' });
      expect(promoted.status).toBe(200);
      expect(promoted.body.data).toMatchObject({
        groupID: group.id,
        userID: alice.id,
        role: 'admin',
        joinedAt: expect.stringMatching(ISO),
      });
      expectError(await setRole(alice, group.id, bob.id, { role: 'admin' }), 403, 'FORBIDDEN');
      expectError(await setRole(bob, group.id, alice.id, { role: 'member' }), 403, 'FORBIDDEN');
      expectError(await setRole(outsider, group.id, bob.id, { role: 'admin' }), 403, 'FORBIDDEN');
      expectError(await setRole(owner, group.id, owner.id, { role: 'member' }), 403, 'FORBIDDEN');
      expectError(await setRole(owner, group.id, carol.id, { role: 'admin' }), 404, 'NOT_FOUND');

      const demoted = await setRole(owner, group.id, alice.id, { role: 'member' });
      expect(demoted.body.data).toMatchObject({ userID: alice.id, role: 'member' });
    });

    it('should reject an invalid role change body', async () => {
      const group = await createGroup(owner);
      await join(alice, group.id).expect(200);
      for (const body of [{ role: 'owner' }, { role: 'boss' }, {}, { role: 'admin', extra: 1 }]) {
        expectError(await setRole(owner, group.id, alice.id, body), 400, 'VALIDATION_FAILED');
      }
      expectError(
        await setRole(owner, group.id, 'bad', { role: 'admin' }),
        400,
        'VALIDATION_FAILED',
      );
      const hidden = await createGroup(owner, { visibility: 'private' });
      expectError(
        await setRole(outsider, hidden.id, owner.id, { role: 'admin' }),
        404,
        'NOT_FOUND',
      );
    });
  });

  it('should document every groups route in the OpenAPI document', async () => {
    const response = await app.http().get('/docs-json').expect(200);
    const paths = response.body.paths as Record<string, Record<string, { tags?: string[] }>>;
    const expected: [string, string][] = [
      ['/api/groups', 'post'],
      ['/api/groups', 'get'],
      ['/api/groups/{groupID}', 'get'],
      ['/api/groups/{groupID}/members', 'get'],
      ['/api/groups/{groupID}/join', 'post'],
      ['/api/groups/{groupID}/leave', 'delete'],
      ['/api/groups/{groupID}/members', 'post'],
      ['/api/groups/{groupID}/members/{userID}', 'delete'],
      ['/api/groups/{groupID}/members/{userID}', 'patch'],
    ];
    for (const [path, method] of expected) {
      expect(paths[path]?.[method]?.tags).toEqual(['groups']);
    }
  });
});
