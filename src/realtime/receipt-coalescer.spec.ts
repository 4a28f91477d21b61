import { describe, it } from 'node:test';
import { expect } from 'expect';
import type { ConversationMarkerEvent } from '../messaging/messaging.events';
import { ReceiptCoalescer } from './receipt-coalescer';

const turnEnds = () => new Promise((resolve) => setImmediate(resolve));

function receipt(
  conversationId: string,
  userId: string,
  seq: number,
  notifyIds: string[],
): ConversationMarkerEvent {
  return { conversationId, userId, seq, at: `t${seq}`, notifyIds };
}

describe('ReceiptCoalescer', () => {
  it('should push one receipt per (conversation, reader) per turn: the newest, to everyone told', async () => {
    const pushed: ConversationMarkerEvent[] = [];
    const receipts = new ReceiptCoalescer((r) => pushed.push(r));
    receipts.add(receipt('c1', 'bob', 3, ['alice']));
    receipts.add(receipt('c2', 'bob', 7, ['dan']));
    receipts.add(receipt('c1', 'bob', 5, ['carol']));
    receipts.add(receipt('c1', 'bob', 4, ['alice']));
    receipts.add(receipt('c1', 'erin', 5, ['alice']));
    expect(pushed).toEqual([]);
    await turnEnds();
    expect(pushed).toEqual([
      receipt('c1', 'bob', 5, ['alice', 'carol']),
      receipt('c2', 'bob', 7, ['dan']),
      receipt('c1', 'erin', 5, ['alice']),
    ]);
  });

  it('should start over in the next turn', async () => {
    const pushed: ConversationMarkerEvent[] = [];
    const receipts = new ReceiptCoalescer((r) => pushed.push(r));
    receipts.add(receipt('c1', 'bob', 1, ['alice']));
    await turnEnds();
    receipts.add(receipt('c1', 'bob', 2, ['alice']));
    await turnEnds();
    expect(pushed.map((r) => r.seq)).toEqual([1, 2]);
  });
});
