import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { AttachmentStorage, type ByteRange } from './attachment-storage';

/** Files under DATA_DIR/attachments, spread over 256 folders by the key's first two characters. */
export class LocalAttachmentStorage extends AttachmentStorage {
  constructor(private readonly root: string) {
    super();
  }

  async putFile(key: string, file: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    // The spool lives under the same root, so this is an atomic rename, never a copy.
    await rename(file, target);
  }

  async putBuffer(key: string, body: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.${process.pid}.part`;
    await writeFile(partial, body);
    await rename(partial, target);
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    let handle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return null;
      }
      throw error;
    }
    return handle.createReadStream({ start: range?.start, end: range?.end });
  }

  async remove(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.pathOf(key), { force: true })));
  }

  private pathOf(key: string): string {
    if (!/^[a-z0-9][a-z0-9.-]{1,100}$/.test(key)) {
      throw new Error(`Invalid storage key ${key}`);
    }
    return path.join(this.root, key.slice(0, 2), key);
  }
}
