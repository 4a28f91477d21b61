import type { MigrationInterface, QueryRunner } from 'typeorm';
import { POST_MESSAGES_V2 } from './1764000000020-MessageLifecycle';

export const SIGNATURE =
  'post_messages(uuid[], uuid[], uuid[], uuid[], uuid[], text[], varchar[], varchar[], uuid[], text[], timestamptz)';

/**
 * `post_messages` made set-based, with V2's semantics, order and locks (issue 13). V2 ran about four
 * statements per send inside its loop (clientMessageID lookup, membership check, INSERT, RETURN QUERY
 * with every column) and returned content the caller had sent. Now, after locking the conversations in
 * id order (the same statement reads their last_seq and version, once):
 *
 * - one query gathers, per send, the stored message with its (sender, clientMessageID) and whether
 *   the body matches it, the first send of the batch with the same pair, the sender's membership, the
 *   reply target's thread root, and the mentions that are active participants other than the sender;
 * - the loop does array work only, in arrival order: replay/conflict against the stored message, or
 *   against the send of this batch that created the pair (what V2's lookup found, having inserted it),
 *   'forbidden', 'invalid_reply' (a reply to a message created earlier in the batch stays valid, as in
 *   V2), else the next seq and version of the conversation;
 * - ONE `INSERT ... SELECT FROM unnest(...)` writes the created messages; thread roots, conversation
 *   counters and the senders' markers (locked in (conversation, user) order first) follow as in V2.
 *
 * Rows: 'created' carries only ord, kind, seq, version, thread root and mentions (NULL for none): the
 * caller builds the message from what it sent. 'replay' and 'root' rows carry the whole message,
 * 'participants' rows (ord 0) the conversation's active participants.
 */
export class LeanPostMessages1764000000040 implements MigrationInterface {
  name = 'LeanPostMessages1764000000040';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION ${SIGNATURE}`);
    await queryRunner.query(POST_MESSAGES_V3);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION ${SIGNATURE}`);
    await queryRunner.query(POST_MESSAGES_V2);
  }
}

/** The message columns after ord, kind, seq, version, thread root and mentions. */
const REST_OF = (m: string) =>
  `${m}.id, ${m}.conversation_id, ${m}.sender_id, ${m}.recipient_id, ${m}.group_id, ${m}.content,
   ${m}.message_type, ${m}.client_message_id, ${m}.created_at, ${m}.edited_at, ${m}.deleted_at,
   ${m}.reply_to_id, ${m}.reply_count, ${m}.last_reply_at`;

const NULL_REST = `NULL::uuid, NULL::uuid, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text,
   NULL::varchar, NULL::varchar, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::uuid,
   NULL::int, NULL::timestamptz`;

/** An active participant of conversation `c`. */
const ACTIVE = (c: string, user: string) =>
  `EXISTS (SELECT 1 FROM conversation_members cm
            WHERE cm.conversation_id = ${c} AND cm.user_id = ${user} AND cm.left_seq IS NULL)`;

