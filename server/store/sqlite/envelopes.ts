// The relay queue: envelopes wait here until their device acknowledges them.
import type { EnvelopeStore, NewEnvelope, StoredEnvelope } from '../types.ts';
import { bytes, num, str, type Row, type Sql } from './sql.ts';

function toEnvelope(r: Row): StoredEnvelope {
  return {
    id: num(r.id), destUser: str(r.dest_user), destDevice: num(r.dest_device), sourceUser: str(r.source_user),
    sourceDevice: num(r.source_device), type: num(r.type) === 3 ? 3 : 1, content: bytes(r.content),
    serverTimestamp: num(r.server_timestamp), ...(r.group_id == null ? {} : { groupId: str(r.group_id) }),
  };
}

export class SqliteEnvelopeStore implements EnvelopeStore {
  constructor(private readonly q: Sql) {}

  store(envelopes: NewEnvelope[]): Promise<StoredEnvelope[]> {
    return this.q.write(() => {
      const stored: StoredEnvelope[] = [];
      for (const e of envelopes) {
        // Nothing is queued for a device that was wiped or revoked after the sender's device check.
        const { changes, lastInsertRowid } = this.q.run(
          `INSERT INTO envelopes (dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id)
           SELECT $destUser, $destDevice, $sourceUser, $sourceDevice, $type, $content, $ts, $groupId
           WHERE NOT EXISTS (SELECT 1 FROM devices WHERE user_id = $destUser AND device_id = $destDevice AND state != 'active')`,
          {
            destUser: e.destUser, destDevice: e.destDevice, sourceUser: e.sourceUser, sourceDevice: e.sourceDevice,
            type: e.type, content: e.content, ts: e.serverTimestamp, groupId: e.groupId ?? null,
          },
        );
        if (changes === 1) stored.push({ ...e, id: Number(lastInsertRowid) });
      }
      return stored;
    });
  }

  after(userId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]> {
    return this.q.plain(() => this.q.all(
      `SELECT * FROM envelopes WHERE dest_user = $userId AND dest_device = $deviceId AND id > $afterId
       ORDER BY id LIMIT $limit`, { userId, deviceId, afterId, limit },
    ).map(toEnvelope));
  }

  delete(userId: string, deviceId: number, id: number): Promise<boolean> {
    return this.q.plain(() => this.q.run(
      'DELETE FROM envelopes WHERE id = $id AND dest_user = $userId AND dest_device = $deviceId', { id, userId, deviceId },
    ).changes === 1);
  }
}
