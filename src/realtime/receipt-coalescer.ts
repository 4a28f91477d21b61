import type { ConversationMarkerEvent } from '../messaging/messaging.events';

/**
 * Delivery receipts of one turn, one per (conversation, reader): a receipt means "delivered up to
 * seq", so a later one for the same reader supersedes an earlier one. A client confirming a burst
 * message by message, or several devices of one reader confirming the same messages, then costs the
 * senders one `message_delivered` each instead of one per confirmation. Whoever the dropped receipts
 * were for is told the newest one instead (still true for them: delivered up to a higher seq).
 */
export class ReceiptCoalescer {
  private pending = new Map<string, ConversationMarkerEvent>();
  private scheduled = false;

  /** `push` gets each coalesced receipt at the end of the turn, in the order first seen. */
  constructor(private readonly push: (receipt: ConversationMarkerEvent) => void) {}

  add(receipt: ConversationMarkerEvent): void {
    const key = `${receipt.conversationId}:${receipt.userId}`;
    const earlier = this.pending.get(key);
    if (!earlier) {
      this.pending.set(key, receipt);
    } else {
      const newer = receipt.seq >= earlier.seq ? receipt : earlier;
      const notifyIds = new Set(earlier.notifyIds);
      for (const id of receipt.notifyIds) {
        notifyIds.add(id);
      }
      this.pending.set(key, { ...newer, notifyIds: [...notifyIds] });
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.release);
    }
  }

  private readonly release = (): void => {
    const receipts = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    for (const receipt of receipts.values()) {
      this.push(receipt);
    }
  };
}
