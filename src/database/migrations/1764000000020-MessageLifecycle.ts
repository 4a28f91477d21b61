import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PostMessagesFunction1764000000001 } from './1764000000001-PostMessagesFunction';

/**
 * Message lifecycle: edits (with their history), deletions (tombstones), reactions, replies and
 * threads, mentions, and each conversation's gap-free `version`.
 *
 * `conversations.version` is taken under the same row lock as `last_seq`, by every change to the
 * conversation's messages, and the changed message carries it (unique per conversation). Existing
 * messages get `version = seq` (each was one change), conversations `version = last_seq`.
 *
 * `post_messages` is redefined with reply and mention parameters: per send it checks `replyToID`
 * (a live message of the same conversation: else 'invalid_reply'), derives `thread_root_id`, keeps the
 * mentions that are active participants other than the sender, and takes the next version next to the
 * next seq. After the loop each thread root touched by the batch is bumped once (reply_count,
 * last_reply_at, the next version) and returned as a 'root' row whose ord is its last reply's. Still
 * one statement, one round trip per batch.
 */
export class MessageLifecycle1764000000020 implements MigrationInterface {
  name = 'MessageLifecycle1764000000020';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD COLUMN "version" bigint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(`UPDATE "conversations" SET "version" = "last_seq"`);
    await queryRunner.query(`
      ALTER TABLE "messages"
        ADD COLUMN "version" bigint,
        ADD COLUMN "edited_at" timestamptz,
        ADD COLUMN "deleted_at" timestamptz,
        ADD COLUMN "reply_to_id" uuid,
        ADD COLUMN "thread_root_id" uuid,
        ADD COLUMN "reply_count" integer NOT NULL DEFAULT 0,
        ADD COLUMN "last_reply_at" timestamptz,
        ADD COLUMN "mentions" uuid[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`UPDATE "messages" SET "version" = "seq"`);
    await queryRunner.query(`ALTER TABLE "messages" ALTER COLUMN "version" SET NOT NULL`);
    await queryRunner.query(`
      ALTER TABLE "messages"
        ADD CONSTRAINT "FK_messages_reply_to" FOREIGN KEY ("reply_to_id") REFERENCES "messages" ("id") ON DELETE SET NULL,
        ADD CONSTRAINT "FK_messages_thread_root" FOREIGN KEY ("thread_root_id") REFERENCES "messages" ("id") ON DELETE SET NULL,
        ADD CONSTRAINT "CHK_messages_mentions_max" CHECK (cardinality("mentions") <= 50),
        ADD CONSTRAINT "CHK_messages_reply_count" CHECK ("reply_count" >= 0)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_messages_conversation_version" ON "messages" ("conversation_id", "version")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_messages_thread_root_seq" ON "messages" ("thread_root_id", "seq") WHERE "thread_root_id" IS NOT NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE "message_edits" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "message_id" uuid NOT NULL,
        "content" text NOT NULL,
        "mentions" uuid[] NOT NULL DEFAULT '{}',
        "version" bigint NOT NULL,
        "replaced_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_message_edits" PRIMARY KEY ("id"),
        CONSTRAINT "FK_message_edits_message" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_message_edits_message" ON "message_edits" ("message_id", "replaced_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "message_reactions" (
        "message_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "emoji" varchar(64) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT clock_timestamp(),
        "emoji_first_at" timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT "PK_message_reactions" PRIMARY KEY ("message_id", "user_id", "emoji"),
        CONSTRAINT "FK_message_reactions_message" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_message_reactions_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_message_reactions_message_time" ON "message_reactions" ("message_id", "created_at")`,
    );

    await queryRunner.query(
      'DROP FUNCTION post_messages(uuid[], uuid[], uuid[], uuid[], uuid[], text[], varchar[], varchar[], timestamptz)',
    );
    await queryRunner.query(POST_MESSAGES_V2);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'DROP FUNCTION post_messages(uuid[], uuid[], uuid[], uuid[], uuid[], text[], varchar[], varchar[], uuid[], text[], timestamptz)',
    );
    await queryRunner.query(`DROP TABLE "message_reactions"`);
    await queryRunner.query(`DROP TABLE "message_edits"`);
    await queryRunner.query(`DROP INDEX "IDX_messages_thread_root_seq"`);
    await queryRunner.query(`DROP INDEX "UQ_messages_conversation_version"`);
    await queryRunner.query(`
      ALTER TABLE "messages"
        DROP CONSTRAINT "CHK_messages_reply_count",
        DROP CONSTRAINT "CHK_messages_mentions_max",
        DROP CONSTRAINT "FK_messages_thread_root",
        DROP CONSTRAINT "FK_messages_reply_to",
        DROP COLUMN "mentions", DROP COLUMN "last_reply_at", DROP COLUMN "reply_count",
        DROP COLUMN "thread_root_id", DROP COLUMN "reply_to_id", DROP COLUMN "deleted_at",
        DROP COLUMN "edited_at", DROP COLUMN "version"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "version"`);
    await new PostMessagesFunction1764000000001().up(queryRunner);
  }
}

