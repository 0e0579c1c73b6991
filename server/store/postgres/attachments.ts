// Attachment blobs on PostgreSQL. Nodes of a cluster share no file system, so the ciphertext is kept in the
// database as attachment_chunks: 1 MiB BYTEA rows, inserted as the upload arrives and read back one row per
// query, so no node holds more than a chunk of a file in memory. The metadata is as on SQLite.
import type { AttachmentRecord, AttachmentStore } from '../attachments.ts';
import { bool, bytes, num, str, type Pg, type Row } from './sql.ts';

export const CHUNK_BYTES = 1024 * 1024;

function toRecord(r: Row): AttachmentRecord {
  return {
    id: str(r.id), ownerUser: str(r.owner_user), ownerDevice: num(r.owner_device), size: num(r.size),
    createdAt: num(r.created_at), expiresAt: num(r.expires_at), complete: bool(r.complete), granted: bool(r.granted),
  };
}

export class PgAttachmentStore implements AttachmentStore {
  constructor(private readonly q: Pg) {}

  reserve(a: Omit<AttachmentRecord, 'complete' | 'granted'>, quotaBytes: number): Promise<boolean> {
    return this.q.write(async () => {
      // Two nodes reserving for one user at once queue here, so both cannot squeeze under the quota.
      await this.q.run("SELECT pg_advisory_xact_lock(hashtext('attachments:' || $1))", [a.ownerUser]);
      const used = num((await this.q.row('SELECT COALESCE(SUM(size), 0)::bigint AS used FROM attachments WHERE owner_user = $1', [a.ownerUser]))!.used);
      if (used + a.size > quotaBytes) return false;
      await this.q.run(
        'INSERT INTO attachments (id, owner_user, owner_device, size, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [a.id, a.ownerUser, a.ownerDevice, a.size, a.createdAt, a.expiresAt],
      );
      return true;
    });
  }

  async writeBlob(id: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const rec = await this.get(id);
    if (!rec || rec.complete) throw new Error('no upload reserved under this id');
    let count = 0;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.q.run('INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES ($1, $2, $3)', [id, seq++, data]);
    };
    try {
      for await (const chunk of chunks) {
        count += chunk.length;
        if (count > rec.size) throw new Error(`the upload is longer than the ${rec.size} bytes announced`);
        let c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        while (c.length > 0) {
          const take = Math.min(c.length, CHUNK_BYTES - pendingBytes);
          pending.push(c.subarray(0, take));
          pendingBytes += take;
          c = c.subarray(take);
          if (pendingBytes === CHUNK_BYTES) await flush();
        }
      }
      await flush();
      if (count !== rec.size) throw new Error(`the upload ended after ${count} of ${rec.size} bytes`);
      await this.q.run('UPDATE attachments SET complete = TRUE WHERE id = $1', [id]);
    } catch (err) {
      await this.q.run('DELETE FROM attachment_chunks WHERE attachment_id = $1', [id]).catch(() => {});
      throw err;
    }
  }

  async *readBlob(id: string): AsyncIterable<Uint8Array> {
    for (let seq = 0; ; seq++) {
      const r = await this.q.row('SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND seq = $2', [id, seq]);
      if (!r) return;
      yield bytes(r.data);
    }
  }

  async get(id: string): Promise<AttachmentRecord | undefined> {
    const r = await this.q.row('SELECT * FROM attachments WHERE id = $1', [id]);
    return r ? toRecord(r) : undefined;
  }

  grant(id: string, devices: Array<{ userId: string; deviceId: number }>, expiresAt: number): Promise<boolean> {
    return this.q.write(async () => {
      if (await this.q.run('UPDATE attachments SET granted = TRUE, expires_at = $2 WHERE id = $1', [id, expiresAt]) !== 1) return false;
      if (devices.length > 0) {
        await this.q.run(
          `INSERT INTO attachment_grants (attachment_id, user_id, device_id)
           SELECT $1, u, d FROM unnest($2::text[], $3::int[]) AS t(u, d) ON CONFLICT DO NOTHING`,
          [id, devices.map((d) => d.userId), devices.map((d) => d.deviceId)],
        );
      }
      return true;
    });
  }

  async isGranted(id: string, userId: string, deviceId: number): Promise<boolean> {
    return (await this.q.row('SELECT 1 FROM attachment_grants WHERE attachment_id = $1 AND user_id = $2 AND device_id = $3', [id, userId, deviceId])) !== undefined;
  }

  markFetched(id: string, userId: string, deviceId: number, now: number): Promise<boolean> {
    return this.q.write(async () => {
      // The attachment row is locked so two last fetches on two nodes cannot both miss that all are done.
      await this.q.run('SELECT 1 FROM attachments WHERE id = $1 FOR UPDATE', [id]);
      await this.q.run('UPDATE attachment_grants SET fetched_at = $4 WHERE attachment_id = $1 AND user_id = $2 AND device_id = $3 AND fetched_at IS NULL',
        [id, userId, deviceId, now]);
      const r = (await this.q.row('SELECT COUNT(*)::bigint AS total, COUNT(fetched_at)::bigint AS fetched FROM attachment_grants WHERE attachment_id = $1', [id]))!;
      return num(r.total) > 0 && num(r.total) === num(r.fetched);
    });
  }

  async delete(id: string): Promise<boolean> {
    // Chunks and grants go with the row (ON DELETE CASCADE).
    return (await this.q.run('DELETE FROM attachments WHERE id = $1', [id])) === 1;
  }

  async expired(now: number, limit: number): Promise<string[]> {
    return (await this.q.rows('SELECT id FROM attachments WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2', [now, limit])).map((r) => str(r.id));
  }

  async createdBefore(before: number, limit: number): Promise<string[]> {
    return (await this.q.rows('SELECT id FROM attachments WHERE created_at < $1 ORDER BY created_at LIMIT $2', [before, limit])).map((r) => str(r.id));
  }

  async usage(userId: string): Promise<number> {
    return num((await this.q.row('SELECT COALESCE(SUM(size), 0)::bigint AS used FROM attachments WHERE owner_user = $1', [userId]))!.used);
  }
}