export const POST_MESSAGES_V3 = `
  CREATE FUNCTION post_messages(
    p_ids uuid[], p_conversations uuid[], p_senders uuid[], p_recipients uuid[], p_groups uuid[],
    p_contents text[], p_types varchar[], p_client_ids varchar[], p_reply_to uuid[],
    p_mentions text[], p_now timestamptz
  ) RETURNS TABLE (
    ord int, kind text, m_seq bigint, m_version bigint, m_thread_root_id uuid, m_mentions uuid[],
    m_id uuid, m_conversation_id uuid, m_sender_id uuid, m_recipient_id uuid, m_group_id uuid,
    m_content text, m_message_type varchar, m_client_message_id varchar, m_created_at timestamptz,
    m_edited_at timestamptz, m_deleted_at timestamptz, m_reply_to_id uuid, m_reply_count int,
    m_last_reply_at timestamptz, participants uuid[]
  ) LANGUAGE plpgsql AS $fn$
  DECLARE
    n int := coalesce(array_length(p_ids, 1), 0);
    i int;
    j int;
    v_pos int;
    v_root uuid;
    -- The batch's conversations (id order) with their running last_seq and version.
    v_convs uuid[];
    v_seqs bigint[];
    v_vers bigint[];
    -- Per send, read before the loop: the stored message with its (sender, clientMessageID) and
    -- whether the send repeats it; the batch's first send with that pair; membership; reply root;
    -- mentions kept (text, as p_mentions).
    v_old_ids uuid[];
    v_old_ok boolean[];
    v_first int[];
    v_member boolean[];
    v_reply_roots uuid[];
    v_mentions text[];
    -- Per send, decided by the loop. v_src: the earlier send of the batch a 'replay' repeats.
    v_kinds text[] := array_fill(NULL::text, ARRAY[n]);
    v_seq_of bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    v_ver_of bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    v_root_of uuid[] := array_fill(NULL::uuid, ARRAY[n]);
    v_src int[] := array_fill(NULL::int, ARRAY[n]);
    -- By the position of a pair's first send: the send of the batch that created the pair.
    v_creator int[] := array_fill(NULL::int, ARRAY[n]);
    v_in_batch_replays boolean := false;
    v_stored_replays boolean := false;
    v_roots uuid[] := '{}';
    v_root_convs uuid[] := '{}';
    v_root_counts int[] := '{}';
    v_root_ords int[] := '{}';
    v_root_vers bigint[] := '{}';
  BEGIN
    SELECT array_agg(c.id ORDER BY c.id), array_agg(c.last_seq ORDER BY c.id),
           array_agg(c.version ORDER BY c.id)
      INTO v_convs, v_seqs, v_vers
      FROM (SELECT c.id, c.last_seq, c.version FROM conversations c
             WHERE c.id = ANY(p_conversations) ORDER BY c.id FOR UPDATE) c;

    SELECT array_agg(m.id ORDER BY t.o),
           array_agg(CASE WHEN m.id IS NOT NULL THEN
                       m.conversation_id = t.c AND m.message_type = p_types[t.o]
                       AND m.reply_to_id IS NOT DISTINCT FROM t.r
                       AND (m.content = p_contents[t.o] OR m.deleted_at IS NOT NULL OR m.edited_at IS NOT NULL)
                     END ORDER BY t.o),
           array_agg(t.first ORDER BY t.o),
           array_agg(${ACTIVE('t.c', 't.s')} ORDER BY t.o),
           array_agg(CASE WHEN t.r IS NOT NULL THEN
                       (SELECT coalesce(rm.thread_root_id, rm.id) FROM messages rm
                         WHERE rm.id = t.r AND rm.conversation_id = t.c AND rm.deleted_at IS NULL)
                     END ORDER BY t.o),
           array_agg(CASE WHEN t.mt IS NOT NULL THEN coalesce(
                       (SELECT array_agg(u.id ORDER BY u.o)
                          FROM unnest(t.mt::uuid[]) WITH ORDINALITY AS u(id, o)
                         WHERE u.id <> t.s AND ${ACTIVE('t.c', 'u.id')}), '{}')::text
                     END ORDER BY t.o)
      INTO v_old_ids, v_old_ok, v_first, v_member, v_reply_roots, v_mentions
      FROM (SELECT x.*, min(x.o) OVER (PARTITION BY x.s, x.k) AS first
              FROM unnest(p_conversations, p_senders, p_client_ids, p_reply_to, p_mentions)
                   WITH ORDINALITY AS x(c, s, k, r, mt, o)) t
      LEFT JOIN messages m ON m.sender_id = t.s AND m.client_message_id = t.k;

    FOR i IN 1..n LOOP
      IF v_old_ids[i] IS NOT NULL THEN
        IF v_old_ok[i] THEN
          v_kinds[i] := 'replay';
          v_stored_replays := true;
        ELSE
          v_kinds[i] := 'conflict';
        END IF;
        CONTINUE;
      END IF;
      IF p_client_ids[i] IS NOT NULL THEN
        j := v_creator[v_first[i]];
        IF j IS NOT NULL THEN
          -- V2 found this row, inserted by the batch: as inserted, never edited or deleted.
          IF p_conversations[j] = p_conversations[i] AND p_types[j] = p_types[i]
             AND p_reply_to[j] IS NOT DISTINCT FROM p_reply_to[i] AND p_contents[j] = p_contents[i] THEN
            v_kinds[i] := 'replay';
            v_src[i] := j;
            v_in_batch_replays := true;
          ELSE
            v_kinds[i] := 'conflict';
          END IF;
          CONTINUE;
        END IF;
      END IF;
      IF NOT v_member[i] THEN
        v_kinds[i] := 'forbidden';
        CONTINUE;
      END IF;
      v_root := NULL;
      IF p_reply_to[i] IS NOT NULL THEN
        v_root := v_reply_roots[i];
        IF v_root IS NULL THEN
          j := array_position(p_ids, p_reply_to[i]);
          IF j < i AND v_seq_of[j] IS NOT NULL AND p_conversations[j] = p_conversations[i] THEN
            v_root := coalesce(v_root_of[j], p_ids[j]);
          END IF;
        END IF;
        IF v_root IS NULL THEN
          v_kinds[i] := 'invalid_reply';
          CONTINUE;
        END IF;
      END IF;
      v_pos := array_position(v_convs, p_conversations[i]);
      v_seqs[v_pos] := v_seqs[v_pos] + 1;
      v_vers[v_pos] := v_vers[v_pos] + 1;
      v_kinds[i] := 'created';
      v_seq_of[i] := v_seqs[v_pos];
      v_ver_of[i] := v_vers[v_pos];
      v_root_of[i] := v_root;
      IF p_client_ids[i] IS NOT NULL THEN
        v_creator[v_first[i]] := i;
      END IF;
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
    END LOOP;

    -- Replays of stored messages as they were before this batch (V2 read them in its loop).
    IF v_stored_replays THEN
      RETURN QUERY SELECT u.o::int, 'replay'::text, m.seq, m.version, m.thread_root_id, m.mentions,
        ${REST_OF('m')}, NULL::uuid[]
        FROM unnest(v_kinds, v_old_ids) WITH ORDINALITY AS u(kind, id, o)
        JOIN messages m ON m.id = u.id
       WHERE u.kind = 'replay';
    END IF;

    INSERT INTO messages (id, conversation_id, seq, sender_id, recipient_id, group_id, content,
                          message_type, client_message_id, created_at, version, reply_to_id,
                          thread_root_id, mentions)
    SELECT u.id, u.c, u.seq, u.s, u.rcpt, u.g, u.body, u.type, u.k, p_now, u.ver, u.r, u.root,
           coalesce(u.mt::uuid[], '{}')
      FROM unnest(p_ids, p_conversations, p_senders, p_recipients, p_groups, p_contents, p_types,
                  p_client_ids, p_reply_to, v_seq_of, v_ver_of, v_root_of, v_mentions)
           AS u(id, c, s, rcpt, g, body, type, k, r, seq, ver, root, mt)
     WHERE u.seq IS NOT NULL;

    -- Each thread root touched by the batch changes once, after its replies: the next version.
    IF v_roots <> '{}' THEN
      FOR i IN 1..array_length(v_roots, 1) LOOP
        v_pos := array_position(v_convs, v_root_convs[i]);
        v_vers[v_pos] := v_vers[v_pos] + 1;
        v_root_vers := v_root_vers || v_vers[v_pos];
      END LOOP;
      RETURN QUERY
        UPDATE messages m SET reply_count = m.reply_count + u.n, last_reply_at = p_now,
                              version = u.ver
          FROM unnest(v_roots, v_root_counts, v_root_vers, v_root_ords) AS u(id, n, ver, o)
         WHERE m.id = u.id
        RETURNING u.o, 'root'::text, m.seq, m.version, m.thread_root_id, m.mentions, ${REST_OF('m')},
                  NULL::uuid[];
    END IF;

    UPDATE conversations c SET last_seq = u.seq, version = u.version, last_message_at = p_now
      FROM unnest(v_convs, v_seqs, v_vers) AS u(id, seq, version)
     WHERE c.id = u.id AND u.seq > c.last_seq;
    -- Sending implies having seen the conversation: the senders' markers follow their messages.
    -- Marker rows are locked in (conversation, user) order, as the delivery-marker flush does,
    -- so the two never wait on each other in a cycle.
    PERFORM 1 FROM conversation_members cm
     WHERE (cm.conversation_id, cm.user_id) IN
           (SELECT u.c, u.s FROM unnest(p_conversations, p_senders, v_seq_of) AS u(c, s, seq)
             WHERE u.seq IS NOT NULL)
     ORDER BY cm.conversation_id, cm.user_id FOR UPDATE;
    UPDATE conversation_members cm
       SET last_read_seq = GREATEST(cm.last_read_seq, s.seq),
           last_delivered_seq = GREATEST(cm.last_delivered_seq, s.seq)
      FROM (SELECT u.c, u.s, max(u.seq) AS seq
              FROM unnest(p_conversations, p_senders, v_seq_of) AS u(c, s, seq)
             WHERE u.seq IS NOT NULL GROUP BY u.c, u.s) s
     WHERE cm.conversation_id = s.c AND cm.user_id = s.s;

    RETURN QUERY SELECT u.o::int, u.kind, u.seq, u.ver, u.root,
        CASE WHEN u.kind = 'created' AND u.mt <> '{}' THEN u.mt::uuid[] END, ${NULL_REST},
        NULL::uuid[]
      FROM unnest(v_kinds, v_seq_of, v_ver_of, v_root_of, v_mentions) WITH ORDINALITY
           AS u(kind, seq, ver, root, mt, o)
     WHERE u.kind <> 'replay';
    -- A repeat of a send this batch created: that message as it was inserted.
    IF v_in_batch_replays THEN
      RETURN QUERY SELECT u.o::int, 'replay'::text, v_seq_of[u.j], v_ver_of[u.j], v_root_of[u.j],
        coalesce(v_mentions[u.j]::uuid[], '{}'), p_ids[u.j], p_conversations[u.j], p_senders[u.j],
        p_recipients[u.j], p_groups[u.j], p_contents[u.j], p_types[u.j], p_client_ids[u.j], p_now,
        NULL::timestamptz, NULL::timestamptz, p_reply_to[u.j], 0, NULL::timestamptz, NULL::uuid[]
        FROM unnest(v_src) WITH ORDINALITY AS u(j, o)
       WHERE u.j IS NOT NULL;
    END IF;
    RETURN QUERY SELECT 0, 'participants'::text, NULL::bigint, NULL::bigint, NULL::uuid,
      NULL::uuid[], NULL::uuid, cm.conversation_id, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text,
      NULL::varchar, NULL::varchar, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
      NULL::uuid, NULL::int, NULL::timestamptz, array_agg(cm.user_id)
      FROM conversation_members cm
     WHERE cm.conversation_id = ANY(p_conversations) AND cm.left_seq IS NULL
     GROUP BY cm.conversation_id;
  END
  $fn$`;