/** Columns every post_messages row carries for a message (sends, replays and thread roots). */
const ROW_OF = (m: string) =>
  `${m}.id, ${m}.conversation_id, ${m}.seq, ${m}.sender_id, ${m}.recipient_id, ${m}.group_id,
   ${m}.content, ${m}.message_type, ${m}.client_message_id, ${m}.created_at, ${m}.version,
   ${m}.edited_at, ${m}.deleted_at, ${m}.reply_to_id, ${m}.thread_root_id, ${m}.reply_count,
   ${m}.last_reply_at, ${m}.mentions`;

const NULL_ROW = `NULL::uuid, NULL::uuid, NULL::bigint, NULL::uuid, NULL::uuid, NULL::uuid,
   NULL::text, NULL::varchar, NULL::varchar, NULL::timestamptz, NULL::bigint, NULL::timestamptz,
   NULL::timestamptz, NULL::uuid, NULL::uuid, NULL::int, NULL::timestamptz, NULL::uuid[]`;

/** post_messages as this migration defines it (restored by later migrations' `down`). */
export const POST_MESSAGES_V2 = `
  CREATE OR REPLACE FUNCTION post_messages(
    p_ids uuid[], p_conversations uuid[], p_senders uuid[], p_recipients uuid[], p_groups uuid[],
    p_contents text[], p_types varchar[], p_client_ids varchar[], p_reply_to uuid[],
    p_mentions text[], p_now timestamptz
  ) RETURNS TABLE (
    ord int, kind text, m_id uuid, m_conversation_id uuid, m_seq bigint, m_sender_id uuid,
    m_recipient_id uuid, m_group_id uuid, m_content text, m_message_type varchar,
    m_client_message_id varchar, m_created_at timestamptz, m_version bigint, m_edited_at timestamptz,
    m_deleted_at timestamptz, m_reply_to_id uuid, m_thread_root_id uuid, m_reply_count int,
    m_last_reply_at timestamptz, m_mentions uuid[], participants uuid[]
  ) LANGUAGE plpgsql AS $fn$
  DECLARE
    n int := coalesce(array_length(p_ids, 1), 0);
    i int;
    v_seq bigint;
    v_ver bigint;
    v_pos int;
    v_root uuid;
    v_mentions uuid[];
    v_convs uuid[] := '{}';
    v_seqs bigint[] := '{}';
    v_vers bigint[] := '{}';
    v_roots uuid[] := '{}';
    v_root_convs uuid[] := '{}';
    v_root_counts int[] := '{}';
    v_root_ords int[] := '{}';
    v_old messages%ROWTYPE;
  BEGIN
    PERFORM 1 FROM conversations c
     WHERE c.id IN (SELECT DISTINCT x FROM unnest(p_conversations) AS x)
     ORDER BY c.id FOR UPDATE;
    FOR i IN 1..n LOOP
      IF p_client_ids[i] IS NOT NULL THEN
        SELECT * INTO v_old FROM messages m
         WHERE m.sender_id = p_senders[i] AND m.client_message_id = p_client_ids[i];
        IF FOUND THEN
          IF v_old.conversation_id = p_conversations[i] AND v_old.message_type = p_types[i]
             AND v_old.reply_to_id IS NOT DISTINCT FROM p_reply_to[i]
             AND (v_old.content = p_contents[i] OR v_old.deleted_at IS NOT NULL OR v_old.edited_at IS NOT NULL) THEN
            RETURN QUERY SELECT i, 'replay'::text, ${ROW_OF('v_old')}, NULL::uuid[];
          ELSE
            RETURN QUERY SELECT i, 'conflict'::text, ${NULL_ROW}, NULL::uuid[];
          END IF;
          CONTINUE;
        END IF;
      END IF;
      PERFORM 1 FROM conversation_members cm
       WHERE cm.conversation_id = p_conversations[i] AND cm.user_id = p_senders[i]
         AND cm.left_seq IS NULL;
      IF NOT FOUND THEN
        RETURN QUERY SELECT i, 'forbidden'::text, ${NULL_ROW}, NULL::uuid[];
        CONTINUE;
      END IF;
      v_root := NULL;
      IF p_reply_to[i] IS NOT NULL THEN
        SELECT coalesce(m.thread_root_id, m.id) INTO v_root FROM messages m
         WHERE m.id = p_reply_to[i] AND m.conversation_id = p_conversations[i]
           AND m.deleted_at IS NULL;
        IF v_root IS NULL THEN
          RETURN QUERY SELECT i, 'invalid_reply'::text, ${NULL_ROW}, NULL::uuid[];
          CONTINUE;
        END IF;
      END IF;
      v_mentions := '{}';
      IF p_mentions[i] IS NOT NULL THEN
        v_mentions := ARRAY(
          SELECT u.id FROM unnest(p_mentions[i]::uuid[]) WITH ORDINALITY AS u(id, o)
           WHERE u.id <> p_senders[i]
             AND EXISTS (SELECT 1 FROM conversation_members cm
                          WHERE cm.conversation_id = p_conversations[i] AND cm.user_id = u.id
                            AND cm.left_seq IS NULL)
           ORDER BY u.o);
      END IF;
      -- Seqs and versions are counted here and written once per conversation after the loop.
      v_pos := array_position(v_convs, p_conversations[i]);
      IF v_pos IS NULL THEN
        SELECT c.last_seq, c.version INTO v_seq, v_ver FROM conversations c WHERE c.id = p_conversations[i];
        v_convs := v_convs || p_conversations[i];
        v_seqs := v_seqs || v_seq;
        v_vers := v_vers || v_ver;
        v_pos := array_length(v_convs, 1);
      END IF;
      v_seq := v_seqs[v_pos] + 1;
      v_seqs[v_pos] := v_seq;
      v_ver := v_vers[v_pos] + 1;
      v_vers[v_pos] := v_ver;
      INSERT INTO messages (id, conversation_id, seq, sender_id, recipient_id, group_id, content,
                            message_type, client_message_id, created_at, version, reply_to_id,
                            thread_root_id, mentions)
      VALUES (p_ids[i], p_conversations[i], v_seq, p_senders[i], p_recipients[i], p_groups[i],
              p_contents[i], p_types[i], p_client_ids[i], p_now, v_ver, p_reply_to[i], v_root,
              v_mentions);
      IF v_root IS NOT NULL THEN
        v_pos := array_position(v_roots, v_root);
        IF v_pos IS NULL THEN
          v_roots := v_roots || v_root;
          v_root_convs := v_root_convs || p_conversations[i];
          v_root_counts := v_root_counts || 1;
          v_root_ords := v_root_ords || i;
        ELSE
          v_root_counts[v_pos] := v_root_counts[v_pos] + 1;
          v_root_ords[v_pos] := i;
        END IF;
      END IF;
      RETURN QUERY SELECT i, 'created'::text, p_ids[i], p_conversations[i], v_seq, p_senders[i],
        p_recipients[i], p_groups[i], p_contents[i], p_types[i], p_client_ids[i], p_now, v_ver,
        NULL::timestamptz, NULL::timestamptz, p_reply_to[i], v_root, 0, NULL::timestamptz,
        v_mentions, NULL::uuid[];
    END LOOP;
    -- Each thread root touched by the batch changes once, after its replies: the next version.
    FOR i IN 1..coalesce(array_length(v_roots, 1), 0) LOOP
      v_pos := array_position(v_convs, v_root_convs[i]);
      v_ver := v_vers[v_pos] + 1;
      v_vers[v_pos] := v_ver;
      RETURN QUERY
        UPDATE messages m SET reply_count = m.reply_count + v_root_counts[i], last_reply_at = p_now,
                              version = v_ver
         WHERE m.id = v_roots[i]
        RETURNING v_root_ords[i], 'root'::text, ${ROW_OF('m')}, NULL::uuid[];
    END LOOP;
    UPDATE conversations c SET last_seq = u.seq, version = u.version, last_message_at = p_now
      FROM unnest(v_convs, v_seqs, v_vers) AS u(id, seq, version)
     WHERE c.id = u.id AND u.seq > c.last_seq;
    -- Sending implies having seen the conversation: the senders' markers follow their messages.
    -- Marker rows are locked in (conversation, user) order, as the delivery-marker flush does,
    -- so the two never wait on each other in a cycle.
    PERFORM 1 FROM conversation_members cm
     WHERE (cm.conversation_id, cm.user_id) IN
           (SELECT m.conversation_id, m.sender_id FROM messages m WHERE m.id = ANY(p_ids))
     ORDER BY cm.conversation_id, cm.user_id FOR UPDATE;
    UPDATE conversation_members cm
       SET last_read_seq = GREATEST(cm.last_read_seq, s.seq),
           last_delivered_seq = GREATEST(cm.last_delivered_seq, s.seq)
      FROM (SELECT m.conversation_id, m.sender_id, max(m.seq) AS seq FROM messages m
             WHERE m.id = ANY(p_ids) GROUP BY m.conversation_id, m.sender_id) s
     WHERE cm.conversation_id = s.conversation_id AND cm.user_id = s.sender_id;
    RETURN QUERY SELECT 0, 'participants'::text, NULL::uuid, cm.conversation_id, NULL::bigint,
      NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::varchar, NULL::varchar,
      NULL::timestamptz, NULL::bigint, NULL::timestamptz, NULL::timestamptz, NULL::uuid, NULL::uuid,
      NULL::int, NULL::timestamptz, NULL::uuid[], array_agg(cm.user_id)
      FROM conversation_members cm
     WHERE cm.conversation_id IN (SELECT DISTINCT x FROM unnest(p_conversations) AS x)
       AND cm.left_seq IS NULL
     GROUP BY cm.conversation_id;
  END
  $fn$`;
