import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { Semaphore } from '../common/concurrency/semaphore';

/** OWASP's minimum for argon2id: 19 MiB, t=2, p=1 (~35 ms here). */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** argon2 runs on libuv's pool; more than this many at once only queues memory, so queue here instead. */
const MAX_IN_FLIGHT = 4;

@Injectable()
export class PasswordHasher {
  private readonly gate = new Semaphore(MAX_IN_FLIGHT);
  /** Verified against when the account does not exist, so a miss costs what a wrong password costs. */
  private dummyHash: Promise<string> | null = null;

  async hash(password: string): Promise<string> {
    return this.gate.run(() => argon2.hash(password, OPTIONS));
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    const target = hash ?? (await this.getDummyHash());
    const ok = await this.gate.run(() => argon2.verify(target, password).catch(() => false));
    return hash !== null && ok;
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.hash('not-a-real-password-just-timing');
    return this.dummyHash;
  }
}
