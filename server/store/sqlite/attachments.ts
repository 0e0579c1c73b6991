// Attachment blobs on SQLite: metadata rows here, the ciphertext as one file per attachment in <data>/blobs
// (0700 directory, 0600 files). An upload streams into `<id>.part` and is renamed to `<id>` only when every
// byte came, so a reader never sees a partial file and a crash leaves a .part the expiry sweep removes.
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { secureDataDir } from '../../data-dir.ts';
import type { AttachmentRecord, AttachmentStore } from '../attachments.ts';
import { num, str, type Row, type Sql } from './sql.ts';

const ID = /^[A-Za-z0-9_-]{16,64}$/;

function toRecord(r: Row): AttachmentRecord {
  return {
    id: str(r.id), ownerUser: str(r.owner_user), ownerDevice: num(r.owner_device), size: num(r.size),
    createdAt: num(r.created_at), expiresAt: num(r.expires_at), complete: num(r.complete) === 1, granted: num(r.granted) === 1,
  };
}

export class SqliteAttachmentStore implements AttachmentStore {
  readonly #dir: string;

  constructor(private readonly q: Sql, dataDir: string) {
    this.#dir = join(dataDir, 'blobs');
    secureDataDir(this.#dir);
  }

  /** The blob's file; ids are checked so a path can never leave the blob directory. */
  #file(id: string, part = false): string {
    if (!ID.test(id)) throw new Error('invalid attachment id');
    return join(this.#dir, part ? `${id}.part` : id);
  }

  reserve(a: Omit<AttachmentRecord, 'complete' | 'granted'>, quotaBytes: number): Promise<boolean> {
    return this.q.write(() => {
      const used = num(this.q.get('SELECT COALESCE(SUM(size), 0) AS used FROM attachments WHERE owner_user = $u', { u: a.ownerUser })!.used);
      if (used + a.size > quotaBytes) return false;
      this.q.run(
        `INSERT INTO attachments (id, owner_user, owner_device, size, created_at, expires_at)
         VALUES ($id, $ownerUser, $ownerDevice, $size, $createdAt, $expiresAt)`,
        { id: a.id, ownerUser: a.ownerUser, ownerDevice: a.ownerDevice, size: a.size, createdAt: a.createdAt, expiresAt: a.expiresAt },
      );
      return true;
    });
  }

  async writeBlob(id: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const rec = await this.get(id);
    if (!rec || rec.complete) throw new Error('no upload reserved under this id');
    const part = this.#file(id, true);
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    let count = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        count += chunk.length;
        if (count > rec.size) done(new Error(`the upload is longer than the ${rec.size} bytes announced`));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(chunks, counter, createWriteStream(part, { mode: 0o600, flags: 'wx' }));
      if (count !== rec.size) throw new Error(`the upload ended after ${count} of ${rec.size} bytes`);
      await rename(part, this.#file(id));
      await this.q.write(() => { this.q.run('UPDATE attachments SET complete = 1 WHERE id = $id', { id }); });
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
  }

  async *readBlob(id: string): AsyncIterable<Uint8Array> {
    yield* createReadStream(this.#file(id), { highWaterMark: 256 * 1024 });
  }

  get(id: string): Promise<AttachmentRecord | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM attachments WHERE id = $id', { id });
      return r ? toRecord(r) : undefined;
    });
  }

  grant(id: string, devices: Array<{ userId: string; deviceId: number }>, expiresAt: number): Promise<boolean> {
    return this.q.write(() => {
      if (this.q.run('UPDATE attachments SET granted = 1, expires_at = $expiresAt WHERE id = $id', { id, expiresAt }).changes !== 1) return false;
      for (const d of devices) {
        this.q.run('INSERT OR IGNORE INTO attachment_grants (attachment_id, user_id, device_id) VALUES ($id, $u, $d)', { id, u: d.userId, d: d.deviceId });
      }
      return true;
    });
  }

  isGranted(id: string, userId: string, deviceId: number): Promise<boolean> {
    return this.q.plain(() => this.q.get(
      'SELECT 1 FROM attachment_grants WHERE attachment_id = $id AND user_id = $u AND device_id = $d', { id, u: userId, d: deviceId },
    ) !== undefined);
  }

  markFetched(id: string, userId: string, deviceId: number, now: number): Promise<boolean> {
    return this.q.write(() => {
      this.q.run('UPDATE attachment_grants SET fetched_at = $now WHERE attachment_id = $id AND user_id = $u AND device_id = $d AND fetched_at IS NULL',
        { id, u: userId, d: deviceId, now });
      const r = this.q.get('SELECT COUNT(*) AS total, COUNT(fetched_at) AS fetched FROM attachment_grants WHERE attachment_id = $id', { id })!;
      return num(r.total) > 0 && num(r.total) === num(r.fetched);
    });
  }

  async delete(id: string): Promise<boolean> {
    const gone = await this.q.write(() => this.q.run('DELETE FROM attachments WHERE id = $id', { id }).changes === 1);
    // The row goes first: from then on nobody is served the file, so removing it cannot race a new reader.
    await rm(this.#file(id), { force: true });
    await rm(this.#file(id, true), { force: true });
    return gone;
  }

  expired(now: number, limit: number): Promise<string[]> {
    return this.q.plain(() => this.q.all('SELECT id FROM attachments WHERE expires_at <= $now ORDER BY expires_at LIMIT $limit', { now, limit })
      .map((r) => str(r.id)));
  }

  createdBefore(before: number, limit: number): Promise<string[]> {
    return this.q.plain(() => this.q.all('SELECT id FROM attachments WHERE created_at < $before ORDER BY created_at LIMIT $limit', { before, limit })
      .map((r) => str(r.id)));
  }

  usage(userId: string): Promise<number> {
    return this.q.plain(() => num(this.q.get('SELECT COALESCE(SUM(size), 0) AS used FROM attachments WHERE owner_user = $u', { u: userId })!.used));
  }
}
