// Users (one per IdP identity) and the directory queries over them. Text is ordered byte-wise (COLLATE "C"),
// as SQLite orders it, whatever the database's locale.
import { randomBytes } from 'node:crypto';
import type { DeviceRecord, NewUser, UserProfile, UserRecord, UserStore } from '../types.ts';
import { DEACTIVATED } from './conditions.ts';
import { toDevice } from './devices.ts';
import { bool, num, str, type Pg, type Row } from './sql.ts';

export function toUser(r: Row): UserRecord {
  return {
    userId: str(r.user_id), issuer: str(r.issuer), sub: str(r.sub), email: str(r.email), name: str(r.name),
    groups: JSON.parse(str(r.groups_json)) as string[], ...(r.groups_at == null ? {} : { groupsAt: num(r.groups_at) }),
    createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}

export class PgUserStore implements UserStore {
  constructor(private readonly q: Pg) {}

  async get(userId: string): Promise<UserRecord | undefined> {
    const r = await this.q.row('SELECT * FROM users WHERE user_id = $1', [userId]);
    return r && toUser(r);
  }

  async bySubject(issuer: string, sub: string): Promise<UserRecord | undefined> {
    const r = await this.q.row('SELECT * FROM users WHERE issuer = $1 AND sub = $2', [issuer, sub]);
    return r && toUser(r);
  }

  async create(u: NewUser, now: number): Promise<UserRecord> {
    const userId = `u_${randomBytes(16).toString('base64url')}`;
    const r = await this.q.row(
      `INSERT INTO users (user_id, issuer, sub, email, name, groups_json, groups_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7) RETURNING *`,
      [userId, u.issuer, u.sub, u.email, u.name, JSON.stringify(u.groups), now],
    );
    return toUser(r!);
  }

  async setProfile(userId: string, p: UserProfile, now: number): Promise<void> {
    if (p.groups === undefined) {
      await this.q.run('UPDATE users SET email = $1, name = $2, updated_at = $3 WHERE user_id = $4', [p.email, p.name, now, userId]);
    } else {
      await this.q.run('UPDATE users SET email = $1, name = $2, groups_json = $3, groups_at = $4, updated_at = $4 WHERE user_id = $5',
        [p.email, p.name, JSON.stringify(p.groups), now, userId]);
    }
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const r = await this.q.row(
      `SELECT * FROM users WHERE lower(email) = lower($1) AND NOT ${DEACTIVATED('users.user_id')}
       ORDER BY updated_at DESC, rid DESC LIMIT 1`, [email],
    );
    return r && toUser(r);
  }

  async search(query: string, limit: number): Promise<UserRecord[]> {
    // strpos() rather than LIKE so that % and _ in the query are literal.
    return (await this.q.rows(
      `SELECT * FROM users WHERE (strpos(lower(email), lower($1)) > 0 OR strpos(lower(name), lower($1)) > 0)
         AND NOT ${DEACTIVATED('users.user_id')}
       ORDER BY lower(name) COLLATE "C", user_id COLLATE "C" LIMIT $2`, [query, limit],
    )).map(toUser);
  }

  async isDeactivated(userId: string): Promise<boolean> {
    return bool((await this.q.row(`SELECT ${DEACTIVATED('$1::text')} AS d`, [userId]))!.d);
  }

  async provisioningStates(): Promise<Map<string, 'provisioned' | 'just-in-time' | 'deactivated'>> {
    return new Map((await this.q.rows(
      `SELECT u.user_id, ${DEACTIVATED('u.user_id')} AS deactivated,
         EXISTS (SELECT 1 FROM scim_users s WHERE s.user_id = u.user_id AND s.deleted_at IS NULL AND s.managed) AS managed
       FROM users u`,
    )).map((r) => [
      str(r.user_id), bool(r.deactivated) ? 'deactivated' as const : bool(r.managed) ? 'provisioned' as const : 'just-in-time' as const,
    ]));
  }

  async listWithDevices(email?: string): Promise<Array<{ user: UserRecord; devices: DeviceRecord[] }>> {
    const users = (email === undefined
      ? await this.q.rows('SELECT * FROM users ORDER BY lower(email) COLLATE "C", user_id COLLATE "C"')
      : await this.q.rows('SELECT * FROM users WHERE lower(email) = lower($1) ORDER BY updated_at DESC, user_id COLLATE "C"', [email])).map(toUser);
    const devices = new Map<string, DeviceRecord[]>(users.map((u) => [u.userId, []]));
    if (users.length > 0) {
      for (const r of await this.q.rows('SELECT * FROM devices WHERE user_id = ANY($1) ORDER BY user_id, device_id', [users.map((u) => u.userId)])) {
        devices.get(str(r.user_id))!.push(toDevice(r));
      }
    }
    return users.map((user) => ({ user, devices: devices.get(user.userId)! }));
  }
}
