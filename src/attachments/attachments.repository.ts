import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { groupBy } from '../common/collections';
import type { MessageAttachment } from '../../libs/contracts/src';

export interface AttachmentRow {
  id: string;
  uploader_id: string;
  message_id: string | null;
  filename: string;
  content_type: string;
  size: string;
  sha256: string;
  width: number | null;
  height: number | null;
  storage_key: string;
  thumbnail_key: string | null;
}

export interface NewAttachment {
  id: string;
  uploaderId: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  width: number | null;
  height: number | null;
  storageKey: string;
}

interface StorageKeys {
  storage_key: string;
  thumbnail_key: string | null;
}

const COLUMNS =
  'a.id, a.uploader_id, a.message_id, a.filename, a.content_type, a.size, a.sha256, a.width, a.height, a.storage_key, a.thumbnail_key';

/** TypeORM answers UPDATE/DELETE ... RETURNING with `[rows, affected]`, SELECT with the rows. */
type Returned<T> = T[] | [T[], number];

function returnedRows<T>(result: Returned<T>): T[] {
  return result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number'
    ? result[0]
    : (result as T[]);
}

export function toMessageAttachment(row: AttachmentRow): MessageAttachment {
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size),
    width: row.width,
    height: row.height,
  };
}

/** The only reader and writer of `attachments`. */
@Injectable()
export class AttachmentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(attachment: NewAttachment): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO attachments (id, uploader_id, filename, content_type, size, sha256, width, height, storage_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        attachment.id,
        attachment.uploaderId,
        attachment.filename,
        attachment.contentType,
        attachment.size,
        attachment.sha256,
        attachment.width,
        attachment.height,
        attachment.storageKey,
      ],
    );
  }

  /**
   * The attachment if `userId` may read it: they uploaded it, or it belongs to a message they can
   * read (a participant of its conversation; for a group they left, a message from before they left).
   */
  async findReadable(id: string, userId: string): Promise<AttachmentRow | null> {
    const rows = await this.dataSource.query<AttachmentRow[]>(
      `SELECT ${COLUMNS} FROM attachments a
        WHERE a.id = $1
          AND (a.uploader_id = $2 OR EXISTS (
                SELECT 1 FROM messages m
                  JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $2
                 WHERE m.id = a.message_id AND (cm.left_seq IS NULL OR m.seq <= cm.left_seq)))`,
      [id, userId],
    );
    return rows[0] ?? null;
  }

  /**
   * Claims the sender's unattached uploads for a message about to be written (its id generated in
   * advance). Returns the claimed rows in the order given; fewer than asked means some were not
   * claimable, and the caller releases the claim.
   */
  async claim(
    senderId: string,
    ids: readonly string[],
    messageId: string,
  ): Promise<AttachmentRow[]> {
    const rows = returnedRows(
      await this.dataSource.query<Returned<AttachmentRow>>(
        `UPDATE attachments a SET message_id = $3, claimed_at = now(), position = array_position($2::uuid[], a.id)
        WHERE a.id = ANY($2::uuid[]) AND a.uploader_id = $1 AND a.message_id IS NULL
        RETURNING ${COLUMNS}`,
        [senderId, ids, messageId],
      ),
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async release(messageId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE attachments SET message_id = NULL, claimed_at = NULL, position = NULL WHERE message_id = $1`,
      [messageId],
    );
  }

  /** True when every id is already attached to the sender's message with this clientMessageID. */
  async attachedToClientMessage(
    senderId: string,
    ids: readonly string[],
    clientMessageId: string,
  ): Promise<boolean> {
    const rows = await this.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM attachments a JOIN messages m ON m.id = a.message_id
        WHERE a.id = ANY($2::uuid[]) AND m.sender_id = $1 AND m.client_message_id = $3`,
      [senderId, ids, clientMessageId],
    );
    return Number(rows[0]?.n ?? 0) === ids.length;
  }

  /** Per message id, its attachments in send order. */
  async forMessages(messageIds: readonly string[]): Promise<Map<string, MessageAttachment[]>> {
    if (!messageIds.length) {
      return new Map();
    }
    const rows = await this.dataSource.query<AttachmentRow[]>(
      `SELECT ${COLUMNS} FROM attachments a WHERE a.message_id = ANY($1::uuid[])
        ORDER BY a.message_id, a.position, a.id`,
      [messageIds],
    );
    return groupBy(rows, (row) => row.message_id as string, toMessageAttachment);
  }

  /** Records the thumbnail once: a key already stored (another instance won) is kept. */
  async setThumbnail(id: string, key: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE attachments SET thumbnail_key = $2 WHERE id = $1 AND thumbnail_key IS NULL`,
      [id, key],
    );
  }

  /** Deletes the message's attachments; returns the storage keys to remove. */
  async deleteForMessage(messageId: string): Promise<string[]> {
    const rows = returnedRows(
      await this.dataSource.query<Returned<StorageKeys>>(
        `DELETE FROM attachments WHERE message_id = $1 RETURNING storage_key, thumbnail_key`,
        [messageId],
      ),
    );
    return rows.flatMap((row) => [
      row.storage_key,
      ...(row.thumbnail_key ? [row.thumbnail_key] : []),
    ]);
  }

  /**
   * Deletes uploads never attached and older than `unattachedBefore`, and claims older than
   * `claimedBefore` whose message was never written (a crash between claim and commit). Returns the
   * storage keys to remove. Each row is deleted by exactly one caller, whichever instance sweeps.
   */
  async deleteAbandoned(unattachedBefore: Date, claimedBefore: Date): Promise<string[]> {
    const rows = returnedRows(
      await this.dataSource.query<Returned<StorageKeys>>(
        `DELETE FROM attachments a
          WHERE (a.message_id IS NULL AND a.created_at < $1)
             OR (a.message_id IS NOT NULL AND a.claimed_at < $2
                 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = a.message_id))
          RETURNING a.storage_key, a.thumbnail_key`,
        [unattachedBefore, claimedBefore],
      ),
    );
    return rows.flatMap((row) => [
      row.storage_key,
      ...(row.thumbnail_key ? [row.thumbnail_key] : []),
    ]);
  }
}
