import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { expect } from 'expect';
import type { ConversationAccess } from './conversation-access.service';
import { ConversationCache } from './conversation-cache';

function groupAccess(overrides: Partial<ConversationAccess> = {}): ConversationAccess {
  return {
    conversationId: randomUUID(),
    type: 'group',
    groupId: randomUUID(),
    peerId: null,
    visibleSeq: 3,
    lastReadSeq: 0,
    lastDeliveredSeq: 0,
    active: true,
    ...overrides,
  };
}

describe('ConversationCache', () => {
  it('should forget access under every spelling of the reference when the member leaves', () => {
    const cache = new ConversationCache();
    const user = randomUUID();
    const access = groupAccess();
    const spellings = [
      access.groupId as string,
      (access.groupId as string).toUpperCase(),
      access.conversationId.toUpperCase(),
    ];
    for (const ref of spellings) {
      cache.setAccess(user, ref, access);
    }
    expect(cache.getAccess(user, spellings[1])).toBe(access);
    cache.onMembershipChanged({
      conversationId: access.conversationId,
      groupId: access.groupId as string,
      userId: user,
    });
    for (const ref of [...spellings, access.conversationId]) {
      expect(cache.getAccess(user, ref)).toBeUndefined();
    }
  });

  it('should share one load among concurrent misses of one reference', async () => {
    const cache = new ConversationCache();
    const user = randomUUID();
    const access = groupAccess();
    let loads = 0;
    const load = async (): Promise<ConversationAccess> => {
      loads += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return access;
    };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        cache.loadAccess(user, i % 2 ? access.groupId!.toUpperCase() : access.groupId!, load),
      ),
    );
    expect(loads).toBe(1);
    expect(new Set(results)).toEqual(new Set([access]));
    expect(cache.getAccess(user, access.conversationId)).toBe(access);
  });

  it('should not cache a load that overlapped a membership change', async () => {
    const cache = new ConversationCache();
    const user = randomUUID();
    const access = groupAccess();
    let release: () => void = () => undefined;
    const pending = cache.loadAccess(
      user,
      access.groupId!,
      () => new Promise<ConversationAccess>((resolve) => (release = () => resolve(access))),
    );
    cache.onMembershipChanged({
      conversationId: access.conversationId,
      groupId: access.groupId!,
      userId: user,
    });
    release();
    await pending;
    expect(cache.getAccess(user, access.groupId!)).toBeUndefined();
  });
});
