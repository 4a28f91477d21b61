import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `post_messages(...)`: the group-commit write of a batch of sends as ONE statement (so one round
 * trip and one implicit transaction). In order: lock the batch's conversations in id order (two
 * batches never deadlock); per send, in arrival order, return the stored message for a repeated
 * (sender, clientMessageID) ('replay', or 'conflict' when the body differs), refuse a sender who is not
 * an active participant ('forbidden'), else take the next seq of the locked conversation and insert
 * ('created'); write each conversation's new last_seq once; move the senders' own markers to their newest message; and return each
 * conversation's active participants once ('participants' rows, ord 0).
 */
export class PostMessagesFunction1764000000001 implements MigrationInterface {
  name = 'PostMessagesFunction1764000000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION post_messages(
        p_ids uuid[], p_conversations uuid[], p_senders uuid[], p_recipients uuid[], p_groups uuid[],
        p_contents text[], p_types varchar[], p_client_ids varchar[], p_now timestamptz
      ) RETURNS TABLE (
        ord int, kind text, m_id uuid, m_conversation_id uuid, m_seq bigint, m_sender_id uuid,
        m_recipient_id uuid, m_group_id uuid, m_content text, m_message_type varchar,
        m_client_message_id varchar, m_created_at timestamptz, participants uuid[]
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        n int := coalesce(array_length(p_ids, 1), 0);
        i int;
        v_seq bigint;
        v_pos int;
        v_convs uuid[] := '{}';
        v_seqs bigint[] := '{}';
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
              IF v_old.conversation_id = p_conversations[i] AND v_old.content = p_contents[i]
                 AND v_old.message_type = p_types[i] THEN
                RETURN QUERY SELECT i, 'replay'::text, v_old.id, v_old.conversation_id, v_old.seq,
                  v_old.sender_id, v_old.recipient_id, v_old.group_id, v_old.content,
                  v_old.message_type, v_old.client_message_id, v_old.created_at, NULL::uuid[];
              ELSE
                RETURN QUERY SELECT i, 'conflict'::text, NULL::uuid, NULL::uuid, NULL::bigint,
                  NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::varchar, NULL::varchar,
                  NULL::timestamptz, NULL::uuid[];
              END IF;
              CONTINUE;
            END IF;
          END IF;
          PERFORM 1 FROM conversation_members cm
           WHERE cm.conversation_id = p_conversations[i] AND cm.user_id = p_senders[i]
             AND cm.left_seq IS NULL;
          IF NOT FOUND THEN
            RETURN QUERY SELECT i, 'forbidden'::text, NULL::uuid, NULL::uuid, NULL::bigint,
              NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::varchar, NULL::varchar,
              NULL::timestamptz, NULL::uuid[];
            CONTINUE;
          END IF;
          -- Seqs are counted here and written once per conversation after the loop.
          v_pos := array_position(v_convs, p_conversations[i]);
          IF v_pos IS NULL THEN
            SELECT c.last_seq INTO v_seq FROM conversations c WHERE c.id = p_conversations[i];
            v_convs := v_convs || p_conversations[i];
            v_seqs := v_seqs || v_seq;
            v_pos := array_length(v_convs, 1);
          END IF;
          v_seq := v_seqs[v_pos] + 1;
          v_seqs[v_pos] := v_seq;
          INSERT INTO messages (id, conversation_id, seq, sender_id, recipient_id, group_id, content,
                                message_type, client_message_id, created_at)
          VALUES (p_ids[i], p_conversations[i], v_seq, p_senders[i], p_recipients[i], p_groups[i],
                  p_contents[i], p_types[i], p_client_ids[i], p_now);
          RETURN QUERY SELECT i, 'created'::text, p_ids[i], p_conversations[i], v_seq, p_senders[i],
            p_recipients[i], p_groups[i], p_contents[i], p_types[i], p_client_ids[i], p_now,
            NULL::uuid[];
        END LOOP;
        UPDATE conversations c SET last_seq = u.seq, last_message_at = p_now
          FROM unnest(v_convs, v_seqs) AS u(id, seq)
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
          NULL::timestamptz, array_agg(cm.user_id)
          FROM conversation_members cm
         WHERE cm.conversation_id IN (SELECT DISTINCT x FROM unnest(p_conversations) AS x)
           AND cm.left_seq IS NULL
         GROUP BY cm.conversation_id;
      END
      $fn$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'DROP FUNCTION post_messages(uuid[], uuid[], uuid[], uuid[], uuid[], text[], varchar[], varchar[], timestamptz)',
    );
  }
}
