import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { GroupAdminService } from '../../src/groups/group-admin.service';
import { GroupMembershipService } from '../../src/groups/group-membership.service';
import { GroupQueriesService } from '../../src/groups/group-queries.service';
import { createServiceApp, type ServiceApp } from '../utils/service-app';
import { insertGroup, insertUsers } from '../utils/sql-factories';

/** Join, leave and the owner rules; kept to the methods the controller calls. */
/** The group use cases (admin, membership, queries) as one object, as the controller sees them. */
function groupServices(service: ServiceApp) {
  const admin = service.app.get(GroupAdminService);
  const membership = service.app.get(GroupMembershipService);
  const queries = service.app.get(GroupQueriesService);
  return {
    create: admin.create.bind(admin),
    addMember: admin.addMember.bind(admin),
    removeMember: admin.removeMember.bind(admin),
    updateRole: admin.updateRole.bind(admin),
    join: membership.join.bind(membership),
    leave: membership.leave.bind(membership),
    get: queries.get.bind(queries),
    listMembers: queries.listMembers.bind(queries),
  };
}

describe('Group services', () => {
  let service: ServiceApp;
  let groups: ReturnType<typeof groupServices>;

  /** Members by seniority, as `asUserId` sees them. */
  const members = async (asUserId: string, groupId: string) =>
    (await groups.listMembers(asUserId, groupId, 100)).members;
  const memberCount = async (asUserId: string, groupId: string): Promise<number> =>
    (await groups.get(asUserId, groupId)).memberCount;

  before(async () => {
    service = await createServiceApp();
    groups = groupServices(service);
  });

  after(async () => {
    await service.close();
  });

  it('should make the creator the owner and only member', async () => {
    const [owner] = await insertUsers(service.db, 1, 'creator');
    const group = await groups.create(owner.id, { name: 'team' });
    expect(group).toMatchObject({ createdBy: owner.id, memberCount: 1, visibility: 'public' });
    expect(await members(owner.id, group.id)).toEqual([
      expect.objectContaining({ userID: owner.id, role: 'owner' }),
    ]);
  });

  it('should let concurrent joiners in once each, counted exactly, and answer a repeated join unchanged', async () => {
    const [owner, ...joiners] = await insertUsers(service.db, 9, 'join');
    const group = await insertGroup(service.db, owner.id);
    const joined = await Promise.all(
      [...joiners, ...joiners].map((user) => groups.join(user.id, group.id)),
    );
    expect(joined.every((m) => m.role === 'member')).toBe(true);
    expect(await memberCount(owner.id, group.id)).toBe(9);
    const again = await groups.join(joiners[0].id, group.id);
    expect(again).toEqual(joined[0]);
    expect(await memberCount(owner.id, group.id)).toBe(9);
  });

  it('should refuse a join to a private group (FORBIDDEN) and hide it from outsiders (NOT_FOUND)', async () => {
    const [owner, outsider] = await insertUsers(service.db, 2, 'private');
    const group = await insertGroup(service.db, owner.id, { visibility: 'private' });
    await expect(groups.join(outsider.id, group.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(groups.get(outsider.id, group.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(groups.leave(outsider.id, group.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await groups.addMember(owner.id, group.id, outsider.id);
    expect((await groups.get(outsider.id, group.id)).memberCount).toBe(2);
  });

  it('should pass ownership to the longest-standing member when the owner leaves', async () => {
    const [owner, senior, junior] = await insertUsers(service.db, 3, 'heir');
    const group = await insertGroup(service.db, owner.id, { members: [senior.id, junior.id] });
    await groups.updateRole(owner.id, group.id, junior.id, 'admin');
    // Seniority, not rank: the plain member who joined first inherits, not the admin.
    expect(await groups.leave(owner.id, group.id)).toEqual({
      groupID: group.id,
      userID: owner.id,
      left: true,
      newOwnerID: senior.id,
    });
    expect(await members(senior.id, group.id)).toEqual([
      expect.objectContaining({ userID: senior.id, role: 'owner' }),
      expect.objectContaining({ userID: junior.id, role: 'admin' }),
    ]);
    expect(await memberCount(senior.id, group.id)).toBe(2);
  });

  it('should keep an emptied group and make its next joiner the owner', async () => {
    const [owner, later] = await insertUsers(service.db, 2, 'empty');
    const group = await insertGroup(service.db, owner.id);
    expect((await groups.leave(owner.id, group.id)).newOwnerID).toBeNull();
    expect((await groups.join(later.id, group.id)).role).toBe('owner');
    await expect(groups.leave(owner.id, group.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('should let only the owner change roles, and never an admin remove the owner', async () => {
    const [owner, admin, member] = await insertUsers(service.db, 3, 'roles');
    const group = await insertGroup(service.db, owner.id, { members: [admin.id, member.id] });
    await groups.updateRole(owner.id, group.id, admin.id, 'admin');
    await expect(groups.updateRole(admin.id, group.id, member.id, 'admin')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(groups.updateRole(owner.id, group.id, owner.id, 'member')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(groups.removeMember(admin.id, group.id, owner.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(groups.removeMember(member.id, group.id, admin.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await groups.removeMember(admin.id, group.id, member.id);
    expect(await memberCount(owner.id, group.id)).toBe(2);
  });
});
