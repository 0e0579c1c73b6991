// Business tools (server/business/): company profile and logo, welcome message, published away status, and the
// aggregate daily counters (plain totals; the open day's distinct sets are deleted when the day closes).
import type { AwayRecord, BusinessStore, CompanyProfileRecord, DailyCounts } from '../types.ts';
import { bytes, num, numOrNull, str, strOrNull, type Row, type Sql } from './sql.ts';

function toProfile(r: Row): CompanyProfileRecord {
  const type = strOrNull(r.logo_type);
  return {
    name: str(r.name), description: str(r.description), website: str(r.website), support: str(r.support),
    officeHours: str(r.office_hours),
    logo: type === null ? null : { contentType: type, data: bytes(r.logo), sha256: str(r.logo_sha256) },
    updatedAt: num(r.updated_at), updatedBy: str(r.updated_by),
  };
}

export class SqliteBusinessStore implements BusinessStore {
  constructor(private readonly q: Sql) {}

  profile(): Promise<CompanyProfileRecord | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM company_profile WHERE id = 1');
      return r ? toProfile(r) : undefined;
    });
  }

  setProfile(p: Omit<CompanyProfileRecord, 'logo'> & { logo?: CompanyProfileRecord['logo'] }): Promise<CompanyProfileRecord> {
    return this.q.write(() => {
      const old = this.q.get('SELECT * FROM company_profile WHERE id = 1');
      const logo = p.logo !== undefined ? p.logo : old ? toProfile(old).logo : null;
      this.q.run(
        `INSERT INTO company_profile (id, name, description, website, support, office_hours, logo, logo_type, logo_sha256, updated_at, updated_by)
         VALUES (1, $name, $description, $website, $support, $officeHours, $logo, $logoType, $logoSha, $at, $by)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, website = excluded.website,
           support = excluded.support, office_hours = excluded.office_hours, logo = excluded.logo, logo_type = excluded.logo_type,
           logo_sha256 = excluded.logo_sha256, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        {
          name: p.name, description: p.description, website: p.website, support: p.support, officeHours: p.officeHours,
          logo: logo?.data ?? null, logoType: logo?.contentType ?? null, logoSha: logo?.sha256 ?? null, at: p.updatedAt, by: p.updatedBy,
        },
      );
      return toProfile(this.q.get('SELECT * FROM company_profile WHERE id = 1')!);
    });
  }

  welcome(): Promise<{ text: string | null; updatedAt: number }> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT text, updated_at FROM org_welcome WHERE id = 1');
      return r ? { text: strOrNull(r.text), updatedAt: num(r.updated_at) } : { text: null, updatedAt: 0 };
    });
  }

  async setWelcome(text: string | null, now: number): Promise<void> {
    await this.q.plain(() => this.q.run(
      'INSERT INTO org_welcome (id, text, updated_at) VALUES (1, $text, $now) ON CONFLICT (id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at',
      { text, now },
    ));
  }

  away(userId: string): Promise<AwayRecord | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM away_status WHERE user_id = $userId', { userId });
      return r ? { text: str(r.text), until: numOrNull(r.away_until), outsideWorkingHours: num(r.outside_hours) === 1, updatedAt: num(r.updated_at) } : undefined;
    });
  }

  async setAway(userId: string, a: AwayRecord): Promise<void> {
    await this.q.plain(() => this.q.run(
      `INSERT INTO away_status (user_id, text, away_until, outside_hours, updated_at) VALUES ($userId, $text, $until, $outside, $at)
       ON CONFLICT (user_id) DO UPDATE SET text = excluded.text, away_until = excluded.away_until, outside_hours = excluded.outside_hours, updated_at = excluded.updated_at`,
      { userId, text: a.text, until: a.until, outside: a.outsideWorkingHours ? 1 : 0, at: a.updatedAt },
    ));
  }

  async clearAway(userId: string): Promise<void> {
    await this.q.plain(() => this.q.run('DELETE FROM away_status WHERE user_id = $userId', { userId }));
  }

  async count(day: string, relayed: number, members: Array<{ kind: 'u' | 'd' | 'g'; id: string }>): Promise<void> {
    await this.q.write(() => {
      if (relayed > 0) {
        this.q.run(
          `INSERT INTO stats_daily (day, messages_relayed) VALUES ($day, $n)
           ON CONFLICT (day) DO UPDATE SET messages_relayed = messages_relayed + excluded.messages_relayed`,
          { day, n: relayed },
        );
      }
      for (const m of members) this.q.run('INSERT OR IGNORE INTO stats_open (day, kind, member) VALUES ($day, $kind, $id)', { day, kind: m.kind, id: m.id });
    });
  }

  async closeDaysBefore(day: string): Promise<void> {
    await this.q.write(() => {
      const open = this.q.all('SELECT DISTINCT day FROM stats_open WHERE day < $day', { day }).map((r) => str(r.day));
      for (const d of open) {
        const c = this.#openCounts(d);
        this.q.run(
          `INSERT INTO stats_daily (day, messages_relayed, active_devices, active_users, active_groups) VALUES ($day, 0, $d, $u, $g)
           ON CONFLICT (day) DO UPDATE SET active_devices = COALESCE(stats_daily.active_devices, 0) + excluded.active_devices,
           active_users = COALESCE(stats_daily.active_users, 0) + excluded.active_users, active_groups = COALESCE(stats_daily.active_groups, 0) + excluded.active_groups`,
          { day: d, d: c.d, u: c.u, g: c.g },
        );
        this.q.run('DELETE FROM stats_open WHERE day = $day', { day: d });
      }
    });
  }

  #openCounts(day: string): { u: number; d: number; g: number } {
    const c = { u: 0, d: 0, g: 0 };
    for (const r of this.q.all('SELECT kind, COUNT(*) AS n FROM stats_open WHERE day = $day GROUP BY kind', { day })) c[str(r.kind) as 'u' | 'd' | 'g'] = num(r.n);
    return c;
  }

  daily(from: string, to: string): Promise<DailyCounts[]> {
    return this.q.plain(() => {
      const byDay = new Map<string, DailyCounts>();
      for (const r of this.q.all('SELECT * FROM stats_daily WHERE day >= $from AND day <= $to', { from, to })) {
        byDay.set(str(r.day), {
          day: str(r.day), messagesRelayed: num(r.messages_relayed),
          activeDevices: numOrNull(r.active_devices) ?? 0, activeUsers: numOrNull(r.active_users) ?? 0, groups: numOrNull(r.active_groups) ?? 0,
        });
      }
      for (const r of this.q.all('SELECT DISTINCT day FROM stats_open WHERE day >= $from AND day <= $to', { from, to })) {
        const day = str(r.day);
        const c = this.#openCounts(day);
        const row = byDay.get(day) ?? { day, messagesRelayed: 0, activeDevices: 0, activeUsers: 0, groups: 0 };
        byDay.set(day, { ...row, activeDevices: row.activeDevices + c.d, activeUsers: row.activeUsers + c.u, groups: row.groups + c.g });
      }
      return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
    });
  }
}
