import { describe, it } from 'node:test';
import { expect } from 'expect';
import { DeliveryMarkerBuffer } from './marker.service';
import type { ConversationMembersRepository } from './repositories/conversation-members.repository';

type Mark = { conversationId: string; userId: string; seq: number };

/** A repository that records each flush and skips the marks it is told to (rows held elsewhere). */
function fakeMembers(skip: (mark: Mark) => boolean) {
  const flushes: { marks: Mark[]; skipLocked: boolean }[] = [];
  const members = {
    writeDeliveryMarks: (marks: Mark[], options?: { skipLocked: boolean }) => {
      const skipLocked = options?.skipLocked ?? false;
      flushes.push({ marks, skipLocked });
      return Promise.resolve(skipLocked ? marks.filter(skip) : []);
    },
  } as unknown as ConversationMembersRepository;
  return { members, flushes };
}

describe('DeliveryMarkerBuffer', () => {
  it('should write a mark skipped by a flush in the next one', async () => {
    let held = true;
    const { members, flushes } = fakeMembers((mark) => held && mark.userId === 'b');
    const buffer = new DeliveryMarkerBuffer(members);
    buffer.advance('c1', 'a', 3);
    buffer.advance('c1', 'b', 3);
    await buffer.flush({ skipLocked: true });
    held = false;
    await buffer.flush({ skipLocked: true });
    expect(flushes.map((flush) => flush.marks)).toEqual([
      [
        { conversationId: 'c1', userId: 'a', seq: 3 },
        { conversationId: 'c1', userId: 'b', seq: 3 },
      ],
      [{ conversationId: 'c1', userId: 'b', seq: 3 }],
    ]);
    await buffer.flush({ skipLocked: true });
    expect(flushes).toHaveLength(2);
  });

  it('should wait for held rows at shutdown instead of skipping them', async () => {
    const { members, flushes } = fakeMembers(() => true);
    const buffer = new DeliveryMarkerBuffer(members);
    buffer.advance('c1', 'a', 1);
    await buffer.beforeApplicationShutdown();
    expect(flushes).toEqual([
      { marks: [{ conversationId: 'c1', userId: 'a', seq: 1 }], skipLocked: false },
    ]);
  });

  it('should forget the least recently advanced marks one at a time past its bound', () => {
    const { members } = fakeMembers(() => false);
    const buffer = new DeliveryMarkerBuffer(members);
    const bound = 200_000;
    for (let index = 0; index <= bound; index += 1) {
      buffer.advance(`c${index}`, 'a', 5);
    }
    // The oldest mark made room for the newest; the rest are still known (no clear()).
    expect(buffer.recordedSeq('c0', 'a')).toBe(0);
    expect(buffer.recordedSeq('c1', 'a')).toBe(5);
    expect(buffer.recordedSeq(`c${bound}`, 'a')).toBe(5);
    expect(buffer.advance('c1', 'a', 5)).toBe(false);
  });
});
