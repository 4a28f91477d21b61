import type { MigrationInterface, QueryRunner } from 'typeorm';
import { POST_MESSAGES_V3, SIGNATURE } from './1764000000040-LeanPostMessages';

/** V3 found a reply's target through any index on messages; V4 looks it up by id only. */
const REPLY_ROOT_V3 = `(SELECT coalesce(rm.thread_root_id, rm.id) FROM messages rm
                         WHERE rm.id = t.r AND rm.conversation_id = t.c AND rm.deleted_at IS NULL)`;
const REPLY_ROOT_V4 = `(SELECT CASE WHEN rm.conversation_id = t.c AND rm.deleted_at IS NULL
                                THEN coalesce(rm.thread_root_id, rm.id) END
                          FROM messages rm WHERE rm.id = t.r)`;

/**
 * `post_messages` with plans that cannot go wrong on a young database (issue 13).
 *
 * A pool connection plans post_messages in the server's first seconds, while messages holds a few
 * hundred rows, and keeps those plans until an ANALYZE invalidates them (autovacuum's first pass on a
 * young database comes a minute or more later). With batches of ten sends the kept plan hashed the
 * whole messages table for the clientMessageID lookup on every call (1.5 ms of PostgreSQL CPU per
 * call instead of 0.04, measured with auto_explain on the bench), and a reply target could be looked
 * up through the conversation's index instead of its id. Every statement of the function touches at
 * most a batch's rows by key (at most 256), so an index nested loop is right for any table size: the
 * function pins it (no sequential scans, hash or merge joins) and plans each statement once per
 * connection (a custom plan per call cost 0.1-0.2 ms of planning).
 */
export class PlanStablePostMessages1764000000050 implements MigrationInterface {
  name = 'PlanStablePostMessages1764000000050';

  public async up(queryRunner: QueryRunner): Promise<void> {
    if (!POST_MESSAGES_V3.includes(REPLY_ROOT_V3)) {
      throw new Error(
        'post_messages V3 no longer holds the reply-root lookup this migration rewrites',
      );
    }
    await queryRunner.query(
      POST_MESSAGES_V3.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION').replace(
        REPLY_ROOT_V3,
        REPLY_ROOT_V4,
      ),
    );
    await queryRunner.query(
      `ALTER FUNCTION ${SIGNATURE} SET enable_seqscan = off SET enable_hashjoin = off
         SET enable_mergejoin = off SET plan_cache_mode = force_generic_plan`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // CREATE OR REPLACE resets the function's settings as well.
    await queryRunner.query(
      POST_MESSAGES_V3.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'),
    );
  }
}
