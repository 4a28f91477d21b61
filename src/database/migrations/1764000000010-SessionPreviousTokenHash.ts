import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sessions.previous_token_hash`: the hash of the secret the last rotation replaced. Presenting that
 * one again is reuse (the token was stolen or replayed) and revokes the session; any other wrong
 * secret is a plain 401, so knowing a session id (it is readable in every access token) is not
 * enough to end someone else's session.
 */
export class SessionPreviousTokenHash1764000000010 implements MigrationInterface {
  name = 'SessionPreviousTokenHash1764000000010';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD COLUMN "previous_token_hash" varchar(64) NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "previous_token_hash"`);
  }
}
