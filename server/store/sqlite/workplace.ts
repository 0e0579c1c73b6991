// Working hours, consent records and held delivery (contract: ../workplace.ts).
import type { Weekday, WorkingHours } from '../../../common/wire/org-rules.ts';
import type { ConsentRecord, WorkplaceStore } from '../workplace.ts';
import type { StoredEnvelope } from '../types.ts';
import { bytes, num, str, type Row, type Sql } from './sql.ts';

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

export class SqliteWorkplaceStore implements WorkplaceStore {
  constructor(private readonly q: Sql) {}

  hours(userId: string): Promise<(WorkingHours & { updatedAt: number }) | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM working_hours WHERE user_id = $userId', { userId });
      return r ? {
        timeZone: str(r.time_zone), days: str(r.days).split(',') as Weekday[], start: str(r.start_hhmm), end: str(r.end_hhmm),
        updatedAt: num(r.updated_at),
      } : undefined;
    });
  }

  setHours(userId: string, h: WorkingHours | null, now: number): Promise<void> {
    return this.q.plain(() => {
      if (!h) { this.q.run('DELETE FROM working_hours WHERE user_id = $userId', { userId }); return; }
      this.q.run(
        `INSERT INTO working_hours (user_id, time_zone, days, start_hhmm, end_hhmm, updated_at) VALUES ($userId, $tz, $days, $start, $end, $now)
         ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, days = excluded.days, start_hhmm = excluded.start_hhmm,
           end_hhmm = excluded.end_hhmm, updated_at = excluded.updated_at`,
        { userId, tz: h.timeZone, days: h.days.join(','), start: h.start, end: h.end, now },
      );
    });
  }

  consent(userId: string, version: string): Promise<ConsentRecord | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM consents WHERE user_id = $userId AND version = $version', { userId, version });
      return r ? toConsent(r) : undefined;
    });
  }

  recordConsent(c: ConsentRecord): Promise<boolean> {
    return this.q.plain(() => this.q.run(
      `INSERT INTO consents (user_id, version, accepted_at, device_id) VALUES ($userId, $version, $at, $deviceId)
       ON CONFLICT (user_id, version) DO NOTHING`,
      { userId: c.userId, version: c.version, at: c.acceptedAt, deviceId: c.deviceId },
    ).changes === 1);
  }

  latestConsents(): Promise<Map<string, ConsentRecord>> {
    return this.q.plain(() => {
      const out = new Map<string, ConsentRecord>();
      for (const r of this.q.all('SELECT * FROM consents ORDER BY accepted_at, rowid')) out.set(str(r.user_id), toConsent(r));
      return out;
    });
  }

  /** Inside a write: deletes each held row and inserts it again live; AUTOINCREMENT makes every new id the largest yet. */
  #move(rows: Row[]): StoredEnvelope[] {
    const out: StoredEnvelope[] = [];
    for (const r of rows) {
      if (this.q.run('DELETE FROM envelopes WHERE id = $id AND deliver_after IS NOT NULL', { id: num(r.id) }).changes !== 1) continue;
      const { changes, lastInsertRowid } = this.q.run(
        `INSERT INTO envelopes (dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id, about_group)
         SELECT $destUser, $destDevice, $sourceUser, $sourceDevice, $type, $content, $ts, $groupId, $aboutGroup
         WHERE NOT EXISTS (SELECT 1 FROM devices WHERE user_id = $destUser AND device_id = $destDevice AND state != 'active')`,
        {
          destUser: str(r.dest_user), destDevice: num(r.dest_device), sourceUser: str(r.source_user), sourceDevice: num(r.source_device),
          type: num(r.type), content: bytes(r.content), ts: num(r.server_timestamp), groupId: r.group_id == null ? null : str(r.group_id),
          aboutGroup: r.about_group == null ? null : str(r.about_group),
        },
      );
      if (changes === 1) out.push({ ...toEnvelope(r), id: Number(lastInsertRowid) });
    }
    return out;
  }

  async releaseDue(now: number, limit: number): Promise<StoredEnvelope[]> {
    // Most passes find nothing: a plain read first, so an idle timer never takes the write lock.
    const any = await this.q.plain(() => this.q.get('SELECT 1 AS x FROM envelopes WHERE deliver_after IS NOT NULL AND deliver_after <= $now LIMIT 1', { now }));
    if (!any) return [];
    return this.q.write(() => this.#move(this.q.all(
      'SELECT * FROM envelopes WHERE deliver_after IS NOT NULL AND deliver_after <= $now ORDER BY id LIMIT $limit', { now, limit },
    )));
  }

  rehold(userId: string, deliverAfter: number | null): Promise<StoredEnvelope[]> {
    return this.q.write(() => {
      if (deliverAfter !== null) {
        this.q.run('UPDATE envelopes SET deliver_after = $deliverAfter WHERE dest_user = $userId AND deliver_after IS NOT NULL', { userId, deliverAfter });
        return [];
      }
      return this.#move(this.q.all('SELECT * FROM envelopes WHERE dest_user = $userId AND deliver_after IS NOT NULL ORDER BY id', { userId }));
    });
  }

  heldUntil(userId: string): Promise<number | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT min(deliver_after) AS at FROM envelopes WHERE dest_user = $userId AND deliver_after IS NOT NULL', { userId });
      return r?.at == null ? undefined : num(r.at);
    });
  }
}
