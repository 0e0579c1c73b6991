// Business tools on PostgreSQL, as sqlite/business.ts: company profile and logo, welcome message, published away
// status, aggregate daily counters (the open day's distinct sets are deleted when the day closes). Counter
// increments are single statements (atomic across nodes); closing a day is one transaction.
import type { AwayRecord, BusinessStore, CompanyProfileRecord, DailyCounts } from '../types.ts';
import { bool, bytes, num, numOrNull, str, strOrNull, type Pg, type Row } from './sql.ts';

function toProfile(r: Row): CompanyProfileRecord {
  const type = strOrNull(r.logo_type);
  return {
    name: str(r.name), description: str(r.description), website: str(r.website), support: str(r.support),
    officeHours: str(r.office_hours),
    logo: type === null ? null : { contentType: type, data: bytes(r.logo), sha256: str(r.logo_sha256) },
    updatedAt: num(r.updated_at), updatedBy: str(r.updated_by),
  };
}

export class PgBusinessStore implements BusinessStore {
  constructor(private readonly q: Pg) {}

  async profile(): Promise<CompanyProfileRecord | undefined> {
    const r = await this.q.row('SELECT * FROM company_profile WHERE id = 1');
    return r ? toProfile(r) : undefined;
  }

  setProfile(p: Omit<CompanyProfileRecord, 'logo'> & { logo?: CompanyProfileRecord['logo'] }): Promise<CompanyProfileRecord> {
    return this.q.write(async () => {
      const keep = p.logo === undefined;
      const logo = p.logo ?? null;
      // Keeping the logo: the UPDATE leaves its columns alone (no read-modify-write race between nodes).
      const r = await this.q.row(
        `INSERT INTO company_profile (id, name, description, website, support, office_hours, logo, logo_type, logo_sha256, updated_at, updated_by)
         VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, website = excluded.website,
           support = excluded.support, office_hours = excluded.office_hours,
           logo = CASE WHEN $11 THEN company_profile.logo ELSE excluded.logo END,
           logo_type = CASE WHEN $11 THEN company_profile.logo_type ELSE excluded.logo_type END,
           logo_sha256 = CASE WHEN $11 THEN company_profile.logo_sha256 ELSE excluded.logo_sha256 END,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by
         RETURNING *`,
        [p.name, p.description, p.website, p.support, p.officeHours, logo?.data ?? null, logo?.contentType ?? null, logo?.sha256 ?? null, p.updatedAt, p.updatedBy, keep],
      );
      return toProfile(r!);
    });
  }

  async welcome(): Promise<{ text: string | null; updatedAt: number }> {
    const r = await this.q.row('SELECT text, updated_at FROM org_welcome WHERE id = 1');
    return r ? { text: strOrNull(r.text), updatedAt: num(r.updated_at) } : { text: null, updatedAt: 0 };
  }

  async setWelcome(text: string | null, now: number): Promise<void> {
    await this.q.run(
      'INSERT INTO org_welcome (id, text, updated_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at',
      [text, now],
    );
  }

  async away(userId: string): Promise<AwayRecord | undefined> {
    const r = await this.q.row('SELECT * FROM away_status WHERE user_id = $1', [userId]);
    return r ? { text: str(r.text), until: numOrNull(r.away_until), outsideWorkingHours: bool(r.outside_hours), updatedAt: num(r.updated_at) } : undefined;
  }

  async setAway(userId: string, a: AwayRecord): Promise<void> {
    await this.q.run(
      `INSERT INTO away_status (user_id, text, away_until, outside_hours, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (user_id) DO UPDATE SET text = excluded.text, away_until = excluded.away_until, outside_hours = excluded.outside_hours, updated_at = excluded.updated_at`,
      [userId, a.text, a.until, a.outsideWorkingHours, a.updatedAt],
    );
  }

  async clearAway(userId: string): Promise<void> {
    await this.q.run('DELETE FROM away_status WHERE user_id = $1', [userId]);
  }

  async count(day: string, relayed: number, members: Array<{ kind: 'u' | 'd' | 'g'; id: string }>): Promise<void> {
    if (relayed > 0) {
      await this.q.run(
        `INSERT INTO stats_daily (day, messages_relayed) VALUES ($1, $2)
         ON CONFLICT (day) DO UPDATE SET messages_relayed = stats_daily.messages_relayed + excluded.messages_relayed`,
        [day, relayed],
      );
    }
    if (members.length > 0) {
      await this.q.run(
        `INSERT INTO stats_open (day, kind, member) SELECT $1, k, m FROM unnest($2::text[], $3::text[]) AS t(k, m) ON CONFLICT DO NOTHING`,
        [day, members.map((m) => m.kind), members.map((m) => m.id)],
      );
    }
  }

  async closeDaysBefore(day: string): Promise<void> {
    await this.q.write(async () => {
      // Counted and deleted in one statement pair of one transaction; a concurrent insert for a closed day is
      // impossible (nodes only ever count today).
      await this.q.run(
        `INSERT INTO stats_daily (day, messages_relayed, active_devices, active_users, active_groups)
         SELECT day, 0, COUNT(*) FILTER (WHERE kind = 'd'), COUNT(*) FILTER (WHERE kind = 'u'), COUNT(*) FILTER (WHERE kind = 'g')
         FROM stats_open WHERE day < $1 GROUP BY day
         ON CONFLICT (day) DO UPDATE SET active_devices = COALESCE(stats_daily.active_devices, 0) + excluded.active_devices,
           active_users = COALESCE(stats_daily.active_users, 0) + excluded.active_users, active_groups = COALESCE(stats_daily.active_groups, 0) + excluded.active_groups`,
        [day],
      );
      await this.q.run('DELETE FROM stats_open WHERE day < $1', [day]);
    });
  }

  async daily(from: string, to: string): Promise<DailyCounts[]> {
    const byDay = new Map<string, DailyCounts>();
    for (const r of await this.q.rows('SELECT * FROM stats_daily WHERE day >= $1 AND day <= $2', [from, to])) {
      byDay.set(str(r.day), {
        day: str(r.day), messagesRelayed: num(r.messages_relayed),
        activeDevices: numOrNull(r.active_devices) ?? 0, activeUsers: numOrNull(r.active_users) ?? 0, groups: numOrNull(r.active_groups) ?? 0,
      });
    }
    const open = await this.q.rows(
      `SELECT day, COUNT(*) FILTER (WHERE kind = 'd')::int AS d, COUNT(*) FILTER (WHERE kind = 'u')::int AS u, COUNT(*) FILTER (WHERE kind = 'g')::int AS g
       FROM stats_open WHERE day >= $1 AND day <= $2 GROUP BY day`,
      [from, to],
    );
    for (const r of open) {
      const day = str(r.day);
      const row = byDay.get(day) ?? { day, messagesRelayed: 0, activeDevices: 0, activeUsers: 0, groups: 0 };
      byDay.set(day, { ...row, activeDevices: row.activeDevices + num(r.d), activeUsers: row.activeUsers + num(r.u), groups: row.groups + num(r.g) });
    }
    return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  }
}
