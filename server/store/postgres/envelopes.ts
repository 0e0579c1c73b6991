// The relay queue: envelopes wait here until their device acknowledges them.
//
// Delivery (server/delivery.ts) reads a device's queue by `id > last id sent`, so ids of one device must become
// visible in id order: an id that commits after a larger one was read would never be sent. With many writers
// that needs care — an identity column hands out ids at insert time, not at commit. So an insert first locks
// the destination devices' rows (FOR NO KEY UPDATE, in key order: no deadlock between two sends) and takes its
// ids while holding them until it commits: the sends to one device commit one after the other, in id order.
// The same lock orders them against a wipe or revocation of that device (devices.ts changeState).
import type { EnvelopeStore, NewEnvelope, PendingSend, SendOnce, SendOutcome, StoredEnvelope } from '../types.ts';
import { bytes, num, str, type Pg, type Row } from './sql.ts';

/** Expired send records are swept at most this often (a DELETE per send would be a write per send). */
const SWEEP_MS = 60_000;

function toEnvelope(r: Row): StoredEnvelope {
  return {
    id: num(r.id), destUser: str(r.dest_user), destDevice: num(r.dest_device), sourceUser: str(r.source_user),
    sourceDevice: num(r.source_device), type: num(r.type) === 3 ? 3 : 1, content: bytes(r.content),
    serverTimestamp: num(r.server_timestamp), ...(r.group_id == null ? {} : { groupId: str(r.group_id) }),
    ...(r.about_group == null ? {} : { aboutGroup: str(r.about_group) }),
  };
}

// One statement, so one round trip and its own transaction. `locked` is materialized and sorted before any row
// is inserted; envelopes for a device that exists and is not active are dropped (a device that does not exist
// cannot be checked, and is stored for, as on SQLite).
const STORE = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::smallint[], $6::bytea[], $7::bigint[], $8::text[], $9::text[], $10::bigint[])
      WITH ORDINALITY AS t(dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id, about_group, deliver_after, ord)
  ), locked AS MATERIALIZED (
    SELECT d.user_id, d.device_id, d.state FROM devices d
    WHERE (d.user_id, d.device_id) IN (SELECT dest_user, dest_device FROM input)
    ORDER BY d.user_id, d.device_id FOR NO KEY UPDATE OF d
  )
  INSERT INTO envelopes (dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id, about_group, deliver_after)
  SELECT i.dest_user, i.dest_device, i.source_user, i.source_device, i.type, i.content, i.server_timestamp, i.group_id, i.about_group, i.deliver_after
  FROM input i LEFT JOIN locked l ON l.user_id = i.dest_user AND l.device_id = i.dest_device
  WHERE l.state IS NULL OR l.state = 'active'
  ORDER BY i.ord
  RETURNING id, dest_user, dest_device`;

export class PgEnvelopeStore implements EnvelopeStore {
  #sweptAt = 0;

  constructor(private readonly q: Pg) {}

  async store(envelopes: NewEnvelope[]): Promise<StoredEnvelope[]> {
    if (envelopes.length === 0) return [];
    const col = <T>(f: (e: NewEnvelope) => T) => envelopes.map(f);
    const rows = await this.q.rows(STORE, [
      col((e) => e.destUser), col((e) => e.destDevice), col((e) => e.sourceUser), col((e) => e.sourceDevice), col((e) => e.type),
      col((e) => e.content), col((e) => e.serverTimestamp), col((e) => e.groupId ?? null), col((e) => e.aboutGroup ?? null),
      col((e) => e.deliverAfter ?? null),
    ]);
    // Match ids back to the envelopes: per destination, in order (the rows were inserted in input order).
    const ids = new Map<string, number[]>();
    for (const r of rows.sort((a, b) => num(a.id) - num(b.id))) {
      const k = `${str(r.dest_user)}/${num(r.dest_device)}`;
      const list = ids.get(k);
      if (list) list.push(num(r.id)); else ids.set(k, [num(r.id)]);
    }
    const stored: StoredEnvelope[] = [];
    for (const e of envelopes) {
      const id = ids.get(`${e.destUser}/${e.destDevice}`)?.shift();
      if (id !== undefined) stored.push({ ...e, id });
    }
    return stored.sort((a, b) => a.id - b.id);
  }

  async after(userId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]> {
    return (await this.q.rows(
      // Held envelopes (deliver_after set) wait for server/workplace/release.ts.
      'SELECT * FROM envelopes WHERE dest_user = $1 AND dest_device = $2 AND id > $3 AND deliver_after IS NULL ORDER BY id LIMIT $4', [userId, deviceId, afterId, limit],
    )).map(toEnvelope);
  }

  async findSend(userId: string, deviceId: number, sendId: string, now: number): Promise<number | undefined> {
    const r = await this.q.row(
      'SELECT server_timestamp FROM sends WHERE user_id = $1 AND device_id = $2 AND send_id = $3 AND expires_at > $4', [userId, deviceId, sendId, now]);
    return r ? num(r.server_timestamp) : undefined;
  }

  storeOnce(envelopes: NewEnvelope[], s: SendOnce): Promise<{ stored: StoredEnvelope[] } | { duplicateOf: number }> {
    return this.q.write(async () => {
      if (s.now - this.#sweptAt > SWEEP_MS) {
        this.#sweptAt = s.now;
        await this.q.run('DELETE FROM sends WHERE expires_at <= $1', [s.now]);
      }
      // Claims the sendId (an expired record counts as absent). A concurrent send with the same id, on any node,
      // waits on this row until we commit, then finds it taken.
      const claimed = await this.q.row(
        `INSERT INTO sends (user_id, device_id, send_id, server_timestamp, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id, device_id, send_id) DO UPDATE SET server_timestamp = excluded.server_timestamp, expires_at = excluded.expires_at
           WHERE sends.expires_at <= $6
         RETURNING 1 AS ok`,
        [s.userId, s.deviceId, s.sendId, s.serverTimestamp, s.expiresAt, s.now],
      );
      if (!claimed) {
        const earlier = await this.q.row('SELECT server_timestamp FROM sends WHERE user_id = $1 AND device_id = $2 AND send_id = $3',
          [s.userId, s.deviceId, s.sendId]);
        return { duplicateOf: num(earlier!.server_timestamp) };
      }
      return { stored: await this.store(envelopes) };
    });
  }

  /** One by one: with many writers the hub does not group commits (server/delivery.ts), so this is seldom called. */
  async storeMany(sends: PendingSend[]): Promise<SendOutcome[]> {
    const out: SendOutcome[] = [];
    for (const s of sends) {
      try {
        out.push({ ok: s.once ? await this.storeOnce(s.envelopes, s.once) : { stored: await this.store(s.envelopes) } });
      } catch (err) {
        out.push({ err });
      }
    }
    return out;
  }

  // SKIP LOCKED: rows a send is inserting right now (or another node is sweeping) are left to the next batch.
  async expire(before: number, limit: number): Promise<number> {
    return await this.q.run(
      'DELETE FROM envelopes WHERE id IN (SELECT id FROM envelopes WHERE server_timestamp < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)', [before, limit]);
  }

  async delete(userId: string, deviceId: number, id: number): Promise<boolean> {
    return await this.q.run('DELETE FROM envelopes WHERE id = $1 AND dest_user = $2 AND dest_device = $3 AND deliver_after IS NULL', [id, userId, deviceId]) === 1;
  }

  async deleteMany(acks: { userId: string; deviceId: number; id: number }[]): Promise<number> {
    let n = 0;
    for (const a of acks) if (await this.delete(a.userId, a.deviceId, a.id)) n++;
    return n;
  }
}
