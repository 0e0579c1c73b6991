// The relay queue: envelopes wait here until their device acknowledges them.
import type { EnvelopeStore, NewEnvelope, PendingSend, SendOnce, SendOutcome, StoredEnvelope } from '../types.ts';
import { inPieces, params, sized } from './batch-sql.ts';
import { storeBatch } from './envelope-batch.ts';
import { SqliteSendRecords } from './send-records.ts';
import { bytes, num, str, type Row, type Sql } from './sql.ts';

function toEnvelope(r: Row): StoredEnvelope {
  return {
    id: num(r.id), destUser: str(r.dest_user), destDevice: num(r.dest_device), sourceUser: str(r.source_user),
    sourceDevice: num(r.source_device), type: num(r.type) === 3 ? 3 : 1, content: bytes(r.content),
    serverTimestamp: num(r.server_timestamp), ...(r.group_id == null ? {} : { groupId: str(r.group_id) }),
    ...(r.about_group == null ? {} : { aboutGroup: str(r.about_group) }),
  };
}

const DELETE_ACKED = new Map<number, string>();

export class SqliteEnvelopeStore implements EnvelopeStore {
  readonly #sends: SqliteSendRecords;

  constructor(private readonly q: Sql) {
    this.#sends = new SqliteSendRecords(q);
  }

  store(envelopes: NewEnvelope[]): Promise<StoredEnvelope[]> {
    return this.q.write(() => this.#insert(envelopes));
  }

  #insert(envelopes: NewEnvelope[]): StoredEnvelope[] {
    const stored: StoredEnvelope[] = [];
    for (const e of envelopes) {
      // Nothing is queued for a device that was wiped or revoked after the sender's device check.
      const { changes, lastInsertRowid } = this.q.run(
        `INSERT INTO envelopes (dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id, about_group, deliver_after)
         SELECT $destUser, $destDevice, $sourceUser, $sourceDevice, $type, $content, $ts, $groupId, $aboutGroup, $deliverAfter
         WHERE NOT EXISTS (SELECT 1 FROM devices WHERE user_id = $destUser AND device_id = $destDevice AND state != 'active')`,
        {
          destUser: e.destUser, destDevice: e.destDevice, sourceUser: e.sourceUser, sourceDevice: e.sourceDevice,
          type: e.type, content: e.content, ts: e.serverTimestamp, groupId: e.groupId ?? null, aboutGroup: e.aboutGroup ?? null,
          deliverAfter: e.deliverAfter ?? null,
        },
      );
      if (changes === 1) stored.push({ ...e, id: Number(lastInsertRowid) });
    }
    return stored;
  }

  findSend(userId: string, deviceId: number, sendId: string, now: number): Promise<number | undefined> {
    return this.q.plain(() => {
      const r = this.#sends.find({ userId, deviceId, sendId });
      return r && r.expiresAt > now ? r.serverTimestamp : undefined;
    });
  }

  storeOnce(envelopes: NewEnvelope[], s: SendOnce): Promise<{ stored: StoredEnvelope[] } | { duplicateOf: number }> {
    return this.q.write(() => this.#storeOnce(envelopes, s));
  }

  /**
   * The group commit's sends (server/delivery.ts) in a few statements (sqlite/envelope-batch.ts). Should any of
   * them fail, that attempt is rolled back and the sends go one by one, each in its own savepoint, so a send
   * that fails fails alone.
   */
  storeMany(sends: PendingSend[]): Promise<SendOutcome[]> {
    return this.q.write(() => {
      const now = sends.find((s) => s.once)?.once?.now;
      if (now !== undefined) this.#sends.sweep(now);
      try {
        return this.q.tx(() => storeBatch(this.q, this.#sends, sends)).map((ok): SendOutcome => ({ ok }));
      } catch {
        return sends.map((s): SendOutcome => {
          try {
            return { ok: this.q.tx(() => (s.once ? this.#storeOnce(s.envelopes, s.once) : { stored: this.#insert(s.envelopes) })) };
          } catch (err) {
            return { err };
          }
        });
      }
    });
  }

  #storeOnce(envelopes: NewEnvelope[], s: SendOnce): { stored: StoredEnvelope[] } | { duplicateOf: number } {
    this.#sends.sweep(s.now);
    const hash = SqliteSendRecords.hash(s);
    const earlier = this.#sends.find(s, hash);
    if (earlier && earlier.expiresAt > s.now) return { duplicateOf: earlier.serverTimestamp };
    this.#sends.add([{ once: s, hash }], earlier ? [earlier.rowid] : []);
    return { stored: this.#insert(envelopes) };
  }

  after(userId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]> {
    return this.q.plain(() => this.q.all(
      // Held envelopes (deliver_after set) wait for server/workplace/release.ts.
      `SELECT * FROM envelopes WHERE dest_user = $userId AND dest_device = $deviceId AND id > $afterId AND deliver_after IS NULL
       ORDER BY id LIMIT $limit`, { userId, deviceId, afterId, limit },
    ).map(toEnvelope));
  }

  expire(before: number, limit: number): Promise<number> {
    return this.q.write(() => this.q.run(
      'DELETE FROM envelopes WHERE id IN (SELECT id FROM envelopes WHERE server_timestamp < $before LIMIT $limit)', { before, limit },
    ).changes);
  }

  delete(userId: string, deviceId: number, id: number): Promise<boolean> {
    return this.q.plain(() => this.#delete(userId, deviceId, id));
  }

  /** A turn's acks in a few statements (batch-sql.ts): one DELETE per ack was a quarter of the relay's SQLite time. */
  deleteMany(acks: { userId: string; deviceId: number; id: number }[]): Promise<number> {
    return this.q.write(() => {
      let n = 0;
      inPieces(acks, (piece) => {
        n += this.q.run(
          sized(DELETE_ACKED, piece.length, (rows) => `DELETE FROM envelopes WHERE (id, dest_user, dest_device) IN (VALUES ${rows}) AND deliver_after IS NULL`, 3),
          params(piece, 3, (p, at, a) => { p[at] = a.id; p[at + 1] = a.userId; p[at + 2] = a.deviceId; }),
        ).changes;
      });
      return n;
    });
  }

  #delete(userId: string, deviceId: number, id: number): boolean {
    return this.q.run(
      'DELETE FROM envelopes WHERE id = $id AND dest_user = $userId AND dest_device = $deviceId AND deliver_after IS NULL', { id, userId, deviceId },
    ).changes === 1;
  }
}
