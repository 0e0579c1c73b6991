// Working hours, consent records and held delivery on PostgreSQL (contract: ../workplace.ts).
//
// Releasing moves a held envelope into the live queue under a fresh id. As a send does (envelopes.ts), it first
// locks the destination devices' rows (FOR NO KEY UPDATE, in key order), so the new ids of one device commit in
// id order. Two nodes releasing the same rows: the second waits on the device locks, then its DELETE finds the
// rows gone and moves nothing — each envelope is released exactly once.
import type { Weekday, WorkingHours } from '../../../common/wire/org-rules.ts';
import type { ConsentRecord, WorkplaceStore } from '../workplace.ts';
import type { StoredEnvelope } from '../types.ts';
import { bytes, num, str, type Pg, type Row } from './sql.ts';

const toConsent = (r: Row): ConsentRecord => ({
  userId: str(r.user_id), version: str(r.version), acceptedAt: num(r.accepted_at), deviceId: num(r.device_id),
});

function toEnvelope(r: Row): StoredEnvelope {
  return {
    id: num(r.id), destUser: str(r.dest_user), destDevice: num(r.dest_device), sourceUser: str(r.source_user),
    sourceDevice: num(r.source_device), type: num(r.type) === 3 ? 3 : 1, content: bytes(r.content),
    serverTimestamp: num(r.server_timestamp), ...(r.group_id == null ? {} : { groupId: str(r.group_id) }),
    ...(r.about_group == null ? {} : { aboutGroup: str(r.about_group) }),
  };
}

const LOCK_DEVICES = `
  SELECT 1 FROM devices WHERE (user_id, device_id) IN (SELECT * FROM unnest($1::text[], $2::int[]))
  ORDER BY user_id, device_id FOR NO KEY UPDATE`;

// Envelopes for a device that is no longer active are dropped, as a send drops them.
const MOVE = `
  WITH moved AS (DELETE FROM envelopes WHERE id = ANY($1::bigint[]) AND deliver_after IS NOT NULL RETURNING *)
  INSERT INTO envelopes (dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id, about_group)
  SELECT m.dest_user, m.dest_device, m.source_user, m.source_device, m.type, m.content, m.server_timestamp, m.group_id, m.about_group
  FROM moved m LEFT JOIN devices d ON d.user_id = m.dest_user AND d.device_id = m.dest_device
  WHERE d.state IS NULL OR d.state = 'active'
  ORDER BY m.id
  RETURNING *`;

export class PgWorkplaceStore implements WorkplaceStore {
  constructor(private readonly q: Pg) {}

  async hours(userId: string): Promise<(WorkingHours & { updatedAt: number }) | undefined> {
    const r = await this.q.row('SELECT * FROM working_hours WHERE user_id = $1', [userId]);
    return r ? {
      timeZone: str(r.time_zone), days: str(r.days).split(',') as Weekday[], start: str(r.start_hhmm), end: str(r.end_hhmm),
      updatedAt: num(r.updated_at),
    } : undefined;
  }

  async setHours(userId: string, h: WorkingHours | null, now: number): Promise<void> {
    if (!h) { await this.q.run('DELETE FROM working_hours WHERE user_id = $1', [userId]); return; }
    await this.q.run(
      `INSERT INTO working_hours (user_id, time_zone, days, start_hhmm, end_hhmm, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, days = excluded.days, start_hhmm = excluded.start_hhmm,
         end_hhmm = excluded.end_hhmm, updated_at = excluded.updated_at`,
      [userId, h.timeZone, h.days.join(','), h.start, h.end, now],
    );
  }

  async consent(userId: string, version: string): Promise<ConsentRecord | undefined> {
    const r = await this.q.row('SELECT * FROM consents WHERE user_id = $1 AND version = $2', [userId, version]);
    return r ? toConsent(r) : undefined;
  }

  async recordConsent(c: ConsentRecord): Promise<boolean> {
    return await this.q.run(
      'INSERT INTO consents (user_id, version, accepted_at, device_id) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, version) DO NOTHING',
      [c.userId, c.version, c.acceptedAt, c.deviceId],
    ) === 1;
  }

  async latestConsents(): Promise<Map<string, ConsentRecord>> {
    const out = new Map<string, ConsentRecord>();
    for (const r of await this.q.rows('SELECT DISTINCT ON (user_id) * FROM consents ORDER BY user_id, accepted_at DESC')) {
      out.set(str(r.user_id), toConsent(r));
    }
    return out;
  }

  async #move(due: Row[]): Promise<StoredEnvelope[]> {
    if (due.length === 0) return [];
    await this.q.rows(LOCK_DEVICES, [due.map((r) => str(r.dest_user)), due.map((r) => num(r.dest_device))]);
    const rows = await this.q.rows(MOVE, [due.map((r) => num(r.id))]);
    return rows.map(toEnvelope).sort((a, b) => a.id - b.id);
  }

  async releaseDue(now: number, limit: number): Promise<StoredEnvelope[]> {
    // Most passes find nothing: a plain read first, so an idle timer opens no transaction.
    if (!await this.q.row('SELECT 1 AS x FROM envelopes WHERE deliver_after IS NOT NULL AND deliver_after <= $1 LIMIT 1', [now])) return [];
    return this.q.write(async () => this.#move(await this.q.rows(
      'SELECT id, dest_user, dest_device FROM envelopes WHERE deliver_after IS NOT NULL AND deliver_after <= $1 ORDER BY id LIMIT $2', [now, limit],
    )));
  }

  rehold(userId: string, deliverAfter: number | null): Promise<StoredEnvelope[]> {
    return this.q.write(async () => {
      if (deliverAfter !== null) {
        await this.q.run('UPDATE envelopes SET deliver_after = $2 WHERE dest_user = $1 AND deliver_after IS NOT NULL', [userId, deliverAfter]);
        return [];
      }
      return this.#move(await this.q.rows(
        'SELECT id, dest_user, dest_device FROM envelopes WHERE dest_user = $1 AND deliver_after IS NOT NULL ORDER BY id', [userId]));
    });
  }

  async heldUntil(userId: string): Promise<number | undefined> {
    const r = await this.q.row('SELECT min(deliver_after) AS at FROM envelopes WHERE dest_user = $1 AND deliver_after IS NOT NULL', [userId]);
    return r?.at == null ? undefined : num(r.at);
  }
}
