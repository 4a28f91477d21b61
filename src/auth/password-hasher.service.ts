import { Injectable, Logger } from '@nestjs/common';
import * as argon2 from 'argon2';
import { Semaphore } from '../common/concurrency/semaphore';
import { AppError } from '../common/errors/app-error';

/** OWASP's minimum for argon2id: 19 MiB, t=2, p=1 (~35 ms here). */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** argon2 runs on libuv's pool; more than this many at once only queues memory, so queue here instead. */
const MAX_IN_FLIGHT = 4;

@Injectable()
export class PasswordHasher {
  private readonly logger = new Logger(PasswordHasher.name);
  private readonly gate = new Semaphore(MAX_IN_FLIGHT);
  /** Verified against when the account does not exist, so a miss costs what a wrong password costs. */
  private dummyHash: Promise<string> | null = null;

  async hash(password: string): Promise<string> {
    return this.gate.run(() => argon2.hash(password, OPTIONS));
  }

  /**
   * True only for the right password. A wrong one is false; a hash that cannot be checked (corrupt
   * row, native failure) is a server fault, logged and answered INTERNAL: never a 401 that would
   * tell the user their password is wrong.
   */
  async verify(hash: string | null, password: string): Promise<boolean> {
    const target = hash ?? (await this.getDummyHash());
    let ok: boolean;
    try {
      ok = await this.gate.run(() => argon2.verify(target, password));
    } catch (error) {
      this.logger.error(`Password hash could not be verified: ${String(error)}`);
      throw new AppError('INTERNAL', 'The password could not be checked, try again later');
    }
    return hash !== null && ok;
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.hash('not-a-real-password-just-timing');
    return this.dummyHash;
  }
}
