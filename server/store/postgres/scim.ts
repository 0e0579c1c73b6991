// SCIM 2.0 provisioning state: SCIM users (linked to a Parley user once the person signs in), groups, members.
// Deleted users stay as rows with deleted_at set, so a deactivated Parley user remains recognisable. Writes
// check uniqueness before they write, under the DIRECTORY lock, so two nodes cannot both pass the check.
import { randomBytes } from 'node:crypto';
import {
  ScimStoreError, type ScimGroupFilter, type ScimGroupRow, type ScimGroupWrite, type ScimStore, type ScimUserFilter, type ScimUserRow,
  type ScimUserWrite,
} from '../types.ts';
import { bool, LOCK, num, str, strOrNull, type Param, type Pg, type Row } from './sql.ts';

const newScimId = () => randomBytes(16).toString('hex');
const DIRECTORY = [LOCK.directory];

function toScimUser(r: Row): ScimUserRow {
  return {
    id: str(r.id), userId: strOrNull(r.user_id), externalId: strOrNull(r.external_id),
    userName: str(r.user_name), active: bool(r.active), attrs: JSON.parse(str(r.attrs_json)) as Record<string, unknown>,
    managed: bool(r.managed), linkValue: strOrNull(r.link_value), version: num(r.version),
    createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}

/** A list query's WHERE over `params` ($1 is the filter value when there is one). */
function userWhere(filter: ScimUserFilter | null): { where: string; params: Param[] } {
  if (!filter) return { where: 'deleted_at IS NULL', params: [] };
  const cond = {
    userName: 'lower(user_name) = lower($1)',
    externalId: 'external_id = $1',
    id: 'id = $1',
    // The emails array of the stored attributes (json_each over $.emails in the SQLite store).
    emails: `EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN json_typeof(attrs_json::json -> 'emails') = 'array'
               THEN attrs_json::json -> 'emails' ELSE '[]'::json END) e WHERE lower(e ->> 'value') = lower($1))`,
  }[filter.attr];
  return { where: `deleted_at IS NULL AND ${cond}`, params: [filter.value] };
}

export class PgScimStore implements ScimStore {
  constructor(private readonly q: Pg) {}

  async #user(id: string): Promise<ScimUserRow | undefined> {
    const r = await this.q.row('SELECT * FROM scim_users WHERE id = $1 AND deleted_at IS NULL', [id]);
    return r && toScimUser(r);
  }

  async #checkUserUnique(write: ScimUserWrite, selfId: string | null): Promise<void> {
    const userName = String(write.attrs.userName);
    if (await this.q.row('SELECT 1 FROM scim_users WHERE lower(user_name) = lower($1) AND deleted_at IS NULL AND id IS DISTINCT FROM $2',
      [userName, selfId])) {
      throw new ScimStoreError('uniqueness', `A user with userName ${JSON.stringify(userName)} already exists.`);
    }
    if (write.externalId !== null && await this.q.row('SELECT 1 FROM scim_users WHERE external_id = $1 AND deleted_at IS NULL AND id IS DISTINCT FROM $2',
      [write.externalId, selfId])) {
      throw new ScimStoreError('uniqueness', `A user with externalId ${JSON.stringify(write.externalId)} already exists.`);
    }
  }

  listUsers(filter: ScimUserFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimUserRow[] }> {
    const { where, params } = userWhere(filter);
    const n = params.length;
    return this.q.write(async () => {
      const total = num((await this.q.row(`SELECT count(*) AS n FROM scim_users WHERE ${where}`, params))!.n);
      const rows = (await this.q.rows(`SELECT * FROM scim_users WHERE ${where} ORDER BY created_at, rid LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, limit, offset])).map(toScimUser);
      return { total, rows };
    });
  }

  getUser(id: string): Promise<ScimUserRow | undefined> {
    return this.#user(id);
  }

  createUser(write: ScimUserWrite, now: number): Promise<ScimUserRow> {
    return this.q.write(async () => {
      await this.#checkUserUnique(write, null);
      const r = await this.q.row(
        `INSERT INTO scim_users (id, user_id, external_id, user_name, active, attrs_json, managed, link_value, created_at, updated_at)
         VALUES ($1, NULL, $2, $3, $4, $5, true, NULL, $6, $6) RETURNING *`,
        [newScimId(), write.externalId, String(write.attrs.userName), write.attrs.active !== false, JSON.stringify(write.attrs), now],
      );
      return toScimUser(r!);
    }, DIRECTORY);
  }

  updateUser(id: string, update: (current: ScimUserRow) => ScimUserWrite, now: number): Promise<ScimUserRow | undefined> {
    return this.q.write(async () => {
      const current = await this.#user(id);
      if (!current) return undefined;
      const write = update(current);
      await this.#checkUserUnique(write, id);
      const r = await this.q.row(
        `UPDATE scim_users SET external_id = $2, user_name = $3, active = $4, attrs_json = $5, managed = true,
           version = version + 1, updated_at = $6 WHERE id = $1 RETURNING *`,
        [id, write.externalId, String(write.attrs.userName), write.attrs.active !== false, JSON.stringify(write.attrs), now],
      );
      return toScimUser(r!);
    }, DIRECTORY);
  }

  deleteUser(id: string, now: number): Promise<ScimUserRow | undefined> {
    return this.q.write(async () => {
      const row = await this.#user(id);
      if (!row) return undefined;
      await this.q.run('DELETE FROM scim_group_members WHERE member_id = $1', [id]);
      await this.q.run('UPDATE scim_users SET deleted_at = $2, updated_at = $2 WHERE id = $1', [id, now]);
      return row;
    }, DIRECTORY);
  }

  async groupsOf(id: string): Promise<Array<{ id: string; displayName: string }>> {
    return (await this.q.rows(
      `SELECT g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
       WHERE m.member_id = $1 ORDER BY lower(g.display_name) COLLATE "C", g.id COLLATE "C"`, [id],
    )).map((r) => ({ id: str(r.id), displayName: str(r.display_name) }));
  }

  async attrsOf(ids: string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map((await this.q.rows('SELECT id, attrs_json FROM scim_users WHERE id = ANY($1)', [ids]))
      .map((r) => [str(r.id), JSON.parse(str(r.attrs_json)) as Record<string, unknown>]));
    // In the order asked, as the SQLite store answers.
    const out = new Map<string, Record<string, unknown>>();
    for (const id of ids) { const a = found.get(id); if (a) out.set(id, a); }
    return out;
  }

  // ---- identity-linking primitives ----

  async liveUserByExternalId(externalId: string): Promise<ScimUserRow | undefined> {
    const r = await this.q.row('SELECT * FROM scim_users WHERE external_id = $1 AND deleted_at IS NULL', [externalId]);
    return r && toScimUser(r);
  }

  async liveUserOf(userId: string): Promise<ScimUserRow | undefined> {
    const r = await this.q.row('SELECT * FROM scim_users WHERE user_id = $1 AND deleted_at IS NULL', [userId]);
    return r && toScimUser(r);
  }

  createUnmanagedUser(userId: string, attrs: Record<string, unknown>, linkValue: string | null, now: number): Promise<ScimUserRow> {
    return this.q.write(async () => {
      const r = await this.q.row(
        `INSERT INTO scim_users (id, user_id, external_id, user_name, active, attrs_json, managed, link_value, created_at, updated_at)
         VALUES ($1, $2, NULL, $3, $4, $5, false, $6, $7, $7) RETURNING *`,
        [newScimId(), userId, String(attrs.userName), attrs.active !== false, JSON.stringify(attrs), linkValue, now],
      );
      return toScimUser(r!);
    }, DIRECTORY);
  }

  async refreshUnmanagedUser(id: string, attrs: Record<string, unknown>, linkValue: string | null, now: number): Promise<void> {
    await this.q.run('UPDATE scim_users SET user_name = $2, attrs_json = $3, link_value = $4, updated_at = $5 WHERE id = $1 AND NOT managed',
      [id, String(attrs.userName), JSON.stringify(attrs), linkValue, now]);
  }

  async linkUser(id: string, userId: string, linkValue: string | null, opts: { onlyIfUnset?: boolean } = {}): Promise<void> {
    await this.q.run(`UPDATE scim_users SET user_id = $2, link_value = ${opts.onlyIfUnset ? 'coalesce(link_value, $3)' : '$3'} WHERE id = $1`,
      [id, userId, linkValue]);
  }

  async unlinkedMatching(query: string, limit: number): Promise<ScimUserRow[]> {
    // strpos() rather than LIKE so that % and _ in the query are literal.
    return (await this.q.rows(
      `SELECT * FROM scim_users WHERE user_id IS NULL AND deleted_at IS NULL AND active AND managed
         AND external_id IS NOT NULL AND strpos(lower(attrs_json), lower($1)) > 0
       ORDER BY created_at, rid LIMIT $2`, [query, limit],
    )).map(toScimUser);
  }

  // ---- groups ----

  async #group(id: string): Promise<ScimGroupRow | undefined> {
    const r = await this.q.row('SELECT * FROM scim_groups WHERE id = $1', [id]);
    if (!r) return undefined;
    const members = (await this.q.rows('SELECT member_id FROM scim_group_members WHERE group_id = $1 ORDER BY position', [id])).map((m) => str(m.member_id));
    return {
      id: str(r.id), externalId: strOrNull(r.external_id), displayName: str(r.display_name), members,
      version: num(r.version), createdAt: num(r.created_at), updatedAt: num(r.updated_at),
    };
  }

  async #writeGroup(id: string, write: ScimGroupWrite, now: number, create: boolean): Promise<void> {
    if (await this.q.row('SELECT 1 FROM scim_groups WHERE lower(display_name) = lower($1) AND id != $2', [write.displayName, id])) {
      throw new ScimStoreError('uniqueness', `A group named ${JSON.stringify(write.displayName)} already exists.`);
    }
    const members = [...new Set(write.members)];
    const live = new Set((await this.q.rows('SELECT id FROM scim_users WHERE id = ANY($1) AND deleted_at IS NULL', [members])).map((r) => str(r.id)));
    const unknown = members.find((m) => !live.has(m));
    if (unknown !== undefined) {
      throw new ScimStoreError('unknown_member', `Member ${JSON.stringify(unknown.slice(0, 100))} is not a user of this service provider.`);
    }
    if (create) {
      await this.q.run('INSERT INTO scim_groups (id, external_id, display_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)',
        [id, write.externalId, write.displayName, now]);
    } else {
      await this.q.run('UPDATE scim_groups SET external_id = $2, display_name = $3, version = version + 1, updated_at = $4 WHERE id = $1',
        [id, write.externalId, write.displayName, now]);
    }
    const existing = new Set((await this.q.rows('SELECT member_id FROM scim_group_members WHERE group_id = $1', [id])).map((r) => str(r.member_id)));
    const keep = new Set(members);
    const gone = [...existing].filter((m) => !keep.has(m));
    if (gone.length > 0) await this.q.run('DELETE FROM scim_group_members WHERE group_id = $1 AND member_id = ANY($2)', [id, gone]);
    const added = members.filter((m) => !existing.has(m));
    if (added.length > 0) {
      // Positions continue after the highest one left, in the order given.
      await this.q.run(
        `INSERT INTO scim_group_members (group_id, member_id, position)
         SELECT $1, m, (SELECT coalesce(max(position), 0) FROM scim_group_members WHERE group_id = $1) + n
         FROM unnest($2::text[]) WITH ORDINALITY AS t(m, n)`,
        [id, added],
      );
    }
  }

  listGroups(filter: ScimGroupFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimGroupRow[] }> {
    const where = !filter ? 'true'
      : filter.attr === 'displayName' ? 'lower(display_name) = lower($1)' : filter.attr === 'externalId' ? 'external_id = $1' : 'id = $1';
    const params: Param[] = filter ? [filter.value] : [];
    const n = params.length;
    return this.q.write(async () => {
      const total = num((await this.q.row(`SELECT count(*) AS n FROM scim_groups WHERE ${where}`, params))!.n);
      const ids = (await this.q.rows(`SELECT id FROM scim_groups WHERE ${where} ORDER BY created_at, rid LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, limit, offset])).map((r) => str(r.id));
      const rows: ScimGroupRow[] = [];
      for (const id of ids) rows.push((await this.#group(id))!);
      return { total, rows };
    });
  }

  getGroup(id: string): Promise<ScimGroupRow | undefined> {
    return this.#group(id);
  }

  createGroup(write: ScimGroupWrite, now: number): Promise<ScimGroupRow> {
    return this.q.write(async () => {
      const id = newScimId();
      await this.#writeGroup(id, write, now, true);
      return (await this.#group(id))!;
    }, DIRECTORY);
  }

  updateGroup(id: string, update: (current: ScimGroupRow) => ScimGroupWrite, now: number): Promise<ScimGroupRow | undefined> {
    return this.q.write(async () => {
      const current = await this.#group(id);
      if (!current) return undefined;
      await this.#writeGroup(id, update(current), now, false);
      return (await this.#group(id))!;
    }, DIRECTORY);
  }

  deleteGroup(id: string): Promise<boolean> {
    return this.q.write(async () => {
      await this.q.run('DELETE FROM scim_group_members WHERE group_id = $1', [id]);
      return await this.q.run('DELETE FROM scim_groups WHERE id = $1', [id]) === 1;
    }, DIRECTORY);
  }
}
