import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * The one read catch-up makes for a whole batch of connecting users: which of them have anything
 * above their delivery marker at all. After a restart most reconnecting users have nothing pending,
 * and one `user_id = ANY($1)` query answers for hundreds of them instead of one query per socket.
 * Users it names then get ConversationQueriesService.pendingDeliveries (which also honours delivery
 * receipts not yet written, so this may name a user with nothing left: a superset, never less).
 * It would sit best beside that method in src/messaging; it is here because the reconnect-storm
 * work does not own that module.
 */
@Injectable()
export class CatchUpRepository {
  constructor(private readonly dataSource: DataSource) {}

  async usersWithPending(userIds: readonly string[]): Promise<Set<string>> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT m.user_id FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = ANY($1::uuid[])
          AND LEAST(c.last_seq, COALESCE(m.left_seq, c.last_seq)) > GREATEST(m.last_delivered_seq, m.last_read_seq)`,
      [userIds],
    );
    return new Set(rows.map((row) => row.user_id));
  }
}
