import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema. Every invariant that must never break twice is a constraint here: one account per
 * username and per email (case-insensitive), one direct conversation per pair, one seq per conversation,
 * one message per (sender, clientMessageID).
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await queryRunner.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "username" varchar(32) NOT NULL,
        "email" varchar(254) NOT NULL,
        "password_hash" text NOT NULL,
        "last_seen" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_users" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_users_username_lower" ON "users" (lower("username"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_users_email_lower" ON "users" (lower("email"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_users_username_prefix" ON "users" (lower("username") text_pattern_ops)`,
    );

    await queryRunner.query(`
      CREATE TABLE "sessions" (
        "id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "token_hash" varchar(64) NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "revoked_at" timestamptz,
        "revoked_reason" varchar(32),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "rotated_at" timestamptz,
        CONSTRAINT "PK_sessions" PRIMARY KEY ("id"),
        CONSTRAINT "FK_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_sessions_user_id" ON "sessions" ("user_id")`);

    await queryRunner.query(`
      CREATE TABLE "conversations" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "type" varchar(10) NOT NULL,
        "group_id" uuid,
        "user_low" uuid,
        "user_high" uuid,
        "last_seq" bigint NOT NULL DEFAULT 0,
        "last_message_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_conversations" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_conversations_type" CHECK ("type" IN ('direct', 'group')),
        CONSTRAINT "CHK_conversations_direct_pair" CHECK (
          ("type" = 'direct' AND "user_low" IS NOT NULL AND "user_high" IS NOT NULL AND "user_low" < "user_high" AND "group_id" IS NULL)
          OR ("type" = 'group' AND "group_id" IS NOT NULL AND "user_low" IS NULL AND "user_high" IS NULL)
        )
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_conversations_direct_pair" ON "conversations" ("user_low", "user_high") WHERE "type" = 'direct'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_conversations_group" ON "conversations" ("group_id") WHERE "group_id" IS NOT NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE "groups" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" varchar(100) NOT NULL,
        "description" varchar(500),
        "visibility" varchar(10) NOT NULL DEFAULT 'public',
        "created_by" uuid NOT NULL,
        "conversation_id" uuid NOT NULL,
        "member_count" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_groups" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_groups_conversation" UNIQUE ("conversation_id"),
        CONSTRAINT "CHK_groups_visibility" CHECK ("visibility" IN ('public', 'private')),
        CONSTRAINT "FK_groups_creator" FOREIGN KEY ("created_by") REFERENCES "users" ("id"),
        CONSTRAINT "FK_groups_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id")
      )`);

    await queryRunner.query(`
      CREATE TABLE "group_members" (
        "group_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "role" varchar(10) NOT NULL,
        "joined_at" timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT "PK_group_members" PRIMARY KEY ("group_id", "user_id"),
        CONSTRAINT "CHK_group_members_role" CHECK ("role" IN ('owner', 'admin', 'member')),
        CONSTRAINT "FK_group_members_group" FOREIGN KEY ("group_id") REFERENCES "groups" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_group_members_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_group_members_user" ON "group_members" ("user_id")`);
    await queryRunner.query(
      `CREATE INDEX "IDX_group_members_seniority" ON "group_members" ("group_id", "joined_at", "user_id")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_group_members_one_owner" ON "group_members" ("group_id") WHERE "role" = 'owner'`,
    );

    await queryRunner.query(`
      CREATE TABLE "conversation_members" (
        "conversation_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "last_read_seq" bigint NOT NULL DEFAULT 0,
        "last_delivered_seq" bigint NOT NULL DEFAULT 0,
        "left_seq" bigint,
        "joined_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_conversation_members" PRIMARY KEY ("conversation_id", "user_id"),
        CONSTRAINT "FK_conversation_members_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_conversation_members_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_conversation_members_user" ON "conversation_members" ("user_id")`,
    );

    await queryRunner.query(`
      CREATE TABLE "messages" (
        "id" uuid NOT NULL,
        "conversation_id" uuid NOT NULL,
        "seq" bigint NOT NULL,
        "sender_id" uuid NOT NULL,
        "recipient_id" uuid,
        "group_id" uuid,
        "content" text NOT NULL,
        "message_type" varchar(8) NOT NULL,
        "client_message_id" varchar(64),
        "created_at" timestamptz NOT NULL,
        CONSTRAINT "PK_messages" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_messages_type" CHECK ("message_type" IN ('text', 'image', 'file')),
        CONSTRAINT "FK_messages_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_messages_sender" FOREIGN KEY ("sender_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_messages_conversation_seq" ON "messages" ("conversation_id", "seq")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_messages_sender_client_id" ON "messages" ("sender_id", "client_message_id") WHERE "client_message_id" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP TABLE "conversation_members"`);
    await queryRunner.query(`DROP TABLE "group_members"`);
    await queryRunner.query(`DROP TABLE "groups"`);
    await queryRunner.query(`DROP TABLE "conversations"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
