// Users (one per IdP identity) and the directory queries over them.
import { randomBytes } from 'node:crypto';
import type { DeviceRecord, NewUser, UserProfile, UserRecord, UserStore } from '../types.ts';
import { DEACTIVATED } from './conditions.ts';
import { toDevice } from './devices.ts';
import { num, str, type Row, type Sql } from './sql.ts';

function toUser(r: Row): UserRecord {
  return {
    userId: str(r.user_id), issuer: str(r.issuer), sub: str(r.sub), email: str(r.email), name: str(r.name),
    groups: JSON.parse(str(r.groups_json)) as string[], ...(r.groups_at == null ? {} : { groupsAt: num(r.groups_at) }),
    createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}

export class SqliteUserStore implements UserStore {
  constructor(private readonly q: Sql) {}

  #get(userId: string): UserRecord | undefined {
    const r = this.q.get('SELECT * FROM users WHERE user_id = $userId', { userId });
    return r && toUser(r);
  }

  get(userId: string): Promise<UserRecord | undefined> {
    return this.q.plain(() => this.#get(userId));
  }

  bySubject(issuer: string, sub: string): Promise<UserRecord | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM users WHERE issuer = $issuer AND sub = $sub', { issuer, sub });
      return r && toUser(r);
    });
  }

  create(u: NewUser, now: number): Promise<UserRecord> {
    return this.q.write(() => {
      const userId = `u_${randomBytes(16).toString('base64url')}`;
      this.q.run(
        `INSERT INTO users (user_id, issuer, sub, email, name, groups_json, groups_at, created_at, updated_at)
         VALUES ($userId, $issuer, $sub, $email, $name, $groups, $now, $now, $now)`,
        { userId, issuer: u.issuer, sub: u.sub, email: u.email, name: u.name, groups: JSON.stringify(u.groups), now },
      );
      return this.#get(userId)!;
    });
  }

  setProfile(userId: string, p: UserProfile, now: number): Promise<void> {
    return this.q.write(() => {
      if (p.groups === undefined) {
        this.q.run('UPDATE users SET email = $email, name = $name, updated_at = $now WHERE user_id = $userId',
          { email: p.email, name: p.name, now, userId });
      } else {
        this.q.run('UPDATE users SET email = $email, name = $name, groups_json = $groups, groups_at = $now, updated_at = $now WHERE user_id = $userId',
          { email: p.email, name: p.name, groups: JSON.stringify(p.groups), now, userId });
      }
    });
  }

  findByEmail(email: string): Promise<UserRecord | undefined> {
    return this.q.plain(() => {
      const r = this.q.get(
        `SELECT * FROM users WHERE lower(email) = lower($email) AND NOT ${DEACTIVATED('users.user_id')}
         ORDER BY updated_at DESC, rowid DESC LIMIT 1`, { email },
      );
      return r && toUser(r);
    });
  }

  search(query: string, limit: number): Promise<UserRecord[]> {
    // instr() rather than LIKE so that % and _ in the query are literal.
    return this.q.plain(() => this.q.all(
      `SELECT * FROM users WHERE (instr(lower(email), lower($q)) > 0 OR instr(lower(name), lower($q)) > 0)
         AND NOT ${DEACTIVATED('users.user_id')}
       ORDER BY lower(name), user_id LIMIT $limit`, { q: query, limit },
    ).map(toUser));
  }

  isDeactivated(userId: string): Promise<boolean> {
    return this.q.plain(() => num(this.q.get(`SELECT ${DEACTIVATED('$userId')} AS d`, { userId })!.d) === 1);
  }

  provisioningStates(): Promise<Map<string, 'provisioned' | 'just-in-time' | 'deactivated'>> {
    return this.q.plain(() => new Map(this.q.all(
      `SELECT u.user_id, ${DEACTIVATED('u.user_id')} AS deactivated,
         EXISTS (SELECT 1 FROM scim_users s WHERE s.user_id = u.user_id AND s.deleted_at IS NULL AND s.managed = 1) AS managed
       FROM users u`,
    ).map((r) => [
      str(r.user_id), num(r.deactivated) === 1 ? 'deactivated' as const : num(r.managed) === 1 ? 'provisioned' as const : 'just-in-time' as const,
    ])));
  }

  listWithDevices(email?: string): Promise<Array<{ user: UserRecord; devices: DeviceRecord[] }>> {
    return this.q.plain(() => {
      const users = (email === undefined
        ? this.q.all('SELECT * FROM users ORDER BY lower(email), user_id')
        : this.q.all('SELECT * FROM users WHERE lower(email) = lower($email) ORDER BY updated_at DESC, user_id', { email })).map(toUser);
      return users.map((user) => ({
        user,
        devices: this.q.all('SELECT * FROM devices WHERE user_id = $userId ORDER BY device_id', { userId: user.userId }).map(toDevice),
      }));
    });
  }
}
