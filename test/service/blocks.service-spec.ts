import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { BlocksService } from '../../src/blocks/blocks.service';
import { MessageSendingService } from '../../src/messaging/message-sending.service';
import { createServiceApp, type ServiceApp } from '../utils/service-app';
import { insertGroup, insertUsers } from '../utils/sql-factories';

describe('BlocksService', () => {
  let service: ServiceApp;
  let blocks: BlocksService;
  let sending: MessageSendingService;

  before(async () => {
    service = await createServiceApp();
    blocks = service.app.get(BlocksService);
    sending = service.app.get(MessageSendingService);
  });

  after(async () => {
    await service.close();
  });

  it('should refuse direct messages both ways while either blocks, and allow them again after', async () => {
    const [alice, bob] = await insertUsers(service.db, 2, 'block');
    await sending.send(alice.id, { recipientID: bob.id, content: 'before' });
    await blocks.block(bob.id, alice.id);
    await expect(
      sending.send(alice.id, { recipientID: bob.id, content: 'blocked' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      sending.send(bob.id, { recipientID: alice.id, content: 'blocker writes' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await blocks.unblock(bob.id, alice.id);
    expect((await sending.send(alice.id, { recipientID: bob.id, content: 'after' })).seq).toBe(2);
  });

  it('should not stop group messages between users who block each other', async () => {
    const [alice, bob] = await insertUsers(service.db, 2, 'groupblock');
    const group = await insertGroup(service.db, alice.id, { members: [bob.id] });
    await blocks.block(bob.id, alice.id);
    expect((await sending.send(alice.id, { groupID: group.id, content: 'hi all' })).seq).toBe(1);
  });

  it('should be idempotent, list the blocked most recent first and know who blocks whom', async () => {
    const [alice, bob, carol] = await insertUsers(service.db, 3, 'list');
    await blocks.block(alice.id, bob.id);
    await blocks.block(alice.id, bob.id);
    await blocks.block(alice.id, carol.id);
    expect((await blocks.listBlocked(alice.id)).map((u) => u.id)).toEqual([carol.id, bob.id]);
    expect(await blocks.blockedBy(alice.id)).toEqual(new Set([bob.id, carol.id]));
    expect(await blocks.blockedEitherWay(bob.id, alice.id)).toBe(true);
    expect(await blocks.blockedEitherWay(bob.id, carol.id)).toBe(false);
    await blocks.unblock(alice.id, bob.id);
    await blocks.unblock(alice.id, bob.id);
    expect((await blocks.listBlocked(alice.id)).map((u) => u.id)).toEqual([carol.id]);
  });

  it('should refuse blocking yourself (VALIDATION_FAILED) and an unknown user (NOT_FOUND)', async () => {
    const [alice] = await insertUsers(service.db, 1, 'self');
    await expect(blocks.block(alice.id, alice.id)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      blocks.block(alice.id, '00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
