import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attachments, full-text search and blocking (issue 15).
 *
 * - `attachments`: one row per upload. `message_id` is set when a send claims the upload, before the
 *   message row exists (the claim and the group commit are separate transactions), so it carries no
 *   foreign key; the sweep removes claims whose message never appeared.
 * - `messages.content_tsv`: a generated `tsvector` (`simple` configuration: any language, no stemming)
 *   with a GIN index, so search never scans the table. `post_messages` is left untouched: PostgreSQL
 *   fills a generated column on every insert or update.
 * - `user_blocks`: who blocks whom; the primary key makes a block idempotent.
 */
/** The search vector of a message (also declared on MessageEntity). */
export const CONTENT_TSV_EXPRESSION = `to_tsvector('simple'::regconfig, "content")`;

export class AttachmentsSearchBlocks1764000000030 implements MigrationInterface {
  name = 'AttachmentsSearchBlocks1764000000030';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "attachments" (
        "id" uuid NOT NULL,
        "uploader_id" uuid NOT NULL,
        "message_id" uuid,
        "claimed_at" timestamptz,
        "position" smallint,
        "filename" varchar(255) NOT NULL,
        "content_type" varchar(127) NOT NULL,
        "size" bigint NOT NULL,
        "sha256" char(64) NOT NULL,
        "width" integer,
        "height" integer,
        "storage_key" varchar(255) NOT NULL,
        "thumbnail_key" varchar(255),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_attachments" PRIMARY KEY ("id"),
        CONSTRAINT "FK_attachments_uploader" FOREIGN KEY ("uploader_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "CHK_attachments_claim" CHECK (("message_id" IS NULL) = ("claimed_at" IS NULL))
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_attachments_message" ON "attachments" ("message_id") WHERE "message_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_attachments_unattached" ON "attachments" ("created_at") WHERE "message_id" IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE "user_blocks" (
        "blocker_id" uuid NOT NULL,
        "blocked_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_user_blocks" PRIMARY KEY ("blocker_id", "blocked_id"),
        CONSTRAINT "CHK_user_blocks_not_self" CHECK ("blocker_id" <> "blocked_id"),
        CONSTRAINT "FK_user_blocks_blocker" FOREIGN KEY ("blocker_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_user_blocks_blocked" FOREIGN KEY ("blocked_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_user_blocks_blocked" ON "user_blocks" ("blocked_id")`,
    );

    await queryRunner.query(
      `ALTER TABLE "messages" ADD "content_tsv" tsvector GENERATED ALWAYS AS (${CONTENT_TSV_EXPRESSION}) STORED`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_messages_content_tsv" ON "messages" USING GIN ("content_tsv")`,
    );
    // TypeORM keeps generated-column expressions in its metadata table (what its own generated
    // migrations write), so the entity-vs-schema check can compare them.
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS "typeorm_metadata" (
        "type" varchar NOT NULL,
        "database" varchar,
        "schema" varchar,
        "table" varchar,
        "name" varchar,
        "value" text
      )`);
    await queryRunner.query(
      `INSERT INTO "typeorm_metadata" ("database", "schema", "table", "type", "name", "value")
       VALUES (current_database(), current_schema(), 'messages', 'GENERATED_COLUMN', 'content_tsv', $1)`,
      [CONTENT_TSV_EXPRESSION],
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Only this migration's generated column uses TypeORM's metadata table.
    await queryRunner.query(`DROP TABLE IF EXISTS "typeorm_metadata"`);
    await queryRunner.query(`DROP INDEX "IDX_messages_content_tsv"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "content_tsv"`);
    await queryRunner.query(`DROP TABLE "user_blocks"`);
    await queryRunner.query(`DROP TABLE "attachments"`);
  }
}
